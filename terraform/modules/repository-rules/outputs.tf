output "protected_branches" {
  description = "Each environment branch with the status checks it requires."
  value = {
    for branch, ruleset in github_repository_ruleset.environment :
    branch => toset([for check in ruleset.rules[0].required_status_checks[0].required_check : check.context])
  }
}

output "releases_branch" {
  description = "The branch only CI writes: each environment's release."
  value       = var.releases_branch
}
