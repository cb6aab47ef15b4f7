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

module "bootstrap" {
  source     = "../../modules/cluster-bootstrap"
  project_id = local.platform.project_id
  database_connections = {
    for environment, database in local.platform.databases : environment => {
      secret_name    = database.secret_name
      secret_version = database.secret_version
    }
  }
  argocd_config_dir       = "${path.root}/../../../config/argocd"
  argocd_chart_repository = var.argocd_chart_repository
  argocd_chart_version    = var.argocd_chart_version
}
