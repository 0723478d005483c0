# The prediction API: REST API (v1) with one resource per route, Lambda proxy integration,
# an API key with a usage plan (throttling + quota), deployment and stage.

locals {
  # route path -> HTTP methods; every method needs the API key and proxies to predict.
  api_routes = {
    "predict"      = ["POST"]
    "feedback"     = ["POST"]
    "model"        = ["GET"]
    "health"       = ["GET"]
    "openapi.json" = ["GET"]
  }
  api_methods = merge([
    for path, methods in local.api_routes : { for method in methods : "${method} /${path}" => { path = path, method = method } }
  ]...)
}

resource "aws_api_gateway_rest_api" "this" {
  name        = "${var.project}-prediction-api"
  description = "Mushroom edibility prediction API (API key required)."

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_resource" "route" {
  for_each = local.api_routes

  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = each.key
}

resource "aws_api_gateway_method" "route" {
  for_each = local.api_methods

  rest_api_id      = aws_api_gateway_rest_api.this.id
  resource_id      = aws_api_gateway_resource.route[each.value.path].id
  http_method      = each.value.method
  authorization    = "NONE"
  api_key_required = true
}

resource "aws_api_gateway_integration" "route" {
  for_each = local.api_methods

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_resource.route[each.value.path].id
  http_method             = aws_api_gateway_method.route[each.key].http_method
  integration_http_method = "POST"
  type                    = "AWS_PROXY"
  uri                     = aws_lambda_function.this["predict"].invoke_arn
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id

  # A new deployment whenever a route or its integration changes.
  triggers = {
    # Inputs only: hashing whole objects drifts (LocalStack refreshes computed attributes).
    redeployment = sha1(jsonencode([
      [for key, method in aws_api_gateway_method.route : [key, method.id, method.authorization, method.api_key_required]],
      [for key, integration in aws_api_gateway_integration.route : [key, integration.id, integration.type, integration.uri]],
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "this" {
  rest_api_id   = aws_api_gateway_rest_api.this.id
  deployment_id = aws_api_gateway_deployment.this.id
  stage_name    = var.api_stage_name
}

resource "aws_api_gateway_api_key" "this" {
  name        = "${var.project}-prediction-client"
  description = "Key of the prediction API's clients."
  enabled     = true
}

resource "aws_api_gateway_usage_plan" "this" {
  name        = "${var.project}-prediction"
  description = "Throttling and quota of the prediction API."

  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.this.stage_name
  }

  throttle_settings {
    rate_limit  = var.api_throttle_rate_limit
    burst_limit = var.api_throttle_burst_limit
  }

  quota_settings {
    limit  = var.api_quota_per_day
    period = "DAY"
  }
}

resource "aws_api_gateway_usage_plan_key" "this" {
  key_id        = aws_api_gateway_api_key.this.id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.this.id
}

# Only this API's stage and routes may invoke the function.
resource "aws_lambda_permission" "api" {
  statement_id  = "AllowPredictionApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["predict"].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/${var.api_stage_name}/*/*"
}
