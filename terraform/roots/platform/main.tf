# The Notejam platform in one region: a regional GKE cluster whose nodes span three zones,
# MySQL for test (zonal) and prod (highly available, with a promotable replica in
# var.failover_region), the global address of the cluster's entry point, and the notes
# archive that keeps a daily export of prod for three years in two regions.
#
# A GKE cluster (like a Cloud SQL instance) lives in one region. Zone failures are absorbed
# inside the region (three zones, regional control plane, REGIONAL Cloud SQL); a region
# failure is handled by applying this root for var.failover_region, which adopts the
# promoted replica as its prod database (docs/runbooks/region-evacuation.md).

locals {
  labels = merge(var.labels, {
    platform   = var.name
    managed-by = "terraform"
  })

  apis = toset([
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "compute.googleapis.com",
    "container.googleapis.com",
    "iam.googleapis.com",
    "monitoring.googleapis.com",
    "secretmanager.googleapis.com",
    "servicenetworking.googleapis.com",
    "sqladmin.googleapis.com",
    "storage.googleapis.com",
    "workflowexecutions.googleapis.com",
    "workflows.googleapis.com",
  ])

  # Networks, service accounts, roles and secrets are global: names carry the region so
  # a platform rebuilt in another region of the project never collides with this one.
  stack = "${var.name}-${var.region}"

  # Instance names carry the region: Cloud SQL reserves a deleted instance's name for a
  # while, and a rebuilt platform in another region must not collide with the old one.
  # Prod's cross-region replica is named as the platform of its region names its primary,
  # so that platform adopts it after a promotion.
  instance_names = {
    prod         = "${var.name}-prod-${var.region}"
    test         = "${var.name}-test-${var.region}"
    prod_replica = "${var.name}-prod-${var.failover_region}"
  }

  alert_notification_channels = concat(
    var.alert_notification_channels,
    [for channel in google_monitoring_notification_channel.email : channel.id],
  )
}

# Who hears about failing exports and a lagging replica (Alertmanager, in the cluster, has
# its own receivers: roots/cluster).
resource "google_monitoring_notification_channel" "email" {
  for_each     = toset(var.alert_emails)
  project      = var.project_id
  display_name = "Notejam platform ${var.region}: ${each.value}"
  type         = "email"
  labels = {
    email_address = each.value
  }

  depends_on = [google_project_service.this]
}

# The cluster's entry point (a Gateway, roots/cluster) listens on this global address; DNS
# (roots/traffic) points the host names at the address of the region that serves.
resource "google_compute_global_address" "web" {
  project      = var.project_id
  name         = "${local.stack}-web"
  address_type = "EXTERNAL"
  ip_version   = "IPV4"

  depends_on = [google_project_service.this]
}

resource "google_project_service" "this" {
  for_each = local.apis
  project  = var.project_id
  service  = each.value
  # Other workloads in the project may use the same APIs.
  disable_on_destroy = false
}

module "network" {
  source     = "../../modules/network"
  project_id = var.project_id
  region     = var.region
  name       = local.stack

  depends_on = [google_project_service.this]
}

module "cluster" {
  source              = "../../modules/gke-regional-cluster"
  project_id          = var.project_id
  region              = var.region
  name                = local.stack
  network_id          = module.network.network_id
  subnetwork_id       = module.network.subnetwork_id
  pods_range_name     = module.network.pods_range_name
  services_range_name = module.network.services_range_name
  machine_type        = var.cluster.machine_type
  min_nodes_per_zone  = var.cluster.min_nodes_per_zone
  max_nodes_per_zone  = var.cluster.max_nodes_per_zone
  release_channel     = var.cluster.release_channel
  zones               = var.cluster.zones
  deletion_protection = true
  labels              = local.labels

  depends_on = [google_project_service.this]
}

module "mysql_prod" {
  source                         = "../../modules/cloudsql-mysql"
  project_id                     = var.project_id
  region                         = var.region
  secret_replica_regions         = [var.region, var.failover_region]
  name                           = local.instance_names.prod
  environment                    = "prod"
  tier                           = var.databases.prod_tier
  high_availability              = true
  deletion_protection            = true
  retained_backups               = var.databases.prod_retained_backups
  transaction_log_retention_days = var.databases.prod_transaction_log_days
  credentials_generations        = var.databases.prod_credentials_generations
  private_network_id             = module.network.private_services_network_id
  cross_region_replica = var.databases.prod_cross_region_replica ? {
    name   = local.instance_names.prod_replica
    region = var.failover_region
  } : null
  alert_notification_channels = local.alert_notification_channels
  # Production is updated a week after test (which is on the canary track).
  maintenance_window = {
    day          = var.databases.prod_maintenance_day
    hour         = var.databases.prod_maintenance_hour_utc
    update_track = "stable"
  }
  labels = local.labels

  depends_on = [google_project_service.this]
}

module "mysql_test" {
  source                 = "../../modules/cloudsql-mysql"
  project_id             = var.project_id
  region                 = var.region
  secret_replica_regions = [var.region, var.failover_region]
  name                   = local.instance_names.test
  environment            = "test"
  tier                   = var.databases.test_tier
  high_availability      = false
  # Test data is generated (seeded) and can be recreated; still backed up daily.
  deletion_protection     = false
  retained_backups        = var.databases.test_retained_backups
  credentials_generations = var.databases.test_credentials_generations
  private_network_id      = module.network.private_services_network_id
  maintenance_window = {
    day          = var.databases.test_maintenance_day
    hour         = var.databases.test_maintenance_hour_utc
    update_track = "canary"
  }
  labels = local.labels

  depends_on = [google_project_service.this]
}

module "notes_archive" {
  source                      = "../../modules/notes-archive"
  project_id                  = var.project_id
  name                        = local.stack
  region                      = var.region
  bucket_name                 = var.archive_bucket_name
  bucket_location             = var.archive_bucket_location
  data_regions                = [var.region, var.failover_region]
  lock_retention_policy       = var.lock_archive_retention
  alert_notification_channels = local.alert_notification_channels
  databases = {
    prod = {
      instance_name         = module.mysql_prod.instance_name
      database_name         = module.mysql_prod.database_name
      service_account_email = module.mysql_prod.service_account_email
    }
  }
  labels = local.labels

  depends_on = [google_project_service.this]
}
