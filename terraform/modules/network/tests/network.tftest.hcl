mock_provider "google" {}

variables {
  project_id = "notejam-platform"
  region     = "europe-west1"
  name       = "notejam-europe-west1"
}

run "vpc_native_subnet_with_private_access_and_nat" {
  command = plan

  assert {
    condition     = !google_compute_network.this.auto_create_subnetworks
    error_message = "The VPC must be custom-mode: subnets are planned, not created in every region."
  }
  assert {
    condition     = google_compute_subnetwork.nodes.region == "europe-west1" && google_compute_subnetwork.nodes.private_ip_google_access
    error_message = "The nodes' subnet lives in the platform's region and reaches Google APIs without public IPs."
  }
  assert {
    condition = [for range in google_compute_subnetwork.nodes.secondary_ip_range : range.range_name] == ["pods", "services"] && [
      for range in google_compute_subnetwork.nodes.secondary_ip_range : range.ip_cidr_range
    ] == ["10.16.0.0/14", "10.20.0.0/20"]
    error_message = "The subnet must carry the pods and services secondary ranges of a VPC-native cluster."
  }
  assert {
    condition     = google_compute_router_nat.this.source_subnetwork_ip_ranges_to_nat == "ALL_SUBNETWORKS_ALL_IP_RANGES"
    error_message = "Private nodes and pods reach image registries through Cloud NAT."
  }
  assert {
    condition     = google_compute_global_address.private_services.purpose == "VPC_PEERING" && google_compute_global_address.private_services.prefix_length == 20
    error_message = "A /20 is reserved for Google-managed services (Cloud SQL private IPs)."
  }
}

run "refuses_an_invalid_cidr" {
  command = plan
  variables {
    pods_cidr = "10.16.0.0"
  }
  expect_failures = [var.pods_cidr]
}

run "refuses_an_invalid_name" {
  command = plan
  variables {
    name = "Notejam_Network"
  }
  expect_failures = [var.name]
}
