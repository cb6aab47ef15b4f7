mock_provider "google" {
  # Listed out of order on purpose: the module sorts them.
  mock_data "google_compute_zones" {
    defaults = {
      names = ["europe-west1-d", "europe-west1-b", "europe-west1-c"]
    }
  }
}

variables {
  project_id          = "notejam-platform"
  region              = "europe-west1"
  name                = "notejam"
  network_id          = "projects/notejam-platform/global/networks/notejam"
  subnetwork_id       = "projects/notejam-platform/regions/europe-west1/subnetworks/notejam-europe-west1"
  pods_range_name     = "pods"
  services_range_name = "services"
}

run "regional_cluster_with_nodes_in_three_zones" {
  command = plan

  assert {
    condition     = google_container_cluster.this.location == "europe-west1"
    error_message = "The cluster must be regional (location is the region), so its control plane is replicated across zones."
  }
  assert {
    condition     = output.zones == tolist(["europe-west1-b", "europe-west1-c", "europe-west1-d"])
    error_message = "The node pool must span three zones of the region."
  }
  assert {
    condition     = google_container_node_pool.apps.node_locations == toset(["europe-west1-b", "europe-west1-c", "europe-west1-d"])
    error_message = "The application node pool must run in all three zones."
  }
  assert {
    condition     = google_container_cluster.this.remove_default_node_pool
    error_message = "The default node pool must be replaced by the managed one."
  }
}

run "autoscales_for_four_times_the_typical_load" {
  command = plan

  assert {
    condition = (
      google_container_node_pool.apps.autoscaling[0].min_node_count == 1 &&
      google_container_node_pool.apps.autoscaling[0].max_node_count == 4 &&
      google_container_node_pool.apps.autoscaling[0].location_policy == "BALANCED"
    )
    error_message = "Each zone must scale between 1 and 4 nodes, balanced across zones."
  }
  assert {
    condition     = output.autoscaling_bounds == { min = 3, max = 12 }
    error_message = "The pool must scale from 3 to 12 nodes in total."
  }
  assert {
    condition     = google_container_node_pool.apps.upgrade_settings[0].max_unavailable == 0
    error_message = "Upgrades must add a node before removing one."
  }
}

run "secure_defaults" {
  command = plan

  assert {
    condition     = google_container_cluster.this.private_cluster_config[0].enable_private_nodes
    error_message = "Nodes must have private addresses only."
  }
  assert {
    condition = (
      !google_container_cluster.this.control_plane_endpoints_config[0].ip_endpoints_config[0].enabled &&
      google_container_cluster.this.control_plane_endpoints_config[0].dns_endpoint_config[0].allow_external_traffic
    )
    error_message = "The control plane must be reached through its IAM-authorised DNS endpoint only."
  }
  assert {
    condition     = google_container_cluster.this.workload_identity_config[0].workload_pool == "notejam-platform.svc.id.goog"
    error_message = "Workload Identity must be enabled."
  }
  assert {
    condition     = google_container_node_pool.apps.node_config[0].workload_metadata_config[0].mode == "GKE_METADATA"
    error_message = "Pods must get credentials from the GKE metadata server (Workload Identity), never the node's."
  }
  assert {
    condition     = google_container_cluster.this.release_channel[0].channel == "REGULAR"
    error_message = "The cluster must follow a release channel."
  }
  assert {
    condition     = google_container_cluster.this.deletion_protection
    error_message = "The cluster must be protected from deletion by default."
  }
  assert {
    condition     = google_container_node_pool.apps.node_config[0].shielded_instance_config[0].enable_secure_boot
    error_message = "Nodes must boot with Secure Boot."
  }
  assert {
    condition = (
      google_container_cluster.this.security_posture_config[0].mode == "BASIC" &&
      google_container_cluster.this.security_posture_config[0].vulnerability_mode == "VULNERABILITY_DISABLED"
    )
    error_message = "Configuration auditing stays on; the retired vulnerability scanning modes (VULNERABILITY_BASIC, VULNERABILITY_ENTERPRISE) must not be asked for."
  }
  assert {
    condition     = google_container_cluster.this.gateway_api_config[0].channel == "CHANNEL_STANDARD"
    error_message = "The Gateway API must be on: the cluster's entry point is a Gateway."
  }
}

run "explicit_zones_are_used_as_given" {
  command = plan
  variables {
    zones = ["europe-west1-b", "europe-west1-c", "europe-west1-d"]
  }

  assert {
    condition     = output.zones == tolist(["europe-west1-b", "europe-west1-c", "europe-west1-d"])
    error_message = "Given zones must be used."
  }
}

run "refuses_a_region_with_fewer_than_three_zones" {
  command = plan
  override_data {
    target = data.google_compute_zones.up
    values = {
      names = ["europe-west1-b", "europe-west1-c"]
    }
  }
  expect_failures = [google_container_cluster.this]
}

run "refuses_two_zones" {
  command = plan
  variables {
    zones = ["europe-west1-b", "europe-west1-c"]
  }
  expect_failures = [var.zones]
}

run "refuses_a_ceiling_below_four_times_the_floor" {
  command = plan
  variables {
    min_nodes_per_zone = 2
    max_nodes_per_zone = 6
  }
  expect_failures = [var.max_nodes_per_zone]
}
