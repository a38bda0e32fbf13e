//! Bad input: one FATAL result naming the field path (SPEC §4.1), and bytes
//! that are no request at all: the export's typed error.

use function_connection_details::runtime::{ErrorKind, RunError};
use serde_json::json;

use crate::harness::{API_VERSION, RUNTIME, Request, input, run_bytes};

fn fatal_for(input: serde_json::Value) -> String {
    Request::legacy(input).run().single_fatal()
}

const PREFIX: &str = "invalid function input (connection.fn.crossplane.io/v1beta1 ConnectionDetails): ";

#[test]
fn wrong_kind() {
    let message = fatal_for(json!({"apiVersion": API_VERSION, "kind": "ConnectionDetail"}));
    assert_eq!(
        message,
        format!(
            "{PREFIX}kind: must be ConnectionDetails, not \"ConnectionDetail\"; did you mean \"ConnectionDetails\"?"
        )
    );
}

#[test]
fn wrong_api_version() {
    let message = fatal_for(json!({"apiVersion": "connection.fn.crossplane.io/v1", "kind": "ConnectionDetails"}));
    assert_eq!(
        message,
        format!(
            "{PREFIX}apiVersion: must be connection.fn.crossplane.io/v1beta1, not \"connection.fn.crossplane.io/v1\"; \
             did you mean \"connection.fn.crossplane.io/v1beta1\"?"
        )
    );
}

#[test]
fn unknown_field() {
    let message = fatal_for(input(json!({"resources": [{"name": "db", "connectionDetail": []}]})));
    assert_eq!(
        message,
        format!("{PREFIX}resources[0].connectionDetail: unknown field; expected one of name, connectionDetails")
    );
}

#[test]
fn bad_field_path() {
    let message = fatal_for(input(json!({"resources": [{"name": "db", "connectionDetails": [
        {"name": "ok", "value": "v"},
        {"name": "port", "fromFieldPath": "spec.ports[0"},
    ]}]})));
    assert_eq!(
        message,
        format!(
            "{PREFIX}resources[0].connectionDetails[1].fromFieldPath: is not a valid field path: '[' without a matching ']' at character 10"
        )
    );
}

#[test]
fn invalid_key_name() {
    let message = fatal_for(input(json!({"resources": [
        {"name": "a", "connectionDetails": []},
        {"name": "b", "connectionDetails": [{"name": "db/password", "fromConnectionSecretKey": "password"}]},
    ]})));
    assert_eq!(
        message,
        format!(
            "{PREFIX}resources[1].connectionDetails[0].name: has '/' at position 2; a key may hold only letters, digits, '-', '_' and '.'"
        )
    );
}

#[test]
fn several_problems_arrive_in_one_fatal_result() {
    let message =
        fatal_for(json!({"apiVersion": API_VERSION, "kind": "ConnectionDetails", "mode": "Always", "extra": 1}));
    assert_eq!(
        message,
        format!(
            "{PREFIX}extra: unknown field; expected one of apiVersion, kind, metadata, resources, connectionSecretKeys, writeConnectionSecretToRef, writeConnectionSecretsToNamespace, mode, readiness, derived, secrets, configMaps, connectionSecretMetadata, connectionSecretResourceName, pushSecrets; mode: must be one of Auto, Composite, Secret; what is there (6 characters) is not close to any of them"
        )
    );
}

#[test]
fn an_input_error_keeps_the_desired_state_of_earlier_steps() {
    let desired = json!({"resources": {"bucket": {"resource": {"kind": "Bucket"}}}});
    let response = Request::legacy(json!({"kind": "Nope"})).desired(desired.clone()).run();
    assert_eq!(response.results().len(), 1);
    assert_eq!(response.0["desired"], desired);
}

#[test]
fn undecodable_bytes_are_the_export_error_not_a_response() {
    let garbage = [0xff, 0xff, 0xff, 0xff, 0x0f];
    match run_bytes(&RUNTIME, &garbage) {
        Err(RunError::Rejected(error)) => {
            assert_eq!(error.kind, ErrorKind::MalformedRequest);
            assert!(
                error.message.starts_with("the request is not a protobuf RunFunctionRequest: "),
                "{}",
                error.message
            );
        }
        other => panic!("expected the component to reject the bytes, got {other:?}"),
    }
}
