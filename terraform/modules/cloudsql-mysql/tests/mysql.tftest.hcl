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
  # The instance's server CA and, during a CA rotation, the upcoming one.
  mock_data "google_sql_ca_certs" {
    defaults = {
      certs = [
        { cert = "-----BEGIN CERTIFICATE-----\nactive\n-----END CERTIFICATE-----\n" },
        { cert = "-----BEGIN CERTIFICATE-----\nupcoming\n-----END CERTIFICATE-----\n" },
      ]
    }
  }
}

# Terraform 1.11 cannot mock ephemeral resources: the random provider is the real one (it
# generates passwords locally, no network).

# Prod's instance unless a run says otherwise.
variables {
  name                   = "notejam-prod-europe-west1"
  environment            = "prod"
  tier                   = "db-custom-2-7680"
  high_availability      = true
  deletion_protection    = true
  retained_backups       = 35
  project_id             = "notejam-platform"
  region                 = "europe-west1"
  secret_replica_regions = ["europe-west1", "europe-west4"]
  private_network_id     = "projects/notejam-platform/global/networks/notejam"
  maintenance_window     = { day = 7, hour = 3, update_track = "stable" }
}

run "prod_is_highly_available_and_protected" {
  command = apply

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
    condition     = google_secret_manager_secret.this["connection"].secret_id == "notejam-prod-europe-west1-connection"
    error_message = "The connection secret is named after the instance (whose name carries the region)."
  }
  assert {
    condition     = toset([for replica in google_secret_manager_secret.this["connection"].replication[0].user_managed[0].replicas : replica.location]) == toset(["europe-west1", "europe-west4"])
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
      username = "notejam-1"
      tls      = "require"
      ca       = "-----BEGIN CERTIFICATE-----\nactive\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nupcoming\n-----END CERTIFICATE-----"
    }
    error_message = "The connection secret must hold what the app needs but the password: the current user, TLS required, and every CA of the instance."
  }
  assert {
    condition     = google_sql_database_instance.this.settings[0].ip_configuration[0].ssl_mode == "ENCRYPTED_ONLY"
    error_message = "The instance must refuse unencrypted connections."
  }
}

run "no_password_in_state" {
  command = apply

  assert {
    condition = (
      google_sql_user.app["1"].password == null &&
      google_sql_user.app["1"].password_wo == null &&
      google_sql_user.app["1"].password_wo_version == 1
    )
    error_message = "The user's password must reach Cloud SQL through the write-only argument only (state keeps just its version)."
  }
  assert {
    condition = (
      google_secret_manager_secret_version.password["1"].secret_data == null &&
      google_secret_manager_secret_version.password["1"].secret_data_wo == null &&
      google_secret_manager_secret_version.password["1"].secret_data_wo_version == "1"
    )
    error_message = "The password must reach Secret Manager through the write-only argument only."
  }
  assert {
    condition     = !strcontains(google_secret_manager_secret_version.connection.secret_data, "password")
    error_message = "The connection secret holds no password."
  }
  assert {
    condition     = google_sql_user.app["1"].name == "notejam-1" && google_sql_user.app["1"].host == "%"
    error_message = "Each generation is its own user, named after it."
  }
  assert {
    condition     = google_secret_manager_secret.this["password"].secret_id == "notejam-prod-europe-west1-app-password" && toset([for replica in google_secret_manager_secret.this["password"].replication[0].user_managed[0].replicas : replica.location]) == toset(["europe-west1", "europe-west4"])
    error_message = "The passwords are kept in their own secret, replicated to the failover region."
  }
}

run "rotation_step_one_adds_the_new_user_and_keeps_the_old" {
  command = apply
  variables {
    credentials_generations = [1, 2]
  }

  assert {
    condition     = output.users == ["notejam-1", "notejam-2"] && length(google_sql_user.app) == 2
    error_message = "During a rotation the old user keeps working next to the new one."
  }
  assert {
    condition     = jsondecode(google_secret_manager_secret_version.connection.secret_data).username == "notejam-2"
    error_message = "The connection must name the new user, so pods rolled from now on use it."
  }
  assert {
    condition     = google_secret_manager_secret_version.password["2"].secret_data_wo_version == "2" && google_sql_user.app["2"].password_wo_version == 2
    error_message = "The new generation gets its own password, stored before its user is created."
  }
}

run "rotation_step_two_removes_the_old_user" {
  command = apply
  variables {
    credentials_generations = [2]
  }

  assert {
    condition     = keys(google_sql_user.app) == ["2"] && output.users == ["notejam-2"]
    error_message = "Dropping a generation removes its user."
  }
  assert {
    condition     = google_secret_manager_secret_version.password["2"].deletion_policy == "DISABLE"
    error_message = "A dropped generation's password version is disabled, not destroyed."
  }
}

run "a_cross_region_replica_named_like_the_failover_primary" {
  command = apply
  variables {
    cross_region_replica = {
      name   = "notejam-prod-europe-west4"
      region = "europe-west4"
    }
    alert_notification_channels = ["projects/notejam-platform/notificationChannels/42"]
  }

  assert {
    condition = (
      google_sql_database_instance.replica[0].master_instance_name == "notejam-prod-europe-west1" &&
      google_sql_database_instance.replica[0].region == "europe-west4" &&
      google_sql_database_instance.replica[0].name == "notejam-prod-europe-west4"
    )
    error_message = "The replica must follow prod from the failover region, under the name a platform there gives its primary."
  }
  assert {
    condition = (
      google_sql_database_instance.replica[0].settings[0].tier == "db-custom-2-7680" &&
      google_sql_database_instance.replica[0].database_version == google_sql_database_instance.this.database_version
    )
    error_message = "Once promoted the replica carries prod's load: same tier and MySQL version."
  }
  assert {
    condition = (
      google_sql_database_instance.replica[0].deletion_protection &&
      !google_sql_database_instance.replica[0].settings[0].ip_configuration[0].ipv4_enabled &&
      google_sql_database_instance.replica[0].settings[0].ip_configuration[0].ssl_mode == "ENCRYPTED_ONLY"
    )
    error_message = "The replica is protected, private and TLS-only like the primary."
  }
  assert {
    condition = (
      strcontains(google_monitoring_alert_policy.replica_lag[0].conditions[0].condition_threshold[0].filter, "notejam-platform:notejam-prod-europe-west4") &&
      google_monitoring_alert_policy.replica_lag[0].conditions[0].condition_threshold[0].threshold_value == 300 &&
      google_monitoring_alert_policy.replica_lag[0].notification_channels == tolist(["projects/notejam-platform/notificationChannels/42"])
    )
    error_message = "A lag beyond five minutes (what a region move would lose) must alert someone."
  }
  assert {
    condition     = output.cross_region_replica.name == "notejam-prod-europe-west4"
    error_message = "The replica is an output (the region-evacuation runbook promotes it)."
  }
}

run "refuses_a_replica_in_the_same_region" {
  command = plan
  variables {
    cross_region_replica = {
      name   = "notejam-prod-replica"
      region = "europe-west1"
    }
  }
  expect_failures = [var.cross_region_replica]
}

run "refuses_generations_out_of_order" {
  command = plan
  variables {
    name                    = "notejam-test"
    environment             = "test"
    tier                    = "db-custom-1-3840"
    high_availability       = false
    deletion_protection     = false
    retained_backups        = 7
    credentials_generations = [3, 2]
  }
  expect_failures = [var.credentials_generations]
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
    condition     = google_secret_manager_secret.this["connection"].secret_id == "notejam-test-europe-west1-connection"
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
