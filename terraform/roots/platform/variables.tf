variable "project_id" {
  description = "Google Cloud project that hosts the platform."
  type        = string
  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id (6-30 lowercase letters, digits and hyphens)."
  }
}

variable "region" {
  description = "Region of the whole platform: cluster, databases, export jobs. Moving the platform is a new apply with another region (docs/runbooks/region-evacuation.md)."
  type        = string
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region name such as europe-west1."
  }
}

variable "failover_region" {
  description = "Second region that holds a copy of every notes export and of the database secrets, and where the platform is rebuilt if var.region is lost. Must lie in archive_bucket_location together with var.region."
  type        = string
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.failover_region)) && var.failover_region != var.region
    error_message = "failover_region must be a Google Cloud region name different from region."
  }
}

variable "archive_bucket_location" {
  description = "Where the notes archive lives: a multi-region (US, EU or ASIA) containing region and failover_region gives one dual-region bucket over those two; region itself gives a bucket there plus a copy bucket in failover_region (any pair of regions)."
  type        = string
  validation {
    condition     = contains(["US", "EU", "ASIA", var.region], var.archive_bucket_location)
    error_message = "archive_bucket_location must be US, EU or ASIA (containing both regions) or the platform's region."
  }
}

variable "archive_bucket_name" {
  description = "Globally unique name of the notes archive bucket. After a region move the new platform writes to a new bucket; the old one keeps its exports (its retention is locked) and stays the source of restores."
  type        = string
}

variable "lock_archive_retention" {
  description = "Lock the archive's retention policy (irreversible). Only a throw-away project may set false."
  type        = bool
  default     = true
}

variable "name" {
  description = "Prefix of every resource name."
  type        = string
  default     = "notejam"
  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{0,14}$", var.name))
    error_message = "name must be at most 15 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "cluster" {
  description = "Node pool sizing and, optionally, its three zones (default: the first three of the region). The defaults carry the three environments at business-hours load on three nodes (one per zone) and four times that on twelve; see the sizing note in the README."
  type = object({
    machine_type       = optional(string, "e2-standard-4")
    min_nodes_per_zone = optional(number, 1)
    max_nodes_per_zone = optional(number, 4)
    release_channel    = optional(string, "REGULAR")
    zones              = optional(list(string), [])
  })
  default = {}
}

variable "databases" {
  description = "Sizing and rotation of the two MySQL instances."
  type = object({
    prod_tier = optional(string, "db-custom-2-7680")
    test_tier = optional(string, "db-custom-1-3840")
    # Two-step rotation (docs/runbooks/restore-notes.md, "Rotating a database password").
    prod_credentials_generations = optional(list(number), [1])
    test_credentials_generations = optional(list(number), [1])
    # A promotable replica of prod in failover_region: a region move loses seconds of notes.
    prod_cross_region_replica = optional(bool, true)
    prod_retained_backups     = optional(number, 35)
    test_retained_backups     = optional(number, 7)
    prod_transaction_log_days = optional(number, 7)
    prod_maintenance_day      = optional(number, 7)
    prod_maintenance_hour_utc = optional(number, 3)
    test_maintenance_day      = optional(number, 6)
    test_maintenance_hour_utc = optional(number, 3)
  })
  default = {}
}

variable "alert_emails" {
  description = "E-mail addresses told when a notes export fails or prod's cross-region replica lags (an e-mail notification channel each)."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for address in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", address))])
    error_message = "alert_emails must be e-mail addresses."
  }
}

variable "alert_notification_channels" {
  description = "Existing Cloud Monitoring notification channel ids (chat, pager, ...) told as well."
  type        = list(string)
  default     = []
  validation {
    condition     = length(var.alert_notification_channels) + length(var.alert_emails) > 0
    error_message = "Give at least one of alert_emails or alert_notification_channels: a failing export or a lagging replica must reach someone."
  }
}

variable "labels" {
  description = "Extra labels for every resource."
  type        = map(string)
  default     = {}
}
