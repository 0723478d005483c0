# Scale to zero on the queue's depth: no task runs while no training job waits. A job waiting
# starts max_count workers (alarm on visible messages, one-minute period); when nothing has been
# waiting or in flight for idle_minutes, the service goes back to 0. In-flight messages keep it
# up, so a scale-in never interrupts a run (the worker holds its messages invisible while it
# trains, see training/worker.py). Chosen over one task per message: the worker already polls,
# coalesces waiting requests into one run and hands messages back on SIGTERM.

locals {
  queue_name = element(split("/", var.training_queue_url), length(split("/", var.training_queue_url)) - 1)
}

resource "aws_appautoscaling_target" "this" {
  count = var.scale_on_queue_depth ? 1 : 0

  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = 0
  max_capacity       = var.max_count
}

# Two step policies that set an exact count: "start" (max_count) while jobs wait, "stop" (0)
# once idle. Each alarm below triggers one of them.
resource "aws_appautoscaling_policy" "this" {
  for_each = var.scale_on_queue_depth ? { start = var.max_count, stop = 0 } : {}

  name               = "${var.name}-${each.key}"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  policy_type        = "StepScaling"

  step_scaling_policy_configuration {
    adjustment_type         = "ExactCapacity"
    cooldown                = 60
    metric_aggregation_type = "Maximum"

    step_adjustment {
      # start: the alarm's metric is above its threshold; stop: at or below it
      metric_interval_lower_bound = each.key == "start" ? 0 : null
      metric_interval_upper_bound = each.key == "stop" ? 0 : null
      scaling_adjustment          = each.value
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "jobs_waiting" {
  count = var.scale_on_queue_depth ? 1 : 0

  alarm_name          = "${var.name}-jobs-waiting"
  alarm_description   = "A training job waits in ${local.queue_name}: start the worker."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = local.queue_name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_appautoscaling_policy.this["start"].arn]
}

resource "aws_cloudwatch_metric_alarm" "idle" {
  count = var.scale_on_queue_depth ? 1 : 0

  alarm_name          = "${var.name}-idle"
  alarm_description   = "No training job waiting or running for ${var.idle_minutes} minutes: stop the worker."
  evaluation_periods  = var.idle_minutes
  comparison_operator = "LessThanOrEqualToThreshold"
  threshold           = 0
  treat_missing_data  = "breaching" # an inactive queue publishes no metrics: idle
  alarm_actions       = [aws_appautoscaling_policy.this["stop"].arn]

  metric_query {
    id          = "jobs"
    expression  = "waiting + running"
    label       = "Training jobs waiting or in flight"
    return_data = true
  }

  metric_query {
    id = "waiting"

    metric {
      namespace   = "AWS/SQS"
      metric_name = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = local.queue_name }
      stat        = "Maximum"
      period      = 60
    }
  }

  metric_query {
    id = "running"

    metric {
      namespace   = "AWS/SQS"
      metric_name = "ApproximateNumberOfMessagesNotVisible"
      dimensions  = { QueueName = local.queue_name }
      stat        = "Maximum"
      period      = 60
    }
  }
}
