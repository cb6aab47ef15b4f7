# One Cloud SQL for MySQL instance with the application's database and user, reachable by
# private IP only. The connection (host, port, database, username, password) is kept in
# one Secret Manager secret, the single source of truth for everything that connects.
# The application's password lives in Terraform state (as in Google's reference SQL
# module): one generated value written to the user and the secret in the same apply, so
# the two cannot drift apart even after an apply that failed half-way. The state bucket is
# therefore restricted to the platform's operators. The root password is never stored.

resource "google_sql_database_instance" "this" {
  project             = var.project_id
  name                = var.name
  region              = var.region
  database_version    = var.database_version
  deletion_protection = var.deletion_protection

  # Nobody knows the root password: it is set so the root account is never open, and an
  # operator who needs it resets it (`gcloud sql users set-password root`).
  root_password_wo         = ephemeral.random_password.root.result
  root_password_wo_version = 1

  settings {
    edition                     = "ENTERPRISE"
    tier                        = var.tier
    availability_type           = var.high_availability ? "REGIONAL" : "ZONAL"
    disk_type                   = "PD_SSD"
    disk_size                   = var.disk_size_gb
    disk_autoresize             = true
    disk_autoresize_limit       = var.disk_autoresize_limit_gb
    deletion_protection_enabled = var.deletion_protection
    # Automated backups outlive an instance deleted by mistake.
    retain_backups_on_delete = true
    user_labels              = merge(var.labels, { environment = var.environment })

    # No `location`: automated backups go to the multi-region around var.region, so they
    # survive the loss of the region itself.
    backup_configuration {
      enabled                        = true
      start_time                     = var.backup_start_time
      binary_log_enabled             = true
      transaction_log_retention_days = var.transaction_log_retention_days
      backup_retention_settings {
        retained_backups = var.retained_backups
        retention_unit   = "COUNT"
      }
    }

    ip_configuration {
      ipv4_enabled    = false
      private_network = var.private_network_id
      ssl_mode        = var.ssl_mode
    }

    maintenance_window {
      day          = var.maintenance_window.day
      hour         = var.maintenance_window.hour
      update_track = var.maintenance_window.update_track
    }

    insights_config {
      query_insights_enabled  = true
      record_application_tags = false
      record_client_address   = false
    }
  }

  lifecycle {
    # disk_autoresize grows the disk; Terraform must not try to shrink it back.
    ignore_changes = [settings[0].disk_size]
  }
}

resource "google_sql_database" "app" {
  project   = var.project_id
  instance  = google_sql_database_instance.this.name
  name      = var.database_name
  charset   = "utf8mb4"
  collation = "utf8mb4_0900_ai_ci"
}

ephemeral "random_password" "root" {
  length  = 40
  special = false
}

# Letters and digits only: the password travels through environment variables and URLs.
# A new credentials_rotation generates a new one.
resource "random_password" "app" {
  length  = 32
  special = false
  keepers = {
    rotation = var.credentials_rotation
  }
}

resource "google_secret_manager_secret" "connection" {
  project   = var.project_id
  secret_id = "${var.name}-connection"
  labels    = merge(var.labels, { environment = var.environment })

  replication {
    user_managed {
      dynamic "replicas" {
        for_each = toset(var.secret_replica_regions)
        content {
          location = replicas.value
        }
      }
    }
  }
}

locals {
  # Everything but the password: these are the keys of the notejam-db Secret the
  # NotejamInstance reads.
  connection = {
    host     = google_sql_database_instance.this.private_ip_address
    port     = "3306"
    database = google_sql_database.app.name
    username = var.username
  }
}

# A new version is written when the connection changes (e.g. a replacement instance with
# a new address) or the password is rotated.
resource "google_secret_manager_secret_version" "connection" {
  secret      = google_secret_manager_secret.connection.id
  secret_data = jsonencode(merge(local.connection, { password = random_password.app.result }))
  # Superseded versions are disabled, not destroyed, so a rotation can be rolled back.
  deletion_policy = "DISABLE"
}

resource "google_sql_user" "app" {
  project  = var.project_id
  instance = google_sql_database_instance.this.name
  name     = var.username
  host     = "%"
  password = random_password.app.result
}
