variable "project_id" {
  description = "Google Cloud project that holds the database connection secrets."
  type        = string
}

variable "database_connections" {
  description = "Per environment with a MySQL database (test, prod): the Secret Manager secret holding its connection as JSON and the version to use. Each becomes the Secret notejam-db in namespace notejam-<environment>."
  type = map(object({
    secret_name    = string
    secret_version = string
  }))
  validation {
    condition     = alltrue([for environment in keys(var.database_connections) : contains(["test", "prod"], environment)])
    error_message = "database_connections keys must be test or prod (dev runs on SQLite)."
  }
  validation {
    condition     = alltrue([for connection in values(var.database_connections) : can(tonumber(connection.secret_version))])
    error_message = "secret_version must be a version number of the secret (not \"latest\"): it also tells Terraform when to rewrite the Kubernetes Secret."
  }
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
