variable "state_bucket" {
  description = "Bucket of the Terraform state; the platform root's outputs are read from it."
  type        = string
}

variable "platform_state_prefix" {
  description = "State prefix of the platform root this cluster belongs to (platform/<region>)."
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

variable "web_hosts" {
  description = "Host name of each environment served through the cluster's Gateway, e.g. { prod = \"notejam.example.com\", test = \"test.notejam.example.com\" }; the same in every region (roots/traffic points them at the serving one)."
  type        = map(string)
}

variable "certificate_map" {
  description = "Certificate Manager certificate map of the host names (roots/traffic creates it): the Gateway then serves HTTPS. null: plain HTTP."
  type        = string
  default     = null
}

variable "alertmanager_webhooks" {
  description = "Webhook URLs Alertmanager posts to (they usually carry a token): `critical` pages (a pager's or chat's incoming webhook), `warning` opens tickets. Ephemeral: written to the Secret through a write-only argument, never stored in state."
  type = object({
    critical = string
    warning  = string
  })
  ephemeral = true
}

variable "alertmanager_webhooks_revision" {
  description = "Increase to write changed alertmanager_webhooks (a write-only value is only sent when this changes)."
  type        = number
  default     = 1
}

variable "repository_url" {
  description = "The git repository Argo CD deploys from (with its dev, test, prod and releases branches)."
  type        = string
}

variable "releases_repository_url" {
  description = "The URL Argo CD reads the releases branch through: the same repository under a second URL, or a repository of its own (modules/cluster-bootstrap says why)."
  type        = string
}

variable "platform_values" {
  description = "Values of config/argocd/platform, e.g. where the images are: { images = { notejam = \"ghcr.io/<owner>/notejam\", notejam-operator = \"ghcr.io/<owner>/notejam-operator\" } }."
  type        = any
  default     = {}
}
