output "function_name" {
  description = "Name of the probe function."
  value       = aws_lambda_function.this.function_name
}

output "record_bucket" {
  description = "Bucket the probe records events to (records/<source>/…); S3 trigger on incoming/."
  value       = aws_s3_bucket.this.bucket
}

output "jobs_queue_url" {
  description = "Queue mapped to the probe function."
  value       = aws_sqs_queue.jobs.url
}

output "inbox_queue_url" {
  description = "Queue subscribed to the alarm's SNS topic."
  value       = aws_sqs_queue.inbox.url
}

output "alarm_name" {
  description = "Alarm on MushroomProbe/Signal."
  value       = aws_cloudwatch_metric_alarm.this.alarm_name
}

output "api_url" {
  description = "Local URL of POST /probe."
  value       = "${trimsuffix(var.local_endpoint_url, "/")}/_aws/execute-api/${aws_api_gateway_rest_api.this.id}/${aws_api_gateway_stage.this.stage_name}/probe"
}

output "api_key" {
  description = "API key of the probe's usage plan."
  value       = aws_api_gateway_api_key.this.value
  sensitive   = true
}
