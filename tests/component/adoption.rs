//! Fitting where users already are, through the real component: taking over
//! function-patch-and-transform's connection Secret by its resource name,
//! labels and annotations on every object written, and Secret types.

use serde_json::{Value, json};

use crate::harness::{Request, input};

const PASSWORD: &[u8] = b"s3cr3t-pw";

fn with_database(request: Request) -> Request {
    request.observed(
        "database",
        json!({"apiVersion": "example.org/v1", "kind": "Instance", "metadata": {"name": "database"}}),
        &[("username", b"admin"), ("password", PASSWORD), ("tls.crt", b"CERT"), ("tls.key", b"KEY")],
    )
}

fn database_keys(extra: Value) -> Value {
    let mut fields = json!({"resources": [{"name": "database", "connectionDetails": [
        {"fromConnectionSecretKey": "username"},
        {"fromConnectionSecretKey": "password"},
        {"fromConnectionSecretKey": "tls.crt"},
        {"fromConnectionSecretKey": "tls.key"},
    ]}]});
    fields.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    input(fields)
}

#[test]
fn the_combined_secret_can_take_over_patch_and_transform_s_resource_name() {
    let response = with_database(Request::modern(database_keys(json!({
        "connectionSecretResourceName": "$(xr-name)-connection-secret",
    }))))
    .run();
    assert!(response.desired_resource("connection-secret").is_none());
    let secret = response.desired_resource("db-connection-secret").expect("keyed as P&T keys it");
    assert_eq!(secret["resource"]["metadata"], json!({"name": "db-connection", "namespace": "apps"}));
    assert_eq!(secret["resource"]["type"], "connection.crossplane.io/v1alpha1");
    assert_eq!(response.secret_data("db-connection-secret")["password"], PASSWORD);
}

#[test]
fn labels_and_annotations_reach_the_combined_secret_and_each_destination() {
    let response = with_database(Request::modern(database_keys(json!({
        "connectionSecretMetadata": {"labels": {"backup": "daily"}, "annotations": {"owner": "team-db"}},
        "secrets": [
            {"key": "username", "to": {"name": "creds", "type": "kubernetes.io/basic-auth",
                "metadata": {"labels": {"app.kubernetes.io/name": "web"}}}},
            {"key": "password", "to": {"name": "creds", "metadata": {"labels": {"tier": "1"}}}},
            {"key": "tls.crt", "to": {"name": "tls", "type": "kubernetes.io/tls"}},
            {"key": "tls.key", "to": {"name": "tls"}},
        ],
        "configMaps": [{"key": "username",
            "to": {"name": "info", "metadata": {"annotations": {"a": "b"}}, "allowSecretValue": true}}],
    }))))
    .run();
    assert_eq!(response.0["results"].as_array().map(Vec::len), Some(1), "{:?}", response.results());
    assert_eq!(response.0["results"][0]["reason"], "SecretInConfigMap");
    let metadata = |name: &str| response.desired_resource(name).unwrap()["resource"]["metadata"].clone();
    assert_eq!(metadata("connection-secret")["labels"], json!({"backup": "daily"}));
    assert_eq!(metadata("connection-secret")["annotations"], json!({"owner": "team-db"}));
    assert_eq!(metadata("secret-creds")["labels"], json!({"app.kubernetes.io/name": "web", "tier": "1"}));
    assert_eq!(metadata("configmap-info")["annotations"], json!({"a": "b"}));
    let kind = |name: &str| response.desired_resource(name).unwrap()["resource"]["type"].clone();
    assert_eq!(kind("secret-creds"), "kubernetes.io/basic-auth");
    assert_eq!(kind("secret-tls"), "kubernetes.io/tls");
}

#[test]
fn a_typed_secret_is_held_back_until_its_required_keys_arrive_and_the_xr_is_not() {
    let fields = json!({
        "secrets": [
            {"key": "tls.crt", "to": {"name": "tls", "type": "kubernetes.io/tls"}},
            {"key": "tls.key", "to": {"name": "tls"}},
        ],
    });
    let observed_without_key = Request::modern(database_keys(fields.clone())).observed(
        "database",
        json!({"apiVersion": "example.org/v1", "kind": "Instance", "metadata": {"name": "database"}}),
        &[("tls.crt", b"CERT")],
    );
    let response = observed_without_key.run();
    assert!(response.desired_resource("secret-tls").is_none(), "the API server would refuse it without tls.key");
    assert!(response.0["desired"]["composite"]["ready"].is_null(), "the XR is not held for it");
    let complete = with_database(Request::modern(database_keys(fields))).run();
    assert_eq!(complete.secret_data("secret-tls").keys().collect::<Vec<_>>(), ["tls.crt", "tls.key"]);
}

#[test]
fn settings_for_a_composed_secret_warn_when_crossplane_writes_the_xr_s_secret() {
    let response = with_database(Request::legacy(database_keys(json!({
        "writeConnectionSecretsToNamespace": "crossplane-system",
        "connectionSecretMetadata": {"labels": {"backup": "daily"}},
        "connectionSecretResourceName": "db-secret",
    }))))
    .run();
    let warnings = response.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].starts_with("connectionSecretMetadata is not applied"), "{warnings:?}");
    assert!(warnings[1].starts_with("connectionSecretResourceName is not applied"), "{warnings:?}");
    assert_eq!(response.composite_details()["password"], PASSWORD);
}

#[test]
fn a_resource_name_shared_with_a_destination_is_an_input_error() {
    let response = with_database(Request::modern(database_keys(json!({
        "connectionSecretResourceName": "secret-creds",
        "secrets": [{"key": "password", "to": {"name": "creds"}}],
    }))))
    .run();
    assert_eq!(
        response.single_fatal(),
        "invalid function input (connection.fn.crossplane.io/v1beta1 ConnectionDetails): connectionSecretResourceName: \
         secret-creds is also the resource name of the fan-out Secret creds; each composed resource needs its own"
    );
}

/// function-patch-and-transform v0.10.8, connection_test.go,
/// TestGetConnectionSecretRef, case PatchFromCompositeFieldPath: the
/// Secret's name is the XR's UID through a string Format transform, its
/// namespace `spec.parameters.env`. P&T's XR is in namespace `production`,
/// where a namespaced XR cannot compose a Secret into `prod` (the second
/// half); a cluster-scoped v2 XR can, and gets P&T's name and namespace.
#[test]
fn a_secret_name_patch_with_transforms_names_the_secret_as_patch_and_transform_does() {
    let patches = json!({"writeConnectionSecretToRef": {"patches": [
        {"type": "FromCompositeFieldPath", "fromFieldPath": "metadata.uid", "toFieldPath": "name",
            "transforms": [{"type": "string", "string": {"type": "Format", "fmt": "%s-cool-creds"}}]},
        {"type": "FromCompositeFieldPath", "fromFieldPath": "spec.parameters.env", "toFieldPath": "namespace"},
    ]}});
    let with_xr = |metadata: Value| {
        let mut request = with_database(Request::modern(database_keys(patches.clone())));
        request.0["observed"]["composite"]["resource"]["metadata"] = metadata;
        request.0["observed"]["composite"]["resource"]["spec"]["parameters"] = json!({"env": "prod"});
        request
    };
    let cluster_scoped = with_xr(json!({"name": "my-database", "uid": "test-uid-456"})).run();
    assert_eq!(cluster_scoped.results(), []);
    let secret = cluster_scoped.desired_resource("connection-secret").expect("the combined Secret");
    assert_eq!(secret["resource"]["metadata"], json!({"name": "test-uid-456-cool-creds", "namespace": "prod"}));
    assert_eq!(cluster_scoped.secret_data("connection-secret")["password"], PASSWORD);

    let namespaced = with_xr(json!({"name": "my-database", "namespace": "production", "uid": "test-uid-456"})).run();
    let fatal = namespaced.single_fatal();
    assert!(
        fatal.contains("writeConnectionSecretToRef.namespace: prod is not the composite's namespace production"),
        "{fatal}"
    );
}

/// A transform the function cannot apply is refused where the input is
/// read, with its field path and the closest spelling, and nothing is
/// composed; one that fails on the XR's value names its patch and
/// transform.
#[test]
fn a_transform_the_function_cannot_apply_is_an_input_error_naming_it() {
    let patch = |transforms: Value| {
        database_keys(json!({"writeConnectionSecretToRef": {"patches": [
            {"fromFieldPath": "metadata.name", "toFieldPath": "name", "transforms": transforms},
        ]}}))
    };
    let misspelt = with_database(Request::modern(patch(json!([
        {"type": "string", "string": {"type": "Convert", "convert": "ToLower"}},
        {"type": "string", "string": {"type": "Fromat", "fmt": "%s-creds"}},
    ]))))
    .run();
    assert_eq!(
        misspelt.single_fatal(),
        "invalid function input (connection.fn.crossplane.io/v1beta1 ConnectionDetails): \
         writeConnectionSecretToRef.patches[0].transforms[1].string.type: unknown value \"Fromat\"; did you mean \
         \"Format\"?"
    );
    assert!(misspelt.desired_resource("connection-secret").is_none());

    let unmapped = with_database(Request::modern(patch(json!([{"type": "map", "map": {"prod": "p-creds"}}])))).run();
    let fatal = unmapped.single_fatal();
    assert!(
        fatal.contains(
            "writeConnectionSecretToRef.patches[0].transforms[0].map: has no entry for the value (a string of 2 \
             bytes); its keys are prod"
        ),
        "{fatal}"
    );
}
