# The MLflow tracking server on ECS Fargate with an RDS PostgreSQL backend store: private,
# reachable from the trainer's security groups and the operators' networks only, at a private
# DNS name (Cloud Map). Clients write artifacts straight to the artifact bucket, as locally.
# The server runs from the trainer image (python -m training.tracking_server).

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id     = data.aws_caller_identity.current.account_id
  partition      = data.aws_partition.current.partition
  region         = data.aws_region.current.name
  container_name = "mlflow"
  tracking_uri   = "http://${local.container_name}.${var.namespace}:${var.port}"
}

# --- network -------------------------------------------------------------------------------

resource "aws_security_group" "server" {
  name        = "${var.name}-server"
  description = "MLflow tracking server: the trainer and operators in, HTTPS out."
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "from_clients" {
  for_each = toset(var.client_security_group_ids)

  security_group_id            = aws_security_group.server.id
  description                  = "MLflow clients (the training worker)"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
}

resource "aws_vpc_security_group_ingress_rule" "from_operators" {
  for_each = toset(var.operator_cidr_blocks)

  security_group_id = aws_security_group.server.id
  description       = "Operators (VPN or bastion network)"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = var.port
  to_port           = var.port
}

resource "aws_vpc_security_group_egress_rule" "server_out" {
  security_group_id = aws_security_group.server.id
  description       = "AWS APIs, the image registry and the database"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

resource "aws_security_group" "database" {
  name        = "${var.name}-database"
  description = "MLflow backend store: the tracking server only."
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "database_from_server" {
  security_group_id            = aws_security_group.database.id
  description                  = "The MLflow tracking server"
  referenced_security_group_id = aws_security_group.server.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

# --- backend store -------------------------------------------------------------------------

resource "aws_db_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
}

resource "aws_db_instance" "this" {
  # checkov:skip=CKV_AWS_157: one zone: an outage pauses training (jobs wait in SQS), serving does not use MLflow; Multi-AZ doubles the cost
  # checkov:skip=CKV_AWS_161: MLflow connects with SQLAlchemy and a password from the RDS-managed secret; IAM tokens expire every 15 minutes
  # checkov:skip=CKV_AWS_118: enhanced monitoring needs its own role and costs; CloudWatch's standard RDS metrics suffice for one tracking server
  # checkov:skip=CKV_AWS_353: Performance Insights is not offered on the smallest classes; MLflow's load is a few queries per training run
  # checkov:skip=CKV2_AWS_30: statement logging would log MLflow's every query; the server logs its requests to its log group
  identifier     = var.name
  engine         = "postgres"
  engine_version = var.postgres_version
  instance_class = var.db_instance_class
  db_name        = "mlflow"
  username       = "mlflow"
  # RDS keeps the password in Secrets Manager and rotates it; ECS injects it into the task.
  manage_master_user_password = true

  allocated_storage     = var.db_storage_gb
  max_allocated_storage = var.db_storage_gb * 5
  storage_type          = "gp3"
  storage_encrypted     = true

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.database.id]
  publicly_accessible    = false
  multi_az               = false

  auto_minor_version_upgrade      = true
  enabled_cloudwatch_logs_exports = ["postgresql"]

  backup_retention_period   = var.backup_retention_days
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = !var.deletion_protection
  final_snapshot_identifier = var.deletion_protection ? "${var.name}-final" : null
  copy_tags_to_snapshot     = true
}

# --- logs and roles ------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  description        = "ECS task execution role of ${var.name}: pull the image, write logs, read the database password."
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid       = "ReadDatabasePassword"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_db_instance.this.master_user_secret[0].secret_arn]
  }

  statement {
    sid       = "PullImage"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = ["arn:${local.partition}:ecr:${local.region}:${local.account_id}:repository/*"]
  }

  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # GetAuthorizationToken has no resource-level permissions
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "${var.name}-execution"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# The server itself reads the artifact bucket (the UI lists a run's artifacts); clients write.
resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  description        = "ECS task role of ${var.name}: read the MLflow artifact bucket."
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "task" {
  statement {
    sid       = "ReadArtifacts"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = [var.artifact_bucket_arn, "${var.artifact_bucket_arn}/*"]
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "${var.name}-task"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

# --- service at a private DNS name ---------------------------------------------------------

resource "aws_service_discovery_private_dns_namespace" "this" {
  name        = var.namespace
  description = "Private names of the MLOps services (MLflow)."
  vpc         = var.vpc_id
}

resource "aws_service_discovery_service" "this" {
  name = local.container_name

  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.this.id
    routing_policy = "MULTIVALUE"

    dns_records {
      type = "A"
      ttl  = 10
    }
  }

  health_check_custom_config {
    failure_threshold = 1
  }
}

resource "aws_ecs_cluster" "this" {
  name = var.name
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  container_definitions = jsonencode([{
    name         = local.container_name
    image        = var.image_uri
    essential    = true
    command      = ["python", "-m", "training.tracking_server"]
    portMappings = [{ containerPort = var.port, protocol = "tcp" }]
    environment = [
      { name = "MLFLOW_DB_HOST", value = aws_db_instance.this.address },
      { name = "MLFLOW_DB_PORT", value = tostring(aws_db_instance.this.port) },
      { name = "MLFLOW_DB_NAME", value = aws_db_instance.this.db_name },
      { name = "MLFLOW_ARTIFACT_ROOT", value = "s3://${var.artifact_bucket_name}" },
      { name = "MLFLOW_PORT", value = tostring(var.port) },
      { name = "AWS_REGION", value = local.region },
      { name = "AWS_DEFAULT_REGION", value = local.region },
    ]
    # RDS's managed secret is {"username": …, "password": …}; each key becomes a variable.
    secrets = [
      { name = "MLFLOW_DB_USER", valueFrom = "${aws_db_instance.this.master_user_secret[0].secret_arn}:username::" },
      { name = "MLFLOW_DB_PASSWORD", valueFrom = "${aws_db_instance.this.master_user_secret[0].secret_arn}:password::" },
    ]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = local.region
        awslogs-stream-prefix = local.container_name
      }
    }
  }])
}

resource "aws_ecs_service" "this" {
  name            = var.name
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.this.arn
  desired_count   = 1
  launch_type     = "FARGATE"

  # One server at a time on the database (schema migrations run at start).
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.server.id]
    assign_public_ip = var.assign_public_ip
  }

  service_registries {
    registry_arn = aws_service_discovery_service.this.arn
  }

  depends_on = [aws_iam_role_policy.execution, aws_iam_role_policy.task]
}
