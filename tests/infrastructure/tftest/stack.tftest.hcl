# Plans of the main stack with a mocked AWS provider (nothing leaves the machine): the functions
# come from one definition with their sizes from variables, and the variables' validations
# refuse values AWS would refuse. Run by tests/infrastructure/test_terraform_plan.py on a copy
# of terraform/ with placeholder zips.

mock_provider "aws" {
  # Data sources are read while planning: values the provider's own validation accepts.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }

  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
}

run "functions_take_their_sizes_and_layers" {
  command = plan

  assert {
    condition     = [for name in ["ingest", "predict", "monitor", "retrain"] : aws_lambda_function.this[name].memory_size] == [1024, 1024, 512, 256]
    error_message = "Memory of ingest, predict, monitor, retrain: the variables' defaults."
  }

  assert {
    condition     = [for name in ["ingest", "predict", "monitor", "retrain"] : aws_lambda_function.this[name].timeout] == [300, 120, 120, 30]
    error_message = "Timeouts of ingest, predict, monitor, retrain: the variables' defaults."
  }

  assert {
    condition     = { for name, function in aws_lambda_function.this : name => length(function.layers) } == { for name, layers in local.function_layers : name => length(layers) }
    error_message = "Each function gets the layers layers/functions.json lists for it."
  }

  assert {
    condition     = aws_lambda_function.this["ingest"].ephemeral_storage[0].size == 1024
    error_message = "The ingest function spools rejected rows to a 1024 MB /tmp."
  }

  assert {
    condition     = aws_lambda_function.this["monitor"].environment[0].variables.POWERTOOLS_SERVICE_NAME == "monitor"
    error_message = "Each function's Powertools service is its name."
  }
}

run "monitor_and_retrain_sizes_are_variables" {
  command = plan

  variables {
    monitor_memory_mb       = 1024
    monitor_timeout_seconds = 300
    retrain_memory_mb       = 128
    retrain_timeout_seconds = 60
  }

  assert {
    condition     = [aws_lambda_function.this["monitor"].memory_size, aws_lambda_function.this["monitor"].timeout] == [1024, 300]
    error_message = "The monitor's memory and timeout come from its variables."
  }

  assert {
    condition     = [aws_lambda_function.this["retrain"].memory_size, aws_lambda_function.this["retrain"].timeout] == [128, 60]
    error_message = "The retrain function's memory and timeout come from its variables."
  }
}

# Each value AWS would refuse (or that makes no sense) fails its variable's validation; the run
# fails if any of them is accepted.
run "values_aws_would_refuse" {
  command = plan

  variables {
    monitor_memory_mb                   = 64       # Lambda: 128 MB at least
    ingest_memory_mb                    = 10241    # Lambda: 10240 MB at most
    retrain_timeout_seconds             = 901      # Lambda: 900 s at most
    predict_timeout_seconds             = 0        # Lambda: 1 s at least
    predict_max_body_bytes              = 10485761 # API Gateway: 10 MB payloads at most
    served_false_edible_alarm_threshold = 1.5      # a share
    log_retention_days                  = 10       # not a retention CloudWatch Logs offers
    switch_back_window_seconds          = -1       # a duration
  }

  expect_failures = [
    var.monitor_memory_mb,
    var.ingest_memory_mb,
    var.retrain_timeout_seconds,
    var.predict_timeout_seconds,
    var.predict_max_body_bytes,
    var.served_false_edible_alarm_threshold,
    var.log_retention_days,
    var.switch_back_window_seconds,
  ]
}

run "the_switch_back_reads_its_window_and_alarms" {
  command = plan

  variables {
    switch_back_window_seconds = 600
  }

  assert {
    condition     = aws_lambda_function.this["retrain"].environment[0].variables["SWITCH_BACK_WINDOW_SECONDS"] == "600"
    error_message = "The retrain function's switch-back window comes from its variable."
  }

  assert {
    condition     = aws_lambda_function.this["retrain"].environment[0].variables["SWITCH_BACK_ALARMS"] == "mushroom-served-false-edible-high,mushroom-f1-low"
    error_message = "Only the live-quality alarms switch back."
  }
}
