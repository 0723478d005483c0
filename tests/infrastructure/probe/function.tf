resource "aws_s3_bucket" "this" {
  bucket        = "${var.name}-records"
  force_destroy = true
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "probe" {
  statement {
    sid       = "RecordEvents"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this.arn}/records/*"]
  }

  statement {
    sid       = "ConsumeQueue"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.jobs.arn]
  }
}

resource "aws_iam_role" "this" {
  name               = var.name
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy" "this" {
  name   = var.name
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.probe.json
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = 1
}

resource "aws_lambda_function" "this" {
  function_name    = var.name
  role             = aws_iam_role.this.arn
  runtime          = var.lambda_runtime
  handler          = "handler.handler"
  filename         = var.probe_zip
  source_code_hash = filebase64sha256(var.probe_zip)
  layers           = var.layer_arns
  timeout          = 30
  memory_size      = 256

  environment {
    variables = { RECORD_BUCKET = aws_s3_bucket.this.bucket }
  }

  depends_on = [aws_cloudwatch_log_group.this]
}
