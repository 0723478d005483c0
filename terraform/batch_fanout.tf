# Batch files above what one invocation scores (batch_split_bytes), scored in parts.
# The predict function sees such an upload under batch/ and starts this state machine (execution
# named after key + ETag); its steps invoke the predict function again (lambdas/predict/
# batch_fanout.py): Plan (check the file, cut it on line boundaries, count the rows before each
# part) -> ScoreParts (a distributed Map, batch_map_concurrency parts at a time) -> Merge (join
# the parts' CSVs by S3 copies, one report). A failure anywhere writes a report saying which part
# or step failed and why (the upload stays), ends the execution as failed, and the alarm below
# tells the alerts topic. See docs/ingest.md, "Batch files above one invocation".

locals {
  batch_state_machine_name = "${var.project}-batch"
  # Built from its name: the predict function starts it and it invokes the function (no cycle).
  batch_state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.batch_state_machine_name}"
  # The distributed Map runs each part as a child execution of this state machine.
  batch_child_executions_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.batch_state_machine_name}/*"

  # Lambda's own transient errors get more attempts (AWS's advice for Lambda tasks); the
  # function's errors do not: they are reported.
  batch_lambda_retry = [{
    ErrorEquals     = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"]
    IntervalSeconds = 2
    MaxAttempts     = 4
    BackoffRate     = 2
  }]
  batch_report_failure = [{ ErrorEquals = ["States.ALL"], ResultPath = "$.error", Next = "ReportFailure" }]
  batch_step = {
    Type     = "Task"
    Resource = aws_lambda_function.this["predict"].arn
    Retry    = local.batch_lambda_retry
  }

  batch_definition = {
    Comment = "A batch file above batch_split_bytes, scored in parts and merged into one answer."
    StartAt = "Plan"
    States = {
      Plan = merge(local.batch_step, {
        Parameters = { batch_step = "plan", "upload.$" = "$.upload", "event_time.$" = "$.event_time" }
        ResultPath = "$.plan"
        Catch      = local.batch_report_failure
        Next       = "HasParts"
      })
      # No parts: the file was refused as a whole, and its report says why.
      HasParts = {
        Type    = "Choice"
        Choices = [{ Variable = "$.plan.parts[0]", IsPresent = true, Next = "ScoreParts" }]
        Default = "Done"
      }
      ScoreParts = {
        Type           = "Map"
        ItemsPath      = "$.plan.parts"
        MaxConcurrency = var.batch_map_concurrency
        ItemProcessor = {
          ProcessorConfig = { Mode = "DISTRIBUTED", ExecutionType = "STANDARD" }
          StartAt         = "ScorePart"
          States = {
            ScorePart = merge(local.batch_step, {
              Parameters = { batch_step = "part", "part.$" = "$" }
              # A part that fails gives the part and its error to the merge, which reports it.
              Catch = [{ ErrorEquals = ["States.ALL"], ResultPath = "$.error", Next = "PartFailed" }]
              End   = true
            })
            PartFailed = { Type = "Pass", End = true }
          }
        }
        ResultPath = "$.plan.parts" # the parts, now scored (the state stays small)
        Catch      = local.batch_report_failure
        Next       = "Merge"
      }
      Merge = merge(local.batch_step, {
        Parameters = { batch_step = "merge", "upload.$" = "$.upload", "parts.$" = "$.plan.parts" }
        ResultPath = "$.merge"
        Catch      = local.batch_report_failure
        Next       = "Merged"
      })
      Merged = {
        Type    = "Choice"
        Choices = [{ Variable = "$.merge.failed", BooleanEquals = true, Next = "Failed" }]
        Default = "Done"
      }
      ReportFailure = merge(local.batch_step, {
        Parameters = { batch_step = "failed", "upload.$" = "$.upload", "error.$" = "$.error" }
        ResultPath = null
        Next       = "Failed"
      })
      Failed = {
        Type  = "Fail"
        Error = "BatchScoringFailed"
        Cause = "A part or a step failed: batch-results/<name>.report.json says which and why."
      }
      Done = { Type = "Succeed" }
    }
  }
}

resource "aws_sfn_state_machine" "batch" {
  name       = local.batch_state_machine_name
  role_arn   = aws_iam_role.batch_fanout.arn
  type       = "STANDARD"
  definition = jsonencode(local.batch_definition)

  depends_on = [aws_iam_role_policy.batch_fanout]

  lifecycle {
    precondition {
      # mushroom/batch_parts.py MAX_PARTS: the parts' list must fit the execution's state
      condition     = ceil(var.batch_max_bytes / var.batch_split_bytes) <= 250
      error_message = "batch_max_bytes / batch_split_bytes must be at most 250 parts: raise batch_split_bytes or lower batch_max_bytes."
    }
  }
}

data "aws_iam_policy_document" "states_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "batch_fanout" {
  name               = "${local.batch_state_machine_name}-states"
  description        = "Role of the batch state machine: invokes the predict function, runs its Map's child executions."
  assume_role_policy = data.aws_iam_policy_document.states_assume.json
}

data "aws_iam_policy_document" "batch_fanout" {
  statement {
    sid       = "InvokeScoringFunction"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.this["predict"].arn]
  }

  # The distributed Map starts, watches and stops child executions of this state machine.
  statement {
    sid       = "RunMapChildExecutions"
    actions   = ["states:StartExecution"]
    resources = [local.batch_state_machine_arn]
  }

  statement {
    sid       = "WatchMapChildExecutions"
    actions   = ["states:DescribeExecution", "states:StopExecution"]
    resources = [local.batch_child_executions_arn]
  }
}

resource "aws_iam_role_policy" "batch_fanout" {
  name   = "${local.batch_state_machine_name}-least-privilege"
  role   = aws_iam_role.batch_fanout.id
  policy = data.aws_iam_policy_document.batch_fanout.json
}

# A failed execution is not silent: its report says why, and this alarm tells the operators.
resource "aws_cloudwatch_metric_alarm" "batch_executions_failed" {
  alarm_name          = "${var.project}-batch-executions-failed"
  alarm_description   = "A batch file scored in parts failed (${local.batch_state_machine_name}): batch-results/<name>.report.json says which part and why; the upload stays in batch/."
  namespace           = "AWS/States"
  metric_name         = "ExecutionsFailed"
  dimensions          = { StateMachineArn = aws_sfn_state_machine.batch.arn }
  statistic           = "Sum"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
}
