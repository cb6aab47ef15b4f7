# Computed values that the provider validates where they are used must look real.
mock_provider "google" {
  mock_resource "google_secret_manager_secret_version" {
    defaults = {
      version = "1"
    }
  }
  mock_resource "google_compute_network" {
    defaults = {
      id = "projects/notejam-platform/global/networks/notejam-europe-west1"
    }
  }
  mock_resource "google_service_account" {
    defaults = {
      email  = "notejam-sa@notejam-platform.iam.gserviceaccount.com"
      member = "serviceAccount:notejam-sa@notejam-platform.iam.gserviceaccount.com"
    }
  }
  mock_resource "google_sql_database_instance" {
    defaults = {
      service_account_email_address = "p123-abc@gcp-sa-cloud-sql.iam.gserviceaccount.com"
    }
  }
  mock_resource "google_monitoring_notification_channel" {
    defaults = {
      id = "projects/notejam-platform/notificationChannels/7"
    }
  }
  mock_resource "google_compute_global_address" {
    defaults = {
      address = "34.120.0.10"
    }
  }
  mock_data "google_sql_ca_certs" {
    defaults = {
      certs = [{ cert = "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----" }]
    }
  }
}

# Terraform 1.11 cannot mock ephemeral resources: the random provider is the real one (it
# generates passwords locally, no network). On a new project the zone lookup waits for the
# Compute API, i.e. until apply, so the zones are given here; the gke-regional-cluster
# module's tests cover picking them.

variables {
  project_id              = "notejam-platform"
  region                  = "europe-west1"
  failover_region         = "europe-west4"
  archive_bucket_location = "EU"
  archive_bucket_name     = "notejam-notes-archive-ew1"
  alert_emails            = ["oncall@example.com"]
  cluster = {
    zones = ["europe-west1-b", "europe-west1-c", "europe-west1-d"]
  }
}

run "one_region_three_zones_prod_and_test_databases_three_year_archive" {
  command = apply

  assert {
    condition     = output.cluster.location == "europe-west1" && length(output.cluster.zones) == 3
    error_message = "The cluster must be regional with nodes in three zones."
  }
  assert {
    condition     = output.cluster.autoscaling_bounds.max >= 4 * output.cluster.autoscaling_bounds.min
    error_message = "The node pool must be able to grow to four times its floor."
  }
  assert {
    condition     = output.databases.prod.high_availability && output.databases.prod.deletion_protection
    error_message = "prod must be highly available and protected from deletion."
  }
  assert {
    condition     = !output.databases.test.high_availability
    error_message = "test is a smaller, zonal instance."
  }
  assert {
    condition     = output.databases.prod.instance_name == "notejam-prod-europe-west1" && output.databases.test.instance_name == "notejam-test-europe-west1"
    error_message = "Instance names carry the region so a rebuilt platform elsewhere never collides with them."
  }
  assert {
    condition     = output.databases.prod.secret_name == "notejam-prod-europe-west1-connection" && output.databases.test.secret_name == "notejam-test-europe-west1-connection"
    error_message = "Each database's connection is kept in its environment's secret."
  }
  assert {
    condition = (
      output.notes_archive.retention_days == 1095 &&
      output.notes_archive.retention_locked &&
      output.notes_archive.exported_databases == { prod = "notejam-prod-europe-west1" }
    )
    error_message = "prod must be exported daily into an archive locked for 1095 days."
  }
  assert {
    condition     = toset(output.notes_archive.data_regions) == toset(["EUROPE-WEST1", "EUROPE-WEST4"])
    error_message = "The exports must also be kept in the failover region."
  }
  assert {
    condition = (
      output.databases.prod.cross_region_replica.name == "notejam-prod-europe-west4" &&
      output.databases.prod.cross_region_replica.region == "europe-west4" &&
      output.databases.test.cross_region_replica == null
    )
    error_message = "prod must have a promotable replica in the failover region, named as the platform there names its primary."
  }
  assert {
    condition     = output.databases.prod.users == ["notejam-1"] && output.databases.prod.password_secret_name == "notejam-prod-europe-west1-app-password"
    error_message = "The app user's password lives in its own secret, out of state."
  }
  assert {
    condition     = output.web.address_name == "notejam-europe-west1-web" && output.web.address == "34.120.0.10"
    error_message = "The cluster's entry point gets a global address named after the region."
  }
  assert {
    condition = (
      google_monitoring_notification_channel.email["oncall@example.com"].type == "email" &&
      output.alert_notification_channels == ["projects/notejam-platform/notificationChannels/7"]
    )
    error_message = "Export failures and replica lag must reach the given e-mail address."
  }
}

run "an_archive_in_any_region" {
  command = plan
  variables {
    region                  = "me-central1"
    failover_region         = "europe-west4"
    archive_bucket_location = "me-central1"
    archive_bucket_name     = "notejam-notes-archive-mc1"
    cluster = {
      zones = ["me-central1-a", "me-central1-b", "me-central1-c"]
    }
  }

  assert {
    condition     = output.notes_archive.data_regions == ["ME-CENTRAL1", "EUROPE-WEST4"] && output.notes_archive.copy_bucket == "notejam-notes-archive-mc1-copy"
    error_message = "A platform region outside every dual-region keeps its exports in a bucket there and a copy in the failover region."
  }
}

run "refuses_alerts_that_reach_nobody" {
  command = plan
  variables {
    alert_emails = []
  }
  expect_failures = [var.alert_notification_channels]
}

run "refuses_an_archive_in_a_third_region" {
  command = plan
  variables {
    archive_bucket_location = "us-central1"
  }
  expect_failures = [var.archive_bucket_location]
}

run "moving_the_region_moves_everything" {
  command = apply
  variables {
    region              = "europe-west4"
    failover_region     = "europe-west1"
    archive_bucket_name = "notejam-notes-archive-ew4"
    cluster = {
      zones = ["europe-west4-a", "europe-west4-b", "europe-west4-c"]
    }
  }

  assert {
    condition     = output.cluster.location == "europe-west4" && output.cluster.zones == tolist(["europe-west4-a", "europe-west4-b", "europe-west4-c"])
    error_message = "The cluster must follow var.region."
  }
  assert {
    condition     = output.databases.prod.instance_name == "notejam-prod-europe-west4"
    error_message = "The databases must follow var.region."
  }
}

run "refuses_the_same_failover_region" {
  command = plan
  variables {
    failover_region = "europe-west1"
  }
  expect_failures = [var.failover_region]
}
