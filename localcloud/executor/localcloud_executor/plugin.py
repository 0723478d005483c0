"""plux entry point that names the executor for LAMBDA_RUNTIME_EXECUTOR."""

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin

from localcloud_executor import PLUGIN_NAME


class LocalPythonExecutorPlugin(RuntimeExecutorPlugin):
    """Runtime executor plugin `local-python`."""

    name = PLUGIN_NAME

    def load(self, *args, **kwargs):
        """Return the executor class (imported lazily, like LocalStack's own plugins)."""
        from localcloud_executor.executor import LocalPythonRuntimeExecutor

        return LocalPythonRuntimeExecutor
