# Repository rules as code: the dev, test and prod branches exist and only take approved
# pull requests that passed their required checks (promotion-guard on test and prod); only
# CI writes the releases branch.
module "rules" {
  source             = "../../modules/repository-rules"
  repository         = var.repository
  required_approvals = var.required_approvals
}
