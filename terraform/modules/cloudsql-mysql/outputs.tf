output "instance_name" {
  description = "Name of the Cloud SQL instance."
  value       = google_sql_database_instance.this.name
}

output "connection_name" {
  description = "project:region:instance, as the Cloud SQL Auth Proxy and gcloud expect it."
  value       = google_sql_database_instance.this.connection_name
}

output "private_ip_address" {
  description = "Private IP of the instance in the VPC."
  value       = google_sql_database_instance.this.private_ip_address
}

output "service_account_email" {
  description = "The instance's own service account: it writes exports to and reads imports from Cloud Storage."
  value       = google_sql_database_instance.this.service_account_email_address
}

output "database_name" {
  description = "Name of the application database."
  value       = google_sql_database.app.name
}

output "connection_secret" {
  description = "Secret Manager secret holding the connection as JSON (host, port, database, username, tls, ca; no password) and its current version number."
  value = {
    id      = google_secret_manager_secret.this["connection"].id
    name    = google_secret_manager_secret.this["connection"].secret_id
    version = google_secret_manager_secret_version.connection.version
  }
}

output "password_secret" {
  description = "Secret Manager secret holding one version per credentials generation (that user's password), and the version of the generation the connection names."
  value = {
    id      = google_secret_manager_secret.this["password"].id
    name    = google_secret_manager_secret.this["password"].secret_id
    version = google_secret_manager_secret_version.password[local.active_generation].version
  }
}

output "users" {
  description = "The application's MySQL users, by generation; the last is the one in use."
  value       = [for generation in var.credentials_generations : "${var.username}-${generation}"]
}

output "cross_region_replica" {
  description = "The promotable replica in another region (name, region, connection name), or null."
  value = var.cross_region_replica == null ? null : {
    name            = google_sql_database_instance.replica[0].name
    region          = google_sql_database_instance.replica[0].region
    connection_name = google_sql_database_instance.replica[0].connection_name
  }
}

output "availability_type" {
  description = "REGIONAL (standby in a second zone) or ZONAL."
  value       = google_sql_database_instance.this.settings[0].availability_type
}

output "deletion_protection" {
  description = "Whether the instance is protected from deletion on every surface."
  value       = google_sql_database_instance.this.settings[0].deletion_protection_enabled
}
