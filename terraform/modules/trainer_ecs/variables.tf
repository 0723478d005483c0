variable "name" {
  description = "Name of the cluster, service, task family, roles and log group (e.g. \"mushroom-trainer\")."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name))
    error_message = "name must be lower-case letters, digits and dashes (2-41 characters)."
  }
}

# --- image -------------------------------------------------------------------------------

variable "image_uri" {
  description = "Training image (built from training/Dockerfile), e.g. \"<account>.dkr.ecr.<region>.amazonaws.com/mushroom-trainer:<tag>\". Null uses the repository this module creates (create_ecr_repository) with image_tag."
  type        = string
  default     = null
}

variable "create_ecr_repository" {
  description = "Create an ECR repository named after var.name to push the training image to."
  type        = bool
  default     = false
}

variable "image_tag" {
  description = "Tag of the image in the created ECR repository, used when image_uri is null."
  type        = string
  default     = "latest"
}

variable "ecr_keep_images" {
  description = "Images the created ECR repository keeps; older ones expire."
  type        = number
  default     = 10

  validation {
    condition     = var.ecr_keep_images >= 1
    error_message = "Keep at least one image."
  }
}

# --- task size and runtime ---------------------------------------------------------------

variable "cpu" {
  description = "Task CPU units (1024 = 1 vCPU). A LightGBM run with cross-validation on ~61k rows is comfortable on 2 vCPU."
  type        = number
  default     = 2048

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "A Fargate CPU size: 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "memory" {
  description = "Task memory (MiB); must be a valid Fargate combination with cpu (2048 CPU: 4096-16384)."
  type        = number
  default     = 4096
}

variable "cpu_architecture" {
  description = "CPU architecture of the task; must match the image (training/Dockerfile builds for the build host's)."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "X86_64 or ARM64."
  }
}

variable "stop_timeout_seconds" {
  description = "Grace between SIGTERM and SIGKILL; the worker stops between training steps on SIGTERM (Fargate allows up to 120)."
  type        = number
  default     = 120

  validation {
    condition     = var.stop_timeout_seconds >= 2 && var.stop_timeout_seconds <= 120
    error_message = "Between 2 and 120 seconds (Fargate)."
  }
}

# --- what the worker talks to (its environment variables) ---------------------------------

variable "training_queue_url" {
  description = "URL of the training-jobs queue the worker consumes (TRAINING_QUEUE_URL)."
  type        = string
}

variable "alerts_topic_arn" {
  description = "ARN of the operators' SNS topic (ALERTS_TOPIC_ARN)."
  type        = string
}

variable "data_bucket_name" {
  description = "Data bucket holding processed/ and feedback/ (DATA_BUCKET)."
  type        = string
}

variable "champion_parameter_name" {
  description = "SSM parameter of the champion pointer the worker writes on promotion (CHAMPION_PARAMETER)."
  type        = string
}

variable "mlflow_tracking_uri" {
  description = "URL of the MLflow tracking server (MLFLOW_TRACKING_URI). Not created here: run MLflow elsewhere (ECS/EC2 with RDS + S3 artifacts, or a managed MLflow) and make it reachable from the subnets. See docs/aws.md."
  type        = string

  validation {
    condition     = can(regex("^(https?://|arn:)", var.mlflow_tracking_uri))
    error_message = "An http(s):// URL of the tracking server (or the ARN of a SageMaker managed MLflow tracking server)."
  }
}

variable "visibility_seconds" {
  description = "Visibility timeout the worker extends a received job by (TRAINING_VISIBILITY_SECONDS)."
  type        = number
  default     = 600
}

variable "max_receive_count" {
  description = "Deliveries before SQS dead-letters a job (TRAINING_MAX_RECEIVE_COUNT): the worker reports the last failure."
  type        = number
  default     = 3
}

variable "shadow_period_seconds" {
  description = "A version that passes the gate while a champion serves becomes a challenger in shadow for this long (SHADOW_PERIOD_SECONDS; 0: promoted at once)."
  type        = number
  default     = 0
}

variable "extra_environment" {
  description = "More (non-secret) environment variables of the worker, e.g. TRAINING_WAIT_SECONDS; they override the ones above."
  type        = map(string)
  default     = {}
}

# --- permissions ---------------------------------------------------------------------------

variable "training_worker_policy_arn" {
  description = "ARN of the IAM policy of the training worker (the root module's <project>-training-worker); attached to the task role."
  type        = string
}

# --- logs ------------------------------------------------------------------------------------

variable "log_retention_days" {
  description = "Retention of the worker's CloudWatch log group."
  type        = number
  default     = 14
}

# --- service and network ---------------------------------------------------------------------

variable "desired_count" {
  description = "Workers at creation. With scale_on_queue_depth the queue decides afterwards (0 while idle); without it, the fixed count (0 stops training, jobs wait in the queue)."
  type        = number
  default     = 0

  validation {
    condition     = var.desired_count >= 0
    error_message = "Zero or more tasks."
  }
}

variable "scale_on_queue_depth" {
  description = "Start workers when a training job waits and stop them when the queue has been idle for idle_minutes (scale to zero)."
  type        = bool
  default     = true
}

variable "max_count" {
  description = "Workers started when jobs wait (one worker coalesces all waiting jobs into one run)."
  type        = number
  default     = 1

  validation {
    condition     = var.max_count >= 1 && var.max_count <= 10
    error_message = "Between 1 and 10 workers."
  }
}

variable "idle_minutes" {
  description = "Minutes without a waiting or running job before the workers stop."
  type        = number
  default     = 10

  validation {
    condition     = var.idle_minutes >= 1 && var.idle_minutes <= 60
    error_message = "Between 1 and 60 minutes."
  }
}

variable "use_fargate_spot" {
  description = "Run on Fargate Spot (~70% cheaper). An interrupted job is redelivered by SQS after its visibility timeout."
  type        = bool
  default     = false
}

variable "subnet_ids" {
  description = "Subnets of the task. They need a route to SQS, S3, SSM, SNS, CloudWatch Logs, ECR and MLflow (NAT, or VPC endpoints, or public subnets with assign_public_ip)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "At least one subnet."
  }
}

variable "security_group_ids" {
  description = "Security groups of the task; the worker only needs outbound HTTPS (and the MLflow port)."
  type        = list(string)

  validation {
    condition     = length(var.security_group_ids) > 0
    error_message = "At least one security group."
  }
}

variable "assign_public_ip" {
  description = "Give the task a public IP (public subnets without NAT); false for private subnets."
  type        = bool
  default     = false
}

variable "container_insights" {
  description = "Enable CloudWatch Container Insights on the cluster (extra CloudWatch charges)."
  type        = bool
  default     = false
}
