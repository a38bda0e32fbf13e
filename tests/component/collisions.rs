//! No silent collisions (issue 24) through the real component: an object
//! this step composes may not be a managed resource's own connection
//! Secret, a Secret it reads, another of its objects, or an object or key
//! of an earlier pipeline step; an earlier step's v1 Secret under its key
//! (function-patch-and-transform's, during a migration) is taken over with
//! its keys, and a NORMAL result says so.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use crate::harness::{Request, Response, input};

const PREFIX: &str = "invalid function input (connection.fn.crossplane.io/v1beta1 ConnectionDetails): ";

fn database(fields: Value) -> Value {
    let mut value = json!({"resources": [{"name": "rds", "connectionDetails": [
        {"fromConnectionSecretKey": "username"},
        {"fromConnectionSecretKey": "password"},
    ]}]});
    value.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
    input(value)
}

/// The database as a namespaced managed resource writes it: its connection
/// Secret `rds-conn` named without a namespace, so in its own.
fn with_database(request: Request) -> Request {
    request.observed(
        "rds",
        json!({"apiVersion": "rds.aws.m.upbound.io/v1beta1", "kind": "Instance",
               "metadata": {"name": "db-rds", "namespace": "apps"},
               "spec": {"writeConnectionSecretToRef": {"name": "rds-conn"}}}),
        &[("username", b"admin"), ("password", b"pw-Sentinel-1")],
    )
}

fn fatal(response: &Response) -> String {
    let message = response.single_fatal();
    message.strip_prefix(PREFIX).unwrap_or_else(|| panic!("not an input error: {message}")).to_owned()
}

#[test]
fn the_combined_secret_may_not_be_a_managed_resource_s_own() {
    let response =
        with_database(Request::modern(database(json!({"writeConnectionSecretToRef": {"name": "rds-conn"}})))).run();
    assert_eq!(
        fatal(&response),
        "the combined connection Secret: Secret apps/rds-conn is also the connection Secret of composed resource rds \
         (its spec.writeConnectionSecretToRef): its provider and this step would overwrite each other's keys; give \
         it another name"
    );
    assert!(response.0["desired"]["resources"].is_null(), "nothing composed");
}

#[test]
fn a_cluster_scoped_managed_resource_s_secret_is_found_in_the_namespace_it_names() {
    let mut request = Request::legacy(database(json!({"secrets": [
        {"key": "password", "to": {"name": "rds-conn", "namespace": "crossplane-system"}},
    ]})));
    request = request.observed(
        "rds",
        json!({"apiVersion": "rds.aws.upbound.io/v1beta1", "kind": "Instance", "metadata": {"name": "xr-rds"},
               "spec": {"writeConnectionSecretToRef": {"name": "rds-conn", "namespace": "crossplane-system"}}}),
        &[("password", b"pw")],
    );
    assert_eq!(
        fatal(&request.run()),
        "secrets[0].to: Secret crossplane-system/rds-conn is also the connection Secret of composed resource rds (its \
         spec.writeConnectionSecretToRef): its provider and this step would overwrite each other's keys; give it \
         another name"
    );
}

#[test]
fn in_mode_composite_a_fan_out_secret_may_not_be_the_one_crossplane_writes_for_the_xr() {
    let mut request = with_database(Request::legacy(database(json!({"secrets": [
        {"key": "password", "to": {"name": "xr-conn", "namespace": "crossplane-system"}},
    ]}))));
    request.0["observed"]["composite"]["resource"]["spec"]["writeConnectionSecretToRef"] =
        json!({"name": "xr-conn", "namespace": "crossplane-system"});
    assert_eq!(
        fatal(&request.run()),
        "secrets[0].to: Secret crossplane-system/xr-conn is also the composite's own connection Secret (its \
         spec.writeConnectionSecretToRef), which Crossplane writes in mode Composite: Crossplane and this step would \
         overwrite each other's keys; give it another name"
    );
}

#[test]
fn a_fan_out_secret_may_not_overwrite_the_secret_a_key_is_read_from() {
    let reading = database(json!({
        "resources": [{"name": "rds", "connectionDetails": [
            {"fromConnectionSecretKey": "password"},
            {"name": "admin", "fromSecretKeyRef": {"name": "server-admin-pw", "key": "password"}},
        ]}],
        "secrets": [{"key": "password", "to": {"name": "server-admin-pw"}}],
    }));
    let mut request = with_database(Request::modern(reading));
    request.0["extraResources"] = json!({"secret/apps/server-admin-pw": {"items": [{"resource": {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "server-admin-pw", "namespace": "apps"},
        "data": {"password": BASE64.encode("admin-Sentinel")}}}]}});
    let response = request.run();
    assert_eq!(
        fatal(&response),
        "secrets[0].to: Secret apps/server-admin-pw is also the Secret that \
         resources[0].connectionDetails[1].fromSecretKeyRef reads: this step would overwrite what it reads, and \
         Crossplane would adopt that Secret and delete it with the XR; give it another name"
    );
    assert!(!response.0.to_string().contains("Sentinel"), "no value in the response");
}

#[test]
fn two_objects_of_one_kind_name_and_namespace_are_an_input_error_naming_both() {
    let response = with_database(Request::modern(database(json!({
        "writeConnectionSecretToRef": {"name": "app"},
        "secrets": [{"key": "password", "to": {"name": "app"}}],
        "configMaps": [{"key": "username", "to": {"name": "app", "allowSecretValue": true}}],
    }))))
    .run();
    assert_eq!(
        fatal(&response),
        "secrets[0].to: Secret apps/app is also the combined connection Secret: two composed resources would write \
         one object; give one of them another name",
        "a ConfigMap of the same name is another object"
    );
}

#[test]
fn every_collision_is_named_in_one_fatal_result() {
    let response = with_database(Request::modern(database(json!({
        "writeConnectionSecretToRef": {"name": "rds-conn"},
        "secrets": [{"key": "password", "to": {"name": "rds-conn"}}],
    }))))
    .run();
    let message = fatal(&response);
    assert_eq!(message.matches("is also").count(), 3, "{message}");
    for both in [
        "the combined connection Secret: Secret apps/rds-conn is also the connection Secret of composed resource rds",
        "secrets[0].to: Secret apps/rds-conn is also the combined connection Secret",
        "secrets[0].to: Secret apps/rds-conn is also the connection Secret of composed resource rds",
    ] {
        assert!(message.contains(both), "{both} in {message}");
    }
}

/// What function-patch-and-transform leaves in the desired state before
/// this step: its `key` AccessKey and, for a Crossplane v2 XR, its
/// connection Secret under `<xr-name>-connection-secret`.
fn after_patch_and_transform(request: Request) -> Request {
    request.desired(json!({"resources": {
        "key": {"resource": {"apiVersion": "iam.aws.m.upbound.io/v1beta1", "kind": "AccessKey",
                             "spec": {"forProvider": {"userSelector": {"matchLabels": {"user": "u"}}}}}},
        "db-connection-secret": {"resource": {"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "app", "namespace": "apps"}, "type": "connection.crossplane.io/v1alpha1",
            "data": {"password": BASE64.encode("pt-old"), "endpoint": BASE64.encode("db.example")}}},
    }}))
}

#[test]
fn a_resource_name_may_not_replace_an_earlier_step_s_resource_that_is_no_secret() {
    let request = with_database(Request::modern(database(json!({"connectionSecretResourceName": "key"}))));
    let response = after_patch_and_transform(request).run();
    assert_eq!(
        fatal(&response),
        "the combined connection Secret: its key key in desired.resources is also that of the \
         iam.aws.m.upbound.io/v1beta1 AccessKey an earlier pipeline step composed, which this step would replace; a \
         Secret of this step takes over only a v1 Secret, so change connectionSecretResourceName"
    );
    assert_eq!(response.0["desired"]["resources"]["key"]["resource"]["kind"], "AccessKey", "the AccessKey stays");
}

#[test]
fn a_fan_out_key_may_not_replace_an_earlier_step_s_resource_that_is_no_secret() {
    let mut request = with_database(Request::modern(database(json!({"configMaps": [
        {"key": "username", "to": {"name": "info", "allowSecretValue": true}},
    ]}))));
    request = request.desired(json!({"resources": {"configmap-info": {"resource": {
        "apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "Bucket"}}}}));
    assert!(fatal(&request.run()).starts_with(
        "configMaps[0].to: its key configmap-info in desired.resources is also that of the \
             s3.aws.m.upbound.io/v1beta1 Bucket an earlier pipeline step composed"
    ));
}

#[test]
fn patch_and_transform_s_secret_is_taken_over_with_its_keys_and_a_normal_result() {
    let request = with_database(Request::modern(database(json!({
        "connectionSecretResourceName": "$(xr-name)-connection-secret",
        "writeConnectionSecretToRef": {"name": "app"},
    }))));
    let response = after_patch_and_transform(request).run();
    let data = response.secret_data("db-connection-secret");
    assert_eq!(data["password"], b"pw-Sentinel-1", "this step's value wins");
    assert_eq!(data["endpoint"], b"db.example", "the earlier key stays");
    assert_eq!(data.keys().collect::<Vec<_>>(), ["endpoint", "password", "username"]);
    assert_eq!(
        response.results(),
        [(
            "NORMAL".to_owned(),
            "the combined connection Secret: Secret apps/app takes over desired resource db-connection-secret, the v1 \
             Secret apps/app an earlier pipeline step composed (function-patch-and-transform's connection Secret, \
             during a migration); it keeps that Secret's keys \"endpoint\"; this step's own \"password\" replace that \
             Secret's"
                .to_owned()
        )]
    );
    assert_eq!(response.0["results"][0]["reason"], "SecretTakenOver");
    assert_eq!(response.0["desired"]["resources"]["key"]["resource"]["kind"], "AccessKey");
}

#[test]
fn an_earlier_step_s_object_under_another_key_is_not_written_twice() {
    let request = with_database(Request::modern(database(json!({"writeConnectionSecretToRef": {"name": "app"}}))));
    assert_eq!(
        fatal(&after_patch_and_transform(request).run()),
        "the combined connection Secret: Secret apps/app is also desired resource db-connection-secret of an earlier \
         pipeline step: two composed resources would write one object; give it another name"
    );
}
