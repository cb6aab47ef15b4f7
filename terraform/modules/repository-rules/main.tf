# Branch protection for the three environment branches. GitHub itself cannot restrict
# which branch a pull request comes from; the required promotion-guard check does, and
# these rules make sure nothing reaches the branches without a pull request that passed
# it: no direct pushes (administrators included), no force pushes, no deletion.

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

resource "github_branch_protection" "environment" {
  for_each      = var.environment_branches
  repository_id = data.github_repository.this.node_id
  pattern       = github_branch.environment[each.key].branch

  enforce_admins                  = true
  allows_deletions                = false
  allows_force_pushes             = false
  require_conversation_resolution = true

  required_status_checks {
    # The head must be up to date with the branch, so the checks saw what gets merged.
    strict   = true
    contexts = each.value.required_checks
  }

  required_pull_request_reviews {
    required_approving_review_count = var.required_approvals
    dismiss_stale_reviews           = true
    require_last_push_approval      = var.required_approvals > 0
  }
}
