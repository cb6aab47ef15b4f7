# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/google" {
  version     = "8.0.0"
  constraints = ">= 8.0.0, < 9.0.0"
  hashes = [
    "h1:gNLV+Z1tLQMtieFt+H2kfSFm75lWd1B+7jJZ2F7rcks=",
  ]
}
