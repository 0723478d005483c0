# The system of record. Versioned: raw uploads are never lost, derived objects name the
# version they came from. `terraform destroy` deletes it only when empty, unless
# force_destroy_buckets is set (the local deploy sets it: LocalStack's data is throwaway).
resource "aws_s3_bucket" "data" {
  bucket        = local.data_bucket_name
  force_destroy = var.force_destroy_buckets
}

resource "aws_s3_bucket_versioning" "data" {
  bucket = aws_s3_bucket.data.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "data" {
  bucket = aws_s3_bucket.data.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# MLflow's artifact store: runs' files and registered models (model.lgb read by predict).
# Versioned: an overwritten or deleted model file (the champion's too) can be restored.
resource "aws_s3_bucket" "mlflow_artifacts" {
  bucket        = var.mlflow_artifact_bucket_name
  force_destroy = var.force_destroy_buckets
}

resource "aws_s3_bucket_versioning" "mlflow_artifacts" {
  bucket = aws_s3_bucket.mlflow_artifacts.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "mlflow_artifacts" {
  bucket = aws_s3_bucket.mlflow_artifacts.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "mlflow_artifacts" {
  bucket = aws_s3_bucket.mlflow_artifacts.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

locals {
  buckets = {
    data             = aws_s3_bucket.data
    mlflow_artifacts = aws_s3_bucket.mlflow_artifacts
  }

  # What clients send (uploads, batch inputs, feedback) is kept in every version. What the system
  # derives can be rebuilt from it, so its overwritten and deleted versions expire.
  derived_prefixes = [
    for key, prefix in local.data_prefixes : prefix if !contains(["raw", "batch", "feedback"], key)
  ]

  # Outputs that expire whole (null: kept). Monitor reports are monitoring/<YYYY-...>/: the
  # prefix "monitoring/2" leaves the retrain cooldown state (monitoring/retrain/) alone.
  expiring_outputs = {
    for name, rule in {
      batch-results = { prefix = local.data_prefixes.batch_results, days = var.batch_results_expiration_days }
      # Deleted once merged; what a failed execution left behind is kept two days to look at.
      batch-parts        = { prefix = local.data_prefixes.batch_parts, days = 2 }
      monitoring-reports = { prefix = "${local.data_prefixes.monitoring}2", days = var.monitoring_reports_expiration_days }
    } : name => rule if rule.days != null
  }
}

# Only TLS: a request over plain HTTP is denied, whoever makes it.
data "aws_iam_policy_document" "tls_only" {
  for_each = local.buckets

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [each.value.arn, "${each.value.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "tls_only" {
  for_each = local.buckets

  bucket = each.value.id
  policy = data.aws_iam_policy_document.tls_only[each.key].json

  # S3 refuses concurrent changes to a bucket's policy and its public access block.
  depends_on = [aws_s3_bucket_public_access_block.data, aws_s3_bucket_public_access_block.mlflow_artifacts]
}

resource "aws_s3_bucket_lifecycle_configuration" "data" {
  bucket = aws_s3_bucket.data.id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.incomplete_upload_days
    }
  }

  dynamic "rule" {
    for_each = toset(local.derived_prefixes)

    content {
      id     = "expire-old-versions-${trimsuffix(rule.value, "/")}"
      status = "Enabled"

      filter {
        prefix = rule.value
      }

      noncurrent_version_expiration {
        noncurrent_days = var.noncurrent_version_expiration_days
      }
    }
  }

  dynamic "rule" {
    for_each = local.expiring_outputs

    content {
      id     = "expire-${rule.key}"
      status = "Enabled"

      filter {
        prefix = rule.value.prefix
      }

      expiration {
        days = rule.value.days
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.data]
}

resource "aws_s3_bucket_lifecycle_configuration" "mlflow_artifacts" {
  bucket = aws_s3_bucket.mlflow_artifacts.id

  rule {
    id     = "expire-old-versions-abort-incomplete-uploads"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.incomplete_upload_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.mlflow_artifacts]
}
