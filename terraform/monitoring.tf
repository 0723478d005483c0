# Monitoring and retraining: the monitor's schedule (EventBridge -> metrics + report), the alarms,
# and their actions on the retrain function. The functions themselves are in functions.tf.

locals {
  # Quality and drift alarms on the monitor's metrics (no dimensions: whichever version serves).
  # Missing data is not breaching: no traffic or no labels is no evidence of a bad model, and the
  # dashboard shows PredictionCount and LabelledCount for that.
  model_alarms = {
    f1-low = {
      metric      = "F1"
      statistic   = "Minimum"
      comparison  = "LessThanThreshold"
      threshold   = var.f1_alarm_threshold
      description = "F1 of the champion on labelled feedback fell below ${var.f1_alarm_threshold}."
    }
    false-edible-high = {
      metric      = "FalseEdibleRate"
      statistic   = "Maximum"
      comparison  = "GreaterThanThreshold"
      threshold   = var.false_edible_alarm_threshold
      description = "Share of poisonous specimens the model predicted edible (raw prediction) rose above ${var.false_edible_alarm_threshold}."
    }
    served-false-edible-high = {
      metric      = "ServedFalseEdibleRate"
      statistic   = "Maximum"
      comparison  = "GreaterThanThreshold"
      threshold   = var.served_false_edible_alarm_threshold
      description = "Share of poisonous specimens served as \"edible\" (after the safety policy) rose above ${var.served_false_edible_alarm_threshold}."
    }
    drift-high = {
      metric      = "DriftedFeatureShare"
      statistic   = "Maximum"
      comparison  = "GreaterThanThreshold"
      threshold   = var.drift_share_alarm_threshold
      description = "Share of features with PSI > ${var.drift_psi_threshold} against the training reference rose above ${var.drift_share_alarm_threshold}."
    }
  }
}

locals {
  # Live-quality alarms: fired soon after a promotion, they put the previous champion back
  # (drift is the data's doing, not the new model's: it only retrains).
  switch_back_alarms = ["served-false-edible-high", "f1-low"]
}

# The schedule of the monitor.
resource "aws_cloudwatch_event_rule" "monitor" {
  name                = "${var.project}-monitor-schedule"
  description         = "Runs the monitor function (quality + drift of the champion)."
  schedule_expression = var.monitor_schedule
}

resource "aws_cloudwatch_event_target" "monitor" {
  rule = aws_cloudwatch_event_rule.monitor.name
  arn  = aws_lambda_function.this["monitor"].arn
}

resource "aws_lambda_permission" "monitor_schedule" {
  statement_id  = "AllowMonitorSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["monitor"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.monitor.arn
}

# Alarms on the model: operators (ALARM and OK) and the retrain function (ALARM).
resource "aws_cloudwatch_metric_alarm" "model" {
  for_each = local.model_alarms

  alarm_name          = "${var.project}-${each.key}"
  alarm_description   = each.value.description
  namespace           = var.metrics_namespace
  metric_name         = each.value.metric
  statistic           = each.value.statistic
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  period              = var.alarm_period_seconds
  evaluation_periods  = var.alarm_evaluation_periods
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn, aws_lambda_function.this["retrain"].arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
}

resource "aws_lambda_permission" "retrain_alarm" {
  for_each = local.model_alarms

  statement_id  = "AllowAlarm-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["retrain"].function_name
  principal     = "lambda.alarms.cloudwatch.amazonaws.com"
  source_arn    = aws_cloudwatch_metric_alarm.model[each.key].arn
}

# Errors of every function (no invocations means no errors: missing data is not breaching).
resource "aws_cloudwatch_metric_alarm" "function_errors" {
  for_each = local.function_names

  alarm_name          = "${each.value}-errors"
  alarm_description   = "The ${each.value} function reported errors."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.lambda_errors_alarm_threshold
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
}

# Work that failed every attempt and waits for an operator: training jobs after their
# deliveries, asynchronous Lambda events after their retries (failed_events.tf). Missing data:
# the queue reported nothing, not a failure.
locals {
  waiting_queues = {
    training-dlq-not-empty = {
      queue       = aws_sqs_queue.training_jobs_dlq.name
      description = "Training jobs failed all their deliveries and wait in the dead-letter queue."
    }
    failed-events-not-empty = {
      queue       = aws_sqs_queue.failed_events.name
      description = "Asynchronous events (uploads, batch files, alarms, schedules) failed every attempt and wait in ${aws_sqs_queue.failed_events.name}: fix the cause, then make redrive."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "queue_not_empty" {
  for_each = local.waiting_queues

  alarm_name          = "${var.project}-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value.queue }
  statistic           = "Maximum"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
}

moved {
  from = aws_cloudwatch_metric_alarm.training_dlq
  to   = aws_cloudwatch_metric_alarm.queue_not_empty["training-dlq-not-empty"]
}

# alerts-inbox: an SQS subscription to read notifications locally (scripts/alerts.py).
resource "aws_sqs_queue" "alerts_inbox" {
  count = var.alerts_inbox_enabled ? 1 : 0

  name                      = "${var.project}-alerts-inbox"
  message_retention_seconds = 345600
  sqs_managed_sse_enabled   = true
}

data "aws_iam_policy_document" "alerts_inbox" {
  count = var.alerts_inbox_enabled ? 1 : 0

  statement {
    sid       = "AlertsTopicDelivers"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.alerts_inbox[0].arn]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_sns_topic.alerts.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "alerts_inbox" {
  count = var.alerts_inbox_enabled ? 1 : 0

  queue_url = aws_sqs_queue.alerts_inbox[0].id
  policy    = data.aws_iam_policy_document.alerts_inbox[0].json
}

resource "aws_sns_topic_subscription" "alerts_inbox" {
  count = var.alerts_inbox_enabled ? 1 : 0

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.alerts_inbox[0].arn
}
