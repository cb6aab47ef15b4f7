# Where users go: the public DNS records of the host names, pointing at the Gateway address
# of the region that serves, and the certificate every region's Gateway presents. Both are
# global and outlive any region. A region move is `-var serving_region=<new>` here; the
# certificate is authorised through DNS, so it is valid in the standby region before any
# traffic arrives there (docs/runbooks/region-evacuation.md).

data "terraform_remote_state" "serving" {
  backend = "gcs"
  config = {
    bucket = var.state_bucket
    prefix = "platform/${var.serving_region}"
  }
}

locals {
  serving_address = data.terraform_remote_state.serving.outputs.web.address
  zone_name       = replace(trimsuffix(var.dns_name, "."), ".", "-")
}

resource "google_dns_managed_zone" "web" {
  name        = local.zone_name
  dns_name    = var.dns_name
  description = "Notejam's public host names"
  dnssec_config {
    state = "on"
  }
}

resource "google_dns_record_set" "host" {
  for_each     = var.hosts
  managed_zone = google_dns_managed_zone.web.name
  name         = "${each.value}."
  type         = "A"
  ttl          = var.ttl_seconds
  rrdatas      = [local.serving_address]
}

# --- The certificate of every region's Gateway ------------------------------------------

resource "google_certificate_manager_dns_authorization" "host" {
  for_each = var.hosts
  name     = "notejam-${each.key}"
  domain   = each.value
}

resource "google_dns_record_set" "authorization" {
  for_each     = var.hosts
  managed_zone = google_dns_managed_zone.web.name
  name         = google_certificate_manager_dns_authorization.host[each.key].dns_resource_record[0].name
  type         = google_certificate_manager_dns_authorization.host[each.key].dns_resource_record[0].type
  ttl          = 300
  rrdatas      = [google_certificate_manager_dns_authorization.host[each.key].dns_resource_record[0].data]
}

resource "google_certificate_manager_certificate" "web" {
  name = "notejam-web"
  managed {
    domains            = values(var.hosts)
    dns_authorizations = [for authorization in google_certificate_manager_dns_authorization.host : authorization.id]
  }
}

resource "google_certificate_manager_certificate_map" "web" {
  name = "notejam"
}

resource "google_certificate_manager_certificate_map_entry" "host" {
  for_each     = var.hosts
  name         = "notejam-${each.key}"
  map          = google_certificate_manager_certificate_map.web.name
  hostname     = each.value
  certificates = [google_certificate_manager_certificate.web.id]
}
