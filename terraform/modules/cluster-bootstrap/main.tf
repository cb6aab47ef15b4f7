# Everything the cluster needs before Argo CD takes over: the database credentials as
# Secrets in the environments' namespaces, Argo CD itself, and the Argo CD objects from
# config/argocd (the AppProject and the operator, dev, test and prod Applications).

# --- Database credentials -------------------------------------------------------------
# The root reads them from Secret Manager as ephemeral values; they reach the Kubernetes
# Secret through a write-only argument, so they are stored neither in state nor in git.

locals {
  # The keys a NotejamInstance's spec.database.mysql.secretRef expects.
  database_secret_keys = ["host", "port", "database", "username", "password"]
}

resource "kubernetes_namespace_v1" "environment" {
  for_each = var.database_secret_versions
  metadata {
    name = "notejam-${each.key}"
  }
  lifecycle {
    # Argo CD (CreateNamespace) and the operator may label and annotate the namespace.
    ignore_changes = [metadata[0].labels, metadata[0].annotations]
  }
}

resource "kubernetes_secret_v1" "database" {
  for_each = var.database_secret_versions
  metadata {
    name      = "notejam-db"
    namespace = kubernetes_namespace_v1.environment[each.key].metadata[0].name
    labels = {
      "app.kubernetes.io/part-of"    = "notejam"
      "app.kubernetes.io/managed-by" = "terraform"
    }
  }
  type             = "Opaque"
  data_wo          = { for key in local.database_secret_keys : key => var.database_credentials[each.key][key] }
  data_wo_revision = tonumber(each.value)
}

# --- Argo CD --------------------------------------------------------------------------

locals {
  kustomization = yamldecode(file("${var.argocd_config_dir}/kustomization.yaml"))

  # The single place that names the git repository Argo CD reads, and the value that
  # config/argocd puts where kustomize writes it.
  repository_url         = trimspace(regex("(?m)^repoURL=(.+)$", file("${var.argocd_config_dir}/repository.properties"))[0])
  repository_placeholder = "REPLACED-BY-KUSTOMIZE"

  # Argo CD settings that config/argocd contributes to Argo CD's own ConfigMap (argocd-cm),
  # e.g. the NotejamInstance health check: "key=file" entries of its generator. The chart
  # owns that ConfigMap, so they are handed to the chart instead of applied on top.
  argocd_cm = merge([
    for generator in try(local.kustomization.configMapGenerator, []) : {
      for entry in try(generator.files, []) :
      split("=", entry)[0] => file("${var.argocd_config_dir}/${split("=", entry)[1]}")
    } if generator.name == "argocd-cm"
  ]...)

  # Every YAML document of the files the kustomization lists (files may hold several).
  argocd_documents = flatten([
    for resource in local.kustomization.resources : [
      for document in split("\n---\n", "\n${file("${var.argocd_config_dir}/${resource}")}\n") : document
      if trimspace(replace(document, "/(?m)^\\s*#.*$/", "")) != ""
    ]
  ])

  # What kustomize does to them: every object goes to Argo CD's namespace, and the
  # placeholder its replacements fill becomes the repository URL, wherever it stands.
  argocd_objects = [
    for document in local.argocd_documents : merge(
      jsondecode(replace(jsonencode(yamldecode(document)), jsonencode(local.repository_placeholder), jsonencode(local.repository_url))),
      { metadata = merge(yamldecode(document).metadata, { namespace = var.argocd_namespace }) }
    )
  ]

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

resource "helm_release" "argocd_objects" {
  name      = "notejam-argocd-objects"
  namespace = var.argocd_namespace
  chart     = "${path.module}/charts/manifests"
  atomic    = true

  values = [yamlencode({
    manifests = local.argocd_objects
  })]

  # The Application and AppProject kinds exist once Argo CD's chart has installed its CRDs.
  depends_on = [helm_release.argocd]
}
