# The training worker as an ECS Fargate service: it long-polls the training-jobs queue, trains,
# registers in MLflow and promotes (training/worker.py). One cluster, one task definition, one
# service; the task role carries the root module's training worker policy, unchanged.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  container_name = "worker"
  image          = var.image_uri != null ? var.image_uri : try("${aws_ecr_repository.this[0].repository_url}:${var.image_tag}", null)

  # The ECR repository the execution role may pull from: the created one, or the one named in
  # image_uri (<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]); none for
  # images outside ECR.
  image_ecr = var.image_uri == null ? null : try(regex("^([0-9]{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?/([^:@]+)", var.image_uri), null)
  pull_repository_arns = (
    var.image_uri == null ? aws_ecr_repository.this[*].arn
    : local.image_ecr == null ? []
    : ["arn:${local.partition}:ecr:${local.image_ecr[1]}:${local.image_ecr[0]}:repository/${local.image_ecr[2]}"]
  )

  # The worker's settings (adapters/config.py WorkerSettings); extra_environment may add or override.
  environment = merge(
    {
      TRAINING_QUEUE_URL          = var.training_queue_url
      ALERTS_TOPIC_ARN            = var.alerts_topic_arn
      DATA_BUCKET                 = var.data_bucket_name
      CHAMPION_PARAMETER          = var.champion_parameter_name
      MLFLOW_TRACKING_URI         = var.mlflow_tracking_uri
      AWS_REGION                  = local.region
      AWS_DEFAULT_REGION          = local.region
      TRAINING_VISIBILITY_SECONDS = tostring(var.visibility_seconds)
      TRAINING_MAX_RECEIVE_COUNT  = tostring(var.max_receive_count)
      SHADOW_PERIOD_SECONDS       = tostring(var.shadow_period_seconds)
    },
    var.extra_environment,
  )

  # Valid Fargate memory (MiB) for each CPU size.
  fargate_memory = {
    "256"   = [512, 1024, 2048]
    "512"   = range(1024, 4097, 1024)
    "1024"  = range(2048, 8193, 1024)
    "2048"  = range(4096, 16385, 1024)
    "4096"  = range(8192, 30721, 1024)
    "8192"  = range(16384, 61441, 4096)
    "16384" = range(32768, 122881, 8192)
  }
}

# --- image repository (optional) -----------------------------------------------------------

resource "aws_ecr_repository" "this" {
  count = var.create_ecr_repository ? 1 : 0

  name                 = var.name
  image_tag_mutability = "MUTABLE" # image_tag defaults to a moving "latest"

  image_scanning_configuration {
    scan_on_push = true
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  count = var.create_ecr_repository ? 1 : 0

  repository = aws_ecr_repository.this[0].name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the newest ${var.ecr_keep_images} images."
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = var.ecr_keep_images }
      action       = { type = "expire" }
    }]
  })
}

# --- logs ----------------------------------------------------------------------------------

# Created here (not by the awslogs driver) so retention applies and the execution role needs
# no logs:CreateLogGroup.
resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
}

# --- roles -----------------------------------------------------------------------------------

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    # Only tasks of this account (confused-deputy guard).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# Execution role: what ECS itself needs to start the task (pull the image, ship the logs).
resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  description        = "ECS task execution role of ${var.name}: pull the training image, write its log group."
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  dynamic "statement" {
    for_each = length(local.pull_repository_arns) > 0 ? [1] : []

    content {
      sid       = "PullTrainingImage"
      actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
      resources = local.pull_repository_arns
    }
  }

  dynamic "statement" {
    for_each = length(local.pull_repository_arns) > 0 ? [1] : []

    content {
      sid       = "EcrLogin"
      actions   = ["ecr:GetAuthorizationToken"]
      resources = ["*"] # GetAuthorizationToken has no resource-level permissions
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "${var.name}-execution"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# Task role: what the worker's code may do, i.e. exactly the training worker policy.
resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  description        = "ECS task role of ${var.name}: the training worker policy."
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "task" {
  role       = aws_iam_role.task.name
  policy_arn = var.training_worker_policy_arn
}

# --- cluster, task, service ------------------------------------------------------------------

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = var.container_insights ? "enabled" : "disabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = var.use_fargate_spot ? "FARGATE_SPOT" : "FARGATE"
    weight            = 1
  }
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = jsonencode([{
    name        = local.container_name
    image       = local.image
    essential   = true
    stopTimeout = var.stop_timeout_seconds
    environment = [for key in sort(keys(local.environment)) : { name = key, value = local.environment[key] }]

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = local.region
        awslogs-stream-prefix = local.container_name
      }
    }
  }])

  lifecycle {
    precondition {
      condition     = local.image != null
      error_message = "Set image_uri, or create_ecr_repository = true to run the image_tag of the created repository."
    }

    precondition {
      condition     = contains(lookup(local.fargate_memory, tostring(var.cpu), []), var.memory)
      error_message = "memory ${var.memory} MiB is not a Fargate size for cpu ${var.cpu} (2048 CPU: 4096-16384 in 1024 steps)."
    }
  }
}

resource "aws_ecs_service" "this" {
  name            = var.name
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.this.arn
  desired_count   = var.desired_count

  capacity_provider_strategy {
    capacity_provider = var.use_fargate_spot ? "FARGATE_SPOT" : "FARGATE"
    weight            = 1
  }

  # A deployment stops the old worker before starting the new one: never two trainers more
  # than desired_count (an interrupted job is redelivered by SQS).
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = var.assign_public_ip
  }

  # With scale_on_queue_depth, Application Auto Scaling owns the count after creation.
  lifecycle {
    ignore_changes = [desired_count]
  }

  # Permissions in place before the first task starts.
  depends_on = [
    aws_ecs_cluster_capacity_providers.this,
    aws_iam_role_policy.execution,
    aws_iam_role_policy_attachment.task,
  ]
}
