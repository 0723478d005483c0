# Variables of the training worker on ECS Fargate (trainer_ecs.tf). Real AWS only: ECS is not
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
