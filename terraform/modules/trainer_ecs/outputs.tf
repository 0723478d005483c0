output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "service_name" {
  description = "Name of the ECS service running the training worker (aws ecs update-service --desired-count to scale)."
  value       = aws_ecs_service.this.name
}

output "task_definition_arn" {
  description = "Revisioned ARN of the worker's task definition."
  value       = aws_ecs_task_definition.this.arn
}

output "task_role_arn" {
  description = "Task role of the worker (carries the training worker policy)."
  value       = aws_iam_role.task.arn
}

output "execution_role_arn" {
  description = "Task execution role (image pull, logs)."
  value       = aws_iam_role.execution.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the worker."
  value       = aws_cloudwatch_log_group.this.name
}

output "image" {
  description = "Image the task runs."
  value       = local.image
}

output "ecr_repository_url" {
  description = "URL of the created ECR repository (docker push target), or null when none was created."
  value       = try(aws_ecr_repository.this[0].repository_url, null)
}

output "scaling_alarm_names" {
  description = "Alarms that start (jobs waiting) and stop (idle) the worker, or [] without scale_on_queue_depth."
  value       = concat(aws_cloudwatch_metric_alarm.jobs_waiting[*].alarm_name, aws_cloudwatch_metric_alarm.idle[*].alarm_name)
}
