output "bucket_name" {
  description = "Name of the archive bucket."
  value       = google_storage_bucket.exports["archive"].name
}

output "bucket_url" {
  description = "gs:// URL of the archive bucket."
  value       = google_storage_bucket.exports["archive"].url
}

output "retention_days" {
  description = "Days every export is held by the (locked) retention policy."
  value       = var.retention_days
}

output "workflows" {
  description = "Export workflow ids by environment (run one by hand with `gcloud workflows run`)."
  value       = { for environment, workflow in google_workflows_workflow.export : environment => workflow.id }
}

output "retention_locked" {
  description = "Whether the retention policy is locked."
  value       = google_storage_bucket.exports["archive"].retention_policy[0].is_locked
}

output "data_regions" {
  description = "Regions holding a copy of every export (upper case, as Cloud Storage names them)."
  value       = local.dual_region ? google_storage_bucket.exports["archive"].custom_placement_config[0].data_locations : [upper(var.bucket_location), upper(local.copy_region)]
}

output "copy_bucket_name" {
  description = "The bucket in the other region that receives a copy of every export (regional archives only), or null."
  value       = local.dual_region ? null : google_storage_bucket.exports["copy"].name
}

output "exported_databases" {
  description = "Environment => instance whose database is exported daily."
  value       = { for environment, database in var.databases : environment => database.instance_name }
}
