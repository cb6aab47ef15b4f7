variable "project_id" {
  description = "Google Cloud project of the platform."
  type        = string
}

variable "state_bucket" {
  description = "Bucket of the Terraform state; the serving platform's outputs are read from it."
  type        = string
}

variable "serving_region" {
  description = "Region whose platform serves the users: the host names point at its Gateway's address (its state is platform/<region>). Moving traffic to another region is changing this and applying."
  type        = string
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.serving_region))
    error_message = "serving_region must be a Google Cloud region name such as europe-west4."
  }
}

variable "dns_name" {
  description = "The public DNS zone the host names live in, with the trailing dot (e.g. notejam.example.com.); its registrar delegates to the name servers this root outputs."
  type        = string
  validation {
    condition     = endswith(var.dns_name, ".")
    error_message = "dns_name must end with a dot."
  }
}

variable "hosts" {
  description = "Host name of each environment served to users, inside dns_name (the same map as roots/cluster's web_hosts)."
  type        = map(string)
}

variable "ttl_seconds" {
  description = "TTL of the host records: how long resolvers keep sending users to the old region after a switch."
  type        = number
  default     = 60
  validation {
    condition     = var.ttl_seconds >= 30 && var.ttl_seconds <= 300
    error_message = "ttl_seconds must be 30-300: a region move waits for it."
  }
}
