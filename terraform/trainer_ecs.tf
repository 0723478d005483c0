# The training worker on ECS Fargate (real AWS only; ECS is not in LocalStack's free edition).
# Off by default, so the local deploy creates nothing here. The task role carries the same
# training worker policy as iam.tf defines; the MLflow server is mlflow_ecs.tf's, or yours.
module "trainer_ecs" {
  source = "./modules/trainer_ecs"
  count  = var.trainer_on_ecs ? 1 : 0

  name                  = "${var.project}-trainer"
  image_uri             = var.trainer_image_uri
  create_ecr_repository = var.trainer_create_ecr_repository
  image_tag             = var.trainer_image_tag
  cpu                   = var.trainer_cpu
  memory                = var.trainer_memory

  training_queue_url      = aws_sqs_queue.training_jobs.url
  alerts_topic_arn        = aws_sns_topic.alerts.arn
  data_bucket_name        = aws_s3_bucket.data.bucket
  champion_parameter_name = aws_ssm_parameter.champion.name
  mlflow_tracking_uri     = try(coalesce(var.trainer_mlflow_tracking_uri, one(module.mlflow_ecs[*].tracking_uri)), null)
  visibility_seconds      = var.training_queue_visibility_timeout_seconds
  max_receive_count       = var.training_max_receive_count
  shadow_period_seconds   = var.shadow_period_seconds

  training_worker_policy_arn = aws_iam_policy.training_worker.arn
  log_retention_days         = var.log_retention_days

  desired_count        = var.trainer_desired_count
  scale_on_queue_depth = var.trainer_scale_on_queue_depth
  max_count            = var.trainer_max_count
  idle_minutes         = var.trainer_idle_minutes
  use_fargate_spot     = var.trainer_use_fargate_spot
  subnet_ids           = var.trainer_subnet_ids
  security_group_ids   = var.trainer_security_group_ids
  assign_public_ip     = var.trainer_assign_public_ip
}
