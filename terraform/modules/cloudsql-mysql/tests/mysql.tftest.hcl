mock_provider "google" {
  mock_resource "google_secret_manager_secret_version" {
    defaults = {
      version = "3"
    }
  }
  mock_resource "google_sql_database_instance" {
    defaults = {
      private_ip_address            = "10.100.0.5"
      service_account_email_address = "p123-abc@gcp-sa-cloud-sql.iam.gserviceaccount.com"
    }
  }
}

# Terraform 1.11 cannot mock ephemeral resources: the random provider is the real one (it
# generates passwords locally, no network).

variables {
  project_id             = "notejam-platform"
  region                 = "europe-west1"
  secret_replica_regions = ["europe-west1", "europe-west4"]
  private_network_id     = "projects/notejam-platform/global/networks/notejam"
  maintenance_window     = { day = 7, hour = 3, update_track = "stable" }
}

run "prod_is_highly_available_and_protected" {
  command = apply
  variables {
    name                = "notejam-prod-europe-west1"
    environment         = "prod"
    tier                = "db-custom-2-7680"
    high_availability   = true
    deletion_protection = true
    retained_backups    = 35
  }

  assert {
    condition     = google_sql_database_instance.this.settings[0].availability_type == "REGIONAL"
    error_message = "prod must have a standby in a second zone (REGIONAL)."
  }
  assert {
    condition     = google_sql_database_instance.this.deletion_protection && google_sql_database_instance.this.settings[0].deletion_protection_enabled
    error_message = "prod must be protected from deletion in Terraform and on every other surface."
  }
  assert {
    condition     = startswith(google_sql_database_instance.this.database_version, "MYSQL_8")
    error_message = "The instance must run MySQL 8."
  }
  assert {
    condition = (
      google_sql_database_instance.this.settings[0].backup_configuration[0].enabled &&
      google_sql_database_instance.this.settings[0].backup_configuration[0].binary_log_enabled &&
      google_sql_database_instance.this.settings[0].backup_configuration[0].transaction_log_retention_days == 7 &&
      google_sql_database_instance.this.settings[0].backup_configuration[0].backup_retention_settings[0].retained_backups == 35
    )
    error_message = "prod needs daily backups kept 35 days and binary logs for point-in-time recovery over 7 days."
  }
  assert {
    condition     = google_sql_database_instance.this.settings[0].retain_backups_on_delete
    error_message = "Backups must outlive an instance deleted by mistake."
  }
  assert {
    condition = (
      !google_sql_database_instance.this.settings[0].ip_configuration[0].ipv4_enabled &&
      google_sql_database_instance.this.settings[0].ip_configuration[0].private_network == "projects/notejam-platform/global/networks/notejam"
    )
    error_message = "The instance must have a private IP only."
  }
  assert {
    condition     = google_sql_database_instance.this.settings[0].maintenance_window[0].day == 7 && google_sql_database_instance.this.settings[0].maintenance_window[0].update_track == "stable"
    error_message = "Maintenance must follow the given window and track."
  }
  assert {
    condition     = google_secret_manager_secret.connection.secret_id == "notejam-prod-europe-west1-connection"
    error_message = "The connection secret is named after the instance (whose name carries the region)."
  }
  assert {
    condition     = toset([for replica in google_secret_manager_secret.connection.replication[0].user_managed[0].replicas : replica.location]) == toset(["europe-west1", "europe-west4"])
    error_message = "The connection secret must be replicated to the failover region."
  }
  assert {
    condition     = output.connection_secret.version == "3"
    error_message = "The output names the secret version the cluster must read."
  }
  assert {
    condition = jsondecode(google_secret_manager_secret_version.connection.secret_data) == {
      host     = "10.100.0.5"
      port     = "3306"
      database = "notejam"
      username = "notejam"
      password = google_sql_user.app.password
    }
    error_message = "The secret must hold exactly the connection the app needs, with the user's current password."
  }
  assert {
    condition     = length(google_sql_user.app.password) == 32 && google_sql_user.app.host == "%"
    error_message = "The application user gets a generated 32-character password."
  }
}

run "a_rotation_writes_a_new_secret_version" {
  command = apply
  variables {
    name                 = "notejam-prod-europe-west1"
    environment          = "prod"
    tier                 = "db-custom-2-7680"
    high_availability    = true
    deletion_protection  = true
    retained_backups     = 35
    credentials_rotation = 2
  }

  assert {
    condition     = random_password.app.keepers["rotation"] == "2"
    error_message = "Increasing credentials_rotation must generate a new password."
  }
  assert {
    condition     = jsondecode(google_secret_manager_secret_version.connection.secret_data).password == google_sql_user.app.password
    error_message = "After a rotation the secret and the user must carry the same new password."
  }
}

run "test_is_zonal_and_smaller" {
  command = apply
  variables {
    name                = "notejam-test-europe-west1"
    environment         = "test"
    tier                = "db-custom-1-3840"
    high_availability   = false
    deletion_protection = false
    retained_backups    = 7
    maintenance_window  = { day = 6, hour = 3, update_track = "canary" }
  }

  assert {
    condition     = google_sql_database_instance.this.settings[0].availability_type == "ZONAL"
    error_message = "test runs in one zone."
  }
  assert {
    condition     = google_sql_database_instance.this.settings[0].tier == "db-custom-1-3840"
    error_message = "test uses the smaller tier."
  }
  assert {
    condition     = google_secret_manager_secret.connection.secret_id == "notejam-test-europe-west1-connection"
    error_message = "The connection secret is named after the instance (whose name carries the region)."
  }
}

run "refuses_dev" {
  command = plan
  variables {
    name                = "notejam-dev"
    environment         = "dev"
    tier                = "db-custom-1-3840"
    high_availability   = false
    deletion_protection = false
    retained_backups    = 7
  }
  expect_failures = [var.environment]
}

run "refuses_mysql_5_7" {
  command = plan
  variables {
    name                = "notejam-test"
    environment         = "test"
    tier                = "db-custom-1-3840"
    high_availability   = false
    deletion_protection = false
    retained_backups    = 7
    database_version    = "MYSQL_5_7"
  }
  expect_failures = [var.database_version]
}

run "refuses_more_backups_than_cloud_sql_keeps" {
  command = plan
  variables {
    name                = "notejam-test"
    environment         = "test"
    tier                = "db-custom-1-3840"
    high_availability   = false
    deletion_protection = false
    retained_backups    = 1095
  }
  expect_failures = [var.retained_backups]
}
