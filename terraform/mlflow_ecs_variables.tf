# Variables of the MLflow tracking server on ECS + RDS PostgreSQL (mlflow_ecs.tf). Real AWS
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
