# Failed asynchronous invocations: S3 -> ingest (raw/), S3 -> predict (batch/), alarm -> retrain
# and EventBridge -> monitor. Lambda retries an asynchronous event twice; without a destination
# the event is then dropped. Here it lands in one shared queue instead. Each record is Lambda's
# on-failure destination record: it names the function (requestContext.functionArn), why it
# failed (condition, attempts) and the original event (requestPayload), so one queue keeps the
# source and `make redrive` (scripts/redrive.py) sends each event back to its own function.
# Its alarm (failed-events-not-empty) is in monitoring.tf, beside the training DLQ's.

locals {
  # Every function invoked asynchronously (the API's synchronous calls to predict are unaffected).
  async_functions = { for name, function in aws_lambda_function.this : name => function.function_name }
}

resource "aws_sqs_queue" "failed_events" {
  name                      = "${var.project}-failed-events"
  message_retention_seconds = 1209600 # the SQS maximum: 14 days to notice, fix and redrive
  sqs_managed_sse_enabled   = true
}

# Lambda sends destination records with the function's execution role.
data "aws_iam_policy_document" "failed_events" {
  statement {
    sid       = "RecordFailedEvents"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.failed_events.arn]
  }
}

resource "aws_iam_role_policy" "failed_events" {
  for_each = local.async_functions

  name   = "${each.value}-failed-events"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.failed_events.json
}

resource "aws_lambda_function_event_invoke_config" "async" {
  for_each = local.async_functions

  function_name          = each.value
  maximum_retry_attempts = 2 # AWS's default, stated: the record says approximateInvokeCount 3

  destination_config {
    on_failure {
      destination = aws_sqs_queue.failed_events.arn
    }
  }

  # AWS checks that the execution role may send to the destination.
  depends_on = [aws_iam_role_policy.failed_events]
}
