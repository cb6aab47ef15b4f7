# One Cloud SQL for MySQL instance with the application's database and users, reachable by
# private IP only and over TLS only, optionally with a promotable read replica in another
# region. Everything that connects reads two Secret Manager secrets:
#   <name>-connection    JSON: host, port, database, username, tls, ca (nothing secret)
#   <name>-app-password  one version per credentials generation: that user's password
# No password is ever in Terraform state: each generation's password is generated as an
# ephemeral value and written only through write-only arguments, to its secret version and
# to its MySQL user, once, when the generation is created. Rotation adds a generation (a
# new user with a new password) before it removes the old one, so no connection breaks.
# The root password is never stored either.

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
      # TLS only (the app sets DB_TLS=require with the instance's server CA, below).
      ssl_mode = "ENCRYPTED_ONLY"
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

# --- A promotable replica in another region ----------------------------------------------
# Asynchronous replication, usually seconds behind: what a region move loses. Promoting it
# (`gcloud sql instances promote-replica`) makes it a standalone primary; it is named like
# the primary the platform rebuilt in its region would be, so that platform adopts it.

resource "google_sql_database_instance" "replica" {
  count                = var.cross_region_replica == null ? 0 : 1
  project              = var.project_id
  name                 = var.cross_region_replica.name
  region               = var.cross_region_replica.region
  database_version     = var.database_version
  master_instance_name = google_sql_database_instance.this.name
  deletion_protection  = var.deletion_protection

  settings {
    edition                     = "ENTERPRISE"
    tier                        = var.tier # it carries the full load once promoted
    availability_type           = "ZONAL"  # made REGIONAL by the platform that adopts it
    disk_type                   = "PD_SSD"
    disk_autoresize             = true
    disk_autoresize_limit       = var.disk_autoresize_limit_gb
    deletion_protection_enabled = var.deletion_protection
    user_labels                 = merge(var.labels, { environment = var.environment, role = "cross-region-replica" })

    ip_configuration {
      ipv4_enabled    = false
      private_network = var.private_network_id
      ssl_mode        = "ENCRYPTED_ONLY"
    }
  }

  lifecycle {
    ignore_changes = [settings[0].disk_size]
  }
}

# --- Credentials: two secrets, no password in state ---------------------------------------

locals {
  # "1" => 1, ...: each generation of the application's user, oldest first; the last one is
  # what the connection secret names.
  generations        = { for generation in var.credentials_generations : tostring(generation) => generation }
  active_generation  = tostring(var.credentials_generations[length(var.credentials_generations) - 1])
  user_names         = { for key, generation in local.generations : key => "${var.username}-${generation}" }
  secret_replication = toset(var.secret_replica_regions)
}

# Generated anew on every run, but used only when a generation is created: write-only
# arguments are sent when their version changes, i.e. once.
ephemeral "random_password" "app" {
  for_each = local.generations
  # Letters and digits only: the password travels through environment variables and URLs.
  length  = 32
  special = false
}

# The connection (nothing secret: what every client needs but the password) and the app's
# passwords (one version per credentials generation), replicated alike.
resource "google_secret_manager_secret" "this" {
  for_each  = { connection = "${var.name}-connection", password = "${var.name}-app-password" }
  project   = var.project_id
  secret_id = each.value
  labels    = merge(var.labels, { environment = var.environment })

  replication {
    user_managed {
      dynamic "replicas" {
        for_each = local.secret_replication
        content {
          location = replicas.value
        }
      }
    }
  }
}

# Where the connection secret was before the password got a secret of its own.
moved {
  from = google_secret_manager_secret.connection
  to   = google_secret_manager_secret.this["connection"]
}

resource "google_secret_manager_secret_version" "password" {
  for_each               = local.generations
  secret                 = google_secret_manager_secret.this["password"].id
  secret_data_wo         = ephemeral.random_password.app[each.key].result
  secret_data_wo_version = each.key
  # A removed generation's version is disabled, not destroyed: it can be looked up, and
  # enabled again, while its user is being investigated.
  deletion_policy = "DISABLE"
}

# Written after its password is stored, so an apply that fails in between leaves a stored
# password without a user (harmless: the connection names a user only once it exists),
# never a user whose password nobody knows. Such a half-made generation is abandoned, not
# re-applied: a new run would generate another password for the user than the one stored.
# Take the next number instead (restore-notes.md, "Rotating a database password").
resource "google_sql_user" "app" {
  for_each            = local.generations
  project             = var.project_id
  instance            = google_sql_database_instance.this.name
  name                = local.user_names[each.key]
  host                = "%"
  password_wo         = ephemeral.random_password.app[each.key].result
  password_wo_version = each.value

  depends_on = [google_secret_manager_secret_version.password]
}

# The CAs that sign the instance's server certificate: the active one and, during a CA
# rotation, the upcoming one, so clients trust both before the switch.
data "google_sql_ca_certs" "this" {
  project  = var.project_id
  instance = google_sql_database_instance.this.name

  depends_on = [google_sql_database_instance.this]
}

locals {
  # The keys of the notejam-db Secret the NotejamInstance reads, but the password (it comes
  # from the password secret). tls and ca become DB_TLS and DB_TLS_CA.
  connection = {
    host     = google_sql_database_instance.this.private_ip_address
    port     = "3306"
    database = google_sql_database.app.name
    # From the user itself, so the connection never names a user that does not exist yet
    # (an apply that fails before creating it leaves the previous connection in place).
    username = google_sql_user.app[local.active_generation].name
    tls      = "require"
    ca       = join("\n", [for certificate in data.google_sql_ca_certs.this.certs : trimspace(certificate.cert)])
  }
}

# A new version is written when the connection changes: a new generation, a replacement
# instance with a new address, a CA rotation.
resource "google_secret_manager_secret_version" "connection" {
  secret      = google_secret_manager_secret.this["connection"].id
  secret_data = jsonencode(local.connection)
  # Superseded versions are disabled, not destroyed, so a change can be rolled back.
  deletion_policy = "DISABLE"
}

# --- The replica's lag is what a region move would lose: watch it -------------------------

resource "google_monitoring_alert_policy" "replica_lag" {
  count                 = var.cross_region_replica == null ? 0 : 1
  project               = var.project_id
  display_name          = "Cross-region replica of ${var.name} lagging"
  combiner              = "OR"
  notification_channels = var.alert_notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "Replica more than ${var.replica_lag_alert_seconds} s behind for 10 minutes"
    condition_threshold {
      filter          = "resource.type = \"cloudsql_database\" AND resource.label.database_id = \"${var.project_id}:${google_sql_database_instance.replica[0].name}\" AND metric.type = \"cloudsql.googleapis.com/database/replication/replica_lag\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.replica_lag_alert_seconds
      duration        = "600s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  conditions {
    display_name = "Replica reports no lag for 15 minutes (replication stopped or replica down)"
    condition_absent {
      filter   = "resource.type = \"cloudsql_database\" AND resource.label.database_id = \"${var.project_id}:${google_sql_database_instance.replica[0].name}\" AND metric.type = \"cloudsql.googleapis.com/database/replication/replica_lag\""
      duration = "900s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    content   = "The cross-region replica of ${var.name} is behind or not replicating: a region move now would lose more than minutes of notes. Check `gcloud sql instances describe ${google_sql_database_instance.replica[0].name}` (state, replicaConfiguration) and the replication section of docs/runbooks/region-evacuation.md."
    mime_type = "text/markdown"
  }
}
