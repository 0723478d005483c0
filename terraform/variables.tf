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
