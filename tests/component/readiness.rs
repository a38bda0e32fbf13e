//! readiness.requiredKeys: ready, conditions, results and TTL (SPEC §4.7).

use serde_json::json;

use crate::harness::{Request, input};

fn requiring_both() -> serde_json::Value {
    input(json!({
        "resources": [{"name": "db", "connectionDetails": [
            {"fromConnectionSecretKey": "username"}, {"fromConnectionSecretKey": "password"},
        ]}],
        "readiness": {"requiredKeys": ["username", "password"]},
    }))
}

#[test]
fn composite_mode_holds_the_xr_unready_while_keys_are_missing() {
    let response = Request::legacy(requiring_both()).observed("db", json!({}), &[("username", b"admin")]).run();
    assert_eq!(response.0["desired"]["composite"]["ready"], "READY_FALSE");
    assert_eq!(response.ttl(), "15s");
    assert_eq!(
        response.results(),
        [(
            "NORMAL".to_owned(),
            "waiting for connection secret keys: password; missing: password (the connection secret of db has no \
             key \"password\"; it has username)"
                .to_owned()
        )]
    );
    assert_eq!(response.0["results"][0]["target"], "TARGET_COMPOSITE_AND_CLAIM");
    assert_eq!(response.0["results"][0]["reason"], "WaitingForKeys");
}

#[test]
fn composite_mode_leaves_readiness_alone_once_keys_are_present() {
    let response = Request::legacy(requiring_both())
        .observed("db", json!({}), &[("username", b"admin"), ("password", b"pw")])
        .run();
    assert!(response.0["desired"]["composite"]["ready"].is_null(), "{:?}", response.0["desired"]);
    assert_eq!(response.ttl(), "60s");
    assert_eq!(
        response.results()[0].1,
        "all 2 declared connection secret keys are written to the composite's connection secret"
    );
}

#[test]
fn with_the_conditions_capability_a_condition_is_reported_instead_of_a_result() {
    let response = Request::modern(requiring_both())
        .capabilities(&["CAPABILITY_CONDITIONS"])
        .observed("db", json!({}), &[("username", b"admin")])
        .run();
    assert_eq!(response.results(), []);
    assert_eq!(
        response.0["conditions"],
        json!([{
            "type": "ConnectionSecretReady",
            "status": "STATUS_CONDITION_FALSE",
            "reason": "WaitingForKeys",
            "message": "waiting for connection secret keys: password; missing: password (the connection secret of \
                        db has no key \"password\"; it has username)",
            "target": "TARGET_COMPOSITE_AND_CLAIM",
        }])
    );
    assert_eq!(response.desired_resource("connection-secret").unwrap()["ready"], "READY_FALSE");
    assert_eq!(response.ttl(), "15s");
}

#[test]
fn secret_mode_marks_the_secret_ready_once_all_keys_are_present() {
    let response = Request::modern(requiring_both())
        .capabilities(&["CAPABILITY_CONDITIONS"])
        .observed("db", json!({}), &[("username", b"admin"), ("password", b"pw")])
        .run();
    assert_eq!(response.desired_resource("connection-secret").unwrap()["ready"], "READY_TRUE");
    assert_eq!(response.0["conditions"][0]["status"], "STATUS_CONDITION_TRUE");
    assert_eq!(response.0["conditions"][0]["reason"], "Available");
    assert!(response.0["desired"]["composite"]["ready"].is_null());
}

#[test]
fn secret_mode_with_nothing_to_compose_holds_the_xr_instead() {
    let response = Request::modern(requiring_both()).run();
    assert!(response.desired_resource("connection-secret").is_none());
    assert_eq!(response.0["desired"]["composite"]["ready"], "READY_FALSE");
    assert_eq!(
        response.results()[0].1,
        "waiting for connection secret keys: password, username; missing: password (the composed resource db is not \
         observed yet); username (the composed resource db is not observed yet)"
    );
}

#[test]
fn all_requires_every_declared_key() {
    let mut all = requiring_both();
    all["readiness"] = json!({"requiredKeys": "All"});
    let response = Request::legacy(all).observed("db", json!({}), &[("password", b"pw")]).run();
    assert!(response.results()[0].1.starts_with("waiting for connection secret keys: username; missing: username ("));
}
