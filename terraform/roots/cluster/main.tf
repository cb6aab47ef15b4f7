# Bootstraps the cluster the platform root created: Argo CD, the bootstrap of
# config/argocd/bootstrap (namespaces, platform project, the root Application that deploys
# the rest from git) and database Secrets for test and prod. A separate root because the
# Kubernetes and Helm providers can only be configured once the cluster exists.

data "terraform_remote_state" "platform" {
  backend = "gcs"
  config = {
    bucket = var.state_bucket
    prefix = var.platform_state_prefix
  }
}

locals {
  platform = data.terraform_remote_state.platform.outputs
}

# The connections and the current users' passwords as the platform root stored them;
# ephemeral, so they never reach this root's state.
ephemeral "google_secret_manager_secret_version" "database" {
  for_each = local.platform.databases
  project  = local.platform.project_id
  secret   = each.value.secret_name
  version  = each.value.secret_version
}

ephemeral "google_secret_manager_secret_version" "database_password" {
  for_each = local.platform.databases
  project  = local.platform.project_id
  secret   = each.value.password_secret_name
  version  = each.value.password_secret_version
}

module "bootstrap" {
  source                   = "../../modules/cluster-bootstrap"
  database_secret_versions = { for environment, database in local.platform.databases : environment => database.secret_version }
  database_credentials = {
    for environment, secret in ephemeral.google_secret_manager_secret_version.database :
    environment => merge(jsondecode(secret.secret_data), {
      password = ephemeral.google_secret_manager_secret_version.database_password[environment].secret_data
    })
  }
  argocd_config_dir       = "${path.root}/../../../config/argocd"
  repository_url          = var.repository_url
  releases_repository_url = var.releases_repository_url
  platform_values         = var.platform_values
  argocd_chart_repository = var.argocd_chart_repository
  argocd_chart_version    = var.argocd_chart_version
  web = {
    address_name    = local.platform.web.address_name
    hosts           = var.web_hosts
    certificate_map = var.certificate_map
  }
  alertmanager_webhooks          = var.alertmanager_webhooks
  alertmanager_webhooks_revision = var.alertmanager_webhooks_revision
}
