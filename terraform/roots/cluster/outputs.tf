output "bootstrap_release" {
  description = "The Helm release of config/argocd/bootstrap (namespaces, platform project, root Application)."
  value       = module.bootstrap.bootstrap_release
}

output "repository_url" {
  description = "Git repository Argo CD deploys from."
  value       = module.bootstrap.repository_url
}

output "database_secrets" {
  description = "namespace/name of the database Secret of each environment."
  value       = module.bootstrap.database_secrets
}
