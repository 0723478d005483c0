variable "name" {
  description = "Name prefix of the probe's resources."
  type        = string
  default     = "mushroom-probe"
}

variable "region" {
  description = "AWS region (LocalStack: us-east-1)."
  type        = string
  default     = "us-east-1"
}

variable "probe_zip" {
  description = "Path of the probe function zip (layers/build.py zip-dir function/ …)."
  type        = string
}

variable "layer_arns" {
  description = "Layer ARNs the probe runs with (the main stack's ml layer: numpy)."
  type        = list(string)
}

variable "lambda_runtime" {
  description = "Lambda runtime of the probe function."
  type        = string
  default     = "python3.12"
}

variable "alarm_period_seconds" {
  description = "Period of the probe alarm (LocalStack evaluates alarms every period)."
  type        = number
  default     = 10
}

variable "local_endpoint_url" {
  description = "LocalStack's edge URL, to print the probe API's local URL."
  type        = string
  default     = "http://127.0.0.1:4566"
}
