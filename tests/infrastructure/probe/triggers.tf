# S3 ObjectCreated under incoming/ (records go to records/, so no loop).
resource "aws_lambda_permission" "s3" {
  statement_id  = "AllowS3"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "s3.amazonaws.com"
  source_arn    = aws_s3_bucket.this.arn
}

resource "aws_s3_bucket_notification" "this" {
  bucket = aws_s3_bucket.this.id

  lambda_function {
    lambda_function_arn = aws_lambda_function.this.arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = "incoming/"
  }

  depends_on = [aws_lambda_permission.s3]
}

# EventBridge schedule.
resource "aws_cloudwatch_event_rule" "this" {
  name                = var.name
  schedule_expression = "rate(1 minute)"
}

resource "aws_cloudwatch_event_target" "this" {
  rule = aws_cloudwatch_event_rule.this.name
  arn  = aws_lambda_function.this.arn
}

resource "aws_lambda_permission" "schedule" {
  statement_id  = "AllowSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this.arn
}

# SQS event source mapping.
resource "aws_sqs_queue" "jobs" {
  name                       = "${var.name}-jobs"
  visibility_timeout_seconds = 60
}

resource "aws_lambda_event_source_mapping" "this" {
  event_source_arn = aws_sqs_queue.jobs.arn
  function_name    = aws_lambda_function.this.arn
  batch_size       = 1
}

# CloudWatch alarm on a custom metric → SNS (→ SQS subscriber) and → the function.
resource "aws_sns_topic" "this" {
  name = "${var.name}-alerts"
}

resource "aws_sqs_queue" "inbox" {
  name = "${var.name}-inbox"
}

data "aws_iam_policy_document" "inbox" {
  statement {
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.inbox.arn]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_sns_topic.this.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "inbox" {
  queue_url = aws_sqs_queue.inbox.id
  policy    = data.aws_iam_policy_document.inbox.json
}

resource "aws_sns_topic_subscription" "inbox" {
  topic_arn            = aws_sns_topic.this.arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.inbox.arn
  raw_message_delivery = false
}

resource "aws_cloudwatch_metric_alarm" "this" {
  alarm_name          = var.name
  alarm_description   = "Fires when the test puts MushroomProbe/Signal >= 1."
  namespace           = "MushroomProbe"
  metric_name         = "Signal"
  statistic           = "Maximum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn, aws_lambda_function.this.arn]
}

resource "aws_lambda_permission" "alarm" {
  statement_id  = "AllowAlarm"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "lambda.alarms.cloudwatch.amazonaws.com"
  source_arn    = aws_cloudwatch_metric_alarm.this.arn
}
