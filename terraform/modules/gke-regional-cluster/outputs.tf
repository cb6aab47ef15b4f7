output "name" {
  description = "Name of the cluster."
  value       = google_container_cluster.this.name
}

output "location" {
  description = "Region of the cluster."
  value       = google_container_cluster.this.location
}

output "zones" {
  description = "The three zones the node pool spans."
  value       = local.zones
}

output "dns_endpoint" {
  description = "The control plane's DNS endpoint (IAM-authorised; the only way in, IP endpoints are disabled)."
  value       = google_container_cluster.this.control_plane_endpoints_config[0].dns_endpoint_config[0].endpoint
}

output "workload_pool" {
  description = "Workload Identity pool: Kubernetes service accounts map to IAM principals in it."
  value       = google_container_cluster.this.workload_identity_config[0].workload_pool
}

output "node_service_account" {
  description = "Email of the nodes' service account."
  value       = google_service_account.nodes.email
}

output "autoscaling_bounds" {
  description = "Total node count range of the application pool over all three zones."
  value = {
    min = var.min_nodes_per_zone * length(local.zones)
    max = var.max_nodes_per_zone * length(local.zones)
  }
}
