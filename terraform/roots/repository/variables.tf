variable "owner" {
  description = "GitHub organisation or user that owns the repository."
  type        = string
}

variable "repository" {
  description = "Name of the Notejam repository."
  type        = string
  default     = "notejam"
}

variable "required_approvals" {
  description = "Approving reviews a pull request into dev, test or prod needs."
  type        = number
  default     = 1
}
