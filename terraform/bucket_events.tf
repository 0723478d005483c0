# Uploads to the data bucket invoke functions: raw/ -> ingest, batch/ -> predict (scored by
# lambdas/predict/batch_scoring.py).

locals {
  bucket_routes = {
    ingest  = { id = "ingest-raw-uploads", prefix = local.data_prefixes.raw, statement_id = "AllowRawUploads" }
    predict = { id = "predict-batch-uploads", prefix = local.data_prefixes.batch, statement_id = "AllowBatchUploads" }
  }
}

# S3 may invoke each routed function only for the data bucket, from this account.
resource "aws_lambda_permission" "bucket_events" {
  for_each = local.bucket_routes

  statement_id   = each.value.statement_id
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this[each.key].function_name
  principal      = "s3.amazonaws.com"
  source_arn     = aws_s3_bucket.data.arn
  source_account = local.account_id
}

moved {
  from = aws_lambda_permission.ingest_uploads
  to   = aws_lambda_permission.bucket_events["ingest"]
}

moved {
  from = aws_lambda_permission.predict_batch
  to   = aws_lambda_permission.bucket_events["predict"]
}

# THE notification configuration of the data bucket: S3 allows only one per bucket, so every
# prefix → function route of the data bucket lives in this one resource (local.bucket_routes).
resource "aws_s3_bucket_notification" "data_bucket" {
  bucket = aws_s3_bucket.data.id

  dynamic "lambda_function" {
    for_each = local.bucket_routes

    content {
      id                  = lambda_function.value.id
      lambda_function_arn = aws_lambda_function.this[lambda_function.key].arn
      events              = ["s3:ObjectCreated:*"]
      filter_prefix       = lambda_function.value.prefix
    }
  }

  depends_on = [aws_lambda_permission.bucket_events]
}
