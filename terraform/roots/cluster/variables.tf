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
