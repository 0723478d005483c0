output "data_bucket_name" {
  description = "Data bucket (system of record); prefixes in data_prefixes."
  value       = aws_s3_bucket.data.bucket
}

output "data_prefixes" {
  description = "Key prefixes of the data bucket, by role (raw, processed, quarantine, ...)."
  value       = local.data_prefixes
}

output "mlflow_artifact_bucket_name" {
  description = "MLflow artifact bucket (MLFLOW_ARTIFACT_BUCKET of the tracking server)."
  value       = aws_s3_bucket.mlflow_artifacts.bucket
}

output "training_queue_url" {
  description = "URL of the training-jobs queue (ingest and retrain send, the worker receives)."
  value       = aws_sqs_queue.training_jobs.url
}

output "training_queue_arn" {
  description = "ARN of the training-jobs queue."
  value       = aws_sqs_queue.training_jobs.arn
}

output "training_dlq_url" {
  description = "URL of the training-jobs dead-letter queue."
  value       = aws_sqs_queue.training_jobs_dlq.url
}

output "training_dlq_arn" {
  description = "ARN of the training-jobs dead-letter queue."
  value       = aws_sqs_queue.training_jobs_dlq.arn
}

output "alerts_topic_arn" {
  description = "ARN of the SNS topic for operators' alerts."
  value       = aws_sns_topic.alerts.arn
}

output "champion_parameter_name" {
  description = "SSM parameter holding the champion pointer (JSON)."
  value       = aws_ssm_parameter.champion.name
}

output "layer_arns" {
  description = "Versioned ARN of each Lambda layer, by layer name."
  value       = { for name, layer in aws_lambda_layer_version.this : name => layer.arn }
}

output "function_layers" {
  description = "Layer names of each planned function, in order (from layers/functions.json)."
  value       = local.function_layers
}

output "function_names" {
  description = "Lambda function name of each planned function."
  value       = local.function_names
}

output "function_role_arns" {
  description = "Execution role ARN of each planned function."
  value       = { for name, role in aws_iam_role.function : name => role.arn }
}

output "function_log_groups" {
  description = "CloudWatch log group of each planned function."
  value       = { for name, group in aws_cloudwatch_log_group.function : name => group.name }
}

output "training_worker_policy_arn" {
  description = "IAM policy of the training worker."
  value       = aws_iam_policy.training_worker.arn
}

output "training_worker_role_arn" {
  description = "IAM role of the training worker (ECS/Batch task role on real AWS)."
  value       = aws_iam_role.training_worker.arn
}

output "metrics_namespace" {
  description = "CloudWatch namespace of the custom metrics."
  value       = var.metrics_namespace
}

output "local_api_url_format" {
  description = "Form of a REST API's URL on LocalStack: fill {rest_api_id} and {stage} (the stage's invoke_url points at amazonaws.com)."
  value       = "${trimsuffix(var.local_endpoint_url, "/")}/_aws/execute-api/{rest_api_id}/{stage}/"
}

output "region" {
  description = "Region the stack is deployed in."
  value       = local.region
}
