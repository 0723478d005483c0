# The four Lambda functions, from one definition. Each function's triggers live with its concern
# (bucket_events.tf, api.tf, monitoring.tf, retrain_deferred.tf); its role, log group and layers
# come from iam.tf, logs.tf and layers.tf (which layers: layers/functions.json).

locals {
  # Environment every function gets: its Powertools service name, log level and metrics namespace.
  powertools_environment = { for name in keys(local.function_names) : name => {
    POWERTOOLS_SERVICE_NAME = name
    POWERTOOLS_LOG_LEVEL    = "INFO"
    # Every function's Powertools metrics in the one namespace its IAM condition allows.
    POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
  } }

  functions = {
    # An upload under raw/ becomes a validated dataset (processed/), quarantined rejects with a
    # report (quarantine/), a manifest (manifests/) and a message on training-jobs.
    ingest = {
      description     = "Validates uploads under raw/ into processed/ datasets and requests training."
      handler         = "handler.handler"
      memory_mb       = var.ingest_memory_mb
      timeout_seconds = var.ingest_timeout_seconds
      # Rejected rows beyond 32 MB spool to /tmp before upload.
      ephemeral_storage_mb = 1024
      environment = {
        DATA_BUCKET        = aws_s3_bucket.data.bucket
        RAW_PREFIX         = local.data_prefixes.raw
        TRAINING_QUEUE_URL = aws_sqs_queue.training_jobs.url
        ALERTS_TOPIC_ARN   = aws_sns_topic.alerts.arn
        MAX_OBJECT_BYTES   = tostring(var.ingest_max_object_bytes)
        MAX_CONTENT_BYTES  = tostring(var.ingest_max_content_bytes)
      }
    }
    # The prediction API (via API Gateway) and batch scoring (S3 batch/).
    predict = {
      description     = "Prediction API (REST) and batch scoring with the champion model."
      handler         = "handler.lambda_handler"
      memory_mb       = var.predict_memory_mb
      timeout_seconds = var.predict_timeout_seconds
      environment = {
        DATA_BUCKET              = aws_s3_bucket.data.bucket
        CHAMPION_PARAMETER       = aws_ssm_parameter.champion.name
        CHAMPION_REFRESH_SECONDS = tostring(var.champion_refresh_seconds)
        MAX_BODY_BYTES           = tostring(var.predict_max_body_bytes)
        MAX_BATCH_BYTES          = tostring(var.batch_max_bytes)
        BATCH_SPLIT_BYTES        = tostring(var.batch_split_bytes)
        BATCH_STATE_MACHINE      = local.batch_state_machine_arn
        PREDICTION_STREAM        = aws_kinesis_firehose_delivery_stream.predictions.name
      }
    }
    # EventBridge schedule: quality and drift of the champion -> metrics + report.
    monitor = {
      description     = "Scheduled: quality and drift of the champion over a window -> CloudWatch metrics + report."
      handler         = "handler.lambda_handler"
      memory_mb       = var.monitor_memory_mb
      timeout_seconds = var.monitor_timeout_seconds
      environment = {
        DATA_BUCKET         = aws_s3_bucket.data.bucket
        CHAMPION_PARAMETER  = aws_ssm_parameter.champion.name
        METRICS_NAMESPACE   = var.metrics_namespace
        WINDOW_MINUTES      = tostring(var.monitor_window_minutes)
        DRIFT_THRESHOLD     = tostring(var.drift_psi_threshold)
        MIN_LABELLED        = tostring(var.monitor_min_labelled)
        MIN_DRIFT_SPECIMENS = tostring(var.monitor_min_drift_specimens)
        MAX_SPECIMENS       = tostring(var.monitor_max_specimens)
        # The challenger in shadow: when and how the monitor settles it, where the verdict goes.
        SHADOW_PERIOD_SECONDS    = tostring(var.shadow_period_seconds)
        SHADOW_MIN_SCORED        = tostring(var.shadow_min_scored)
        SHADOW_MIN_AGREEMENT     = tostring(var.shadow_min_agreement)
        SHADOW_MAX_LATENCY_RATIO = tostring(var.shadow_max_latency_ratio)
        TRAINING_QUEUE_URL       = aws_sqs_queue.training_jobs.url
        ALERTS_TOPIC_ARN         = aws_sns_topic.alerts.arn
      }
    }
    # Alarm action, schedule (deferred alarms) or manual invoke: one training job, with a cooldown.
    retrain = {
      description     = "Alarm action / manual invoke: enqueue one training job, with a cooldown."
      handler         = "handler.lambda_handler"
      memory_mb       = var.retrain_memory_mb
      timeout_seconds = var.retrain_timeout_seconds
      environment = {
        TRAINING_QUEUE_URL = aws_sqs_queue.training_jobs.url
        DATA_BUCKET        = aws_s3_bucket.data.bucket
        COOLDOWN_SECONDS   = tostring(var.retrain_cooldown_seconds)
        # The live-quality alarms that switch back to the previous champion when they fire
        # within the window after a promotion (docs/operations.md).
        CHAMPION_PARAMETER         = aws_ssm_parameter.champion.name
        ALERTS_TOPIC_ARN           = aws_sns_topic.alerts.arn
        SWITCH_BACK_ALARMS         = join(",", [for key in local.switch_back_alarms : "${var.project}-${key}"])
        SWITCH_BACK_WINDOW_SECONDS = tostring(var.switch_back_window_seconds)
      }
    }
  }
}

resource "aws_lambda_function" "this" {
  for_each = local.functions

  function_name    = local.function_names[each.key]
  description      = each.value.description
  role             = aws_iam_role.function[each.key].arn
  runtime          = var.lambda_runtime
  handler          = each.value.handler
  filename         = "${local.build_dir}/lambdas/${each.key}.zip"
  source_code_hash = filebase64sha256("${local.build_dir}/lambdas/${each.key}.zip")
  layers           = [for name in local.function_layers[each.key] : aws_lambda_layer_version.this[name].arn]
  memory_size      = each.value.memory_mb
  timeout          = each.value.timeout_seconds
  architectures    = ["x86_64"]

  # Only where a function needs more than the default 512 MB of /tmp.
  dynamic "ephemeral_storage" {
    for_each = try([each.value.ephemeral_storage_mb], [])

    content {
      size = ephemeral_storage.value
    }
  }

  environment {
    variables = merge(local.powertools_environment[each.key], each.value.environment)
  }

  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function]
}

# Each function was its own resource before: state moves, nothing is replaced.
moved {
  from = aws_lambda_function.ingest
  to   = aws_lambda_function.this["ingest"]
}

moved {
  from = aws_lambda_function.predict
  to   = aws_lambda_function.this["predict"]
}

moved {
  from = aws_lambda_function.monitor
  to   = aws_lambda_function.this["monitor"]
}

moved {
  from = aws_lambda_function.retrain
  to   = aws_lambda_function.this["retrain"]
}
