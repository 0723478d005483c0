# Created ahead of the functions so retention applies from the first invocation and the
# functions need no logs:CreateLogGroup permission.
resource "aws_cloudwatch_log_group" "function" {
  for_each = local.function_names

  name              = "/aws/lambda/${each.value}"
  retention_in_days = var.log_retention_days
}
