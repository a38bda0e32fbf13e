//! External Secrets Operator PushSecrets through the real component: every
//! one the function composes validates against ESO's own CRD (v2.9.0, kept
//! in tests/data/eso with its source), holds references and never a value,
//! and is Ready only when ESO says so.

use serde_json::{Value, json};

use crate::harness::{Request, input};
use crate::openapi::{crd_schema, validate_resource};

const PUSHSECRET_CRD: &str = "tests/data/eso/pushsecrets.external-secrets.io.yaml";
const PASSWORD: &[u8] = b"pw-Sentinel-7f3a";

fn pushing(push_secrets: Value) -> Request {
    Request::modern(input(json!({
        "resources": [{"name": "db", "connectionDetails": [
            {"fromConnectionSecretKey": "username"},
            {"fromConnectionSecretKey": "password"},
            {"name": "endpoint", "fromFieldPath": "status.atProvider.address"},
        ]}],
        "secrets": [{"key": "password", "to": {"name": "admin", "key": "pw"}}],
        "pushSecrets": push_secrets,
    })))
    .observed(
        "db",
        json!({"apiVersion": "example.org/v1", "kind": "Instance", "status": {"atProvider": {"address": "db.example"}}}),
        &[("username", b"admin"), ("password", PASSWORD)],
    )
}

fn push_secrets(response: &crate::harness::Response) -> Vec<(String, Value)> {
    let resources = response.0["desired"]["resources"].as_object().cloned().unwrap_or_default();
    resources.into_iter().filter(|(name, _)| name.starts_with("pushsecret-")).collect()
}

fn schema_errors(object: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    validate_resource(&crd_schema(PUSHSECRET_CRD, "v1alpha1"), object, &mut errors);
    errors
}

#[test]
fn every_composed_push_secret_validates_against_eso_s_crd() {
    let response = pushing(json!([
        {"store": {"name": "vault", "kind": "ClusterSecretStore"}, "remoteKey": "apps/db"},
        {"name": "admin-to-aws", "secret": "admin", "store": {"name": "aws"}, "remoteKey": "apps/admin",
         "keys": ["pw"], "refreshInterval": "1h30m", "updatePolicy": "IfNotExists", "deletionPolicy": "Delete"},
    ]))
    .run();
    assert_eq!(response.results(), []);
    let pushes = push_secrets(&response);
    let names: Vec<&str> = pushes.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["pushsecret-admin-to-aws", "pushsecret-db-connection-vault"]);
    for (name, resource) in &pushes {
        assert_eq!(schema_errors(&resource["resource"]), Vec::<String>::new(), "{name}");
        assert_eq!(resource["ready"], "READY_FALSE", "{name}: ESO has not reported it Ready");
        let text = resource.to_string();
        assert!(!text.contains("pw-Sentinel") && !text.contains("cHctU2VudGluZWw"), "{name} holds a value: {text}");
    }
    let combined = &pushes[1].1["resource"]["spec"];
    assert_eq!(combined["selector"], json!({"secret": {"name": "db-connection"}}));
    let properties: Vec<&str> = combined["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["match"]["remoteRef"]["property"].as_str().unwrap())
        .collect();
    assert_eq!(properties, ["endpoint", "password", "username"], "every key of the combined Secret, one remote object");
}

#[test]
fn the_validator_catches_what_eso_s_crd_refuses() {
    let object = json!({"apiVersion": "external-secrets.io/v1alpha1", "kind": "PushSecret",
        "metadata": {"name": "p", "uid": "u"},
        "spec": {"secretStoreRefs": [{"name": "v", "kind": "Vault"}], "selector": {},
                 "data": [{"match": {"secretKey": "k"}}], "updatePolicy": "Sometimes", "extra": 1}});
    assert_eq!(
        schema_errors(&object),
        [
            "metadata.uid: not written by this project",
            "spec.data[0].match.remoteRef: required",
            "spec.extra: unknown field",
            "spec.secretStoreRefs[0].kind: not one of the enum values",
            "spec.selector: fewer than minProperties 1",
            "spec.updatePolicy: not one of the enum values",
        ]
    );
}

#[test]
fn a_push_secret_is_ready_once_eso_reports_ready() {
    let request = pushing(json!([{"store": {"name": "vault"}, "remoteKey": "apps/db"}]));
    let observed_push = |status: &str| {
        request.clone().observed(
            "pushsecret-db-connection-vault",
            json!({"apiVersion": "external-secrets.io/v1alpha1", "kind": "PushSecret",
                   "status": {"conditions": [{"type": "Ready", "status": status, "reason": "Synced"}]}}),
            &[],
        )
    };
    let ready =
        |request: Request| request.run().desired_resource("pushsecret-db-connection-vault").unwrap()["ready"].clone();
    assert_eq!(ready(request.clone()), "READY_FALSE");
    assert_eq!(ready(observed_push("False")), "READY_FALSE");
    assert_eq!(ready(observed_push("True")), "READY_TRUE");
}

#[test]
fn an_unmet_push_is_an_input_error_naming_its_field() {
    let response = pushing(json!([{"secret": "admn", "store": {"name": "vault"}, "remoteKey": "k"}])).run();
    assert_eq!(
        response.single_fatal(),
        "invalid function input (connection.fn.crossplane.io/v1beta1 ConnectionDetails): pushSecrets[0].secret: \
         this step writes no Secret named admn (it writes db-connection, admin)"
    );
}
