output "protected_branches" {
  description = "Each protected branch with the status checks it requires."
  value       = module.rules.protected_branches
}
