//! How each source type reads the observed state (SPEC §4.2).

use serde_json::json;

use crate::harness::{Request, input};

fn database() -> serde_json::Value {
    json!({
        "apiVersion": "rds.aws.upbound.io/v1beta1", "kind": "Instance",
        "metadata": {"name": "db-x1", "generation": 4,
            "annotations": {"crossplane.io/external-name": "prod-db"}},
        "spec": {"ports": [{"name": "pg", "port": 5432}]},
        "status": {"atProvider": {"address": "db.example.org", "tags": {"team": "a", "env": ["prod", 1]}}},
    })
}

#[test]
fn field_paths_give_strings_unquoted_and_other_values_as_sorted_compact_json() {
    let response = Request::legacy(input(json!({"resources": [{"name": "db", "connectionDetails": [
        {"name": "generation", "fromFieldPath": "metadata.generation"},
        {"name": "endpoint", "fromFieldPath": "status.atProvider.address"},
        {"name": "tags", "fromFieldPath": "status.atProvider.tags"},
        {"name": "port", "fromFieldPath": "spec.ports[0].port"},
        {"name": "external-name", "fromFieldPath": "metadata.annotations[crossplane.io/external-name]"},
    ]}]})))
    .observed("db", database(), &[])
    .run();
    let details = response.composite_details();
    assert_eq!(details["generation"], b"4");
    assert_eq!(details["endpoint"], b"db.example.org");
    assert_eq!(details["tags"], br#"{"env":["prod",1],"team":"a"}"#);
    assert_eq!(details["port"], b"5432");
    assert_eq!(details["external-name"], b"prod-db");
    assert_eq!(response.results(), []);
}

#[test]
fn values_and_secret_keys_are_binary_safe() {
    let binary: &[u8] = &[0, 159, 146, 150, 255];
    let response = Request::legacy(input(json!({"resources": [{"name": "db", "connectionDetails": [
        {"name": "cert", "fromConnectionSecretKey": "tls.crt"},
        {"name": "port", "value": "5432"},
    ]}]})))
    .observed("db", database(), &[("tls.crt", binary)])
    .run();
    let details = response.composite_details();
    assert_eq!(details["cert"], binary);
    assert_eq!(details["port"], b"5432");
}

#[test]
fn absent_sources_are_left_out_without_complaint() {
    let response = Request::legacy(input(json!({"resources": [
        {"name": "db", "connectionDetails": [
            {"fromConnectionSecretKey": "username"},
            {"fromConnectionSecretKey": "password"},
            {"name": "replica", "fromFieldPath": "status.atProvider.replicaAddress"},
        ]},
        {"name": "not-created-yet", "connectionDetails": [{"name": "port", "value": "5432"}]},
    ]})))
    .observed("db", database(), &[("username", b"admin")])
    .run();
    let keys: Vec<_> = response.composite_details().into_keys().collect();
    assert_eq!(keys, ["username"]);
    assert_eq!(response.warnings(), Vec::<String>::new(), "waiting is no complaint: nothing is Ready yet");
    let results = response.results();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0].0, "NORMAL", "the one account of what is missing and why: {results:?}");
}

#[test]
fn the_later_entry_wins_a_conflict_with_a_warning_naming_both_sources() {
    let response = Request::legacy(input(json!({"resources": [
        {"name": "key", "connectionDetails": [{"fromConnectionSecretKey": "username"}]},
        {"name": "user", "connectionDetails": []},
        {"name": "other", "connectionDetails": []},
        {"name": "key2", "connectionDetails": [{"fromConnectionSecretKey": "username"}]},
    ]})))
    .observed("key", json!({}), &[("username", b"first-user")])
    .observed("key2", json!({}), &[("username", b"second-user")])
    .run();
    assert_eq!(response.composite_details()["username"], b"second-user");
    assert_eq!(
        response.warnings(),
        ["key \"username\" is written by resources[0] key and resources[3] key2; the later entry wins"]
    );
}
