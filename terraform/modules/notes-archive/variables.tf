variable "project_id" {
  description = "Google Cloud project of the archive."
  type        = string
}

variable "name" {
  description = "Name of the platform stack (e.g. notejam-europe-west1): service accounts and IAM roles are global, so their names derive from it."
  type        = string
}

variable "region" {
  description = "Region where the export workflow and its schedule run (the platform's region)."
  type        = string
}

variable "bucket_name" {
  description = "Globally unique name of the archive bucket."
  type        = string
  validation {
    # 58, not 63: the copy bucket of a regional archive appends "-copy".
    condition     = can(regex("^[a-z0-9][-_a-z0-9]{1,56}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-58 lowercase letters, digits, hyphens or underscores, starting and ending with a letter or digit."
  }
}

variable "bucket_location" {
  description = "Where the archive lives. A multi-region (US, EU or ASIA) containing both data_regions: one dual-region bucket over them, each object in both (turbo replication, 15-minute RPO). Or one of data_regions: a bucket there plus a second bucket, <bucket_name>-copy, in the other data region, to which the export workflow copies every export right after writing it; for regions no configurable dual-region covers (other continents, or regions outside those multi-regions)."
  type        = string
  validation {
    condition     = contains(["US", "EU", "ASIA"], var.bucket_location) || can(regex("^[a-z]+-[a-z]+[0-9]+$", var.bucket_location))
    error_message = "bucket_location must be US, EU or ASIA (a dual-region bucket) or a region name such as me-central1 (a bucket there and a copy in the other data region)."
  }
}

variable "data_regions" {
  description = "The two regions that each hold a full copy of every export: the platform's region and its failover region."
  type        = list(string)
  validation {
    condition     = length(var.data_regions) == 2 && length(distinct(var.data_regions)) == 2
    error_message = "data_regions must name exactly two different regions."
  }
  validation {
    condition     = contains(["US", "EU", "ASIA"], var.bucket_location) || contains(var.data_regions, var.bucket_location)
    error_message = "A regional bucket_location must be one of data_regions (the copy goes to the other)."
  }
}

variable "retention_days" {
  description = "Days every export is kept and cannot be deleted or replaced by anyone (the notes guarantee is three years)."
  type        = number
  default     = 1095
  validation {
    condition     = var.retention_days >= 1095
    error_message = "retention_days must be at least 1095: notes are guaranteed recoverable for three years."
  }
}

variable "lock_retention_policy" {
  description = "Lock the retention policy. IRREVERSIBLE: once locked, the period can only grow and the bucket cannot be deleted while it holds objects. Leave false only in a scratch project."
  type        = bool
  default     = true
}

variable "storage_class_transitions" {
  description = "Age in days at which exports move to colder, cheaper storage classes (older exports are read only for a restore)."
  type = object({
    nearline = number
    coldline = number
    archive  = number
  })
  default = {
    nearline = 30
    coldline = 90
    archive  = 365
  }
  validation {
    condition = (
      var.storage_class_transitions.nearline >= 1 &&
      var.storage_class_transitions.nearline < var.storage_class_transitions.coldline &&
      var.storage_class_transitions.coldline < var.storage_class_transitions.archive
    )
    error_message = "storage_class_transitions must be increasing: 1 <= nearline < coldline < archive."
  }
}

variable "databases" {
  description = "Databases to export, keyed by environment: the instance, the database and the instance's service account (it writes the export files)."
  type = map(object({
    instance_name         = string
    database_name         = string
    service_account_email = string
  }))
  validation {
    condition     = length(var.databases) > 0
    error_message = "databases must list at least one database to export."
  }
}

variable "schedule" {
  description = "Cron schedule of the exports (after the automated backup window, outside business hours)."
  type        = string
  default     = "0 3 * * *"
}

variable "schedule_time_zone" {
  description = "Time zone of the schedule."
  type        = string
  default     = "Etc/UTC"
}

variable "alert_notification_channels" {
  description = "Cloud Monitoring notification channel ids told when an export fails or none succeeded for a day."
  type        = list(string)
  default     = []
}

variable "labels" {
  description = "Labels for the bucket and workflows."
  type        = map(string)
  default     = {}
}
