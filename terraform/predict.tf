# The predict function: the prediction API (via API Gateway) and batch scoring (S3 batch/).
# Role, log group and layers come from the base (iam.tf, logs.tf, layers.tf).

variable "predict_memory_mb" {
  description = "Memory of the predict function (MB); CPU scales with it on AWS."
  type        = number
  default     = 1024
}

variable "predict_timeout_seconds" {
  description = "Timeout of the predict function; batch files of ~60k rows take a few seconds."
  type        = number
  default     = 120
}

variable "champion_refresh_seconds" {
  description = "How often (at most) a warm predict container re-reads the champion pointer."
  type        = number
  default     = 30
}

variable "predict_max_body_bytes" {
  description = "Largest request body the API parses; larger bodies get 413."
  type        = number
  default     = 1048576
}

variable "batch_max_bytes" {
  description = "Largest batch/ upload scored (stored or decompressed); larger files get a too_large report."
  type        = number
  default     = 33554432
}

locals {
  predict_zip = "${local.build_dir}/lambdas/predict.zip"
}

resource "aws_lambda_function" "predict" {
  function_name    = local.function_names.predict
  description      = "Prediction API (REST) and batch scoring with the champion model."
  role             = aws_iam_role.function["predict"].arn
  runtime          = var.lambda_runtime
  handler          = "handler.lambda_handler"
  filename         = local.predict_zip
  source_code_hash = filebase64sha256(local.predict_zip)
  layers           = [for name in local.function_layers.predict : aws_lambda_layer_version.this[name].arn]
  memory_size      = var.predict_memory_mb
  timeout          = var.predict_timeout_seconds
  architectures    = ["x86_64"]

  environment {
    variables = {
      DATA_BUCKET                  = aws_s3_bucket.data.bucket
      CHAMPION_PARAMETER           = aws_ssm_parameter.champion.name
      CHAMPION_REFRESH_SECONDS     = tostring(var.champion_refresh_seconds)
      MAX_BODY_BYTES               = tostring(var.predict_max_body_bytes)
      MAX_BATCH_BYTES              = tostring(var.batch_max_bytes)
      POWERTOOLS_SERVICE_NAME      = "predict"
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
      POWERTOOLS_LOG_LEVEL         = "INFO"
    }
  }

  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function]
}

# Batch uploads: S3 may invoke the function only for the data bucket.
resource "aws_lambda_permission" "predict_batch" {
  statement_id   = "AllowBatchUploads"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.predict.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = aws_s3_bucket.data.arn
  source_account = local.account_id
}

output "predict_function_name" {
  description = "Name of the predict Lambda function."
  value       = aws_lambda_function.predict.function_name
}

output "predict_function_arn" {
  description = "ARN of the predict Lambda function (target of the batch/ S3 notification)."
  value       = aws_lambda_function.predict.arn
}
