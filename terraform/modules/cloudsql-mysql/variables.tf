variable "project_id" {
  description = "Google Cloud project of the instance."
  type        = string
}

variable "region" {
  description = "Region of the instance (and of its automated backups)."
  type        = string
}

variable "secret_replica_regions" {
  description = "Regions that hold replicas of the connection secret; include a region outside var.region so the credentials survive a regional outage."
  type        = list(string)
  validation {
    condition     = length(var.secret_replica_regions) >= 2
    error_message = "secret_replica_regions must name at least two regions (the platform's and the failover region)."
  }
}

variable "name" {
  description = "Instance name. Cloud SQL keeps a deleted instance's name reserved for up to a week, so a replacement needs a new name."
  type        = string
  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,82}[a-z0-9])?$", var.name))
    error_message = "name must start with a letter and contain only lowercase letters, digits and hyphens (at most 84 characters)."
  }
}

variable "environment" {
  description = "Environment the database serves (test or prod); used in labels and the secret's name."
  type        = string
  validation {
    condition     = contains(["test", "prod"], var.environment)
    error_message = "environment must be test or prod (dev runs on SQLite and needs no instance)."
  }
}

variable "database_version" {
  description = "MySQL major version (8.0 or 8.4 LTS)."
  type        = string
  default     = "MYSQL_8_4"
  validation {
    condition     = contains(["MYSQL_8_0", "MYSQL_8_4"], var.database_version)
    error_message = "database_version must be MYSQL_8_0 or MYSQL_8_4."
  }
}

variable "tier" {
  description = "Machine tier (Enterprise edition), e.g. db-custom-2-7680."
  type        = string
}

variable "high_availability" {
  description = "REGIONAL availability: a synchronous standby in another zone takes over automatically when the primary's zone fails."
  type        = bool
}

variable "disk_size_gb" {
  description = "Initial data disk size; the disk grows automatically afterwards."
  type        = number
  default     = 20
  validation {
    condition     = var.disk_size_gb >= 10
    error_message = "disk_size_gb must be at least 10."
  }
}

variable "disk_autoresize_limit_gb" {
  description = "Upper bound of automatic disk growth (0: no limit)."
  type        = number
  default     = 500
}

variable "backup_start_time" {
  description = "Start (UTC, HH:MM) of the daily automated backup window."
  type        = string
  default     = "01:00"
  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_start_time))
    error_message = "backup_start_time must be HH:MM in 24-hour UTC."
  }
}

variable "retained_backups" {
  description = "Number of daily automated backups kept (Cloud SQL allows up to 365; long-term retention is the notes archive's job)."
  type        = number
  validation {
    condition     = var.retained_backups >= 1 && var.retained_backups <= 365
    error_message = "retained_backups must be between 1 and 365."
  }
}

variable "transaction_log_retention_days" {
  description = "Days of binary logs kept for point-in-time recovery (1-7 for MySQL Enterprise edition)."
  type        = number
  default     = 7
  validation {
    condition     = var.transaction_log_retention_days >= 1 && var.transaction_log_retention_days <= 7
    error_message = "transaction_log_retention_days must be between 1 and 7."
  }
}

variable "maintenance_window" {
  description = "Weekly maintenance window (day 1 = Monday ... 7 = Sunday, hour UTC) and update track (canary gets updates a week before stable)."
  type = object({
    day          = number
    hour         = number
    update_track = string
  })
  validation {
    condition = (
      var.maintenance_window.day >= 1 && var.maintenance_window.day <= 7 &&
      var.maintenance_window.hour >= 0 && var.maintenance_window.hour <= 23 &&
      contains(["canary", "stable", "week5"], var.maintenance_window.update_track)
    )
    error_message = "maintenance_window needs day 1-7, hour 0-23 and update_track canary, stable or week5."
  }
}

variable "deletion_protection" {
  description = "Protect the instance from deletion on every surface (API, console, gcloud and Terraform)."
  type        = bool
}

variable "private_network_id" {
  description = "VPC that reaches the instance over private IP (the instance gets no public IP). Pass the network id taken from the private services peering so the instance is created after the peering."
  type        = string
}

variable "database_name" {
  description = "Name of the application database."
  type        = string
  default     = "notejam"
}

variable "username" {
  description = "Name of the application's database user."
  type        = string
  default     = "notejam"
}

variable "credentials_generations" {
  description = "Generations of the application's MySQL user that exist, oldest first (each is the user <username>-<generation> with its own generated password); the connection secret names the last. Rotate in two steps that never break a connection: append the next number (apply, apply the cluster root, roll the pods onto the new user while the old one still works), then drop the old one (its user goes, its password version is disabled)."
  type        = list(number)
  default     = [1]
  validation {
    condition = (
      length(var.credentials_generations) >= 1 && length(var.credentials_generations) <= 2 &&
      alltrue([for generation in var.credentials_generations : generation >= 1 && floor(generation) == generation]) &&
      alltrue([for index in range(1, length(var.credentials_generations)) : var.credentials_generations[index] > var.credentials_generations[index - 1]])
    )
    error_message = "credentials_generations must list one or two increasing positive whole numbers: the current generation, or the old and the new one during a rotation."
  }
}

variable "cross_region_replica" {
  description = "A read replica in another region that can be promoted to primary when this region is lost; its name should be the one the platform rebuilt in that region gives its instance. null: none."
  type = object({
    name   = string
    region = string
  })
  default = null
  validation {
    # A conditional, not ||: Terraform 1.11 evaluates both sides of || (null.region fails).
    condition     = var.cross_region_replica == null ? true : var.cross_region_replica.region != var.region && var.cross_region_replica.name != var.name
    error_message = "cross_region_replica must be in another region than the primary, under another name."
  }
}

variable "replica_lag_alert_seconds" {
  description = "Alert when the cross-region replica is further behind than this for 10 minutes: it bounds what a region move loses."
  type        = number
  default     = 300
}

variable "alert_notification_channels" {
  description = "Cloud Monitoring notification channel ids told when the cross-region replica lags or stops."
  type        = list(string)
  default     = []
}

variable "labels" {
  description = "Labels for the instance and the secret."
  type        = map(string)
  default     = {}
}
