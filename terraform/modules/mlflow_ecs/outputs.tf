output "tracking_uri" {
  description = "MLFLOW_TRACKING_URI of the server inside the VPC (private DNS name)."
  value       = local.tracking_uri
}

output "server_security_group_id" {
  description = "Security group of the tracking server."
  value       = aws_security_group.server.id
}

output "database_endpoint" {
  description = "host:port of the RDS PostgreSQL backend store (private)."
  value       = aws_db_instance.this.endpoint
}

output "database_secret_arn" {
  description = "Secrets Manager secret with the backend store's user and password (managed by RDS)."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "log_group_name" {
  description = "CloudWatch log group of the tracking server."
  value       = aws_cloudwatch_log_group.this.name
}
