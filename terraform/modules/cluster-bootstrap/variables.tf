variable "database_secret_versions" {
  description = "Per environment with a MySQL database (test, prod): the version number of its connection secret in Secret Manager. A new version rewrites the Kubernetes Secret."
  type        = map(string)
  validation {
    condition     = alltrue([for environment in keys(var.database_secret_versions) : contains(["test", "prod"], environment)])
    error_message = "database_secret_versions keys must be test or prod (dev runs on SQLite)."
  }
  validation {
    condition     = alltrue([for version in values(var.database_secret_versions) : can(tonumber(version))])
    error_message = "database_secret_versions values must be version numbers (not \"latest\"): they tell Terraform when to rewrite the Kubernetes Secret."
  }
}

variable "database_credentials" {
  description = "Per environment, the connection read from those secret versions. Ephemeral: it reaches the Kubernetes Secret through a write-only argument and is never stored in state."
  type = map(object({
    host     = string
    port     = string
    database = string
    username = string
    password = string
  }))
  ephemeral = true
}

variable "argocd_config_dir" {
  description = "Directory of the Argo CD objects (config/argocd): its kustomization.yaml lists them, repository.properties names the git repository, and its argocd-cm generator holds Argo CD settings."
  type        = string
}

variable "argocd_chart_repository" {
  description = "Helm repository of the argo-cd chart (the Argo project's chart repository, see Argo CD's installation documentation)."
  type        = string
}

variable "argocd_chart_version" {
  description = "Version of the argo-cd chart (pinned: upgrades are reviewed changes)."
  type        = string
}

variable "argocd_namespace" {
  description = "Namespace of Argo CD (config/argocd's kustomization names the same one)."
  type        = string
  default     = "argocd"
}

variable "argocd_high_availability" {
  description = "Run Argo CD's components with several replicas spread over the zones, and Redis in HA mode."
  type        = bool
  default     = true
}
