# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/integrations/github" {
  version     = "6.6.0"
  constraints = ">= 6.6.0, < 7.0.0"
  hashes = [
    "h1:Zqh2ZHW4qkTEv1L1Sib3Z5I8uobrnPBl/m8R7pM9po4=",
  ]
}
