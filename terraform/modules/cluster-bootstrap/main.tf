# Everything the cluster needs before Argo CD takes over: Argo CD itself, the bootstrap of
# config/argocd/bootstrap (the environments' namespaces, the platform project and the one
# root Application, which deploys everything else from git; the local suite installs the
# same chart, hack/gitops/bootstrap.sh), the database credentials as Secrets in the
# environments' namespaces, the cluster's entry point (a Gateway on the platform's global
# address) and the Secret with Alertmanager's webhook URLs. What differs between regions is
# here, what is the same in every region is in git.

# --- Database credentials -------------------------------------------------------------
# The root reads them from Secret Manager as ephemeral values; they reach the Kubernetes
# Secret through a write-only argument, so they are stored neither in state nor in git.

locals {
  # The keys a NotejamInstance's spec.database.mysql.secretRef expects (tls and ca become
  # the app's DB_TLS and DB_TLS_CA).
  database_secret_keys = ["host", "port", "database", "username", "password", "tls", "ca"]
}

resource "kubernetes_secret_v1" "database" {
  for_each = var.database_secret_versions
  metadata {
    name = "notejam-db"
    # The bootstrap's namespace: it owns them, so no Application ever deletes one.
    namespace = "notejam-${each.key}"
    labels = {
      "app.kubernetes.io/part-of"    = "notejam"
      "app.kubernetes.io/managed-by" = "terraform"
    }
  }
  type             = "Opaque"
  data_wo          = { for key in local.database_secret_keys : key => var.database_credentials[each.key][key] }
  data_wo_revision = tonumber(each.value)

  depends_on = [helm_release.bootstrap]
}

# --- Argo CD --------------------------------------------------------------------------

locals {
  # Argo CD settings that config/argocd contributes to Argo CD's own ConfigMap (argocd-cm):
  # the health checks of NotejamInstance and Application, "key=file" entries of its
  # generator. The chart owns that ConfigMap, so they are handed to the chart.
  kustomization = yamldecode(file("${var.argocd_config_dir}/kustomization.yaml"))
  argocd_cm = merge([
    for generator in try(local.kustomization.configMapGenerator, []) : {
      for entry in try(generator.files, []) :
      split("=", entry)[0] => file("${var.argocd_config_dir}/${split("=", entry)[1]}")
    } if generator.name == "argocd-cm"
  ]...)

  argocd_replicas = var.argocd_high_availability ? 2 : 1
}

resource "helm_release" "argocd" {
  name             = "argocd"
  namespace        = var.argocd_namespace
  create_namespace = true
  repository       = var.argocd_chart_repository
  chart            = "argo-cd"
  version          = var.argocd_chart_version
  atomic           = true
  cleanup_on_fail  = true
  timeout          = 900
  max_history      = 10

  values = [yamlencode({
    configs = {
      cm = local.argocd_cm
    }
    "redis-ha" = {
      enabled = var.argocd_high_availability
    }
    server = {
      replicas = local.argocd_replicas
    }
    repoServer = {
      replicas = local.argocd_replicas
    }
    applicationSet = {
      replicas = local.argocd_replicas
    }
  })]
}

resource "helm_release" "bootstrap" {
  name      = "notejam-bootstrap"
  namespace = var.argocd_namespace
  chart     = "${var.argocd_config_dir}/bootstrap"
  atomic    = true

  values = [yamlencode({
    repoURL         = var.repository_url
    releasesRepoURL = var.releases_repository_url
    platform        = var.platform_values
  })]

  # The Application and AppProject kinds exist once Argo CD's chart has installed its CRDs.
  depends_on = [helm_release.argocd]
}

# --- Entry point: a Gateway on the platform's global address ------------------------------
# One global external Application Load Balancer per cluster, on the address the platform
# root reserved for this region; roots/traffic points the host names at the serving
# region's address. Health checks ask /readyz, so a pod without its database takes no
# traffic.

locals {
  web_namespace = "notejam-web"
  gateway = {
    apiVersion = "gateway.networking.k8s.io/v1"
    kind       = "Gateway"
    metadata = merge(
      { name = "notejam", namespace = local.web_namespace },
      var.web.certificate_map == null ? {} : { annotations = { "networking.gke.io/certmap" = var.web.certificate_map } },
    )
    spec = {
      gatewayClassName = "gke-l7-global-external-managed"
      addresses        = [{ type = "NamedAddress", value = var.web.address_name }]
      listeners = [{
        name     = var.web.certificate_map == null ? "http" : "https"
        protocol = var.web.certificate_map == null ? "HTTP" : "HTTPS"
        port     = var.web.certificate_map == null ? 80 : 443
        allowedRoutes = {
          namespaces = {
            from     = "Selector"
            selector = { matchExpressions = [{ key = "kubernetes.io/metadata.name", operator = "In", values = [for environment in keys(var.web.hosts) : "notejam-${environment}"] }] }
          }
        }
      }]
    }
  }
  routes = [
    for environment, host in var.web.hosts : {
      apiVersion = "gateway.networking.k8s.io/v1"
      kind       = "HTTPRoute"
      metadata   = { name = "notejam", namespace = "notejam-${environment}" }
      spec = {
        parentRefs = [{ name = "notejam", namespace = local.web_namespace }]
        hostnames  = [host]
        # The Service the operator creates for the instance named notejam (samples/).
        rules = [{ backendRefs = [{ name = "notejam", port = 80 }] }]
      }
    }
  ]
  health_checks = [
    for environment in keys(var.web.hosts) : {
      apiVersion = "networking.gke.io/v1"
      kind       = "HealthCheckPolicy"
      metadata   = { name = "notejam", namespace = "notejam-${environment}" }
      spec = {
        default = {
          config = {
            type            = "HTTP"
            httpHealthCheck = { requestPath = "/readyz" }
          }
        }
        targetRef = { group = "", kind = "Service", name = "notejam" }
      }
    }
  ]
}

resource "helm_release" "web" {
  name             = "notejam-web"
  namespace        = local.web_namespace
  create_namespace = true
  chart            = "${path.module}/charts/manifests"
  atomic           = true

  values = [yamlencode({
    manifests = concat([local.gateway], local.routes, local.health_checks)
  })]

  # The routes live in the environments' namespaces, which the bootstrap creates.
  depends_on = [helm_release.bootstrap]
}

# --- Alertmanager's receivers --------------------------------------------------------------
# config/argocd/platform/kube-prometheus-stack.yaml routes alerts to webhooks whose URLs Alertmanager reads
# from this Secret (mounted through alertmanagerSpec.secrets): the URLs stay out of git
# and, written through a write-only argument, out of state.

locals {
  alertmanager_receivers_secret = "alertmanager-notejam-receivers"
  # The key holding each webhook's URL: kube-prometheus-stack.yaml's receivers read these
  # files.
  alertmanager_webhook_keys = { critical = "critical-webhook-url", warning = "warning-webhook-url" }
}

resource "kubernetes_namespace_v1" "monitoring" {
  metadata {
    name = "monitoring"
  }
  lifecycle {
    ignore_changes = [metadata[0].labels, metadata[0].annotations]
  }
}

resource "kubernetes_secret_v1" "alertmanager_receivers" {
  metadata {
    name      = local.alertmanager_receivers_secret
    namespace = kubernetes_namespace_v1.monitoring.metadata[0].name
    labels = {
      "app.kubernetes.io/part-of"    = "notejam"
      "app.kubernetes.io/managed-by" = "terraform"
    }
  }
  type             = "Opaque"
  data_wo          = { for severity, key in local.alertmanager_webhook_keys : key => var.alertmanager_webhooks[severity] }
  data_wo_revision = var.alertmanager_webhooks_revision
}
