mock_provider "github" {
  mock_data "github_repository" {
    defaults = {
      name    = "notejam"
      node_id = "R_kgDOnotejam"
    }
  }
}

variables {
  repository = "notejam"
}

run "every_environment_branch_takes_only_approved_pull_requests" {
  command = apply

  assert {
    condition     = toset(keys(github_repository_ruleset.environment)) == toset(["dev", "test", "prod"])
    error_message = "dev, test and prod must each have a ruleset."
  }
  assert {
    condition = alltrue([
      for ruleset in github_repository_ruleset.environment :
      ruleset.enforcement == "active" && ruleset.target == "branch" && length(ruleset.bypass_actors) == 0
    ])
    error_message = "The environment rulesets are active and nobody, administrators included, bypasses them."
  }
  assert {
    condition = alltrue([
      for branch, ruleset in github_repository_ruleset.environment :
      one(ruleset.conditions[0].ref_name[0].include) == "refs/heads/${branch}"
    ])
    error_message = "Each ruleset applies to its own branch."
  }
  assert {
    condition = alltrue([
      for ruleset in github_repository_ruleset.environment :
      ruleset.rules[0].deletion && ruleset.rules[0].non_fast_forward
    ])
    error_message = "No environment branch may be deleted or force-pushed."
  }
  assert {
    condition = alltrue([
      for ruleset in github_repository_ruleset.environment :
      ruleset.rules[0].pull_request[0].required_approving_review_count == 1 && ruleset.rules[0].pull_request[0].require_code_owner_review
    ])
    error_message = "Every change needs an approved pull request, and a code owner's approval where CODEOWNERS names one (.github/, config/argocd/, the CRD)."
  }
}

run "promotion_guard_is_required_from_github_actions_on_test_and_prod" {
  command = apply

  assert {
    condition     = output.protected_branches["test"] == toset(["make-test", "promotion-guard"]) && output.protected_branches["prod"] == toset(["make-test", "promotion-guard"])
    error_message = "test and prod must require the test suite and the promotion guard."
  }
  assert {
    condition     = output.protected_branches["dev"] == toset(["make-test"])
    error_message = "dev requires the test suite."
  }
  assert {
    condition = alltrue(flatten([
      for ruleset in github_repository_ruleset.environment : [
        for check in ruleset.rules[0].required_status_checks[0].required_check : check.integration_id == 15368
      ]
    ]))
    error_message = "Every required check must be reported by GitHub Actions, so nobody can post a green status of that name by hand."
  }
}

run "routine_promotions_need_no_update_of_their_head" {
  command = apply

  assert {
    condition = alltrue([
      for ruleset in github_repository_ruleset.environment :
      !ruleset.rules[0].required_status_checks[0].strict_required_status_checks_policy
    ])
    error_message = "Requiring an up-to-date head makes every dev -> test pull request out of date after the previous merge, with no allowed way to update it."
  }
}

run "only_ci_writes_the_releases_branch" {
  command = apply

  assert {
    condition     = one(github_repository_ruleset.releases.conditions[0].ref_name[0].include) == "refs/heads/releases"
    error_message = "The releases ruleset applies to the releases branch."
  }
  assert {
    condition = (
      github_repository_ruleset.releases.rules[0].creation && github_repository_ruleset.releases.rules[0].update &&
      github_repository_ruleset.releases.rules[0].deletion && github_repository_ruleset.releases.rules[0].non_fast_forward
    )
    error_message = "Nobody but the bypass actor may create, update, delete or rewrite the releases branch."
  }
  assert {
    condition = (
      length(github_repository_ruleset.releases.bypass_actors) == 1 &&
      one(github_repository_ruleset.releases.bypass_actors).actor_type == "Integration" &&
      one(github_repository_ruleset.releases.bypass_actors).actor_id == 15368
    )
    error_message = "GitHub Actions, and only it, records releases."
  }
}

run "refuses_a_prod_rule_without_the_guard" {
  command = plan
  variables {
    environment_branches = {
      dev  = { required_checks = ["make-test"] }
      test = { required_checks = ["make-test", "promotion-guard"] }
      prod = { required_checks = ["make-test"] }
    }
  }
  expect_failures = [var.environment_branches]
}

run "refuses_more_approvals_than_github_allows" {
  command = plan
  variables {
    required_approvals = 7
  }
  expect_failures = [var.required_approvals]
}

run "refuses_an_environment_branch_as_the_releases_branch" {
  command = plan
  variables {
    releases_branch = "prod"
  }
  expect_failures = [var.releases_branch]
}
