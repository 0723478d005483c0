"""LocalStack Lambda runtime executor running Python handlers as local subprocesses."""

PLUGIN_NAME = "local-python"
