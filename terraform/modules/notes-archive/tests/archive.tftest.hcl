mock_provider "google" {}

variables {
  project_id      = "notejam-platform"
  name            = "notejam-europe-west1"
  region          = "europe-west1"
  bucket_name     = "notejam-notes-archive"
  bucket_location = "EU"
  data_regions    = ["europe-west1", "europe-west4"]
  databases = {
    prod = {
      instance_name         = "notejam-prod-europe-west1"
      database_name         = "notejam"
      service_account_email = "p123-abc@gcp-sa-cloud-sql.iam.gserviceaccount.com"
    }
  }
}

run "keeps_every_export_three_years_under_a_locked_policy" {
  command = plan

  assert {
    condition     = tonumber(google_storage_bucket.exports["archive"].retention_policy[0].retention_period) == 1095 * 86400
    error_message = "Exports must be retained for 1095 days."
  }
  assert {
    condition     = google_storage_bucket.exports["archive"].retention_policy[0].is_locked
    error_message = "The retention policy must be locked so no one can shorten it or delete exports."
  }
  assert {
    condition     = !google_storage_bucket.exports["archive"].force_destroy
    error_message = "The archive must never be force-destroyed."
  }
  assert {
    condition     = google_storage_bucket.exports["archive"].public_access_prevention == "enforced" && google_storage_bucket.exports["archive"].uniform_bucket_level_access
    error_message = "The archive must be private with uniform access control."
  }
}

run "stores_each_export_in_two_regions" {
  command = plan

  assert {
    condition     = google_storage_bucket.exports["archive"].location == "EU"
    error_message = "A configurable dual-region bucket is addressed by its multi-region."
  }
  assert {
    condition     = toset(google_storage_bucket.exports["archive"].custom_placement_config[0].data_locations) == toset(["EUROPE-WEST1", "EUROPE-WEST4"])
    error_message = "Every export must be stored in both the platform's and the failover region."
  }
  assert {
    condition     = google_storage_bucket.exports["archive"].rpo == "ASYNC_TURBO"
    error_message = "Turbo replication bounds the second copy's lag to 15 minutes."
  }
}

run "moves_ageing_exports_to_colder_storage_and_deletes_them_after_the_guarantee" {
  command = plan

  assert {
    condition = [
      for rule in google_storage_bucket.exports["archive"].lifecycle_rule : one(rule.action).storage_class if one(rule.action).type == "SetStorageClass"
    ] == ["NEARLINE", "COLDLINE", "ARCHIVE"]
    error_message = "Exports must move to Nearline, Coldline and Archive storage in that order."
  }
  assert {
    condition = [
      for rule in google_storage_bucket.exports["archive"].lifecycle_rule : one(rule.condition).age if one(rule.action).type == "SetStorageClass"
    ] == [30, 90, 365]
    error_message = "Storage class transitions must happen at 30, 90 and 365 days."
  }
  assert {
    condition = [
      for rule in google_storage_bucket.exports["archive"].lifecycle_rule : one(rule.condition).age if one(rule.action).type == "Delete"
    ] == [1096]
    error_message = "Exports must be deleted only after the 1095-day retention has run out."
  }
}

run "exports_prod_daily_with_least_privilege" {
  command = plan

  assert {
    condition     = google_storage_bucket_iam_member.exporters["prod"].role == "roles/storage.objectCreator"
    error_message = "The instance may only create export objects, never read, replace or delete them."
  }
  assert {
    condition     = google_storage_bucket_iam_member.exporters["prod"].member == "serviceAccount:p123-abc@gcp-sa-cloud-sql.iam.gserviceaccount.com"
    error_message = "The instance's own service account writes the export."
  }
  assert {
    condition     = google_cloud_scheduler_job.export["prod"].schedule == "0 3 * * *"
    error_message = "Exports must run daily."
  }
  assert {
    condition     = toset(google_project_iam_custom_role.export.permissions) == toset(["cloudsql.instances.export", "cloudsql.instances.get"])
    error_message = "The export workflow may only start exports."
  }
  assert {
    condition = alltrue([
      for fragment in [
        "call: googleapis.sqladmin.v1.instances.export",
        "instance: notejam-prod-europe-west1",
        "databases: [\"notejam\"]",
        "\"prod/notejam-prod-europe-west1/\" + text.replace_all(started",
        "uri: $${\"gs://notejam-notes-archive/\" + object}",
        "offload: true",
      ] : strcontains(google_workflows_workflow.export["prod"].source_contents, fragment)
    ])
    error_message = "The workflow must export the prod database to a new object under prod/ in the archive."
  }
}

run "refuses_a_retention_below_three_years" {
  command = plan
  variables {
    retention_days = 365
  }
  expect_failures = [var.retention_days]
}

run "refuses_a_single_region" {
  command = plan
  variables {
    data_regions = ["europe-west1", "europe-west1"]
  }
  expect_failures = [var.data_regions]
}

run "refuses_transitions_out_of_order" {
  command = plan
  variables {
    storage_class_transitions = { nearline = 90, coldline = 30, archive = 365 }
  }
  expect_failures = [var.storage_class_transitions]
}

run "any_region_a_regional_bucket_and_a_copy_in_the_other_region" {
  command = plan
  variables {
    name            = "notejam-me-central1"
    region          = "me-central1"
    bucket_location = "me-central1"
    data_regions    = ["me-central1", "europe-west4"]
  }

  assert {
    condition = (
      upper(google_storage_bucket.exports["archive"].location) == "ME-CENTRAL1" &&
      length(google_storage_bucket.exports["archive"].custom_placement_config) == 0 &&
      upper(google_storage_bucket.exports["copy"].location) == "EUROPE-WEST4" &&
      google_storage_bucket.exports["copy"].name == "notejam-notes-archive-copy"
    )
    error_message = "A region no dual-region covers gets a bucket there and a copy bucket in the other data region."
  }
  assert {
    condition = (
      tonumber(google_storage_bucket.exports["copy"].retention_policy[0].retention_period) == 1095 * 86400 &&
      google_storage_bucket.exports["copy"].retention_policy[0].is_locked &&
      !google_storage_bucket.exports["copy"].force_destroy &&
      google_storage_bucket.exports["copy"].public_access_prevention == "enforced" &&
      [for rule in google_storage_bucket.exports["copy"].lifecycle_rule : one(rule.condition).age] == [30, 90, 365, 1096]
    )
    error_message = "The copy is kept under the same locked three-year retention and lifecycle as the archive."
  }
  assert {
    condition = alltrue([
      for fragment in [
        "call: googleapis.sqladmin.v1.instances.export",
        "call: googleapis.storage.v1.objects.rewrite",
        "rewriteToken: $${copy.rewriteToken}",
        "sourceBucket: notejam-notes-archive",
        "destinationBucket: notejam-notes-archive-copy",
      ] : strcontains(google_workflows_workflow.export["prod"].source_contents, fragment)
    ])
    error_message = "The workflow must copy every export to the other region right after writing it."
  }
  assert {
    condition = [for step in yamldecode(google_workflows_workflow.export["prod"].source_contents).main.steps : one(keys(step))] == [
      "name_the_export", "export", "copy_to_the_other_region", "copy_until_done", "continue_the_copy", "done",
    ]
    error_message = "The workflow is valid YAML whose steps export, then copy until the rewrite is done."
  }
  assert {
    condition = (
      google_storage_bucket_iam_member.copy["read_archive"].role == "roles/storage.objectViewer" &&
      google_storage_bucket_iam_member.copy["write_copy"].role == "roles/storage.objectCreator"
    )
    error_message = "The workflow may read exports and create copies, nothing more."
  }
}

run "a_dual_region_archive_needs_no_copy" {
  command = plan

  assert {
    condition     = keys(google_storage_bucket.exports) == ["archive"] && !strcontains(google_workflows_workflow.export["prod"].source_contents, "objects.rewrite")
    error_message = "A dual-region bucket already keeps both copies."
  }
}

run "refuses_a_regional_archive_outside_the_data_regions" {
  command = plan
  variables {
    bucket_location = "us-central1"
  }
  expect_failures = [var.data_regions]
}
