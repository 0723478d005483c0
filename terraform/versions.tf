terraform {
  required_version = ">= 1.5"

  # State stays out of the repository: scripts/deploy.sh passes -backend-config=path=<.state/…>.
  backend "local" {}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

# No endpoints here: locally, scripts/deploy.sh runs `tflocal`, which points the provider at
# LocalStack through a generated (git-ignored) localstack_providers_override.tf.
# No default_tags: LocalStack does not return tags for every resource type (alarms), which
# would show as drift on every plan.
provider "aws" {
  region = var.region
}
