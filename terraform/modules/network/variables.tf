variable "project_id" {
  description = "Google Cloud project that owns the network."
  type        = string
}

variable "region" {
  description = "Region of the subnet, router and NAT (the platform's region)."
  type        = string
}

variable "name" {
  description = "Name of the VPC network and prefix of everything else this module creates. Networks are global: a second platform in another region of the project needs another name."
  type        = string
  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,40}[a-z0-9])?$", var.name))
    error_message = "name must be a lowercase RFC 1035 label of at most 42 characters."
  }
}

variable "nodes_cidr" {
  description = "Primary range of the subnet: one address per node."
  type        = string
  default     = "10.10.0.0/20"
  validation {
    condition     = can(cidrhost(var.nodes_cidr, 0))
    error_message = "nodes_cidr must be an IPv4 CIDR block such as 10.10.0.0/20."
  }
}

variable "pods_cidr" {
  description = "Secondary range for pods (VPC-native cluster): a /14 leaves room for 1024 nodes at 110 pods each."
  type        = string
  default     = "10.16.0.0/14"
  validation {
    condition     = can(cidrhost(var.pods_cidr, 0))
    error_message = "pods_cidr must be an IPv4 CIDR block such as 10.16.0.0/14."
  }
}

variable "services_cidr" {
  description = "Secondary range for Kubernetes Services."
  type        = string
  default     = "10.20.0.0/20"
  validation {
    condition     = can(cidrhost(var.services_cidr, 0))
    error_message = "services_cidr must be an IPv4 CIDR block such as 10.20.0.0/20."
  }
}

variable "private_services_prefix_length" {
  description = "Size of the range reserved for Google-managed services (Cloud SQL private IP) in the VPC."
  type        = number
  default     = 20
  validation {
    condition     = var.private_services_prefix_length >= 16 && var.private_services_prefix_length <= 24
    error_message = "private_services_prefix_length must be between 16 and 24."
  }
}
