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

variable "ssl_mode" {
  description = "TLS enforcement. Traffic stays on the VPC's private services peering; ENCRYPTED_ONLY additionally requires clients to speak TLS to the instance."
  type        = string
  default     = "ALLOW_UNENCRYPTED_AND_ENCRYPTED"
  validation {
    condition     = contains(["ALLOW_UNENCRYPTED_AND_ENCRYPTED", "ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"], var.ssl_mode)
    error_message = "ssl_mode must be ALLOW_UNENCRYPTED_AND_ENCRYPTED, ENCRYPTED_ONLY or TRUSTED_CLIENT_CERTIFICATE_REQUIRED."
  }
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

variable "credentials_rotation" {
  description = "Increase to rotate the application user's password: the user and a new secret version get a new one in the same apply."
  type        = number
  default     = 1
  validation {
    condition     = var.credentials_rotation >= 1 && floor(var.credentials_rotation) == var.credentials_rotation
    error_message = "credentials_rotation must be a positive whole number."
  }
}

variable "labels" {
  description = "Labels for the instance and the secret."
  type        = map(string)
  default     = {}
}
