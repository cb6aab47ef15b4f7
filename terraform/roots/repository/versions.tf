terraform {
  required_version = ">= 1.11"
  required_providers {
    github = {
      source  = "integrations/github"
      version = ">= 6.6, < 7.0"
    }
  }
  # `terraform init -backend-config=bucket=<state bucket> -backend-config=prefix=repository`
  backend "gcs" {}
}

# Authenticates with the GITHUB_TOKEN environment variable (a token that may administer
# the repository).
provider "github" {
  owner = var.owner
}
