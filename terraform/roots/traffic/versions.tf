terraform {
  required_version = ">= 1.11"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 8.0, < 9.0"
    }
  }
  # Global, shared by the platforms of every region: its own state.
  # `terraform init -backend-config=bucket=<state bucket> -backend-config=prefix=traffic`
  backend "gcs" {}
}

provider "google" {
  project = var.project_id
}
