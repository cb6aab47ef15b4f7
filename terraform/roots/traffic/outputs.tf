output "serving" {
  description = "The region serving users and the address its host names resolve to."
  value = {
    region  = var.serving_region
    address = local.serving_address
  }
}

output "records" {
  description = "Each host name and the address it resolves to."
  value       = { for environment, record in google_dns_record_set.host : record.name => record.rrdatas[0] }
}

output "certificate_map" {
  description = "Certificate map for roots/cluster's certificate_map: every region's Gateway serves HTTPS with it."
  value       = google_certificate_manager_certificate_map.web.name
}

output "name_servers" {
  description = "Name servers the registrar of dns_name must delegate to (once)."
  value       = google_dns_managed_zone.web.name_servers
}
