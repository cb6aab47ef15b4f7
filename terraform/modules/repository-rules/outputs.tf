output "protected_branches" {
  description = "Each protected branch with the status checks it requires."
  value       = { for branch, rule in github_branch_protection.environment : branch => rule.required_status_checks[0].contexts }
}
