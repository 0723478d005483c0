# The champion pointer: training writes {version, run_id, model_uri, ...} on promotion;
# predict reads it (cached) to find the model without MLflow.
resource "aws_ssm_parameter" "champion" {
  name        = "/${var.project}/champion"
  description = "Serving model pointer written by the training worker's promotion step."
  type        = "String"
  value       = jsonencode({ status = "none" })

  lifecycle {
    ignore_changes = [value]
  }
}
