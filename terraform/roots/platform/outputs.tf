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
  description = "Per environment: instance, connection name, availability, deletion protection and the Secret Manager secret (name and version) with the connection; no credentials."
  value = {
    prod = {
      instance_name       = module.mysql_prod.instance_name
      connection_name     = module.mysql_prod.connection_name
      secret_name         = module.mysql_prod.connection_secret.name
      secret_version      = module.mysql_prod.connection_secret.version
      high_availability   = module.mysql_prod.availability_type == "REGIONAL"
      deletion_protection = module.mysql_prod.deletion_protection
    }
    test = {
      instance_name       = module.mysql_test.instance_name
      connection_name     = module.mysql_test.connection_name
      secret_name         = module.mysql_test.connection_secret.name
      secret_version      = module.mysql_test.connection_secret.version
      high_availability   = module.mysql_test.availability_type == "REGIONAL"
      deletion_protection = module.mysql_test.deletion_protection
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
