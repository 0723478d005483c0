# One dashboard: model quality, drift, volume, latency and errors.

locals {
  model_metric = { for name in ["F1", "Recall", "Precision", "Accuracy", "FalseEdibleRate", "ServedFalseEdibleRate", "UnsureRate", "DriftedFeatureShare", "MaxPSI", "PredictionCount", "LabelledCount", "LabelCoverage", "PoisonousPredictedShare"] : name => [var.metrics_namespace, name] }

  dashboard_widgets = [
    { title = "Quality (labelled feedback)", metrics = [for n in ["F1", "Recall", "Precision", "Accuracy"] : local.model_metric[n]], stat = "Average" },
    { title = "False-edible rate (raw model vs served)", metrics = [local.model_metric.FalseEdibleRate, local.model_metric.ServedFalseEdibleRate, local.model_metric.UnsureRate], stat = "Maximum" },
    { title = "Drift (PSI vs training reference)", metrics = [local.model_metric.DriftedFeatureShare, local.model_metric.MaxPSI], stat = "Maximum" },
    { title = "Volume and label coverage", metrics = [for n in ["PredictionCount", "LabelledCount", "LabelCoverage", "PoisonousPredictedShare"] : local.model_metric[n]], stat = "Average" },
    { title = "Latency (predict function, API)", metrics = [["AWS/Lambda", "Duration", "FunctionName", local.function_names.predict], ["AWS/ApiGateway", "Latency", "ApiName", aws_api_gateway_rest_api.this.name]], stat = "p95" },
    { title = "Errors", metrics = [for name in values(local.function_names) : ["AWS/Lambda", "Errors", "FunctionName", name]], stat = "Sum" },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = "${var.project}-model"

  dashboard_body = jsonencode({
    widgets = [for index, widget in local.dashboard_widgets : {
      type   = "metric"
      x      = (index % 2) * 12
      y      = floor(index / 2) * 6
      width  = 12
      height = 6
      properties = {
        title   = widget.title
        metrics = widget.metrics
        stat    = widget.stat
        period  = var.alarm_period_seconds
        region  = var.region
        view    = "timeSeries"
      }
    }]
  })
}
