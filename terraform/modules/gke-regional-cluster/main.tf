# A regional GKE Standard cluster: the control plane is replicated across the region's
# zones and one autoscaled node pool spans exactly three of them, so losing a zone (a
# data centre) leaves two thirds of the capacity running while the autoscaler refills the
# other two zones. Nodes have private addresses only; the control plane is reached through
# its IAM-authorised DNS endpoint, its IP endpoints are disabled.

data "google_compute_zones" "up" {
  project = var.project_id
  region  = var.region
  status  = "UP"
}

locals {
  zones = length(var.zones) > 0 ? var.zones : slice(sort(data.google_compute_zones.up.names), 0, min(3, length(data.google_compute_zones.up.names)))
}

# Nodes run as a dedicated service account with only what node agents need, instead of
# the project's default compute account (which holds Editor).
resource "google_service_account" "nodes" {
  project      = var.project_id
  account_id   = "${substr(var.name, 0, 19)}-${substr(sha1(var.name), 0, 4)}-nodes"
  display_name = "GKE nodes of ${var.name}"
}

resource "google_project_iam_member" "nodes" {
  for_each = toset([
    "roles/container.defaultNodeServiceAccount",
    "roles/artifactregistry.reader",
  ])
  project = var.project_id
  role    = each.value
  member  = google_service_account.nodes.member
}

resource "google_container_cluster" "this" {
  project  = var.project_id
  name     = var.name
  location = var.region

  lifecycle {
    precondition {
      condition     = length(local.zones) == 3
      error_message = "Region ${var.region} offers ${length(local.zones)} zones that are UP; the cluster needs three. Pick another region or list three zones in var.zones."
    }
  }

  # The default pool cannot be shaped like the managed one below; it is removed at once.
  remove_default_node_pool = true
  initial_node_count       = 1
  node_locations           = local.zones

  network           = var.network_id
  subnetwork        = var.subnetwork_id
  networking_mode   = "VPC_NATIVE"
  datapath_provider = "ADVANCED_DATAPATH"
  ip_allocation_policy {
    cluster_secondary_range_name  = var.pods_range_name
    services_secondary_range_name = var.services_range_name
    stack_type                    = "IPV4"
  }

  private_cluster_config {
    enable_private_nodes = true
  }
  control_plane_endpoints_config {
    dns_endpoint_config {
      allow_external_traffic = true
    }
    ip_endpoints_config {
      enabled = false
    }
  }

  release_channel {
    channel = var.release_channel
  }

  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }

  maintenance_policy {
    recurring_window {
      start_time = var.maintenance_start_time
      end_time   = timeadd(var.maintenance_start_time, "6h")
      recurrence = var.maintenance_recurrence
    }
  }

  addons_config {
    horizontal_pod_autoscaling {
      disabled = false
    }
    http_load_balancing {
      disabled = false
    }
  }

  vertical_pod_autoscaling {
    enabled = true
  }

  logging_config {
    enable_components = ["SYSTEM_COMPONENTS", "WORKLOADS"]
  }
  monitoring_config {
    enable_components = ["SYSTEM_COMPONENTS"]
    managed_prometheus {
      enabled = true
    }
  }

  # Workload configuration auditing (BASIC) is what GKE's security posture still offers.
  # Its workload vulnerability scanning is retired: the standard tier (VULNERABILITY_BASIC)
  # was shut down on 31 July 2025 and Advanced Vulnerability Insights, deprecated in June
  # 2025, shows no results since June 2026. Said explicitly so the API keeps no retired
  # mode; image vulnerabilities are the registry's and CI's job (see the README).
  security_posture_config {
    mode               = "BASIC"
    vulnerability_mode = "VULNERABILITY_DISABLED"
  }

  # Gateway API: each cluster's entry point is a Gateway on a global static address
  # (cluster-bootstrap), so moving traffic between regions is a DNS change.
  gateway_api_config {
    channel = "CHANNEL_STANDARD"
  }

  node_pool_defaults {
    node_config_defaults {
      insecure_kubelet_readonly_port_enabled = "FALSE"
    }
  }

  enable_shielded_nodes = true
  resource_labels       = var.labels
  deletion_protection   = var.deletion_protection
}

resource "google_container_node_pool" "apps" {
  project        = var.project_id
  name           = "apps"
  cluster        = google_container_cluster.this.id
  location       = var.region
  node_locations = local.zones

  initial_node_count = var.min_nodes_per_zone
  autoscaling {
    min_node_count  = var.min_nodes_per_zone
    max_node_count  = var.max_nodes_per_zone
    location_policy = "BALANCED"
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  # Surge upgrades: one extra node at a time, never fewer than the current count, so
  # PodDisruptionBudgets keep rolling upgrades free of downtime.
  upgrade_settings {
    strategy        = "SURGE"
    max_surge       = 1
    max_unavailable = 0
  }

  node_config {
    machine_type    = var.machine_type
    disk_type       = "pd-balanced"
    disk_size_gb    = var.disk_size_gb
    image_type      = "COS_CONTAINERD"
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    labels          = var.labels
    resource_labels = var.labels

    workload_metadata_config {
      mode = "GKE_METADATA"
    }
    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
  }

  lifecycle {
    # The autoscaler owns the current size.
    ignore_changes = [initial_node_count]
  }
}
