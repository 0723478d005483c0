# The secret key of prediction ids (issue 12): the predict function tags each id it issues with
# a MAC under this key, so POST /feedback can refuse ids it never issued without a lookup
# (mushroom/prediction_ids.py). The name sits beside the champion pointer, where the function
# looks by default (PredictConfig.key_parameter): /<project>/prediction-id-key.
#
# The value: only the hashicorp/aws provider is available offline (no random provider), and
# aws_secretsmanager_random_password is a data source read anew on every plan. Terraform's own
# uuid() draws from a CSPRNG (two give 244 random bits); it also changes on every plan, so the
# value is written once at creation and ignore_changes keeps it: the key never rotates by
# accident, which would make every issued id unverifiable (feedback for them would get 404).
# Rotate on purpose by tainting the resource. The value is in the Terraform state, which stays
# out of the repository (.state/, or an encrypted remote backend on AWS).
resource "aws_ssm_parameter" "prediction_id_key" {
  name        = "/${var.project}/prediction-id-key"
  description = "Secret key of the prediction ids' MAC (read by the predict function)."
  type        = "SecureString"
  value       = "${uuid()}${uuid()}"

  lifecycle {
    ignore_changes = [value]
  }
}

data "aws_iam_policy_document" "prediction_id_key" {
  statement {
    sid       = "ReadPredictionIdKey"
    actions   = ["ssm:GetParameter"]
    resources = [aws_ssm_parameter.prediction_id_key.arn]
  }
}

# A second inline policy on the predict role (iam.tf stays as it is). The parameter uses the
# AWS-managed aws/ssm key, whose key policy lets SSM decrypt for the account's principals.
resource "aws_iam_role_policy" "prediction_id_key" {
  name   = "${local.function_names.predict}-prediction-id-key"
  role   = aws_iam_role.function["predict"].id
  policy = data.aws_iam_policy_document.prediction_id_key.json
}
