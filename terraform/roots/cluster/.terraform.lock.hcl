# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/google" {
  version     = "8.0.0"
  constraints = ">= 8.0.0, < 9.0.0"
  hashes = [
    "h1:gNLV+Z1tLQMtieFt+H2kfSFm75lWd1B+7jJZ2F7rcks=",
  ]
}

provider "registry.terraform.io/hashicorp/helm" {
  version     = "1.3.2"
  constraints = ">= 1.3.2, < 3.0.0"
  hashes = [
    "h1:WSK7jw4pien910I1iO6MariZuKK13nBzfM7Pr4trWeg=",
  ]
}

provider "registry.terraform.io/hashicorp/kubernetes" {
  version     = "3.2.1"
  constraints = ">= 3.0.0, < 4.0.0"
  hashes = [
    "h1:Dfz3ucqB2tx6tAeyDzinB6Y1qAHc+o/O9kzwx8HzsD4=",
  ]
}
