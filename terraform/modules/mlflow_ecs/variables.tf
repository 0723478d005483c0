variable "name" {
  description = "Name of the cluster, service, database, roles and log group (e.g. \"mushroom-mlflow\")."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name))
    error_message = "name must be lower-case letters, digits and dashes (2-41 characters)."
  }
}

variable "image_uri" {
  description = "Image with MLflow and psycopg2: the training image (training/Dockerfile) serves, with command python -m training.tracking_server."
  type        = string

  validation {
    condition     = var.image_uri != null
    error_message = "Set mlflow_image_uri or trainer_image_uri: the server runs the training image."
  }
}

variable "artifact_bucket_name" {
  description = "The MLflow artifact bucket (the root module's mlflow_artifact_bucket_name)."
  type        = string
}

variable "artifact_bucket_arn" {
  description = "ARN of the artifact bucket (read by the server for the UI)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the server, the database and the private DNS namespace."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the server and the database (at least two zones for RDS)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "RDS needs subnets in at least two availability zones."
  }
}

variable "client_security_group_ids" {
  description = "Security groups allowed to reach the tracking server (the training worker's)."
  type        = list(string)
  default     = []
}

variable "operator_cidr_blocks" {
  description = "Networks of the operators (VPN, bastion) allowed to reach the MLflow UI and API."
  type        = list(string)
  default     = []
}

variable "assign_public_ip" {
  description = "Give the task a public IP so it can pull the image without NAT (the security group still admits only clients and operators)."
  type        = bool
  default     = false
}

variable "namespace" {
  description = "Private DNS namespace; the server is mlflow.<namespace>."
  type        = string
  default     = "mushroom.internal"
}

variable "port" {
  description = "Port of the tracking server."
  type        = number
  default     = 5000
}

variable "cpu" {
  description = "Task CPU units of the server."
  type        = number
  default     = 512
}

variable "memory" {
  description = "Task memory of the server (MiB), a Fargate size for cpu."
  type        = number
  default     = 1024
}

variable "postgres_version" {
  description = "RDS PostgreSQL engine version (major, or major.minor)."
  type        = string
  default     = "16"
}

variable "db_instance_class" {
  description = "RDS instance class of the backend store."
  type        = string
  default     = "db.t4g.micro"
}

variable "db_storage_gb" {
  description = "Allocated gp3 storage of the backend store (grows up to five times this)."
  type        = number
  default     = 20

  validation {
    condition     = var.db_storage_gb >= 20
    error_message = "gp3 on RDS starts at 20 GB."
  }
}

variable "backup_retention_days" {
  description = "Days of automated database backups."
  type        = number
  default     = 7
}

variable "deletion_protection" {
  description = "Protect the database from deletion and keep a final snapshot when it is destroyed."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the server's CloudWatch log group."
  type        = number
  default     = 14
}
