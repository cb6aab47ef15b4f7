terraform {
  required_version = ">= 1.11"
  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 3.0, < 4.0"
    }
    # Written against the schema shared by 1.3 and 2.x (3.x turned the nested blocks into
    # attributes).
    helm = {
      source  = "hashicorp/helm"
      version = ">= 1.3.2, < 3.0"
    }
  }
}
