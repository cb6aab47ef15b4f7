terraform {
  required_version = ">= 1.11"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 8.0, < 9.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.7, < 4.0"
    }
  }
  # State lives in a multi-region bucket created once by hand (see the Infrastructure
  # section of the README): `terraform init -backend-config=bucket=<state bucket>
  # -backend-config=prefix=platform/<region>`.
  backend "gcs" {}
}

provider "google" {
  project        = var.project_id
  region         = var.region
  default_labels = local.labels
}
