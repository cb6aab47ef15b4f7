# Bootstraps the cluster the platform root created: database Secrets for test and prod,
# Argo CD, and the Argo CD objects of config/argocd. A separate root because the
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

# The connections as the platform root stored them; ephemeral, so they never reach this
# root's state.
ephemeral "google_secret_manager_secret_version" "database" {
  for_each = local.platform.databases
  project  = local.platform.project_id
  secret   = each.value.secret_name
  version  = each.value.secret_version
}

module "bootstrap" {
  source                   = "../../modules/cluster-bootstrap"
  database_secret_versions = { for environment, database in local.platform.databases : environment => database.secret_version }
  database_credentials = {
    for environment, secret in ephemeral.google_secret_manager_secret_version.database :
    environment => jsondecode(secret.secret_data)
  }
  argocd_config_dir       = "${path.root}/../../../config/argocd"
  argocd_chart_repository = var.argocd_chart_repository
  argocd_chart_version    = var.argocd_chart_version
}
