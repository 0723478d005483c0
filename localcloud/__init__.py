"""Local AWS (LocalStack + project Lambda executor) and MLflow, run as supervised processes."""
