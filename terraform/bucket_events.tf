# Uploads to the data bucket invoke functions: raw/ -> ingest, batch/ -> predict.

# S3 may invoke the functions only for the data bucket, from this account.
resource "aws_lambda_permission" "ingest_uploads" {
  statement_id   = "AllowRawUploads"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this["ingest"].function_name
  principal      = "s3.amazonaws.com"
  source_arn     = aws_s3_bucket.data.arn
  source_account = local.account_id
}

resource "aws_lambda_permission" "predict_batch" {
  statement_id   = "AllowBatchUploads"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this["predict"].function_name
  principal      = "s3.amazonaws.com"
  source_arn     = aws_s3_bucket.data.arn
  source_account = local.account_id
}

# THE notification configuration of the data bucket: S3 allows only one per bucket, so every
# prefix → function route of the data bucket lives in this one resource.
resource "aws_s3_bucket_notification" "data_bucket" {
  bucket = aws_s3_bucket.data.id

  lambda_function {
    id                  = "ingest-raw-uploads"
    lambda_function_arn = aws_lambda_function.this["ingest"].arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = local.data_prefixes.raw
  }

  # batch/ uploads are scored by the predict function (lambdas/predict/batch_scoring.py).
  lambda_function {
    id                  = "predict-batch-uploads"
    lambda_function_arn = aws_lambda_function.this["predict"].arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = local.data_prefixes.batch
  }

  depends_on = [aws_lambda_permission.ingest_uploads, aws_lambda_permission.predict_batch]
}
