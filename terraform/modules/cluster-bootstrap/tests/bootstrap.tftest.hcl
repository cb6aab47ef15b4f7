mock_provider "kubernetes" {
  # What a Secret written through data_wo reads back: nothing (the provider skips `data`
  # while data_wo_revision is set). A `data` argument in the module would show instead.
  mock_resource "kubernetes_secret_v1" {
    defaults = {
      data = {}
    }
  }
}
mock_provider "helm" {}

variables {
  database_secret_versions = { test = "2", prod = "5" }
  database_credentials = {
    test = { host = "10.100.0.6", port = "3306", database = "notejam", username = "notejam-1", password = "test-password", tls = "require", ca = "-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----" }
    prod = { host = "10.100.0.5", port = "3306", database = "notejam", username = "notejam-2", password = "prod-password", tls = "require", ca = "-----BEGIN CERTIFICATE-----\nprod\n-----END CERTIFICATE-----" }
  }
  web = {
    address_name    = "notejam-europe-west1-web"
    hosts           = { prod = "notejam.example.com", test = "test.notejam.example.com" }
    certificate_map = "notejam"
  }
  alertmanager_webhooks = {
    critical = "https://pager.example.com/hooks/abc"
    warning  = "https://tickets.example.com/hooks/def"
  }
  # The real Argo CD configuration of this repository.
  argocd_config_dir       = "../../../config/argocd"
  repository_url          = "https://git.example.com/notejam.git"
  releases_repository_url = "ssh://git@git.example.com/notejam.git"
  platform_values         = { images = { notejam = "ghcr.io/example/notejam" } }
  argocd_chart_repository = "https://charts.example.com/argo"
  argocd_chart_version    = "9.0.0"
}

run "database_secrets_for_test_and_prod" {
  command = apply

  assert {
    condition     = output.database_secrets == { test = "notejam-test/notejam-db", prod = "notejam-prod/notejam-db" }
    error_message = "test and prod must each get the Secret notejam-db in their namespace."
  }
  assert {
    condition     = kubernetes_secret_v1.database["prod"].data_wo_revision == 5 && kubernetes_secret_v1.database["test"].data_wo_revision == 2
    error_message = "A new secret version must rewrite the Kubernetes Secret."
  }
  assert {
    condition     = kubernetes_secret_v1.database["prod"].type == "Opaque" && kubernetes_secret_v1.database["prod"].metadata[0].labels["app.kubernetes.io/managed-by"] == "terraform"
    error_message = "The Secrets are plain Opaque Secrets labelled as managed by Terraform."
  }
  assert {
    condition     = length(kubernetes_secret_v1.database["prod"].data) == 0 && length(kubernetes_secret_v1.database["test"].data) == 0
    error_message = "The credentials reach the Secret through the write-only argument only, never through data (state)."
  }
  # What the write-only argument carries cannot be read back; which keys it takes can.
  assert {
    condition     = local.database_secret_keys == ["host", "port", "database", "username", "password", "tls", "ca"]
    error_message = "The Secret must carry TLS (tls, ca) next to the connection and password: Cloud SQL accepts TLS only."
  }
}

run "an_entry_point_on_the_regions_global_address" {
  command = apply

  assert {
    condition = (
      local.gateway.spec.gatewayClassName == "gke-l7-global-external-managed" &&
      local.gateway.spec.addresses == [{ type = "NamedAddress", value = "notejam-europe-west1-web" }] &&
      local.gateway.metadata.annotations["networking.gke.io/certmap"] == "notejam" &&
      local.gateway.spec.listeners[0].protocol == "HTTPS"
    )
    error_message = "The Gateway must be a global external load balancer on the platform's address, HTTPS with the certificate map."
  }
  assert {
    condition = toset([
      for route in yamldecode(helm_release.web.values[0]).manifests : "${route.metadata.namespace} ${route.spec.hostnames[0]} ${route.spec.rules[0].backendRefs[0].name}:${route.spec.rules[0].backendRefs[0].port}"
      if route.kind == "HTTPRoute"
      ]) == toset([
      "notejam-prod notejam.example.com notejam:80",
      "notejam-test test.notejam.example.com notejam:80",
    ])
    error_message = "Each environment's host must reach its notejam Service."
  }
  assert {
    condition = alltrue([
      for policy in yamldecode(helm_release.web.values[0]).manifests : policy.spec.default.config.httpHealthCheck.requestPath == "/readyz"
      if policy.kind == "HealthCheckPolicy"
    ]) && length([for policy in yamldecode(helm_release.web.values[0]).manifests : policy if policy.kind == "HealthCheckPolicy"]) == 2
    error_message = "The load balancer must take a pod out when /readyz fails (no database)."
  }
}

run "alertmanager_reads_its_webhooks_from_the_secret_written_here" {
  command = apply

  assert {
    condition     = output.alertmanager_receivers_secret == "monitoring/alertmanager-notejam-receivers" && length(kubernetes_secret_v1.alertmanager_receivers.data) == 0 && kubernetes_secret_v1.alertmanager_receivers.data_wo_revision == 1
    error_message = "The webhook URLs go to their Secret in monitoring, through the write-only argument."
  }
  # The one fact shared with git: the values in
  # config/argocd/platform/kube-prometheus-stack.yaml mount this
  # Secret and read exactly these keys (monitoring/test/stack-values.test.ts checks and
  # routes that configuration with amtool).
  assert {
    condition = contains(
      yamldecode(file("../../../config/argocd/platform/kube-prometheus-stack.yaml")).values.alertmanager.alertmanagerSpec.secrets,
      kubernetes_secret_v1.alertmanager_receivers.metadata[0].name,
    )
    error_message = "kube-prometheus-stack.yaml must mount the receivers Secret into Alertmanager."
  }
  assert {
    condition = toset(flatten([
      for receiver in yamldecode(file("../../../config/argocd/platform/kube-prometheus-stack.yaml")).values.alertmanager.config.receivers :
      [for webhook in try(receiver.webhook_configs, []) : webhook.url_file]
      ])) == toset([
      for key in values(local.alertmanager_webhook_keys) :
      "/etc/alertmanager/secrets/${kubernetes_secret_v1.alertmanager_receivers.metadata[0].name}/${key}"
    ])
    error_message = "Alertmanager's webhook receivers must read the keys this module writes."
  }
}

run "plain_http_without_a_certificate_map" {
  command = plan
  variables {
    web = {
      address_name = "notejam-europe-west1-web"
      hosts        = { prod = "notejam.example.com" }
    }
  }

  assert {
    condition     = local.gateway.spec.listeners[0].protocol == "HTTP" && local.gateway.spec.listeners[0].port == 80 && !contains(keys(local.gateway.metadata), "annotations")
    error_message = "Without a certificate map the Gateway serves plain HTTP."
  }
}

run "refuses_a_webhook_that_is_not_https" {
  command = plan
  variables {
    alertmanager_webhooks = {
      critical = "http://pager.example.com/hook"
      warning  = "https://tickets.example.com/hook"
    }
  }
  expect_failures = [var.alertmanager_webhooks]
}

run "bootstraps_from_git_with_one_root_of_the_local_suites_chart" {
  command = apply

  assert {
    condition     = helm_release.bootstrap.chart == "../../../config/argocd/bootstrap"
    error_message = "Terraform installs config/argocd/bootstrap, the chart the local suite installs too (hack/gitops/bootstrap.sh)."
  }
  assert {
    condition     = yamldecode(helm_release.bootstrap.values[0]).repoURL == "https://git.example.com/notejam.git"
    error_message = "The repository URL is one variable, handed to the bootstrap chart."
  }
  assert {
    condition     = output.repository_url == "https://git.example.com/notejam.git" && output.bootstrap_release == "argocd/notejam-bootstrap"
    error_message = "The outputs name the repository and the bootstrap release."
  }
  assert {
    condition     = yamldecode(helm_release.bootstrap.values[0]).platform.images.notejam == "ghcr.io/example/notejam"
    error_message = "The platform's values reach the root."
  }
}

run "argocd_gets_the_health_checks_and_runs_highly_available" {
  command = apply

  assert {
    condition     = contains(keys(yamldecode(helm_release.argocd.values[0]).configs.cm), "resource.customizations.health.notejam.io_NotejamInstance")
    error_message = "Argo CD must know how to judge a NotejamInstance's health."
  }
  assert {
    condition     = yamldecode(helm_release.argocd.values[0]).configs.cm["resource.customizations.health.argoproj.io_Application"] == file("../../../config/argocd/health/application.lua")
    error_message = "Argo CD must judge child Applications' health, or the root's sync waves wait for nothing."
  }
  assert {
    condition     = yamldecode(helm_release.argocd.values[0])["redis-ha"].enabled && yamldecode(helm_release.argocd.values[0]).server.replicas == 2
    error_message = "Argo CD must run highly available by default."
  }
  assert {
    condition     = helm_release.argocd.version == "9.0.0" && helm_release.argocd.namespace == "argocd"
    error_message = "The chart version is pinned and Argo CD lives in its namespace."
  }
}

run "refuses_a_dev_database" {
  command = plan
  variables {
    database_secret_versions = { dev = "1" }
  }
  expect_failures = [var.database_secret_versions]
}

run "refuses_a_floating_secret_version" {
  command = plan
  variables {
    database_secret_versions = { prod = "latest" }
  }
  expect_failures = [var.database_secret_versions]
}

run "refuses_a_repository_url_that_is_no_git_url" {
  command = plan
  variables {
    repository_url = "notejam"
  }
  expect_failures = [var.repository_url]
}

run "refuses_the_repository_url_as_releases_repository_url" {
  command = plan
  variables {
    releases_repository_url = "https://git.example.com/Notejam"
  }
  expect_failures = [var.releases_repository_url]
}
