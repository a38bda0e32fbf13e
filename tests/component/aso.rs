//! Azure Service Operator semantics through the real component: keys from
//! existing Secrets (SPEC §4.2 FromSecretKeyRef), fan-out (§4.5) and
//! derived keys (§4.6).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use crate::harness::{Request, input};

fn reading_admin_password() -> Value {
    input(json!({"resources": [{"name": "server", "connectionDetails": [
        {"name": "admin-password", "fromSecretKeyRef": {"name": "server-admin-pw", "key": "password"}},
    ]}]}))
}

fn admin_secret(password: &[u8]) -> Value {
    json!({"items": [{"resource": {"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "server-admin-pw", "namespace": "apps"},
        "data": {"password": BASE64.encode(password)}}}]})
}

const SELECTOR: &str = "secret/apps/server-admin-pw";

#[test]
fn secret_refs_are_required_resources_when_crossplane_can_answer_them() {
    let response = Request::modern(reading_admin_password()).capabilities(&["CAPABILITY_REQUIRED_RESOURCES"]).run();
    assert_eq!(
        response.0["requirements"],
        json!({"resources": {SELECTOR: {
            "apiVersion": "v1", "kind": "Secret", "matchName": "server-admin-pw", "namespace": "apps",
        }}})
    );
    assert!(response.desired_resource("connection-secret").is_none(), "nothing to compose before the answer");
    let results = response.results();
    assert_eq!(results.len(), 1, "the first call only asks, and says the key waits: {results:?}");
    assert_eq!(results[0].0, "NORMAL");
    assert!(results[0].1.contains("has not been fetched yet"), "{results:?}");
}

#[test]
fn without_the_capability_the_deprecated_extra_resources_are_used() {
    let response = Request::modern(reading_admin_password()).run();
    assert_eq!(response.0["requirements"]["extraResources"][SELECTOR]["matchName"], "server-admin-pw");
    assert!(response.0["requirements"]["resources"].is_null());
}

#[test]
fn the_answer_is_read_from_either_map_and_requirements_are_repeated() {
    for map in ["requiredResources", "extraResources"] {
        let mut request = Request::modern(reading_admin_password()).capabilities(&["CAPABILITY_REQUIRED_RESOURCES"]);
        request.0[map] = json!({SELECTOR: admin_secret(b"s3cr3t/pw")});
        let response = request.run();
        assert_eq!(response.secret_data("connection-secret")["admin-password"], b"s3cr3t/pw", "{map}");
        assert_eq!(response.0["requirements"]["resources"][SELECTOR]["kind"], "Secret", "{map}");
    }
}

#[test]
fn a_missing_secret_or_key_is_pending_with_a_warning_naming_it() {
    let mut missing = Request::modern(reading_admin_password());
    missing.0["extraResources"] = json!({SELECTOR: {}});
    let response = missing.run();
    assert!(response.desired_resource("connection-secret").is_none());
    assert_eq!(
        response.warnings(),
        [
            "Secret apps/server-admin-pw, which resources[0].connectionDetails[0].fromSecretKeyRef reads, does not exist; \
         its keys stay pending until it does"
        ]
    );
    assert_eq!(response.0["results"][0]["reason"], "SecretNotFound");

    let mut no_key = Request::modern(reading_admin_password());
    no_key.0["extraResources"] =
        json!({SELECTOR: {"items": [{"resource": {"kind": "Secret", "data": {"user": "dQ=="}}}]}});
    assert_eq!(
        no_key.run().warnings(),
        [
            "Secret apps/server-admin-pw has no key \"password\", which resources[0].connectionDetails[0].fromSecretKeyRef reads"
        ]
    );
}

#[test]
fn a_cluster_scoped_xr_needs_a_namespace_on_the_reference() {
    let fatal = Request::legacy(reading_admin_password()).run().single_fatal();
    assert!(
        fatal.ends_with("resources[0].connectionDetails[0].fromSecretKeyRef.namespace: is required, because the composite resource is cluster-scoped"),
        "{fatal}"
    );
}

fn cosmos_account(fan_out: Value) -> Request {
    let mut fields = json!({"resources": [{"name": "account", "connectionDetails": [
        {"fromConnectionSecretKey": "primaryMasterKey"},
        {"fromConnectionSecretKey": "secondaryMasterKey"},
        {"fromConnectionSecretKey": "documentEndpoint"},
    ]}]});
    fields.as_object_mut().unwrap().extend(fan_out.as_object().unwrap().clone());
    Request::modern(input(fields)).observed(
        "account",
        json!({"kind": "Account"}),
        &[("primaryMasterKey", b"pk-1"), ("documentEndpoint", b"https://acct.documents.azure.com:443/")],
    )
}

#[test]
fn fan_out_composes_one_object_per_destination_without_pending_keys() {
    let response = cosmos_account(json!({
        "secrets": [
            {"key": "primaryMasterKey", "to": {"name": "mysecret", "key": "primarymasterkey"}},
            {"key": "secondaryMasterKey", "to": {"name": "mysecret", "key": "secondarymasterkey"}},
            {"key": "documentEndpoint", "to": {"name": "myendpoint", "key": "endpoint", "namespace": "apps"}},
        ],
        "configMaps": [{"key": "documentEndpoint", "to": {"name": "account-info", "allowSecretValue": true}}],
    }))
    .run();
    let mysecret = response.desired_resource("secret-mysecret").unwrap();
    assert_eq!(mysecret["resource"]["metadata"], json!({"name": "mysecret", "namespace": "apps"}));
    assert_eq!(mysecret["resource"]["type"], "Opaque");
    assert_eq!(mysecret["ready"], "READY_TRUE");
    let keys: Vec<_> = response.secret_data("secret-mysecret").into_keys().collect();
    assert_eq!(keys, ["primarymasterkey"], "the pending secondary key is left out");
    assert_eq!(response.desired_resource("secret-myendpoint").unwrap()["resource"]["metadata"]["namespace"], "apps");
    let config_map = &response.desired_resource("configmap-account-info").unwrap()["resource"];
    assert_eq!(config_map["kind"], "ConfigMap");
    assert_eq!(config_map["data"], json!({"documentEndpoint": "https://acct.documents.azure.com:443/"}));
}

#[test]
fn two_values_for_one_destination_key_are_fatal() {
    let fatal = cosmos_account(json!({"secrets": [
        {"key": "primaryMasterKey", "to": {"name": "mysecret", "key": "key"}},
        {"key": "documentEndpoint", "to": {"name": "mysecret", "key": "key"}},
    ]}))
    .run()
    .single_fatal();
    assert_eq!(fatal, "invalid function input: cannot write more than one value to Secret apps/mysecret key key");
}

#[test]
fn a_config_map_value_that_is_not_text_is_fatal_naming_the_key() {
    let fatal = cosmos_account(json!({"configMaps": [{"key": "primaryMasterKey",
                                               "to": {"name": "info", "key": "pk", "allowSecretValue": true}}]}))
    .observed("account", json!({}), &[("primaryMasterKey", &[0xff, 0x00, 0xfe])])
    .run()
    .single_fatal();
    assert_eq!(fatal, "ConfigMap apps/info key pk: the value is not valid UTF-8, and ConfigMap data must be text");
}

#[test]
fn a_fan_out_object_copying_a_missing_required_key_is_not_ready() {
    let response = cosmos_account(json!({
        "secrets": [
            {"key": "secondaryMasterKey", "to": {"name": "keys"}},
            {"key": "documentEndpoint", "to": {"name": "endpoint"}},
        ],
        "readiness": {"requiredKeys": ["secondaryMasterKey"]},
    }))
    .run();
    assert_eq!(response.desired_resource("secret-keys").unwrap()["ready"], "READY_FALSE");
    assert_eq!(response.desired_resource("secret-endpoint").unwrap()["ready"], "READY_TRUE");
}

fn with_derived(derived: Value) -> Request {
    Request::modern(input(json!({
        "resources": [{"name": "db", "connectionDetails": [
            {"fromConnectionSecretKey": "username"},
            {"fromConnectionSecretKey": "password"},
            {"name": "endpoint", "fromFieldPath": "status.atProvider.address"},
        ]}],
        "derived": derived,
    })))
    .observed(
        "db",
        json!({"status": {"atProvider": {"address": "db.example.org"}}}),
        &[("username", b"app"), ("password", b"p@ss/word")],
    )
}

#[test]
fn derived_keys_build_urls_and_connection_strings() {
    let response = with_derived(json!([
        {"name": "url", "template": "postgresql://{{ username | urlencode }}:{{ password | urlencode }}@{{ endpoint }}:5432/app"},
        {"name": "conn", "template": "AccountEndpoint={{ keys['endpoint'] }};AccountKey={{ password | b64encode }};"},
    ]))
    .run();
    let data = response.secret_data("connection-secret");
    assert_eq!(data["url"], b"postgresql://app:p%40ss%2Fword@db.example.org:5432/app");
    assert_eq!(data["conn"], b"AccountEndpoint=db.example.org;AccountKey=cEBzcy93b3Jk;");
}

#[test]
fn a_derived_key_over_a_pending_key_is_pending() {
    let response = with_derived(json!([{"name": "full", "template": "{{ username }}/{{ token | urlencode }}"}])).run();
    let fatal = response.single_fatal();
    assert!(fatal.contains("derived[0].template: no entry produces \"token\""), "{fatal}");

    let mut pending = with_derived(json!([{"name": "with-replica", "template": "{{ username }}@{{ replica }}"}]));
    pending.0["input"]["resources"][0]["connectionDetails"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "replica", "fromFieldPath": "status.atProvider.replica"}));
    let response = pending.run();
    let results = response.results();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0].0, "NORMAL", "waiting, not failing: {results:?}");
    assert!(results[0].1.contains("with-replica (its template waits on replica"), "{results:?}");
    assert!(!response.secret_data("connection-secret").contains_key("with-replica"));
}

#[test]
fn a_template_that_does_not_parse_is_an_input_error_naming_it() {
    let fatal = with_derived(json!([{"name": "url", "template": "{{ username "}])).run().single_fatal();
    assert_eq!(
        fatal,
        "invalid function input (connection.fn.crossplane.io/v1beta1 ConnectionDetails): derived[0].template: \
         is not a valid template for key \"url\": syntax error at line 1: unexpected end of input, expected end \
         of variable block"
    );
}

#[test]
fn a_template_that_runs_out_of_fuel_is_fatal_naming_the_key() {
    let fatal = with_derived(json!([{"name": "spin", "template": "{% for i in range(1000) %}{% for j in range(1000) %}{{ j }}{% endfor %}{% endfor %}"}]))
        .run()
        .single_fatal();
    assert_eq!(fatal, "derived[0] spin: the template failed: engine ran out of fuel at line 1");
}

#[test]
fn every_failing_template_is_named_in_the_one_fatal_result() {
    let fatal = with_derived(json!([
        {"name": "spin", "template": "{% for i in range(1000) %}{% for j in range(1000) %}{{ j }}{% endfor %}{% endfor %}"},
        {"name": "ok", "template": "{{ username }}"},
        {"name": "decoded", "template": "{{ password | b64decode }}"},
    ]))
    .run()
    .single_fatal();
    assert_eq!(
        fatal,
        "derived[0] spin: the template failed: engine ran out of fuel at line 1; \
         derived[2] decoded: the template failed: b64decode: password is not base64 at line 1"
    );
}

#[test]
fn template_failures_never_show_values() {
    let response = with_derived(json!([{"name": "decoded", "template": "{{ password | b64decode }}"}])).run();
    let fatal = response.single_fatal();
    assert!(!fatal.contains("p@ss"), "{fatal}");
    assert_eq!(fatal, "derived[0] decoded: the template failed: b64decode: password is not base64 at line 1");
}

/// Crossplane v2 overwrites the namespace of whatever a namespaced XR
/// composes, so a fan-out object elsewhere would never be where render says.
#[test]
fn a_namespaced_xr_fans_out_only_into_its_own_namespace() {
    let fan_out = |namespace: &str| {
        input(json!({
            "resources": [{"name": "db", "connectionDetails": [{"fromConnectionSecretKey": "endpoint"}]}],
            "configMaps": [{"key": "endpoint", "to": {"name": "info", "namespace": namespace, "allowSecretValue": true}}],
        }))
    };
    let observed = |request: Request| request.observed("db", json!({}), &[("endpoint", b"db.example.org")]);
    let fatal = observed(Request::modern(fan_out("shared"))).run().single_fatal();
    assert_eq!(
        fatal,
        "invalid function input: configMaps[0].to.namespace: shared is not the composite's namespace apps; \
         Crossplane composes the resources of a namespaced composite only into its own namespace"
    );
    let same_namespace = observed(Request::modern(fan_out("apps"))).run();
    assert!(same_namespace.desired_resource("configmap-info").is_some());
    let cluster_scoped = observed(Request::legacy(fan_out("shared"))).run();
    assert_eq!(
        cluster_scoped.desired_resource("configmap-info").unwrap()["resource"]["metadata"]["namespace"],
        "shared"
    );
}
