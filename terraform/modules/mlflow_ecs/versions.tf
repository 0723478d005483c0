terraform {
  required_version = ">= 1.5"

  # The provider configuration (region, credentials) comes from the calling module.
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}
