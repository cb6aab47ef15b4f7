# Three-year recoverability of the notes. Cloud SQL keeps automated backups for at most
# 365 of them and loses them with the project, so every day each database is also exported
# as a portable SQL dump into a bucket whose LOCKED retention policy forbids anyone
# (project owners included) to delete or overwrite an export for retention_days. Every
# export is kept in two regions: in a dual-region bucket (each object in both data_regions,
# turbo replication, 15-minute RPO) where a configurable dual-region covers them, otherwise
# in a regional bucket plus a copy bucket in the other region, filled by the export
# workflow right after each export. Lifecycle rules move ageing exports to colder storage
# and delete them once the guarantee has run out.

locals {
  retention_seconds = var.retention_days * 86400
  dual_region       = contains(["US", "EU", "ASIA"], var.bucket_location)
  copy_region       = local.dual_region ? null : one([for region in var.data_regions : region if region != var.bucket_location])
  # A dual-region archive keeps each object in both data regions itself (turbo replication).
  buckets = merge(
    { archive = { name = var.bucket_name, location = var.bucket_location, data_regions = local.dual_region ? var.data_regions : null } },
    local.dual_region ? {} : { copy = { name = "${var.bucket_name}-copy", location = local.copy_region, data_regions = null } },
  )

  # Colder classes as exports age, then deletion one day past the retention period (so the
  # rule never races the policy); the same for both buckets.
  lifecycle_rules = [
    { age = var.storage_class_transitions.nearline, from = ["STANDARD"], action = "SetStorageClass", storage_class = "NEARLINE" },
    { age = var.storage_class_transitions.coldline, from = ["NEARLINE"], action = "SetStorageClass", storage_class = "COLDLINE" },
    { age = var.storage_class_transitions.archive, from = ["COLDLINE"], action = "SetStorageClass", storage_class = "ARCHIVE" },
    { age = var.retention_days + 1, from = null, action = "Delete", storage_class = null },
  ]
}

# The archive, and where no dual-region bucket can hold both regions the copy bucket in the
# other region: the same guarantees for both.
resource "google_storage_bucket" "exports" {
  for_each                    = local.buckets
  project                     = var.project_id
  name                        = each.value.name
  location                    = each.value.location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  rpo                         = each.value.data_regions == null ? null : "ASYNC_TURBO"
  force_destroy               = false
  labels                      = var.labels

  dynamic "custom_placement_config" {
    for_each = each.value.data_regions == null ? [] : [each.value.data_regions]
    content {
      data_locations = [for region in custom_placement_config.value : upper(region)]
    }
  }

  retention_policy {
    retention_period = local.retention_seconds
    is_locked        = var.lock_retention_policy
  }

  dynamic "lifecycle_rule" {
    for_each = local.lifecycle_rules
    content {
      condition {
        age                   = lifecycle_rule.value.age
        matches_storage_class = lifecycle_rule.value.from
      }
      action {
        type          = lifecycle_rule.value.action
        storage_class = lifecycle_rule.value.storage_class
      }
    }
  }
}

# Platforms applied before the copy bucket existed had the archive as a resource of its own.
moved {
  from = google_storage_bucket.archive
  to   = google_storage_bucket.exports["archive"]
}

# The workflow copies each new export: it reads the archive and may create objects in the
# copy bucket, nothing else.
resource "google_storage_bucket_iam_member" "copy" {
  for_each = local.dual_region ? {} : {
    read_archive = { bucket = google_storage_bucket.exports["archive"].name, role = "roles/storage.objectViewer" }
    write_copy   = { bucket = google_storage_bucket.exports["copy"].name, role = "roles/storage.objectCreator" }
  }
  bucket = each.value.bucket
  role   = each.value.role
  member = google_service_account.export.member
}

# Each instance's service account may create export objects, nothing else: it can neither
# read, replace nor delete them.
resource "google_storage_bucket_iam_member" "exporters" {
  for_each = var.databases
  bucket   = google_storage_bucket.exports["archive"].name
  role     = "roles/storage.objectCreator"
  member   = "serviceAccount:${each.value.service_account_email}"
}

resource "google_service_account" "export" {
  project      = var.project_id
  account_id   = "${substr(var.name, 0, 15)}-${substr(sha1(var.name), 0, 4)}-export"
  display_name = "Runs and schedules the daily notes exports"
}

# Starting an export is all the workflow does; no predefined role is that narrow.
resource "google_project_iam_custom_role" "export" {
  project     = var.project_id
  role_id     = "notesExporter_${replace(var.name, "-", "_")}"
  title       = "Notes exporter"
  description = "Start Cloud SQL exports and follow their operations."
  permissions = [
    "cloudsql.instances.export",
    "cloudsql.instances.get",
  ]
}

resource "google_project_iam_member" "export" {
  for_each = {
    exporter       = google_project_iam_custom_role.export.name
    workflows      = "roles/workflows.invoker"
    logging_writer = "roles/logging.logWriter"
  }
  project = var.project_id
  role    = each.value
  member  = google_service_account.export.member
}

resource "google_workflows_workflow" "export" {
  for_each        = var.databases
  project         = var.project_id
  region          = var.region
  name            = "notes-export-${each.key}"
  description     = "Daily SQL export of the ${each.key} notes database into ${var.bucket_name}."
  service_account = google_service_account.export.id
  call_log_level  = "LOG_ERRORS_ONLY"
  labels          = var.labels
  source_contents = templatefile("${path.module}/export-workflow.yaml.tftpl", {
    project     = var.project_id
    bucket      = google_storage_bucket.exports["archive"].name
    environment = each.key
    instance    = each.value.instance_name
    database    = each.value.database_name
    copy_bucket = local.dual_region ? "" : google_storage_bucket.exports["copy"].name
  })
  deletion_protection = false
}

resource "google_cloud_scheduler_job" "export" {
  for_each  = var.databases
  project   = var.project_id
  region    = var.region
  name      = "notes-export-${each.key}"
  schedule  = var.schedule
  time_zone = var.schedule_time_zone

  retry_config {
    retry_count          = 3
    min_backoff_duration = "300s"
  }

  http_target {
    http_method = "POST"
    uri         = "https://workflowexecutions.googleapis.com/v1/${google_workflows_workflow.export[each.key].id}/executions"
    body        = base64encode(jsonencode({ callLogLevel = "LOG_ERRORS_ONLY" }))
    oauth_token {
      service_account_email = google_service_account.export.email
      scope                 = "https://www.googleapis.com/auth/cloud-platform"
    }
  }
}

# A silent export failure is the classic way to lose a long-term backup: alert on every
# failed run and on a day without a successful one.
resource "google_monitoring_alert_policy" "export" {
  for_each              = var.databases
  project               = var.project_id
  display_name          = "Notes export ${each.key} failing"
  combiner              = "OR"
  notification_channels = var.alert_notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "An export run failed"
    condition_threshold {
      filter          = "resource.type = \"workflows.googleapis.com/Workflow\" AND resource.label.workflow_id = \"${google_workflows_workflow.export[each.key].name}\" AND metric.type = \"workflows.googleapis.com/finished_execution_count\" AND metric.label.status != \"SUCCEEDED\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_COUNT"
      }
    }
  }

  conditions {
    display_name = "No successful export for 26 hours"
    condition_absent {
      filter   = "resource.type = \"workflows.googleapis.com/Workflow\" AND resource.label.workflow_id = \"${google_workflows_workflow.export[each.key].name}\" AND metric.type = \"workflows.googleapis.com/finished_execution_count\" AND metric.label.status = \"SUCCEEDED\""
      duration = "93600s"
      aggregations {
        alignment_period   = "3600s"
        per_series_aligner = "ALIGN_COUNT"
      }
    }
  }

  documentation {
    content   = "The daily notes export of ${each.key} did not succeed. Follow docs/runbooks/restore-notes.md (section \"Checking the exports\") to find the failed execution and run it again."
    mime_type = "text/markdown"
  }
}
