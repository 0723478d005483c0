"""The training worker on ECS Fargate (terraform/modules/trainer_ecs), which LocalStack cannot run.

Checked offline instead: the root module still validates with the module wired in, the module
wires the training worker policy and log retention (static, from the HCL), and a plan of the
module alone against a mocked provider (`terraform test`) builds the task as intended.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infrastructure.conftest import (
    REPO,
    TERRAFORM_DIR,
    module_copy,
    stack_copy,
    terraform,
    terraform_init,
    terraform_test,
)

MODULE_DIR = TERRAFORM_DIR / "modules" / "trainer_ecs"


def test_root_validates_with_the_trainer_module(terraform_bin, tmp_path):
    # Given a copy of the root module, initialised from the offline mirror (installs the module)
    root = stack_copy(tmp_path)
    env = terraform_init(root, tmp_path)
    # When validating (validate checks the module call and body whatever trainer_on_ecs is)
    result = terraform("validate", "-no-color", cwd=root, env=env)
    # Then the configuration is valid
    assert result.returncode == 0, result.stdout + result.stderr


def test_module_is_formatted(terraform_bin):
    result = terraform("fmt", "-check", "-recursive", "-diff", cwd=MODULE_DIR)
    assert result.returncode == 0, result.stdout


# --- static checks of the HCL (no plan, no credentials) ------------------------------------


def _unquote(value) -> str:
    """python-hcl2 keeps the quotes of literals and block labels in some versions."""
    return str(value).strip('"')


def hcl_blocks(path: Path, kind: str) -> dict[tuple[str, ...], dict]:
    """Blocks of one kind (resource, module, variable) in a file, by unquoted labels."""
    hcl2 = pytest.importorskip("hcl2")  # comes with terraform-local (requirements-dev.txt)
    with path.open() as handle:
        parsed = hcl2.load(handle)
    found = {}
    for entry in parsed.get(kind, []):
        for label, body in entry.items():
            if kind == "resource":
                for name, inner in body.items():
                    found[(_unquote(label), _unquote(name))] = inner
            else:
                found[(_unquote(label),)] = body
    return found


@pytest.fixture(scope="module")
def module_resources() -> dict[tuple[str, ...], dict]:
    return hcl_blocks(MODULE_DIR / "main.tf", "resource")


def test_task_role_carries_the_training_worker_policy(module_resources):
    # Given the module's task definition and the attachments to its roles
    task = module_resources[("aws_ecs_task_definition", "this")]
    attachments = {
        key: body
        for key, body in module_resources.items()
        if key[0] in ("aws_iam_role_policy_attachment", "aws_iam_role_policy")
    }
    # Then the task role is the module's task role, and it gets exactly the passed-in policy
    assert _unquote(task["task_role_arn"]) == "${aws_iam_role.task.arn}"
    on_task_role = [b for b in attachments.values() if "aws_iam_role.task." in _unquote(b["role"])]
    assert [_unquote(b.get("policy_arn")) for b in on_task_role] == [
        "${var.training_worker_policy_arn}"
    ], "the task role must carry the worker policy, and nothing else"


def test_root_passes_the_existing_worker_policy():
    # Given the root module's call of the trainer module
    call = hcl_blocks(TERRAFORM_DIR / "trainer_ecs.tf", "module")[("trainer_ecs",)]
    # Then it is off unless trainer_on_ecs, and reuses iam.tf's policy and the log retention
    assert _unquote(call["count"]) == "${var.trainer_on_ecs ? 1 : 0}"
    assert _unquote(call["training_worker_policy_arn"]) == "${aws_iam_policy.training_worker.arn}"
    assert _unquote(call["log_retention_days"]) == "${var.log_retention_days}"
    switch = hcl_blocks(REPO / "terraform" / "variables.tf", "variable")
    assert (
        switch[("trainer_on_ecs",)]["default"] is False
    ), "ECS is not in LocalStack: off by default"


def test_worker_logs_go_to_a_log_group_with_retention(module_resources):
    group = module_resources[("aws_cloudwatch_log_group", "this")]
    task = module_resources[("aws_ecs_task_definition", "this")]
    assert _unquote(group["retention_in_days"]) == "${var.log_retention_days}"
    containers = str(task["container_definitions"])
    assert "awslogs" in containers and "aws_cloudwatch_log_group.this.name" in containers


def test_waiting_jobs_start_max_count_workers_and_idleness_stops_all():
    scaling = hcl_blocks(MODULE_DIR / "scaling.tf", "resource")
    policy = scaling[("aws_appautoscaling_policy", "this")]
    (config,) = policy["step_scaling_policy_configuration"]
    assert _unquote(config["adjustment_type"]) == "ExactCapacity"
    assert "start = var.max_count, stop = 0" in _unquote(policy["for_each"])
    waiting = scaling[("aws_cloudwatch_metric_alarm", "jobs_waiting")]
    idle = scaling[("aws_cloudwatch_metric_alarm", "idle")]
    assert 'this["start"]' in str(waiting["alarm_actions"])
    assert 'this["stop"]' in str(idle["alarm_actions"])


# --- a plan of the module alone, against a mocked provider ---------------------------------

MOCK_TEST = """
mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
}

variables {
  name                       = "mushroom-trainer"
  image_uri                  = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mushroom-trainer:v1"
  training_queue_url         = "https://sqs.us-east-1.amazonaws.com/123456789012/mushroom-jobs"
  alerts_topic_arn           = "arn:aws:sns:us-east-1:123456789012:mushroom-alerts"
  data_bucket_name           = "mushroom-data-123456789012-us-east-1"
  champion_parameter_name    = "/mushroom/champion"
  mlflow_tracking_uri        = "https://mlflow.example.internal"
  training_worker_policy_arn = "arn:aws:iam::123456789012:policy/mushroom-training-worker"
  subnet_ids                 = ["subnet-0123456789abcdef0"]
  security_group_ids         = ["sg-0123456789abcdef0"]
}

run "worker_task" {
  command = plan

  assert {
    condition     = aws_iam_role_policy_attachment.task.policy_arn == var.training_worker_policy_arn
    error_message = "The task role must carry the training worker policy."
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 14
    error_message = "The log group must keep logs for log_retention_days."
  }
  assert {
    condition = (
      aws_ecs_task_definition.this.cpu == "2048" && aws_ecs_task_definition.this.memory == "4096"
    )
    error_message = "Default size: 2 vCPU, 4 GB."
  }
  assert {
    condition = toset([
      for e in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment :
      e.name
      ]) == toset([
      "TRAINING_QUEUE_URL", "ALERTS_TOPIC_ARN", "DATA_BUCKET", "CHAMPION_PARAMETER",
      "MLFLOW_TRACKING_URI", "AWS_REGION", "AWS_DEFAULT_REGION",
      "TRAINING_VISIBILITY_SECONDS", "TRAINING_MAX_RECEIVE_COUNT", "SHADOW_PERIOD_SECONDS",
    ])
    error_message = "The worker's settings (adapters/config.py WorkerSettings) must all be set."
  }
  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].image == var.image_uri
    )
    error_message = "The task runs image_uri."
  }
  assert {
    condition = jsonencode(local.pull_repository_arns) == jsonencode([
      "arn:aws:ecr:us-east-1:123456789012:repository/mushroom-trainer",
    ])
    error_message = "The execution role pulls from the image's repository only."
  }
  assert {
    condition     = aws_ecs_service.this.desired_count == 0 && length(aws_ecr_repository.this) == 0
    error_message = "No worker until a job waits, no repository unless asked."
  }
  assert {
    condition = (
      aws_appautoscaling_target.this[0].min_capacity == 0
      && aws_appautoscaling_target.this[0].max_capacity == 1
    )
    error_message = "The service scales between zero and one worker."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.jobs_waiting[0].dimensions.QueueName == "mushroom-jobs"
      && aws_cloudwatch_metric_alarm.jobs_waiting[0].threshold == 0
      && aws_cloudwatch_metric_alarm.jobs_waiting[0].comparison_operator == "GreaterThanThreshold"
    )
    error_message = "A waiting job in the training queue starts the worker."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.idle[0].evaluation_periods == 10
      && aws_cloudwatch_metric_alarm.idle[0].treat_missing_data == "breaching"
      && toset([for q in aws_cloudwatch_metric_alarm.idle[0].metric_query :
        q.metric[0].metric_name if length(q.metric) > 0]) == toset([
        "ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible",
      ])
    )
    error_message = "The worker stops after 10 idle minutes, counting in-flight jobs as work."
  }
}

run "fixed_count_without_scaling" {
  command = plan

  variables {
    scale_on_queue_depth = false
    desired_count        = 1
  }

  assert {
    condition = (
      aws_ecs_service.this.desired_count == 1 && length(aws_appautoscaling_target.this) == 0
      && length(aws_cloudwatch_metric_alarm.idle) == 0
    )
    error_message = "Without scaling the service keeps its fixed count and no alarm is made."
  }
}

run "created_repository" {
  command = plan

  variables {
    image_uri             = null
    create_ecr_repository = true
    desired_count         = 0
  }

  assert {
    condition     = length(aws_ecr_repository.this) == 1 && aws_ecs_service.this.desired_count == 0
    error_message = "A repository is created and the service may scale to zero."
  }
}

run "no_image_is_refused" {
  command = plan

  variables {
    image_uri = null
  }

  expect_failures = [aws_ecs_task_definition.this]
}

run "invalid_fargate_size_is_refused" {
  command = plan

  variables {
    memory = 3000
  }

  expect_failures = [aws_ecs_task_definition.this]
}
"""


def test_module_plans_against_a_mocked_provider(terraform_bin, tmp_path):
    # Given the module alone with a `terraform test` file of mocked AWS (no credentials)
    # When planning it with the worker's inputs
    result = terraform_test(module_copy(MODULE_DIR, tmp_path), MOCK_TEST, tmp_path)
    # Then the task, roles, logs, scaling and guards are as intended
    assert result.returncode == 0, result.stdout + result.stderr
