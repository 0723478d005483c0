"""Logger and metrics of the prediction function, created once and imported everywhere."""

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="predict")
metrics = Metrics(service="predict")
