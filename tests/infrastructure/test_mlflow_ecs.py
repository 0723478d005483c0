"""The MLflow tracking server on ECS + RDS PostgreSQL (terraform/modules/mlflow_ecs).

LocalStack's free edition has neither ECS nor RDS, so a plan of the module against a mocked
provider (`terraform test`) checks it offline; the server program itself runs on a real
PostgreSQL in tests/integration/test_mlflow_postgres.py.
"""

from __future__ import annotations

from tests.infrastructure.conftest import (
    TERRAFORM_DIR,
    module_copy,
    terraform,
    terraform_test,
)
from tests.infrastructure.test_trainer_ecs import hcl_blocks

MODULE_DIR = TERRAFORM_DIR / "modules" / "mlflow_ecs"

MOCK_TEST = """
mock_provider "aws" {
  override_during = plan

  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_resource "aws_security_group" {
    defaults = { id = "sg-0mlflowserver" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/mushroom-mlflow" }
  }
  mock_resource "aws_service_discovery_service" {
    defaults = { arn = "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1" }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = { arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/mushroom-mlflow:1" }
  }
  mock_resource "aws_db_instance" {
    defaults = {
      address = "mushroom-mlflow.abc.us-east-1.rds.amazonaws.com"
      port    = 5432
      master_user_secret = [{
        secret_arn    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1"
        kms_key_id    = "k"
        secret_status = "active"
      }]
    }
  }
}

variables {
  name                      = "mushroom-mlflow"
  image_uri                 = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mushroom-trainer:v1"
  artifact_bucket_name      = "mushroom-mlflow-artifacts"
  artifact_bucket_arn       = "arn:aws:s3:::mushroom-mlflow-artifacts"
  vpc_id                    = "vpc-0123456789abcdef0"
  subnet_ids                = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  client_security_group_ids = ["sg-0trainer"]
  operator_cidr_blocks      = ["10.8.0.0/16"]
}

run "server_on_postgres" {
  command = plan

  assert {
    condition     = output.tracking_uri == "http://mlflow.mushroom.internal:5000"
    error_message = "The trainer reaches the server at its private DNS name."
  }
  assert {
    condition = (
      aws_db_instance.this.engine == "postgres" && !aws_db_instance.this.publicly_accessible
      && aws_db_instance.this.storage_encrypted && aws_db_instance.this.manage_master_user_password
    )
    error_message = "The backend store is a private, encrypted PostgreSQL with a managed password."
  }
  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.database_from_server.referenced_security_group_id
      == aws_security_group.server.id
      && aws_vpc_security_group_ingress_rule.database_from_server.from_port == 5432
    )
    error_message = "Only the tracking server reaches the database."
  }
  assert {
    condition = (
      [for r in aws_vpc_security_group_ingress_rule.from_clients : r.referenced_security_group_id]
      == ["sg-0trainer"]
      && [for r in aws_vpc_security_group_ingress_rule.from_operators : r.cidr_ipv4]
      == ["10.8.0.0/16"]
    )
    error_message = "The server admits the trainer's security group and the operators' network."
  }
  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].command
      == ["python", "-m", "training.tracking_server"]
    )
    error_message = "The server runs from the training image."
  }
  assert {
    condition = toset([
      for s in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].secrets : s.name
    ]) == toset(["MLFLOW_DB_USER", "MLFLOW_DB_PASSWORD"])
    error_message = "The database credentials come from the RDS-managed secret, not plain text."
  }
  assert {
    condition = !contains([
      for e in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment :
      e.name
    ], "MLFLOW_DB_PASSWORD")
    error_message = "No password in the task definition's environment."
  }
}

run "one_subnet_is_refused" {
  command = plan

  variables {
    subnet_ids = ["subnet-0123456789abcdef0"]
  }

  expect_failures = [var.subnet_ids]
}
"""


def test_module_plans_against_a_mocked_provider(terraform_bin, tmp_path):
    # Given the module alone with a `terraform test` file of mocked AWS (no credentials)
    # When planning it
    result = terraform_test(module_copy(MODULE_DIR, tmp_path), MOCK_TEST, tmp_path)
    # Then the server, database, network rules and secrets are as intended
    assert result.returncode == 0, result.stdout + result.stderr


def test_module_is_formatted(terraform_bin):
    result = terraform("fmt", "-check", "-recursive", "-diff", cwd=MODULE_DIR)
    assert result.returncode == 0, result.stdout


def test_root_turns_mlflow_on_only_when_asked_and_hands_its_uri_to_the_trainer():
    call = hcl_blocks(TERRAFORM_DIR / "mlflow_ecs.tf", "module")[("mlflow_ecs",)]
    assert str(call["count"]).strip('"') == "${var.mlflow_on_ecs ? 1 : 0}"
    switch = hcl_blocks(TERRAFORM_DIR / "variables.tf", "variable")
    assert switch[("mlflow_on_ecs",)]["default"] is False, "local default: sqlite MLflow"
    trainer = hcl_blocks(TERRAFORM_DIR / "trainer_ecs.tf", "module")[("trainer_ecs",)]
    assert "module.mlflow_ecs[*].tracking_uri" in str(trainer["mlflow_tracking_uri"])
