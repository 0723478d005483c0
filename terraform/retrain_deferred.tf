# Alarms deferred by the retrain cooldown (issue 12). CloudWatch invokes an alarm action once per
# transition and not again while the alarm stays in ALARM, so an alarm that fired inside the
# cooldown would never retrain. The monitor's schedule also invokes the retrain function with
# {"check": "deferred"}: after the cooldown it asks CloudWatch whether a deferred alarm is still
# in ALARM and enqueues one job if so. With nothing deferred it reads one S3 object and stops.

resource "aws_cloudwatch_event_target" "retrain_deferred" {
  rule  = aws_cloudwatch_event_rule.monitor.name
  arn   = aws_lambda_function.this["retrain"].arn
  input = jsonencode({ check = "deferred" })
}

resource "aws_lambda_permission" "retrain_deferred_schedule" {
  statement_id  = "AllowDeferredCheckSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["retrain"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.monitor.arn
}

# The check reads the state of the model alarms only (a second inline policy on the role, so
# iam.tf stays as it is). Their ARNs are spelled out from their names rather than read from the
# alarms, which would tie the policy to the function the alarms invoke.
locals {
  model_alarm_arns = [
    for key in keys(local.model_alarms) :
    "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.project}-${key}"
  ]
}

data "aws_iam_policy_document" "retrain_deferred" {
  statement {
    sid       = "ReadModelAlarmStates"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = local.model_alarm_arns
  }
}

resource "aws_iam_role_policy" "retrain_deferred" {
  name   = "${local.function_names.retrain}-deferred-check"
  role   = aws_iam_role.function["retrain"].id
  policy = data.aws_iam_policy_document.retrain_deferred.json
}
