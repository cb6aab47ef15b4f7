output "network_id" {
  description = "Self link style id of the VPC (projects/P/global/networks/N)."
  value       = google_compute_network.this.id
}

output "network_name" {
  description = "Name of the VPC."
  value       = google_compute_network.this.name
}

output "subnetwork_id" {
  description = "Id of the nodes subnet."
  value       = google_compute_subnetwork.nodes.id
}

output "pods_range_name" {
  description = "Name of the subnet's secondary range for pods."
  value       = google_compute_subnetwork.nodes.secondary_ip_range[0].range_name
}

output "services_range_name" {
  description = "Name of the subnet's secondary range for Services."
  value       = google_compute_subnetwork.nodes.secondary_ip_range[1].range_name
}

output "private_services_network_id" {
  description = "The VPC id taken from the private services peering: Cloud SQL instances given this id are created after the peering exists."
  value       = google_service_networking_connection.private_services.network
}
