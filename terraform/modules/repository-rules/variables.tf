variable "repository" {
  description = "Name of the existing GitHub repository (without the owner; the provider's owner is used)."
  type        = string
}

variable "source_branch" {
  description = "Branch the environment branches are created from when they do not exist yet."
  type        = string
  default     = "main"
}

variable "environment_branches" {
  description = <<-EOT
    The promotion path dev -> test -> prod. Per branch: the status checks a pull request
    must pass, each reported by GitHub Actions (ci_integration_id). `promotion-guard`
    (workflow .github/workflows/promotion-guard.yml) fails a pull request into test whose
    head is not dev, and one into prod whose head is not test; `make-test` is the test
    suite (.github/workflows/test.yml).
  EOT
  type = map(object({
    required_checks = list(string)
  }))
  default = {
    dev  = { required_checks = ["make-test"] }
    test = { required_checks = ["make-test", "promotion-guard"] }
    prod = { required_checks = ["make-test", "promotion-guard"] }
  }
  validation {
    condition     = alltrue([for branch in ["test", "prod"] : contains(try(var.environment_branches[branch].required_checks, []), "promotion-guard")])
    error_message = "test and prod must require the promotion-guard check: it is what keeps prod fed only from test and test only from dev."
  }
}

variable "required_approvals" {
  description = "Approving reviews a pull request needs before it can be merged."
  type        = number
  default     = 1
  validation {
    condition     = var.required_approvals >= 0 && var.required_approvals <= 6
    error_message = "required_approvals must be between 0 and 6 (GitHub's limit)."
  }
}

variable "ci_integration_id" {
  description = "ID of the GitHub App that runs CI and must report the required checks: GitHub Actions' (15368). It is also the only actor that may write the releases branch."
  type        = number
  default     = 15368
}

variable "releases_branch" {
  description = "The branch hack/gitops/pipeline.sh records each environment's release on (Argo CD reads it; config/argocd/bootstrap)."
  type        = string
  default     = "releases"
  validation {
    condition     = !contains(["dev", "test", "prod"], var.releases_branch)
    error_message = "releases_branch must not be an environment branch: only CI writes it."
  }
}
