output "argocd_namespace" {
  description = "Namespace of Argo CD."
  value       = helm_release.argocd.namespace
}

output "repository_url" {
  description = "Git repository the Argo CD Applications read."
  value       = var.repository_url
}

output "bootstrap_release" {
  description = "namespace/name of the Helm release of config/argocd/bootstrap (namespaces, platform project, root Application)."
  value       = "${helm_release.bootstrap.namespace}/${helm_release.bootstrap.name}"
}

output "database_secrets" {
  description = "namespace/name of the database Secret of each environment."
  value       = { for environment, secret in kubernetes_secret_v1.database : environment => "${secret.metadata[0].namespace}/${secret.metadata[0].name}" }
}

output "web" {
  description = "The Gateway (namespace/name), the address it listens on and the routed host of each environment."
  value = {
    gateway      = "${local.web_namespace}/notejam"
    address_name = var.web.address_name
    hosts        = var.web.hosts
  }
}

output "alertmanager_receivers_secret" {
  description = "namespace/name of the Secret holding Alertmanager's webhook URLs."
  value       = "${kubernetes_secret_v1.alertmanager_receivers.metadata[0].namespace}/${kubernetes_secret_v1.alertmanager_receivers.metadata[0].name}"
}
