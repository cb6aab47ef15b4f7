terraform {
  required_version = ">= 1.11"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 8.0, < 9.0"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 3.0, < 4.0"
    }
    helm = {
      source  = "hashicorp/helm"
      version = ">= 1.3.2, < 3.0"
    }
  }
  # `terraform init -backend-config=bucket=<state bucket> -backend-config=prefix=cluster/<region>`
  backend "gcs" {}
}

provider "google" {
  project = local.platform.project_id
  region  = local.platform.region
}

# A short-lived access token of whoever runs Terraform; it authorises them at the
# cluster's DNS endpoint (IAM), and as an ephemeral value it never reaches the state.
ephemeral "google_client_config" "current" {}

provider "kubernetes" {
  host  = "https://${local.platform.cluster.dns_endpoint}"
  token = ephemeral.google_client_config.current.access_token
}

provider "helm" {
  kubernetes {
    host  = "https://${local.platform.cluster.dns_endpoint}"
    token = ephemeral.google_client_config.current.access_token
  }
}
