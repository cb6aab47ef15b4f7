# The repository rules of the promotion path, as rulesets (they bind a required check to the
# app that must report it, which classic branch protection cannot):
# - dev, test and prod take changes only through pull requests approved by a reviewer and,
#   where they touch what decides how code reaches the cluster (.github/, config/argocd/,
#   the CRD: .github/CODEOWNERS), by a code owner; never by direct or force pushes, and
#   they cannot be deleted. Nobody bypasses them, administrators included.
# - test and prod also require promotion-guard (.github/workflows/promotion-guard.yml runs
#   on pull_request_target: the base branch's workflow, never the pull request's code),
#   which refuses a pull request into test whose head is not dev and one into prod whose
#   head is not test. Every required check must come from GitHub Actions itself, so no one
#   can post a green status of that name by hand.
# - No "branch up to date" requirement: test only ever receives dev, so merging dev into
#   test yields exactly dev's tree, the one its checks passed on; requiring the head to be
#   up to date would make every routine promotion out of date right after the previous one
#   (the merge commit is on test, not on dev) with no allowed way to update it.
# - The releases branch, where the pipeline records what each environment runs
#   (hack/gitops/pipeline.sh), is written only by CI: no pull requests, no people.

data "github_repository" "this" {
  name = var.repository
}

resource "github_branch" "environment" {
  for_each      = var.environment_branches
  repository    = data.github_repository.this.name
  branch        = each.key
  source_branch = var.source_branch

  lifecycle {
    # The branch moves on with every merge; Terraform only makes sure it exists.
    ignore_changes = [source_branch, source_sha]
  }
}

resource "github_repository_ruleset" "environment" {
  for_each    = var.environment_branches
  name        = "environment-${each.key}"
  repository  = data.github_repository.this.name
  target      = "branch"
  enforcement = "active"

  conditions {
    ref_name {
      include = ["refs/heads/${github_branch.environment[each.key].branch}"]
      exclude = []
    }
  }

  rules {
    deletion         = true
    non_fast_forward = true

    pull_request {
      required_approving_review_count   = var.required_approvals
      require_code_owner_review         = true
      dismiss_stale_reviews_on_push     = true
      require_last_push_approval        = var.required_approvals > 0
      required_review_thread_resolution = true
    }

    required_status_checks {
      strict_required_status_checks_policy = false
      dynamic "required_check" {
        for_each = each.value.required_checks
        content {
          context        = required_check.value
          integration_id = var.ci_integration_id
        }
      }
    }
  }
}

resource "github_repository_ruleset" "releases" {
  name        = "releases"
  repository  = data.github_repository.this.name
  target      = "branch"
  enforcement = "active"

  conditions {
    ref_name {
      include = ["refs/heads/${var.releases_branch}"]
      exclude = []
    }
  }

  # Only CI records releases (and rollbacks, through the rollback workflow).
  bypass_actors {
    actor_id    = var.ci_integration_id
    actor_type  = "Integration"
    bypass_mode = "always"
  }

  rules {
    creation         = true
    update           = true
    deletion         = true
    non_fast_forward = true
  }
}
