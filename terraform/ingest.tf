# The ingest function: an upload under raw/ becomes a validated dataset (processed/), quarantined
# rejects with a report (quarantine/), a manifest (manifests/) and a message on training-jobs.
# Role, log group and layers come from the base (iam.tf, logs.tf, layers.tf).

variable "ingest_memory_mb" {
  description = "Memory of the ingest function (MB). Peak use is ~280 MB + 1.35 x the CSV size."
  type        = number
  default     = 1024
}

variable "ingest_timeout_seconds" {
  description = "Timeout of the ingest function; ~0.35 s per MB of CSV (61k rows: ~1 s), 200 MB: ~70 s."
  type        = number
  default     = 300
}

variable "ingest_max_object_bytes" {
  description = "Largest upload (bytes, as stored) the ingest function reads; larger ones are refused with a report. Sized for 1,024 MB."
  type        = number
  default     = 209715200
}

variable "ingest_max_content_bytes" {
  description = "Largest CSV text (bytes, after gzip decompression) the ingest function reads; guards against gzip bombs."
  type        = number
  default     = 209715200
}

locals {
  ingest_zip = "${local.build_dir}/lambdas/ingest.zip"
}

resource "aws_lambda_function" "ingest" {
  function_name    = local.function_names.ingest
  description      = "Validates uploads under raw/ into processed/ datasets and requests training."
  role             = aws_iam_role.function["ingest"].arn
  runtime          = var.lambda_runtime
  handler          = "handler.handler"
  filename         = local.ingest_zip
  source_code_hash = filebase64sha256(local.ingest_zip)
  layers           = [for name in local.function_layers.ingest : aws_lambda_layer_version.this[name].arn]
  memory_size      = var.ingest_memory_mb
  timeout          = var.ingest_timeout_seconds
  architectures    = ["x86_64"]

  # Rejected rows beyond 32 MB spool to /tmp before upload.
  ephemeral_storage {
    size = 1024
  }

  environment {
    variables = {
      DATA_BUCKET                  = aws_s3_bucket.data.bucket
      RAW_PREFIX                   = local.data_prefixes.raw
      TRAINING_QUEUE_URL           = aws_sqs_queue.training_jobs.url
      ALERTS_TOPIC_ARN             = aws_sns_topic.alerts.arn
      MAX_OBJECT_BYTES             = tostring(var.ingest_max_object_bytes)
      MAX_CONTENT_BYTES            = tostring(var.ingest_max_content_bytes)
      POWERTOOLS_SERVICE_NAME      = "ingest"
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
      POWERTOOLS_LOG_LEVEL         = "INFO"
    }
  }

  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function]
}

# Uploads: S3 may invoke the function only for the data bucket, from this account.
resource "aws_lambda_permission" "ingest_uploads" {
  statement_id   = "AllowRawUploads"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.ingest.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = aws_s3_bucket.data.arn
  source_account = local.account_id
}

# THE notification configuration of the data bucket: S3 allows only one per bucket, so every
# prefix → function route of the data bucket lives in this one resource. The prediction issue
# adds its batch/ → predict block here (not a second aws_s3_bucket_notification).
resource "aws_s3_bucket_notification" "data_bucket" {
  bucket = aws_s3_bucket.data.id

  lambda_function {
    id                  = "ingest-raw-uploads"
    lambda_function_arn = aws_lambda_function.ingest.arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = local.data_prefixes.raw
  }

  # batch/ uploads are scored by the predict function (lambdas/predict/batch_scoring.py).
  lambda_function {
    id                  = "predict-batch-uploads"
    lambda_function_arn = aws_lambda_function.predict.arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = local.data_prefixes.batch
  }

  depends_on = [aws_lambda_permission.ingest_uploads, aws_lambda_permission.predict_batch]
}

output "ingest_function_name" {
  description = "Name of the ingest Lambda function."
  value       = aws_lambda_function.ingest.function_name
}

output "ingest_function_arn" {
  description = "ARN of the ingest Lambda function (target of the raw/ S3 notification)."
  value       = aws_lambda_function.ingest.arn
}
