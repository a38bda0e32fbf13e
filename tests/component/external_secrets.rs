//! External Secrets Operator PushSecrets through the real component: every
//! one the function composes validates against ESO's own CRD (v2.9.0, kept
//! in tests/data/eso with its source), holds references and never a value,
//! is Ready only when ESO says so, pushes to its own XR's remote key, and
//! is composed only in a response that composes its Secret.

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
        {"store": {"name": "vault", "kind": "ClusterSecretStore"}, "remoteKey": "$(xr-namespace)/$(xr-name)"},
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
    assert_eq!(remote_keys(&pushes[1].1), ["apps/db"; 3], "the XR's namespace and name, for each key");
}

/// The remote key of each `data[]` item of a composed PushSecret.
fn remote_keys(resource: &Value) -> Vec<&str> {
    let data = resource["resource"]["spec"]["data"].as_array().unwrap();
    data.iter().map(|item| item["match"]["remoteRef"]["remoteKey"].as_str().unwrap()).collect()
}

/// `request` for an XR of another name, namespace and UID.
fn as_xr(mut request: Request, name: &str, namespace: &str, uid: &str) -> Request {
    request.0["observed"]["composite"]["resource"]["metadata"] =
        json!({"name": name, "namespace": namespace, "uid": uid});
    request
}

#[test]
fn two_xrs_of_one_composition_push_to_two_remote_keys_of_a_cluster_store() {
    let request = pushing(json!([{"store": {"name": "vault", "kind": "ClusterSecretStore"},
        "remoteKey": "tenants/$(xr-namespace)/$(xr-name)-$(xr-uid)", "deletionPolicy": "Delete"}]));
    let team_a = as_xr(request.clone(), "orders", "team-a", "0c6f").run();
    let team_b = as_xr(request, "orders", "team-b", "7d21").run();
    let key = |response: &crate::harness::Response| {
        let push = response.desired_resource("pushsecret-orders-connection-vault").expect("composed");
        remote_keys(push)[0].to_owned()
    };
    assert_eq!(key(&team_a), "tenants/team-a/orders-0c6f");
    assert_eq!(key(&team_b), "tenants/team-b/orders-7d21");
}

#[test]
fn a_cluster_store_key_the_same_for_every_xr_is_an_input_error_unless_shared_on_purpose() {
    let fixed = json!({"store": {"name": "vault", "kind": "ClusterSecretStore"}, "remoteKey": "shop/orders-db"});
    assert_eq!(
        pushing(json!([fixed.clone()])).run().single_fatal(),
        "invalid function input (connection.fn.crossplane.io/v1beta1 ConnectionDetails): pushSecrets[0].remoteKey: \
         shop/orders-db is the same for every XR, and ClusterSecretStore vault is shared by every namespace, so XRs \
         would overwrite (and with deletionPolicy Delete, delete) each other's credentials; put $(xr-name), \
         $(xr-namespace) or $(xr-uid) in it (or patch it from the XR's metadata.name, metadata.namespace or \
         metadata.uid), or set sharedRemoteKey: true if they are meant to share it"
    );
    let mut shared = fixed;
    shared["sharedRemoteKey"] = json!(true);
    let response = pushing(json!([shared])).run();
    assert_eq!(response.results(), []);
    assert_eq!(remote_keys(response.desired_resource("pushsecret-db-connection-vault").unwrap())[0], "shop/orders-db");
    // A namespace's own SecretStore is not shared with other namespaces.
    let own_store = pushing(json!([{"store": {"name": "aws"}, "remoteKey": "shop/orders-db"}])).run();
    assert_eq!(own_store.results(), []);
}

#[test]
fn a_remote_key_takes_the_patches_the_secret_s_name_takes() {
    let mut request = pushing(json!([{"store": {"name": "vault", "kind": "ClusterSecretStore"}, "patches": [
        {"type": "CombineFromComposite", "toFieldPath": "remoteKey", "combine": {"strategy": "string",
         "variables": [{"fromFieldPath": "spec.team"}, {"fromFieldPath": "metadata.uid"}],
         "string": {"fmt": "teams/%s/%s"}}},
    ]}]));
    request = as_xr(request, "db", "apps", "5e1a");
    request.0["observed"]["composite"]["resource"]["spec"]["team"] = json!("payments");
    let response = request.run();
    assert_eq!(response.results(), []);
    assert_eq!(
        remote_keys(response.desired_resource("pushsecret-db-connection-vault").unwrap())[0],
        "teams/payments/5e1a"
    );
}

#[test]
fn a_push_is_composed_only_in_the_response_that_composes_its_secret() {
    let push_secrets = json!([
        {"store": {"name": "vault"}, "remoteKey": "$(xr-name)"},
        {"secret": "tls", "store": {"name": "vault"}, "remoteKey": "$(xr-name)-tls"},
    ]);
    let tls_input = |push_secrets: Value| {
        input(json!({
            "resources": [{"name": "db", "connectionDetails": [
                {"fromConnectionSecretKey": "password"},
                {"fromConnectionSecretKey": "tls.crt"},
                {"fromConnectionSecretKey": "tls.key"},
            ]}],
            "secrets": [{"key": "tls.crt", "to": {"name": "tls", "type": "kubernetes.io/tls"}},
                        {"key": "tls.key", "to": {"name": "tls"}}],
            "pushSecrets": push_secrets,
        }))
    };
    let observed =
        |request: Request, details: &[(&str, &[u8])]| request.observed("db", json!({"kind": "Instance"}), details);
    let composed = |response: &crate::harness::Response| -> Vec<String> {
        let resources = response.0["desired"]["resources"].as_object().cloned().unwrap_or_default();
        resources.keys().cloned().collect()
    };

    // Nothing yet: neither Secret, nor a PushSecret that would push whatever
    // Secret of that name the namespace holds; a NORMAL result says why.
    let nothing = Request::modern(tls_input(push_secrets.clone())).run();
    assert_eq!(composed(&nothing), Vec::<String>::new());
    assert_eq!(
        nothing.results(),
        [
            (
                "NORMAL".to_owned(),
                "PushSecret apps/db-connection-vault is not composed yet: the Secret it pushes, \
              apps/db-connection, has no key yet, so it is not composed either; the PushSecret follows in the \
              response that composes it"
                    .to_owned()
            ),
            (
                "NORMAL".to_owned(),
                "PushSecret apps/tls-vault is not composed yet: the Secret it pushes, apps/tls, \
              is held back until it has tls.crt and tls.key, which its type kubernetes.io/tls requires; the \
              PushSecret follows in the response that composes it"
                    .to_owned()
            ),
            // Without the conditions capability, what ConnectionSecretReady
            // would say comes as a result.
            (
                "NORMAL".to_owned(),
                "0 of 3 declared connection secret keys are produced; missing: password (the composed resource \
              db is not observed yet); tls.crt (the composed resource db is not observed yet); tls.key (the \
              composed resource db is not observed yet)"
                    .to_owned()
            ),
        ]
    );

    // The combined Secret and its push arrive together; the TLS Secret
    // still lacks tls.key, so its push waits with it.
    let partly =
        observed(Request::modern(tls_input(push_secrets.clone())), &[("password", b"pw"), ("tls.crt", b"c")]).run();
    assert_eq!(composed(&partly), ["connection-secret", "pushsecret-db-connection-vault"]);
    let notes: Vec<String> =
        partly.results().into_iter().map(|(severity, message)| format!("{severity} {message}")).collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].starts_with("NORMAL PushSecret apps/tls-vault is not composed yet"), "{notes:?}");
    assert!(
        notes[1].starts_with("NORMAL 2 of 3 declared connection secret keys are produced; missing: tls.key"),
        "{notes:?}"
    );

    let complete = observed(
        Request::modern(tls_input(push_secrets)),
        &[("password", b"pw"), ("tls.crt", b"c"), ("tls.key", b"k")],
    )
    .run();
    assert_eq!(
        composed(&complete),
        ["connection-secret", "pushsecret-db-connection-vault", "pushsecret-tls-vault", "secret-tls"]
    );
    assert_eq!(complete.results(), []);
}

#[test]
fn in_mode_composite_no_push_selects_the_secret_crossplane_writes() {
    let mut request = pushing(json!([{"secret": "db-conn", "store": {"name": "vault"}, "remoteKey": "$(xr-name)"}]));
    request.0["input"]["mode"] = json!("Composite");
    request.0["observed"]["composite"]["resource"]["spec"]["writeConnectionSecretToRef"] = json!({"name": "db-conn"});
    assert_eq!(
        request.run().single_fatal(),
        "invalid function input (connection.fn.crossplane.io/v1beta1 ConnectionDetails): pushSecrets[0].secret: this \
         step writes no Secret named db-conn (it writes admin); Crossplane writes the composite's own connection \
         Secret in mode Composite, and a PushSecret composed before it exists would push whatever Secret of that \
         name is there"
    );
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
    let request = pushing(json!([{"store": {"name": "vault"}, "remoteKey": "$(xr-namespace)/$(xr-name)"}]));
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
