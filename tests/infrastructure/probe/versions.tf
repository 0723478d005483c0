# Test-only stack: one probe function behind every event path the system uses.
# Applied and destroyed by tests/infrastructure/conftest.py (state under .state/terraform/).
terraform {
  required_version = ">= 1.5"

  backend "local" {}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = var.region
}
