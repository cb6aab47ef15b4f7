variable "project_id" {
  description = "Google Cloud project of the cluster."
  type        = string
}

variable "region" {
  description = "Region of the cluster. A regional cluster replicates its control plane and spreads its nodes over zones of this one region; a GKE cluster cannot span regions."
  type        = string
}

variable "zones" {
  description = "Exactly three zones of the region for the node pool. Empty: the first three zones that are UP in the region, in name order."
  type        = list(string)
  default     = []
  validation {
    condition     = length(var.zones) == 0 || length(distinct(var.zones)) == 3
    error_message = "zones must be empty (pick automatically) or list exactly three distinct zones."
  }
}

variable "name" {
  description = "Name of the cluster."
  type        = string
  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$", var.name))
    error_message = "name must be a lowercase RFC 1035 label of at most 40 characters."
  }
}

variable "network_id" {
  description = "Id of the VPC the cluster joins."
  type        = string
}

variable "subnetwork_id" {
  description = "Id of the subnet for the nodes; it carries the pods and services secondary ranges."
  type        = string
}

variable "pods_range_name" {
  description = "Name of the subnet's secondary range for pods."
  type        = string
}

variable "services_range_name" {
  description = "Name of the subnet's secondary range for Services."
  type        = string
}

variable "release_channel" {
  description = "GKE release channel: the control plane and nodes are upgraded automatically within it."
  type        = string
  default     = "REGULAR"
  validation {
    condition     = contains(["RAPID", "REGULAR", "STABLE"], var.release_channel)
    error_message = "release_channel must be RAPID, REGULAR or STABLE."
  }
}

variable "machine_type" {
  description = "Machine type of the application node pool."
  type        = string
  default     = "e2-standard-4"
}

variable "min_nodes_per_zone" {
  description = "Autoscaler lower bound per zone: what business hours need with one zone lost (see the sizing note in the Infrastructure section of the README)."
  type        = number
  default     = 1
  validation {
    condition     = var.min_nodes_per_zone >= 1
    error_message = "min_nodes_per_zone must be at least 1 so every zone keeps a node and zone-spread pods stay schedulable."
  }
}

variable "max_nodes_per_zone" {
  description = "Autoscaler upper bound per zone; sized for four times the typical load."
  type        = number
  default     = 4
  validation {
    condition     = var.max_nodes_per_zone >= 4 * var.min_nodes_per_zone
    error_message = "max_nodes_per_zone must be at least four times min_nodes_per_zone: traffic peaks at four times the typical load."
  }
}

variable "disk_size_gb" {
  description = "Boot disk size of each node."
  type        = number
  default     = 100
  validation {
    condition     = var.disk_size_gb >= 20
    error_message = "disk_size_gb must be at least 20."
  }
}

variable "maintenance_start_time" {
  description = "Start of the weekly maintenance window, RFC 3339 (only the time of day and weekday matter)."
  type        = string
  default     = "2026-01-03T02:00:00Z"
}

variable "maintenance_recurrence" {
  description = "RRULE of the maintenance window: upgrades happen on weekend nights, outside business hours."
  type        = string
  default     = "FREQ=WEEKLY;BYDAY=SA,SU"
}

variable "deletion_protection" {
  description = "Refuse to destroy the cluster from Terraform."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels for the cluster and its nodes."
  type        = map(string)
  default     = {}
}
