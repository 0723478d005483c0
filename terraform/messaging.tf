# Training jobs: ingest and retrain send, the training worker receives. After
# var.training_max_receive_count failed deliveries a job lands in the dead-letter queue.
resource "aws_sqs_queue" "training_jobs_dlq" {
  name                      = "${var.project}-training-jobs-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true

  # Only the training queue may dead-letter here. Its ARN is spelled out rather than
  # referenced (that would be a cycle), which also saves a separate policy resource.
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = ["arn:${local.partition}:sqs:${local.region}:${local.account_id}:${var.project}-training-jobs"]
  })
}

resource "aws_sqs_queue" "training_jobs" {
  name                       = "${var.project}-training-jobs"
  visibility_timeout_seconds = var.training_queue_visibility_timeout_seconds
  message_retention_seconds  = 345600
  receive_wait_time_seconds  = 20
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.training_jobs_dlq.arn
    maxReceiveCount     = var.training_max_receive_count
  })
}

# Operators' alerts: alarms, training failures, promotions.
resource "aws_sns_topic" "alerts" {
  name = "${var.project}-alerts"
}

resource "aws_sns_topic_subscription" "alert_email" {
  count = var.alert_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}
