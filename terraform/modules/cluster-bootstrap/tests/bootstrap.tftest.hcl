mock_provider "kubernetes" {}
mock_provider "helm" {}

variables {
  database_secret_versions = { test = "2", prod = "5" }
  database_credentials = {
    test = { host = "10.100.0.6", port = "3306", database = "notejam", username = "notejam", password = "test-password" }
    prod = { host = "10.100.0.5", port = "3306", database = "notejam", username = "notejam", password = "prod-password" }
  }
  # The real Argo CD objects of this repository.
  argocd_config_dir       = "../../../config/argocd"
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
}

run "applies_every_argocd_object_of_config_argocd" {
  command = apply

  assert {
    condition = alltrue([
      for object in [
        "AppProject/notejam",
        "Application/notejam-operator",
        "Application/notejam-dev",
        "Application/notejam-test",
        "Application/notejam-prod",
      ] : contains(output.argocd_objects, object)
    ])
    error_message = "The project and the operator, dev, test and prod Applications must all be applied."
  }
  assert {
    condition = length(output.argocd_objects) == sum([
      for resource in yamldecode(file("../../../config/argocd/kustomization.yaml")).resources :
      length(regexall("(?m)^kind: ", file("../../../config/argocd/${resource}")))
    ])
    error_message = "Every object of every file the kustomization lists must be applied (files may hold several)."
  }
  assert {
    condition = alltrue([
      for object in yamldecode(helm_release.argocd_objects.values[0]).manifests :
      object.metadata.namespace == "argocd"
    ])
    error_message = "Every Argo CD object belongs in Argo CD's namespace."
  }
  assert {
    condition     = !strcontains(helm_release.argocd_objects.values[0], "REPLACED-BY-KUSTOMIZE")
    error_message = "Every placeholder kustomize would fill must be replaced by the repository URL."
  }
  assert {
    condition = alltrue([
      for object in yamldecode(helm_release.argocd_objects.values[0]).manifests :
      object.spec.source.repoURL == output.repository_url
      if contains(["notejam-operator", "notejam-dev", "notejam-test", "notejam-prod"], object.metadata.name)
    ])
    error_message = "The operator and environment Applications must read the repository named in repository.properties."
  }
  assert {
    condition = alltrue([
      for object in yamldecode(helm_release.argocd_objects.values[0]).manifests :
      object.spec.sourceRepos[0] == output.repository_url if object.kind == "AppProject"
    ])
    error_message = "Every project must allow that repository."
  }
  assert {
    condition     = output.repository_url == trimspace(split("=", file("../../../config/argocd/repository.properties"))[1])
    error_message = "The repository URL comes from repository.properties."
  }
  assert {
    condition = alltrue([
      for object in yamldecode(helm_release.argocd_objects.values[0]).manifests :
      object.spec.source.targetRevision == trimprefix(object.metadata.name, "notejam-")
      if contains(["notejam-dev", "notejam-test", "notejam-prod"], object.metadata.name)
    ])
    error_message = "Each environment Application must follow its own branch."
  }
}

run "argocd_gets_the_notejam_health_check_and_runs_highly_available" {
  command = apply

  assert {
    condition     = contains(keys(yamldecode(helm_release.argocd.values[0]).configs.cm), "resource.customizations.health.notejam.io_NotejamInstance")
    error_message = "Argo CD must know how to judge a NotejamInstance's health."
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
