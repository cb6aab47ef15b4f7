output "argocd_objects" {
  description = "Argo CD objects applied from config/argocd."
  value       = module.bootstrap.argocd_objects
}

output "repository_url" {
  description = "Git repository Argo CD deploys from."
  value       = module.bootstrap.repository_url
}

output "database_secrets" {
  description = "namespace/name of the database Secret of each environment."
  value       = module.bootstrap.database_secrets
}
