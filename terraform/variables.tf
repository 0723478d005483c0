variable "project" {
  description = "Name prefix of every resource (functions, layers, roles, queues, topic, parameter path)."
  type        = string
  default     = "mushroom"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.project))
    error_message = "project must be lower-case letters, digits and dashes (2-31 characters)."
  }
}

variable "region" {
  description = "AWS region to deploy into (LocalStack accepts any; us-east-1 locally)."
  type        = string
  default     = "us-east-1"
}

variable "data_bucket_name" {
  description = "Name of the data bucket (system of record). Null derives \"<project>-data\"; set a globally unique name on real AWS."
  type        = string
  default     = null
}

variable "mlflow_artifact_bucket_name" {
  description = "Name of the MLflow artifact bucket. Must equal MLFLOW_ARTIFACT_BUCKET of the MLflow server started by `make up`."
  type        = string
  default     = "mushroom-mlflow-artifacts"
}

variable "lambda_runtime" {
  description = "Lambda runtime of every function and the compatible runtime of every layer (layers are built for its Python version)."
  type        = string
  default     = "python3.12"
}

variable "build_dir" {
  description = "Folder holding the artifacts of layers/build.py (layers/<name>.zip, lambdas/<name>.zip). Null means <repo>/build."
  type        = string
  default     = null
}

variable "training_queue_visibility_timeout_seconds" {
  description = "How long a received training job stays invisible. A training run takes ~2 minutes; 10 minutes leaves room before a redelivery."
  type        = number
  default     = 600

  validation {
    condition     = var.training_queue_visibility_timeout_seconds >= 120 && var.training_queue_visibility_timeout_seconds <= 43200
    error_message = "Between 120 s (one training run) and 43200 s (the SQS maximum)."
  }
}

variable "training_max_receive_count" {
  description = "Deliveries of a training job before it moves to the dead-letter queue."
  type        = number
  default     = 3

  validation {
    condition     = var.training_max_receive_count >= 1
    error_message = "At least one delivery."
  }
}

variable "log_retention_days" {
  description = "Retention of the functions' CloudWatch log groups."
  type        = number
  default     = 14

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "A retention CloudWatch Logs offers: 0 (never expire), 1, 3, 5, 7, 14, 30, 60, 90, ... 3653 days."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the system's custom metrics (the only namespace functions may write to)."
  type        = string
  default     = "Mushroom"
}

variable "alert_email" {
  description = "Optional e-mail address subscribed to the alerts topic (real AWS; null for none)."
  type        = string
  default     = null
}

variable "local_endpoint_url" {
  description = "LocalStack's edge URL, used only to print the local API URL form in the outputs."
  type        = string
  default     = "http://127.0.0.1:4566"
}

variable "force_destroy_buckets" {
  description = "Let `terraform destroy` delete the buckets with everything in them (raw uploads, models). scripts/deploy.sh sets it for the local target only."
  type        = bool
  default     = false
}

variable "noncurrent_version_expiration_days" {
  description = "Days an overwritten or deleted version of a derived object (not raw/, batch/, feedback/) or of an MLflow artifact is kept."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "At least one day."
  }
}

variable "incomplete_upload_days" {
  description = "Days after which an unfinished multipart upload is aborted (its parts cost storage and are no object)."
  type        = number
  default     = 7

  validation {
    condition     = var.incomplete_upload_days >= 1
    error_message = "At least one day."
  }
}

variable "batch_results_expiration_days" {
  description = "Days batch scoring results (batch-results/) are kept; null keeps them."
  type        = number
  default     = 90

  validation {
    condition     = var.batch_results_expiration_days == null || try(var.batch_results_expiration_days >= 1, false)
    error_message = "At least one day, or null."
  }
}

variable "monitoring_reports_expiration_days" {
  description = "Days monitor reports (monitoring/<time>/) are kept; null keeps them. The retrain cooldown state never expires."
  type        = number
  default     = 180

  validation {
    condition     = var.monitoring_reports_expiration_days == null || try(var.monitoring_reports_expiration_days >= 1, false)
    error_message = "At least one day, or null."
  }
}

# The functions: sizes and limits (functions.tf).

variable "ingest_memory_mb" {
  description = "Memory of the ingest function (MB). Peak use is ~280 MB + 1.35 x the CSV size."
  type        = number
  default     = 1024

  validation {
    condition     = var.ingest_memory_mb >= 128 && var.ingest_memory_mb <= 10240 && floor(var.ingest_memory_mb) == var.ingest_memory_mb
    error_message = "Lambda memory: a whole number of MB from 128 to 10240."
  }
}

variable "ingest_timeout_seconds" {
  description = "Timeout of the ingest function; ~0.35 s per MB of CSV (61k rows: ~1 s), 200 MB: ~70 s."
  type        = number
  default     = 300

  validation {
    condition     = var.ingest_timeout_seconds >= 1 && var.ingest_timeout_seconds <= 900 && floor(var.ingest_timeout_seconds) == var.ingest_timeout_seconds
    error_message = "Lambda timeout: a whole number of seconds from 1 to 900."
  }
}

variable "ingest_max_object_bytes" {
  description = "Largest upload (bytes, as stored) the ingest function reads; larger ones are refused with a report. Sized for 1,024 MB."
  type        = number
  default     = 209715200

  validation {
    condition     = var.ingest_max_object_bytes >= 1 && floor(var.ingest_max_object_bytes) == var.ingest_max_object_bytes
    error_message = "A whole number of bytes, at least 1."
  }
}

variable "ingest_max_content_bytes" {
  description = "Largest CSV text (bytes, after gzip decompression) the ingest function reads; guards against gzip bombs."
  type        = number
  default     = 209715200

  validation {
    condition     = var.ingest_max_content_bytes >= 1 && floor(var.ingest_max_content_bytes) == var.ingest_max_content_bytes
    error_message = "A whole number of bytes, at least 1."
  }
}

variable "predict_memory_mb" {
  description = "Memory of the predict function (MB); CPU scales with it on AWS."
  type        = number
  default     = 1024

  validation {
    condition     = var.predict_memory_mb >= 128 && var.predict_memory_mb <= 10240 && floor(var.predict_memory_mb) == var.predict_memory_mb
    error_message = "Lambda memory: a whole number of MB from 128 to 10240."
  }
}

variable "predict_timeout_seconds" {
  description = "Timeout of the predict function; batch files of ~60k rows take a few seconds."
  type        = number
  default     = 120

  validation {
    condition     = var.predict_timeout_seconds >= 1 && var.predict_timeout_seconds <= 900 && floor(var.predict_timeout_seconds) == var.predict_timeout_seconds
    error_message = "Lambda timeout: a whole number of seconds from 1 to 900."
  }
}

variable "champion_refresh_seconds" {
  description = "How often (at most) a warm predict container re-reads the champion pointer."
  type        = number
  default     = 30

  validation {
    condition     = var.champion_refresh_seconds >= 0
    error_message = "Zero or more."
  }
}

variable "predict_max_body_bytes" {
  description = "Largest request body the API parses; larger bodies get 413."
  type        = number
  default     = 1048576

  validation {
    condition     = var.predict_max_body_bytes >= 1 && var.predict_max_body_bytes <= 10485760
    error_message = "From 1 byte to 10 MB (API Gateway's largest payload)."
  }
}

variable "batch_max_bytes" {
  description = "Largest batch/ upload scored (stored size); larger files get a too_large report naming this limit."
  type        = number
  default     = 4294967296 # 4 GiB

  validation {
    condition     = var.batch_max_bytes >= 1024 && var.batch_max_bytes <= 5497558138880 && floor(var.batch_max_bytes) == var.batch_max_bytes
    error_message = "A whole number of bytes from 1024 to 5 TiB (S3's largest object)."
  }
}

variable "batch_split_bytes" {
  description = "What one invocation of the predict function scores: a larger batch file is split into parts of at most this, scored by the batch state machine (a gzip file cannot be split: above this once decompressed, it gets a too_large report)."
  type        = number
  default     = 33554432 # 32 MiB: ~700k rows, ~10 s per part

  validation {
    # S3 copies a part of the outputs (UploadPartCopy) of at most 5 GiB
    condition     = var.batch_split_bytes >= 1024 && var.batch_split_bytes <= 5368709120 && floor(var.batch_split_bytes) == var.batch_split_bytes
    error_message = "A whole number of bytes from 1024 to 5 GiB."
  }
}

variable "batch_map_concurrency" {
  description = "Parts of a split batch file scored at the same time (the Map state's MaxConcurrency); each is one predict invocation."
  type        = number
  default     = 10

  validation {
    condition     = var.batch_map_concurrency >= 1 && var.batch_map_concurrency <= 1000 && floor(var.batch_map_concurrency) == var.batch_map_concurrency
    error_message = "A whole number of parts from 1 to 1000."
  }
}

variable "monitor_memory_mb" {
  description = "Memory of the monitor function (MB); holds one window of predictions and feedback."
  type        = number
  default     = 512

  validation {
    condition     = var.monitor_memory_mb >= 128 && var.monitor_memory_mb <= 10240 && floor(var.monitor_memory_mb) == var.monitor_memory_mb
    error_message = "Lambda memory: a whole number of MB from 128 to 10240."
  }
}

variable "monitor_timeout_seconds" {
  description = "Timeout of the monitor function; a run over one window takes a few seconds."
  type        = number
  default     = 120

  validation {
    condition     = var.monitor_timeout_seconds >= 1 && var.monitor_timeout_seconds <= 900 && floor(var.monitor_timeout_seconds) == var.monitor_timeout_seconds
    error_message = "Lambda timeout: a whole number of seconds from 1 to 900."
  }
}

variable "retrain_memory_mb" {
  description = "Memory of the retrain function (MB); it sends one message and writes one marker."
  type        = number
  default     = 256

  validation {
    condition     = var.retrain_memory_mb >= 128 && var.retrain_memory_mb <= 10240 && floor(var.retrain_memory_mb) == var.retrain_memory_mb
    error_message = "Lambda memory: a whole number of MB from 128 to 10240."
  }
}

variable "retrain_timeout_seconds" {
  description = "Timeout of the retrain function."
  type        = number
  default     = 30

  validation {
    condition     = var.retrain_timeout_seconds >= 1 && var.retrain_timeout_seconds <= 900 && floor(var.retrain_timeout_seconds) == var.retrain_timeout_seconds
    error_message = "Lambda timeout: a whole number of seconds from 1 to 900."
  }
}

# The prediction API (api.tf).

variable "api_stage_name" {
  description = "Stage of the prediction API (part of its URL)."
  type        = string
  default     = "v1"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.api_stage_name))
    error_message = "Letters, digits, - and _ (1-128 characters)."
  }
}

variable "api_throttle_rate_limit" {
  description = "Steady-state requests per second allowed per API key."
  type        = number
  default     = 50

  validation {
    condition     = var.api_throttle_rate_limit > 0
    error_message = "More than zero requests per second."
  }
}

variable "api_throttle_burst_limit" {
  description = "Burst of requests allowed per API key."
  type        = number
  default     = 100

  validation {
    condition     = var.api_throttle_burst_limit >= 1 && floor(var.api_throttle_burst_limit) == var.api_throttle_burst_limit
    error_message = "A whole number, at least 1."
  }
}

variable "api_quota_per_day" {
  description = "Requests per day allowed per API key."
  type        = number
  default     = 100000

  validation {
    condition     = var.api_quota_per_day >= 1 && floor(var.api_quota_per_day) == var.api_quota_per_day
    error_message = "A whole number, at least 1."
  }
}

# Monitoring and retraining (monitoring.tf, dashboard.tf).

variable "monitor_schedule" {
  description = "EventBridge schedule expression of the monitor function."
  type        = string
  default     = "rate(5 minutes)"
}

variable "monitor_window_minutes" {
  description = "Length of the window of predictions (and their feedback) each monitor run evaluates."
  type        = number
  default     = 60

  validation {
    condition     = var.monitor_window_minutes >= 1
    error_message = "At least one minute."
  }
}

variable "monitor_max_specimens" {
  description = "Predictions one monitor run reads at most, the API's (Firehose objects) before batch-scored blocks, so a window flooded by a huge batch file stays within the timeout; the report counts what was left unread. Memory is bounded either way."
  type        = number
  default     = 200000

  validation {
    condition     = var.monitor_max_specimens >= 1 && floor(var.monitor_max_specimens) == var.monitor_max_specimens
    error_message = "A whole number, at least 1."
  }
}

variable "monitor_min_labelled" {
  description = "Fewest labelled predictions in a window for quality metrics to be published (fewer: reported only)."
  type        = number
  default     = 20

  validation {
    condition     = var.monitor_min_labelled >= 1 && floor(var.monitor_min_labelled) == var.monitor_min_labelled
    error_message = "A whole number, at least 1."
  }
}

variable "monitor_min_drift_specimens" {
  description = "Fewest specimens in a window for drift (PSI) to be computed and published."
  type        = number
  default     = 20

  validation {
    condition     = var.monitor_min_drift_specimens >= 1 && floor(var.monitor_min_drift_specimens) == var.monitor_min_drift_specimens
    error_message = "A whole number, at least 1."
  }
}

variable "drift_psi_threshold" {
  description = "PSI above which a feature counts as drifted (0.2 is the usual rule of thumb)."
  type        = number
  default     = 0.2

  validation {
    condition     = var.drift_psi_threshold > 0
    error_message = "More than zero."
  }
}

variable "alarm_period_seconds" {
  description = "Period of the model-quality and drift alarms; 60 in tests, 300 (one monitor run) by default."
  type        = number
  default     = 300

  validation {
    condition     = contains([10, 30], var.alarm_period_seconds) || var.alarm_period_seconds % 60 == 0
    error_message = "10, 30 or a multiple of 60 seconds (CloudWatch)."
  }
}

variable "alarm_evaluation_periods" {
  description = "Periods that must breach before a model-quality or drift alarm fires."
  type        = number
  default     = 1

  validation {
    condition     = var.alarm_evaluation_periods >= 1 && floor(var.alarm_evaluation_periods) == var.alarm_evaluation_periods
    error_message = "A whole number, at least 1."
  }
}

variable "f1_alarm_threshold" {
  description = "Alarm when F1 on labelled predictions (poisonous = positive) falls below this."
  type        = number
  default     = 0.9

  validation {
    condition     = var.f1_alarm_threshold >= 0 && var.f1_alarm_threshold <= 1
    error_message = "A share: from 0 to 1."
  }
}

variable "false_edible_alarm_threshold" {
  description = "Alarm when the model's raw false-edible rate (poisonous predicted edible / poisonous) rises above this."
  type        = number
  default     = 0.05

  validation {
    condition     = var.false_edible_alarm_threshold >= 0 && var.false_edible_alarm_threshold <= 1
    error_message = "A share: from 0 to 1."
  }
}

variable "served_false_edible_alarm_threshold" {
  description = "Alarm when the served false-edible rate (poisonous served as \"edible\" after the safety policy) rises above this."
  type        = number
  default     = 0.01

  validation {
    condition     = var.served_false_edible_alarm_threshold >= 0 && var.served_false_edible_alarm_threshold <= 1
    error_message = "A share: from 0 to 1."
  }
}

variable "drift_share_alarm_threshold" {
  description = "Alarm when the share of drifted features (PSI above drift_psi_threshold) rises above this."
  type        = number
  default     = 0.25

  validation {
    condition     = var.drift_share_alarm_threshold >= 0 && var.drift_share_alarm_threshold <= 1
    error_message = "A share: from 0 to 1."
  }
}

variable "lambda_errors_alarm_threshold" {
  description = "Alarm when a function reports more errors than this in one alarm period."
  type        = number
  default     = 0

  validation {
    condition     = var.lambda_errors_alarm_threshold >= 0
    error_message = "Zero or more."
  }
}

variable "retrain_cooldown_seconds" {
  description = "At most one training job per this many seconds from alarms or manual requests."
  type        = number
  default     = 3600

  validation {
    condition     = var.retrain_cooldown_seconds >= 0
    error_message = "Zero or more."
  }
}

variable "switch_back_window_seconds" {
  description = "A live-quality alarm (served false-edible, F1) this many seconds or less after a promotion puts the previous champion back; 0 turns the switch-back off."
  type        = number
  default     = 86400

  validation {
    condition     = var.switch_back_window_seconds >= 0 && var.switch_back_window_seconds <= 2592000 && floor(var.switch_back_window_seconds) == var.switch_back_window_seconds
    error_message = "A whole number of seconds from 0 (off) to 2592000 (30 days)."
  }
}

variable "alerts_inbox_enabled" {
  description = "Subscribe an SQS queue (alerts-inbox) to the alerts topic, to read notifications locally (make alerts)."
  type        = bool
  default     = true
}

# The training worker on ECS Fargate (trainer_ecs.tf). Real AWS only: ECS is not
# in LocalStack's free edition, so everything here is off by default.

variable "trainer_on_ecs" {
  description = "Run the training worker as an ECS Fargate service (real AWS). False: the worker runs as a local process or container (LocalStack)."
  type        = bool
  default     = false
}

variable "trainer_image_uri" {
  description = "Training image built from training/Dockerfile (e.g. an ECR URI with a tag or digest). Null with trainer_create_ecr_repository uses that repository's trainer_image_tag."
  type        = string
  default     = null
}

variable "trainer_create_ecr_repository" {
  description = "Create an ECR repository \"<project>-trainer\" for the training image."
  type        = bool
  default     = false
}

variable "trainer_image_tag" {
  description = "Tag run from the created ECR repository when trainer_image_uri is null."
  type        = string
  default     = "latest"
}

variable "trainer_cpu" {
  description = "CPU units of the training task (2048 = 2 vCPU)."
  type        = number
  default     = 2048
}

variable "trainer_memory" {
  description = "Memory of the training task in MiB (a valid Fargate size for trainer_cpu)."
  type        = number
  default     = 4096
}

variable "trainer_desired_count" {
  description = "Training workers at creation; with trainer_scale_on_queue_depth the queue decides afterwards."
  type        = number
  default     = 0
}

variable "trainer_scale_on_queue_depth" {
  description = "Start the worker when a training job waits, stop it after trainer_idle_minutes without jobs (scale to zero)."
  type        = bool
  default     = true
}

variable "trainer_max_count" {
  description = "Workers started when training jobs wait."
  type        = number
  default     = 1
}

variable "trainer_idle_minutes" {
  description = "Minutes without a waiting or running training job before the worker stops."
  type        = number
  default     = 10
}

variable "trainer_use_fargate_spot" {
  description = "Run the training worker on Fargate Spot (cheaper; an interrupted job is redelivered by SQS)."
  type        = bool
  default     = false
}

variable "trainer_subnet_ids" {
  description = "Subnets of the training task, with a route to the AWS APIs, ECR and the MLflow server."
  type        = list(string)
  default     = []
}

variable "trainer_security_group_ids" {
  description = "Security groups of the training task (outbound HTTPS and the MLflow port)."
  type        = list(string)
  default     = []
}

variable "trainer_assign_public_ip" {
  description = "Give the training task a public IP (public subnets without a NAT gateway)."
  type        = bool
  default     = false
}

variable "trainer_mlflow_tracking_uri" {
  description = "URL of the MLflow tracking server the worker logs to; null with mlflow_on_ecs uses the server this stack provisions (mlflow_ecs.tf)."
  type        = string
  default     = null
}

# The MLflow tracking server on ECS + RDS PostgreSQL (mlflow_ecs.tf). Real AWS
# only, off by default.

variable "mlflow_on_ecs" {
  description = "Provision the MLflow tracking server: ECS Fargate + RDS PostgreSQL + the artifact bucket, private (real AWS)."
  type        = bool
  default     = false
}

variable "mlflow_image_uri" {
  description = "Image of the tracking server; null runs trainer_image_uri, the training image (it has MLflow and psycopg2)."
  type        = string
  default     = null
}

variable "mlflow_vpc_id" {
  description = "VPC of the tracking server and its database."
  type        = string
  default     = null
}

variable "mlflow_subnet_ids" {
  description = "Private subnets of the tracking server and its database (two or more zones)."
  type        = list(string)
  default     = []
}

variable "mlflow_operator_cidr_blocks" {
  description = "Operators' networks (VPN, bastion) allowed to reach the MLflow UI and API."
  type        = list(string)
  default     = []
}

variable "mlflow_db_instance_class" {
  description = "RDS instance class of the backend store."
  type        = string
  default     = "db.t4g.micro"
}

variable "mlflow_deletion_protection" {
  description = "Protect the backend store from deletion (and keep a final snapshot)."
  type        = bool
  default     = true
}

variable "prediction_log_buffer_mb" {
  description = "Firehose buffer of the prediction log: an object is delivered when this many MiB have come (or the interval ends)."
  type        = number
  default     = 64

  validation {
    condition     = var.prediction_log_buffer_mb >= 1 && var.prediction_log_buffer_mb <= 128
    error_message = "Firehose buffers 1 to 128 MiB."
  }
}

variable "prediction_log_buffer_seconds" {
  description = "Firehose buffer of the prediction log: an object is delivered at least this often (seconds). Readers allow one hour for it (mushroom/storage.py ARRIVAL_SLACK)."
  type        = number
  default     = 300

  validation {
    condition     = var.prediction_log_buffer_seconds >= 0 && var.prediction_log_buffer_seconds <= 900
    error_message = "Firehose buffers 0 to 900 seconds."
  }
}

variable "prediction_log_compression" {
  description = "Compression of the prediction log's objects (GZIP: .gz objects, read as such; UNCOMPRESSED: plain JSON Lines)."
  type        = string
  default     = "GZIP"

  validation {
    condition     = contains(["GZIP", "UNCOMPRESSED"], var.prediction_log_compression)
    error_message = "GZIP or UNCOMPRESSED."
  }
}

variable "shadow_period_seconds" {
  description = "A version that passes the offline gate while a champion serves is first a challenger in shadow this long: scored beside the champion on live traffic and logged, never served; then the monitor promotes or retires it (docs/operations.md). 0 promotes at once, without shadow. A day by default; scripts/deploy.sh makes it 60 s on LocalStack."
  type        = number
  default     = 86400

  validation {
    condition     = var.shadow_period_seconds >= 0 && var.shadow_period_seconds <= 2592000 && floor(var.shadow_period_seconds) == var.shadow_period_seconds
    error_message = "A whole number of seconds from 0 (promote at once) to 2592000 (30 days)."
  }
}

variable "shadow_min_scored" {
  description = "Specimens both the champion and the challenger must have scored in the monitor's window before it decides."
  type        = number
  default     = 100

  validation {
    condition     = var.shadow_min_scored >= 1 && floor(var.shadow_min_scored) == var.shadow_min_scored
    error_message = "A whole number, 1 or more."
  }
}

variable "shadow_min_agreement" {
  description = "Share of those specimens on which the challenger must give the champion's decision to be promoted."
  type        = number
  default     = 0.9

  validation {
    condition     = var.shadow_min_agreement >= 0 && var.shadow_min_agreement <= 1
    error_message = "A share from 0 to 1."
  }
}

variable "shadow_max_latency_ratio" {
  description = "How many times the champion's booster time per specimen, measured on the same requests, the challenger's may take and still be promoted."
  type        = number
  default     = 2

  validation {
    condition     = var.shadow_max_latency_ratio >= 1
    error_message = "A ratio of at least 1."
  }
}
