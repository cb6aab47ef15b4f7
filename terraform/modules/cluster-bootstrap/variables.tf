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
    tls      = string
    ca       = string
  }))
  ephemeral = true
}

variable "argocd_config_dir" {
  description = "Directory of Notejam's Argo CD configuration (config/argocd): the bootstrap chart in bootstrap/, and Argo CD settings (health checks) in its kustomization's argocd-cm generator."
  type        = string
}

variable "repository_url" {
  description = "The git repository Argo CD deploys from, with its dev, test, prod and releases branches: the one place it is named (the root Application hands it to every other)."
  type        = string
  validation {
    condition     = can(regex("^(https://|ssh://|git@)", var.repository_url))
    error_message = "repository_url must be a git URL (https://..., ssh://... or git@...)."
  }
}

variable "releases_repository_url" {
  description = "The URL Argo CD reads the releases branch through: the repository of repository_url under a second URL (e.g. its ssh:// one when that is https://), or a repository of its own. Not repository_url itself: Argo CD refuses a ref source of the content source's repository at another revision (config/argocd/bootstrap/values.yaml)."
  type        = string
  validation {
    condition     = can(regex("^(https://|ssh://|git@)", var.releases_repository_url))
    error_message = "releases_repository_url must be a git URL (https://..., ssh://... or git@...)."
  }
  validation {
    condition     = trimsuffix(trimsuffix(lower(var.releases_repository_url), "/"), ".git") != trimsuffix(trimsuffix(lower(var.repository_url), "/"), ".git")
    error_message = "releases_repository_url must differ from repository_url (beyond case and a trailing .git): Argo CD refuses a ref source of the content source's repository at another revision."
  }
}

variable "platform_values" {
  description = "Values of config/argocd/platform (its values.yaml documents them), e.g. { images = { notejam = \"ghcr.io/<owner>/notejam\", notejam-operator = \"ghcr.io/<owner>/notejam-operator\" } }."
  type        = any
  default     = {}
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

variable "web" {
  description = "The cluster's entry point: the name of the global address the platform root reserved for it, the host name of each environment it serves (test, prod), and optionally the Certificate Manager map that makes it HTTPS."
  type = object({
    address_name    = string
    hosts           = map(string)
    certificate_map = optional(string)
  })
  validation {
    condition     = length(var.web.hosts) > 0 && alltrue([for environment in keys(var.web.hosts) : contains(["test", "prod"], environment)])
    error_message = "web.hosts must name the host of test and/or prod (the environments whose namespaces this module creates)."
  }
}

variable "alertmanager_webhooks" {
  description = "Webhook URLs Alertmanager posts to: critical (pages) and warning (tickets). Ephemeral: never stored in state."
  type = object({
    critical = string
    warning  = string
  })
  ephemeral = true
  validation {
    condition     = alltrue([for url in [var.alertmanager_webhooks.critical, var.alertmanager_webhooks.warning] : can(regex("^https://[^\\s]+$", url))])
    error_message = "alertmanager_webhooks must be https:// URLs."
  }
}

variable "alertmanager_webhooks_revision" {
  description = "Increase to write changed alertmanager_webhooks into the Secret."
  type        = number
  default     = 1
}
