//! Why a key is missing, in the cluster (issue 20): the ConnectionSecretReady
//! condition on every response, a WARNING for a key what is observed rules
//! out, and keys from secrets kept out of ConfigMaps and other namespaces
//! (issue 24).

use serde_json::{Value, json};

use crate::harness::{Request, input};

const READY: &str = "Ready";

fn ready(ready: bool) -> Value {
    let status = if ready { "True" } else { "False" };
    json!({"apiVersion": "dbforpostgresql.azure.upbound.io/v1beta1", "kind": "FlexibleServer",
           "spec": {"writeConnectionSecretToRef": {"name": "db-conn"}},
           "status": {"conditions": [{"type": READY, "status": status}]}})
}

/// A typo in a key, and a derived key that reads it.
fn with_typo() -> Value {
    input(json!({
        "resources": [{"name": "db", "connectionDetails": [
            {"fromConnectionSecretKey": "password"},
            {"fromConnectionSecretKey": "endpiont"},
        ]}],
        "derived": [{"name": "url", "template": "postgres://{{ endpiont }}/app"}],
    }))
}

fn condition(response: &crate::harness::Response) -> &Value {
    let conditions = response.0["conditions"].as_array().expect("conditions");
    assert_eq!(conditions.len(), 1, "{conditions:?}");
    &conditions[0]
}

#[test]
fn a_typo_on_a_ready_resource_is_a_warning_and_the_condition_names_every_missing_key() {
    let response = Request::modern(with_typo())
        .capabilities(&["CAPABILITY_CONDITIONS"])
        .observed("db", ready(true), &[("password", b"pw"), ("endpoint", b"db:5432")])
        .run();
    assert_eq!(
        response.warnings(),
        ["key \"endpiont\" (resources[0] db: fromConnectionSecretKey endpiont) cannot appear from what is observed: \
          the connection secret of db has no key \"endpiont\"; it has endpoint, password; did you mean \"endpoint\"?"]
    );
    let condition = condition(&response);
    assert_eq!(condition["type"], "ConnectionSecretReady");
    assert_eq!(condition["status"], "STATUS_CONDITION_FALSE");
    assert_eq!(condition["reason"], "KeysMissing");
    assert_eq!(
        condition["message"],
        "1 of 3 declared connection secret keys are produced; missing: endpiont (the connection secret of db has \
         no key \"endpiont\"; it has endpoint, password; did you mean \"endpoint\"?); url (its template waits on \
         endpiont, not produced yet)"
    );
    assert_eq!(response.0["results"][0]["reason"], "KeyUnavailable");
    assert_eq!(response.secret_data("connection-secret").keys().collect::<Vec<_>>(), ["password"]);
}

#[test]
fn a_key_waiting_for_a_resource_that_is_not_ready_gets_no_warning() {
    let response = Request::modern(with_typo())
        .observed("db", ready(false), &[("password", b"pw"), ("endpoint", b"db:5432")])
        .run();
    assert_eq!(response.warnings(), Vec::<String>::new());
    let results = response.results();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0].0, "NORMAL", "without the conditions capability the condition is a NORMAL result");
    assert!(results[0].1.contains("endpiont (the connection secret of db has no key"), "{results:?}");
}

#[test]
fn every_key_written_is_true_and_says_where() {
    let response = Request::modern(input(json!({
        "resources": [{"name": "db", "connectionDetails": [{"fromConnectionSecretKey": "password"}]}],
    })))
    .capabilities(&["CAPABILITY_CONDITIONS"])
    .observed("db", ready(true), &[("password", b"pw")])
    .run();
    let condition = condition(&response);
    assert_eq!(condition["status"], "STATUS_CONDITION_TRUE");
    assert_eq!(condition["reason"], "Available");
    assert_eq!(condition["message"], "all 1 declared connection secret keys are written to Secret apps/db-connection");
    assert_eq!(response.results(), [], "nothing needs a person");
}

#[test]
fn keys_left_where_crossplane_ignores_them_are_never_reported_written() {
    let mut composite_mode = input(json!({
        "resources": [{"name": "db", "connectionDetails": [{"fromConnectionSecretKey": "password"}]}],
    }));
    composite_mode["mode"] = json!("Composite");
    let response = Request::modern(composite_mode)
        .capabilities(&["CAPABILITY_CONDITIONS"])
        .observed("db", ready(true), &[("password", b"pw")])
        .run();
    let condition = condition(&response);
    assert_eq!(condition["status"], "STATUS_CONDITION_FALSE");
    assert_eq!(condition["reason"], "ConnectionDetailsIgnored");
    assert_eq!(response.warnings().len(), 1);
    assert!(response.warnings()[0].contains("which Crossplane ignores for a Crossplane v2 XR"));
}

fn password_to_config_map(to: Value) -> Value {
    input(json!({
        "resources": [{"name": "db", "connectionDetails": [
            {"fromConnectionSecretKey": "password"}, {"name": "port", "value": "5432"},
        ]}],
        "derived": [{"name": "url", "template": "postgres://admin:{{ password }}@db:{{ port }}"}],
        "configMaps": [{"key": "port", "to": {"name": "db-info"}}, {"key": "url", "to": to}],
    }))
}

#[test]
fn a_key_from_a_secret_is_refused_in_a_config_map_unless_the_item_allows_it() {
    let refused = Request::modern(password_to_config_map(json!({"name": "db-info"})))
        .observed("db", ready(true), &[("password", b"s3cr3t-pw")])
        .run();
    assert_eq!(
        refused.single_fatal(),
        "invalid function input (connection.fn.crossplane.io/v1beta1 ConnectionDetails): configMaps[1].key: \"url\" \
         comes from a secret (derived[0], whose template reads key \"password\"); a ConfigMap is readable by more \
         roles than a Secret, so copy it with secrets[] instead, or set configMaps[1].to.allowSecretValue: true to \
         store it in plain text anyway"
    );

    let allowed = Request::modern(password_to_config_map(json!({"name": "db-info", "allowSecretValue": true})))
        .observed("db", ready(true), &[("password", b"s3cr3t-pw")])
        .run();
    assert_eq!(allowed.warnings().len(), 1, "{:?}", allowed.results());
    assert!(allowed.warnings()[0].starts_with("configMaps[1] copies key \"url\", which comes from a secret"));
    assert!(!allowed.warnings()[0].contains("s3cr3t"));
    let config_map = &allowed.desired_resource("configmap-db-info").unwrap()["resource"];
    assert_eq!(config_map["data"]["port"], "5432");
}

#[test]
fn a_namespaced_xr_cannot_read_another_namespaces_secret() {
    let response = Request::modern(input(json!({
        "resources": [{"name": "db", "connectionDetails": [
            {"name": "token", "fromSecretKeyRef": {"name": "root-token", "key": "token", "namespace": "kube-system"}},
        ]}],
    })))
    .run();
    assert_eq!(
        response.single_fatal(),
        "invalid function input (connection.fn.crossplane.io/v1beta1 ConnectionDetails): \
         resources[0].connectionDetails[0].fromSecretKeyRef.namespace: kube-system is not the composite's namespace \
         apps; a namespaced composite reads Secrets only in its own namespace, as it composes only there (Crossplane \
         fetches whatever a function asks for, so this function is the gate between tenants)"
    );
    assert!(response.0["requirements"].is_null(), "nothing is asked of Crossplane");
}

fn deriving(template: &str) -> Value {
    input(json!({
        "resources": [{"name": "db", "connectionDetails": [{"fromConnectionSecretKey": "DB_PASSWORD"}]}],
        "derived": [{"name": "decoded", "template": template}],
    }))
}

#[test]
fn a_failing_template_names_the_filter_the_operand_and_the_line() {
    for (template, problem) in [
        ("{{ DB_PASSWORD | b64decode }}", "b64decode: DB_PASSWORD is not base64 at line 1"),
        ("{{ DB_PASSWORD | b64decod }}", "unknown filter \"b64decod\" at line 1; did you mean \"b64decode\"?"),
        ("{{ DB_PASSWORD.foo.bar }}", "it reads something that is not defined and never will be"),
        ("{{ DB_PASSWORD | indent(2000000000) }}", "indent: DB_PASSWORD would make about"),
    ] {
        let response = Request::modern(deriving(template))
            .observed("db", ready(true), &[("DB_PASSWORD", b"hunter2 not base64")])
            .run();
        let fatal = response.single_fatal();
        assert!(
            fatal.starts_with(&format!("derived[0] decoded: the template failed: {problem}")),
            "{template}: {fatal}"
        );
        assert!(!fatal.contains("hunter2"), "{fatal}");
    }
}
