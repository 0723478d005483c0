# One execution role per function, each with only the statements its job needs. Later issues
# extend local.function_statements, not the resources. IAM is not enforced by LocalStack:
# tests/infrastructure/test_iam.py checks the narrowness statically, and
# tests/unit/test_iam_enforced.py runs each component on moto with exactly these policies
# (rendered by `terraform test`), so a missing permission fails there with AccessDenied.

locals {
  data_bucket_arn   = aws_s3_bucket.data.arn
  mlflow_bucket_arn = aws_s3_bucket.mlflow_artifacts.arn
  data_objects      = { for key, prefix in local.data_prefixes : key => "${local.data_bucket_arn}/${prefix}*" }
  # The same prefixes as s3:prefix values of ListBucket conditions.
  data_listing = { for key, prefix in local.data_prefixes : key => "${prefix}*" }

  champion_parameter_arn = aws_ssm_parameter.champion.arn
  metrics_statement = {
    sid        = "PutMetricsInOwnNamespace"
    actions    = ["cloudwatch:PutMetricData"]
    resources  = ["*"] # PutMetricData has no resource-level permissions; the namespace is the scope
    conditions = [{ test = "StringEquals", variable = "cloudwatch:namespace", values = [var.metrics_namespace] }]
  }

  function_statements = {
    ingest = [
      { sid = "ReadUploads", actions = ["s3:GetObject", "s3:GetObjectVersion"], resources = [local.data_objects.raw] },
      {
        sid       = "WriteDerivedData"
        actions   = ["s3:PutObject", "s3:GetObject"]
        resources = [local.data_objects.processed, local.data_objects.quarantine, local.data_objects.manifests]
      },
      {
        sid        = "ListDerivedData"
        actions    = ["s3:ListBucket"]
        resources  = [local.data_bucket_arn]
        conditions = [{ test = "StringLike", variable = "s3:prefix", values = [local.data_listing.processed, local.data_listing.quarantine, local.data_listing.manifests] }]
      },
      { sid = "EnqueueTraining", actions = ["sqs:SendMessage"], resources = [aws_sqs_queue.training_jobs.arn] },
      { sid = "AlertOnRefusal", actions = ["sns:Publish"], resources = [aws_sns_topic.alerts.arn] },
      local.metrics_statement,
    ]
    predict = [
      { sid = "ReadChampionPointer", actions = ["ssm:GetParameter"], resources = [local.champion_parameter_arn] },
      { sid = "ReadModelArtifacts", actions = ["s3:GetObject"], resources = ["${local.mlflow_bucket_arn}/*"] },
      {
        sid       = "LogPredictionsAndFeedback"
        actions   = ["s3:PutObject"]
        resources = [local.data_objects.predictions, local.data_objects.feedback, local.data_objects.batch_results]
      },
      { sid = "ReadBatchInputs", actions = ["s3:GetObject"], resources = [local.data_objects.batch] },
      # A batch file above batch_split_bytes (batch_fanout.tf): the state machine started, each
      # part's outputs written, read (joined by S3 copies) and deleted once merged.
      { sid = "ScoreBatchInParts", actions = ["states:StartExecution"], resources = [local.batch_state_machine_arn] },
      {
        sid       = "BatchPartOutputs"
        actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
        resources = [local.data_objects.batch_parts]
      },
      { sid = "PutPredictionLog", actions = ["firehose:PutRecordBatch"], resources = [aws_kinesis_firehose_delivery_stream.predictions.arn] },
      local.metrics_statement,
    ]
    monitor = [
      {
        sid       = "ReadPredictionsAndFeedback"
        actions   = ["s3:GetObject"]
        resources = [local.data_objects.predictions, local.data_objects.feedback, local.data_objects.monitoring]
      },
      {
        sid        = "ListPredictionsAndFeedback"
        actions    = ["s3:ListBucket"]
        resources  = [local.data_bucket_arn]
        conditions = [{ test = "StringLike", variable = "s3:prefix", values = [local.data_listing.predictions, local.data_listing.feedback, local.data_listing.monitoring] }]
      },
      { sid = "WriteReports", actions = ["s3:PutObject"], resources = [local.data_objects.monitoring] },
      { sid = "ReadChampionPointer", actions = ["ssm:GetParameter"], resources = [local.champion_parameter_arn] },
      { sid = "ReadReferenceProfile", actions = ["s3:GetObject"], resources = ["${local.mlflow_bucket_arn}/*"] },
      # The challenger verdict (lambdas/monitor/shadow_job.py): the pointer written, the worker
      # told to move the registry's aliases, operators alerted.
      { sid = "SettleChallenger", actions = ["ssm:PutParameter"], resources = [local.champion_parameter_arn] },
      { sid = "NoteVerdictForRegistry", actions = ["sqs:SendMessage"], resources = [aws_sqs_queue.training_jobs.arn] },
      { sid = "AlertOnVerdict", actions = ["sns:Publish"], resources = [aws_sns_topic.alerts.arn] },
      local.metrics_statement,
    ]
    retrain = [
      { sid = "EnqueueTraining", actions = ["sqs:SendMessage"], resources = [aws_sqs_queue.training_jobs.arn] },
      {
        sid       = "RetrainCooldownMarker"
        actions   = ["s3:GetObject", "s3:PutObject"]
        resources = ["${local.data_bucket_arn}/${local.data_prefixes.monitoring}retrain/*"]
      },
      {
        sid        = "ListRetrainState"
        actions    = ["s3:ListBucket"]
        resources  = [local.data_bucket_arn]
        conditions = [{ test = "StringLike", variable = "s3:prefix", values = ["${local.data_prefixes.monitoring}retrain/*"] }]
      },
      # The switch-back (lambdas/retrain/switch_back_job.py): the previous champion's pointer
      # back into the parameter, and operators told which alarm, which versions and why.
      { sid = "SwitchChampionBack", actions = ["ssm:GetParameter", "ssm:PutParameter"], resources = [local.champion_parameter_arn] },
      { sid = "AlertOnSwitchBack", actions = ["sns:Publish"], resources = [aws_sns_topic.alerts.arn] },
      # The alarm's debugging report (lambdas/retrain/alarm_report_job.py): the monitor's
      # reports in, the page out; its presigned link reads it as this role.
      {
        sid       = "ReadMonitorReportsAndAlarmPages"
        actions   = ["s3:GetObject"]
        resources = ["${local.data_bucket_arn}/${local.data_prefixes.monitoring}2*", "${local.data_bucket_arn}/${local.data_prefixes.monitoring}alarms/*"]
      },
      {
        sid        = "ListMonitorReports"
        actions    = ["s3:ListBucket"]
        resources  = [local.data_bucket_arn]
        conditions = [{ test = "StringLike", variable = "s3:prefix", values = ["${local.data_prefixes.monitoring}2*"] }]
      },
      { sid = "WriteAlarmPages", actions = ["s3:PutObject"], resources = ["${local.data_bucket_arn}/${local.data_prefixes.monitoring}alarms/*"] },
      local.metrics_statement,
    ]
  }

  # The training worker (local process here; an ECS/Batch task role on real AWS).
  training_worker_statements = [
    {
      sid       = "ConsumeTrainingJobs"
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
      resources = [aws_sqs_queue.training_jobs.arn]
    },
    {
      # Feedback labels are joined to the logged predictions' features (training/datasets.py).
      sid       = "ReadTrainingData"
      actions   = ["s3:GetObject", "s3:GetObjectVersion"]
      resources = [local.data_objects.processed, local.data_objects.feedback, local.data_objects.predictions, local.data_objects.manifests]
    },
    {
      sid        = "ListTrainingData"
      actions    = ["s3:ListBucket"]
      resources  = [local.data_bucket_arn]
      conditions = [{ test = "StringLike", variable = "s3:prefix", values = [local.data_listing.processed, local.data_listing.feedback, local.data_listing.predictions, local.data_listing.manifests] }]
    },
    {
      # Reported labels the review did not trust are kept for a person (training/review.py).
      sid       = "HoldFeedbackForReview"
      actions   = ["s3:PutObject"]
      resources = ["${local.data_bucket_arn}/${local.data_prefixes.quarantine}feedback/*"]
    },
    {
      # No delete: the worker only adds artifacts, and the champion's files must survive it.
      sid       = "MlflowArtifacts"
      actions   = ["s3:GetObject", "s3:PutObject"]
      resources = ["${local.mlflow_bucket_arn}/*"]
    },
    { sid = "ListMlflowArtifacts", actions = ["s3:ListBucket"], resources = [local.mlflow_bucket_arn] },
    { sid = "PromoteChampion", actions = ["ssm:GetParameter", "ssm:PutParameter"], resources = [local.champion_parameter_arn] },
    { sid = "Alert", actions = ["sns:Publish"], resources = [aws_sns_topic.alerts.arn] },
    local.metrics_statement,
  ]
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "function" {
  for_each = local.function_statements

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }

  dynamic "statement" {
    for_each = each.value

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = try(statement.value.conditions, [])

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role" "function" {
  for_each = local.function_names

  name               = "${each.value}-function"
  description        = "Execution role of the ${each.value} Lambda function."
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

resource "aws_iam_role_policy" "function" {
  for_each = local.function_names

  name   = "${each.value}-least-privilege"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.function[each.key].json
}

data "aws_iam_policy_document" "training_worker" {
  dynamic "statement" {
    for_each = local.training_worker_statements

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = try(statement.value.conditions, [])

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_policy" "training_worker" {
  name        = "${var.project}-training-worker"
  description = "What the training worker may do: consume training jobs, read training data, write MLflow artifacts, promote, alert."
  policy      = data.aws_iam_policy_document.training_worker.json
}

data "aws_iam_policy_document" "training_worker_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "training_worker" {
  name               = "${var.project}-training-worker"
  description        = "Task role of the training worker (ECS/Batch on real AWS)."
  assume_role_policy = data.aws_iam_policy_document.training_worker_assume.json
}

resource "aws_iam_role_policy_attachment" "training_worker" {
  role       = aws_iam_role.training_worker.name
  policy_arn = aws_iam_policy.training_worker.arn
}
