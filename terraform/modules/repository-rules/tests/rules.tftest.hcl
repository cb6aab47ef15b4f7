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

run "protects_every_environment_branch" {
  command = apply

  assert {
    condition     = toset(keys(github_branch_protection.environment)) == toset(["dev", "test", "prod"])
    error_message = "dev, test and prod must each have a protection rule."
  }
  assert {
    condition     = alltrue([for rule in github_branch_protection.environment : rule.repository_id == "R_kgDOnotejam"])
    error_message = "The rules must attach to the repository's node id."
  }
  assert {
    condition = alltrue([
      for rule in github_branch_protection.environment :
      rule.enforce_admins && !rule.allows_force_pushes && !rule.allows_deletions
    ])
    error_message = "No one, administrators included, may bypass the rules, force-push or delete an environment branch."
  }
  assert {
    condition     = alltrue([for rule in github_branch_protection.environment : rule.required_pull_request_reviews[0].required_approving_review_count == 1])
    error_message = "Every environment branch must take changes through an approved pull request."
  }
}

run "promotion_guard_is_required_on_test_and_prod" {
  command = apply

  assert {
    condition     = contains(github_branch_protection.environment["test"].required_status_checks[0].contexts, "promotion-guard")
    error_message = "test must require the promotion-guard check (only dev may be merged into it)."
  }
  assert {
    condition     = contains(github_branch_protection.environment["prod"].required_status_checks[0].contexts, "promotion-guard")
    error_message = "prod must require the promotion-guard check (only test may be merged into it)."
  }
  assert {
    condition     = alltrue([for rule in github_branch_protection.environment : contains(rule.required_status_checks[0].contexts, "make-test") && rule.required_status_checks[0].strict])
    error_message = "Every environment branch must require the test suite on an up-to-date head."
  }
  assert {
    condition     = output.protected_branches["prod"] == toset(["make-test", "promotion-guard"])
    error_message = "The output must list prod's required checks."
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
