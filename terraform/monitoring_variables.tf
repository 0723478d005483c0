# Variables of the monitoring and retraining issue (monitoring.tf, dashboard.tf).

variable "monitor_schedule" {
  description = "EventBridge schedule expression of the monitor function."
  type        = string
  default     = "rate(5 minutes)"
}

variable "monitor_window_minutes" {
  description = "Length of the window of predictions (and their feedback) each monitor run evaluates."
  type        = number
  default     = 60

  validation {
    condition     = var.monitor_window_minutes >= 1
    error_message = "At least one minute."
  }
}

variable "monitor_min_labelled" {
  description = "Fewest labelled predictions in a window for quality metrics to be published (fewer: reported only)."
  type        = number
  default     = 20
}

variable "monitor_min_drift_specimens" {
  description = "Fewest specimens in a window for drift (PSI) to be computed and published."
  type        = number
  default     = 20
}

variable "drift_psi_threshold" {
  description = "PSI above which a feature counts as drifted (0.2 is the usual rule of thumb)."
  type        = number
  default     = 0.2
}

variable "alarm_period_seconds" {
  description = "Period of the model-quality and drift alarms; 60 in tests, 300 (one monitor run) by default."
  type        = number
  default     = 300

  validation {
    condition     = contains([10, 30], var.alarm_period_seconds) || var.alarm_period_seconds % 60 == 0
    error_message = "10, 30 or a multiple of 60 seconds (CloudWatch)."
  }
}

variable "alarm_evaluation_periods" {
  description = "Periods that must breach before a model-quality or drift alarm fires."
  type        = number
  default     = 1
}

variable "f1_alarm_threshold" {
  description = "Alarm when F1 on labelled predictions (poisonous = positive) falls below this."
  type        = number
  default     = 0.9
}

variable "false_edible_alarm_threshold" {
  description = "Alarm when the model's raw false-edible rate (poisonous predicted edible / poisonous) rises above this."
  type        = number
  default     = 0.05
}

variable "served_false_edible_alarm_threshold" {
  description = "Alarm when the served false-edible rate (poisonous served as \"edible\" after the safety policy) rises above this."
  type        = number
  default     = 0.01
}

variable "drift_share_alarm_threshold" {
  description = "Alarm when the share of drifted features (PSI above drift_psi_threshold) rises above this."
  type        = number
  default     = 0.25
}

variable "lambda_errors_alarm_threshold" {
  description = "Alarm when a function reports more errors than this in one alarm period."
  type        = number
  default     = 0
}

variable "retrain_cooldown_seconds" {
  description = "At most one training job per this many seconds from alarms or manual requests."
  type        = number
  default     = 3600
}

variable "alerts_inbox_enabled" {
  description = "Subscribe an SQS queue (alerts-inbox) to the alerts topic, to read notifications locally (make alerts)."
  type        = bool
  default     = true
}
