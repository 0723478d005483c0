# The MLflow tracking server on ECS Fargate with RDS PostgreSQL (real AWS only; ECS and RDS
# are not in LocalStack's free edition). Off by default: locally `make up` runs MLflow on
# sqlite. When on, the trainer logs to it unless trainer_mlflow_tracking_uri names another.
module "mlflow_ecs" {
  source = "./modules/mlflow_ecs"
  count  = var.mlflow_on_ecs ? 1 : 0

  name                 = "${var.project}-mlflow"
  image_uri            = try(coalesce(var.mlflow_image_uri, var.trainer_image_uri), null)
  artifact_bucket_name = aws_s3_bucket.mlflow_artifacts.bucket
  artifact_bucket_arn  = aws_s3_bucket.mlflow_artifacts.arn

  vpc_id                    = var.mlflow_vpc_id
  subnet_ids                = var.mlflow_subnet_ids
  client_security_group_ids = var.trainer_security_group_ids
  operator_cidr_blocks      = var.mlflow_operator_cidr_blocks
  assign_public_ip          = var.trainer_assign_public_ip
  db_instance_class         = var.mlflow_db_instance_class
  deletion_protection       = var.mlflow_deletion_protection
  log_retention_days        = var.log_retention_days
}
