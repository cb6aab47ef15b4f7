output "project_id" {
  description = "Project of the platform."
  value       = var.project_id
}

output "region" {
  description = "Region of the platform."
  value       = var.region
}

output "cluster" {
  description = "The GKE cluster: name, region, the three zones of its nodes, its DNS endpoint and node autoscaling bounds."
  value = {
    name               = module.cluster.name
    location           = module.cluster.location
    zones              = module.cluster.zones
    dns_endpoint       = module.cluster.dns_endpoint
    autoscaling_bounds = module.cluster.autoscaling_bounds
  }
}

output "databases" {
  description = "Per environment: instance, connection name, availability, deletion protection, the cross-region replica, the MySQL users, and the Secret Manager secrets (name and version) of the connection and of the current user's password; no credentials."
  value = {
    for environment, database in { prod = module.mysql_prod, test = module.mysql_test } : environment => {
      instance_name                     = database.instance_name
      connection_name                   = database.connection_name
      secret_name                       = database.connection_secret.name
      secret_version                    = database.connection_secret.version
      password_secret_name              = database.password_secret.name
      password_secret_version           = database.password_secret.version
      users                             = database.users
      high_availability                 = database.availability_type == "REGIONAL"
      deletion_protection               = database.deletion_protection
      cross_region_replica              = database.cross_region_replica
    }
  }
}

output "notes_archive" {
  description = "Bucket of the daily prod exports, their retention and the export workflows."
  value = {
    bucket             = module.notes_archive.bucket_name
    retention_days     = module.notes_archive.retention_days
    retention_locked   = module.notes_archive.retention_locked
    data_regions       = module.notes_archive.data_regions
    copy_bucket        = module.notes_archive.copy_bucket_name
    exported_databases = module.notes_archive.exported_databases
    workflows          = module.notes_archive.workflows
  }
}

output "web" {
  description = "The global address the cluster's Gateway listens on (name for the Gateway, address for DNS)."
  value = {
    address_name = google_compute_global_address.web.name
    address      = google_compute_global_address.web.address
  }
}

output "alert_notification_channels" {
  description = "Cloud Monitoring notification channels the platform's alerts go to."
  value       = local.alert_notification_channels
}
