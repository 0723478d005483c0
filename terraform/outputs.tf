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

output "ingest_function_name" {
  description = "Name of the ingest Lambda function."
  value       = aws_lambda_function.this["ingest"].function_name
}

output "ingest_function_arn" {
  description = "ARN of the ingest Lambda function (target of the raw/ S3 notification)."
  value       = aws_lambda_function.this["ingest"].arn
}

output "predict_function_name" {
  description = "Name of the predict Lambda function."
  value       = aws_lambda_function.this["predict"].function_name
}

output "predict_function_arn" {
  description = "ARN of the predict Lambda function (target of the batch/ S3 notification)."
  value       = aws_lambda_function.this["predict"].arn
}

output "api_id" {
  description = "ID of the prediction REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "api_stage" {
  description = "Stage of the prediction API."
  value       = aws_api_gateway_stage.this.stage_name
}

output "api_local_url" {
  description = "Base URL of the prediction API on LocalStack (append predict, feedback, model, health)."
  value       = "${trimsuffix(var.local_endpoint_url, "/")}/_aws/execute-api/${aws_api_gateway_rest_api.this.id}/${aws_api_gateway_stage.this.stage_name}/"
}

output "api_invoke_url" {
  description = "Base URL of the prediction API on AWS."
  value       = "${aws_api_gateway_stage.this.invoke_url}/"
}

output "api_key" {
  description = "Value of the prediction API key (send as the x-api-key header)."
  value       = aws_api_gateway_api_key.this.value
  sensitive   = true
}

output "monitor_function_name" {
  description = "Name of the monitor Lambda function."
  value       = aws_lambda_function.this["monitor"].function_name
}

output "retrain_function_name" {
  description = "Name of the retrain Lambda function (invoke with {\"reason\": \"...\"} to retrain by hand)."
  value       = aws_lambda_function.this["retrain"].function_name
}

output "alerts_inbox_url" {
  description = "URL of the alerts-inbox queue subscribed to the alerts topic (null when disabled)."
  value       = var.alerts_inbox_enabled ? aws_sqs_queue.alerts_inbox[0].url : null
}

output "model_alarm_names" {
  description = "Quality and drift alarms, by key."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.model : key => alarm.alarm_name }
}

output "failed_events_queue_url" {
  description = "URL of the queue of failed asynchronous invocations (Lambda on-failure destination records)."
  value       = aws_sqs_queue.failed_events.url
}

output "failed_events_queue_arn" {
  description = "ARN of the queue of failed asynchronous invocations."
  value       = aws_sqs_queue.failed_events.arn
}

output "prediction_id_key_parameter" {
  description = "Name of the SecureString parameter holding the prediction ids' key."
  value       = aws_ssm_parameter.prediction_id_key.name
}

output "trainer_ecs" {
  description = "The training worker on ECS (cluster, service, roles, log group, image, ECR URL), or null when trainer_on_ecs is false."
  value       = one(module.trainer_ecs[*])
}

output "mlflow_ecs" {
  description = "The MLflow tracking server on ECS (tracking URI, database endpoint and secret, log group), or null when mlflow_on_ecs is false."
  value       = one(module.mlflow_ecs[*])
}

output "prediction_stream_name" {
  description = "Firehose delivery stream of the prediction log (predictions/YYYY/MM/DD/HH/ in the data bucket)."
  value       = aws_kinesis_firehose_delivery_stream.predictions.name
}

output "shadow_period_seconds" {
  description = "How long a version that passes the gate is a challenger in shadow before the monitor decides (0: promoted at once); the local training worker reads it."
  value       = var.shadow_period_seconds
}

output "champion_refresh_seconds" {
  description = "How often each prediction function container re-reads the champion pointer: a published pointer serves everywhere within this long."
  value       = var.champion_refresh_seconds
}

output "batch_state_machine_arn" {
  description = "ARN of the batch state machine: scores a batch file above batch_split_bytes in parts."
  value       = aws_sfn_state_machine.batch.arn
}
