output "argocd_namespace" {
  description = "Namespace of Argo CD."
  value       = helm_release.argocd.namespace
}

output "repository_url" {
  description = "Git repository the Argo CD Applications read (from config/argocd/repository.properties)."
  value       = local.repository_url
}

output "argocd_objects" {
  description = "Kind/name of every Argo CD object applied from config/argocd."
  value       = [for object in local.argocd_objects : "${object.kind}/${object.metadata.name}"]
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
