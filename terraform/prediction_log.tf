# The prediction log's buffer: a Firehose delivery stream (DirectPut) that the predict function
# puts each request's predictions to, delivered to the data bucket in few large objects under
# predictions/YYYY/MM/DD/HH/ (Firehose's own UTC-hour layout for a prefix without expressions;
# LocalStack 4.9 writes the same layout, one object per put). What Firehose refuses the
# function writes to the same partition itself (lambdas/predict/prediction_log.py).
resource "aws_kinesis_firehose_delivery_stream" "predictions" {
  name        = "${var.project}-predictions"
  destination = "extended_s3"

  # No server_side_encryption block: see .checkov.yaml (CKV_AWS_240).
  extended_s3_configuration {
    role_arn           = aws_iam_role.prediction_log_delivery.arn
    bucket_arn         = aws_s3_bucket.data.arn
    prefix             = local.data_prefixes.predictions
    buffering_size     = var.prediction_log_buffer_mb
    buffering_interval = var.prediction_log_buffer_seconds
    compression_format = var.prediction_log_compression
  }
}

data "aws_iam_policy_document" "firehose_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["firehose.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "prediction_log_delivery" {
  name               = "${var.project}-prediction-log-delivery"
  description        = "Firehose delivers the prediction log to the data bucket's predictions/ prefix."
  assume_role_policy = data.aws_iam_policy_document.firehose_assume.json
}

# What Firehose needs to deliver to S3 (multipart uploads of large objects), on predictions/ only.
data "aws_iam_policy_document" "prediction_log_delivery" {
  statement {
    sid       = "DeliverPredictionLog"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [local.data_objects.predictions]
  }

  statement {
    sid       = "LocateDataBucket"
    actions   = ["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"]
    resources = [local.data_bucket_arn]
  }
}

resource "aws_iam_role_policy" "prediction_log_delivery" {
  name   = "${var.project}-prediction-log-delivery"
  role   = aws_iam_role.prediction_log_delivery.id
  policy = data.aws_iam_policy_document.prediction_log_delivery.json
}
