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
  description = "Per environment: instance, connection name and the Secret Manager secret (name and version) with the connection; no credentials."
  value = {
    for environment, database in { prod = module.mysql_prod, test = module.mysql_test } : environment => {
      instance_name                     = database.instance_name
      connection_name                   = database.connection_name
      secret_name                       = database.connection_secret.name
      secret_version                    = database.connection_secret.version
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
    exported_databases = module.notes_archive.exported_databases
    workflows          = module.notes_archive.workflows
  }
}
