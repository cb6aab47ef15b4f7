terraform {
  required_version = ">= 1.11"
  required_providers {
    github = {
      source  = "integrations/github"
      version = ">= 6.6, < 7.0"
    }
  }
}
