//! Seed scenarios A, B, C and E of SPEC §8, from examples/requests/.

use crate::harness::{Request, SCENARIO_A_KEYS, sizes};

const KEY2_PASS_WARNING: &str = "connectionSecretKeys lists \"key2-pass\", but no entry produces it; \
    did you mean \"key2-password\", which resources[1] key2 produces and the list leaves out?";

#[test]
fn a_aws_iam_legacy_xr_gets_seven_keys_and_a_spelling_warning() {
    let response = Request::from_example("scenario-a.json").run();
    assert_eq!(sizes(&response.composite_details()), SCENARIO_A_KEYS);
    assert_eq!(response.warnings(), [KEY2_PASS_WARNING]);
    assert_eq!(response.results().len(), 1);
    assert_eq!(response.0["meta"]["tag"], "scenario-a");
    assert!(response.0["desired"]["resources"].is_null(), "a legacy XR composes no Secret");
}

#[test]
fn a_key_values_are_the_observed_bytes() {
    let request = Request::from_example("scenario-a.json");
    let response = request.run();
    let details = response.composite_details();
    let observed = &request.0["observed"]["resources"];
    assert_eq!(details["username"], b64(&observed["key"]["connectionDetails"]["username"]));
    assert_eq!(details["key2-user"], b64(&observed["key2"]["connectionDetails"]["username"]));
    assert_ne!(details["username"], details["key2-user"]);
}

#[test]
fn b_three_listed_keys() {
    let response = Request::from_example("scenario-b.json").run();
    assert_eq!(sizes(&response.composite_details()), [("key2-user", 20), ("password", 40), ("username", 20)]);
    assert_eq!(response.results(), []);
}

#[test]
fn c_no_connection_details_means_no_keys_and_no_complaint() {
    let response = Request::from_example("scenario-c.json").run();
    assert!(response.composite_details().is_empty());
    assert_eq!(response.results(), []);
    assert_eq!(response.ttl(), "60s");
}

#[test]
fn e_modern_xr_composes_one_connection_secret_in_its_namespace() {
    let response = Request::from_example("scenario-e.json").run();
    let secret = response.desired_resource("connection-secret").expect("a composed Secret");
    assert_eq!(secret["ready"], "READY_TRUE");
    let object = &secret["resource"];
    assert_eq!((object["apiVersion"].as_str(), object["kind"].as_str()), (Some("v1"), Some("Secret")));
    assert_eq!(object["type"], "connection.crossplane.io/v1alpha1");
    assert_eq!(object["metadata"]["name"], "test-secrets-connection");
    assert_eq!(object["metadata"]["namespace"], "default");
    assert_eq!(sizes(&response.secret_data("connection-secret")), SCENARIO_A_KEYS);
    assert!(response.composite_details().is_empty(), "a modern XR's details go into the Secret only");
    assert_eq!(response.warnings(), [KEY2_PASS_WARNING]);
}

fn b64(value: &serde_json::Value) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(value.as_str().unwrap()).unwrap()
}
