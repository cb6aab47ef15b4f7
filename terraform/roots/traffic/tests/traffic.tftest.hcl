mock_provider "google" {
  mock_resource "google_certificate_manager_dns_authorization" {
    defaults = {
      dns_resource_record = [{ name = "_acme-challenge.notejam.example.com.", type = "CNAME", data = "abc.authorize.certificatemanager.goog." }]
    }
  }
}

# The serving platform's state, as roots/platform writes it.
override_data {
  target = data.terraform_remote_state.serving
  values = {
    outputs = {
      web = { address_name = "notejam-europe-west1-web", address = "34.120.0.10" }
    }
  }
}

variables {
  project_id     = "notejam-platform"
  state_bucket   = "notejam-state"
  serving_region = "europe-west1"
  dns_name       = "notejam.example.com."
  hosts          = { prod = "notejam.example.com", test = "test.notejam.example.com" }
}

run "host_names_point_at_the_serving_regions_gateway" {
  command = apply

  assert {
    condition = output.records == {
      "notejam.example.com."      = "34.120.0.10"
      "test.notejam.example.com." = "34.120.0.10"
    }
    error_message = "Every host name must resolve to the serving region's Gateway address."
  }
  assert {
    condition     = alltrue([for record in google_dns_record_set.host : record.ttl == 60 && record.type == "A"])
    error_message = "Short TTLs: a switch reaches users within a minute."
  }
  assert {
    condition     = data.terraform_remote_state.serving.config.prefix == "platform/europe-west1"
    error_message = "The address comes from the state of the serving region's platform."
  }
}

run "one_certificate_for_every_region_authorised_by_dns" {
  command = apply

  assert {
    condition = (
      toset(google_certificate_manager_certificate.web.managed[0].domains) == toset(["notejam.example.com", "test.notejam.example.com"]) &&
      length(google_certificate_manager_certificate.web.managed[0].dns_authorizations) == 2 &&
      length(google_dns_record_set.authorization) == 2
    )
    error_message = "The certificate must be DNS-authorised, so the standby region's Gateway has it before traffic moves there."
  }
  assert {
    condition     = output.certificate_map == "notejam" && toset([for entry in google_certificate_manager_certificate_map_entry.host : entry.hostname]) == toset(["notejam.example.com", "test.notejam.example.com"])
    error_message = "The certificate map covers every host name."
  }
}

run "moving_traffic_is_changing_the_serving_region" {
  command = apply
  variables {
    serving_region = "europe-west4"
  }
  override_data {
    target = data.terraform_remote_state.serving
    values = {
      outputs = {
        web = { address_name = "notejam-europe-west4-web", address = "34.120.0.20" }
      }
    }
  }

  assert {
    condition     = output.serving == { region = "europe-west4", address = "34.120.0.20" } && values(output.records) == ["34.120.0.20", "34.120.0.20"]
    error_message = "Applying with the other region must point every host name at its Gateway."
  }
}

run "refuses_a_long_ttl" {
  command = plan
  variables {
    ttl_seconds = 3600
  }
  expect_failures = [var.ttl_seconds]
}
