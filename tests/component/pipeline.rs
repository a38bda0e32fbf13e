//! The function as one step of a pipeline: what it keeps, where it writes
//! (SPEC §3 pipeline facts, §4.4).

use serde_json::json;

use crate::harness::{Request, input};

fn one_key() -> serde_json::Value {
    input(json!({"resources": [{"name": "db", "connectionDetails": [{"fromConnectionSecretKey": "password"}]}]}))
}

fn with_password(request: Request) -> Request {
    request.observed("db", json!({"kind": "Instance"}), &[("password", b"pw-1")])
}

#[test]
fn legacy_xr_gets_composite_details_and_modern_xr_a_composed_secret() {
    let legacy = with_password(Request::legacy(one_key())).run();
    assert_eq!(legacy.composite_details()["password"], b"pw-1");
    assert!(legacy.desired_resource("connection-secret").is_none());

    let modern = with_password(Request::modern(one_key())).run();
    assert!(modern.composite_details().is_empty());
    let secret = &modern.desired_resource("connection-secret").unwrap()["resource"];
    assert_eq!(secret["metadata"], json!({"name": "db-connection", "namespace": "apps"}));
    assert_eq!(modern.secret_data("connection-secret")["password"], b"pw-1");
}

#[test]
fn explicit_mode_overrides_detection() {
    let mut composite_input = one_key();
    composite_input["mode"] = json!("Composite");
    let modern_as_composite = with_password(Request::modern(composite_input)).run();
    assert_eq!(modern_as_composite.composite_details()["password"], b"pw-1");
    assert!(modern_as_composite.desired_resource("connection-secret").is_none());

    let mut secret_input = one_key();
    secret_input["mode"] = json!("Secret");
    secret_input["writeConnectionSecretToRef"] = json!({"name": "app-db", "namespace": "crossplane-system"});
    let legacy_as_secret = with_password(Request::legacy(secret_input)).run();
    let secret = &legacy_as_secret.desired_resource("connection-secret").unwrap()["resource"];
    assert_eq!(secret["metadata"], json!({"name": "app-db", "namespace": "crossplane-system"}));
}

#[test]
fn the_xr_own_secret_ref_names_the_composed_secret_first() {
    let mut request = with_password(Request::modern(input(json!({
        "resources": [{"name": "db", "connectionDetails": [{"fromConnectionSecretKey": "password"}]}],
        "writeConnectionSecretToRef": {"name": "from-input"},
    }))));
    request.0["observed"]["composite"]["resource"]["spec"]["writeConnectionSecretToRef"] = json!({"name": "from-xr"});
    let response = request.run();
    assert_eq!(response.desired_resource("connection-secret").unwrap()["resource"]["metadata"]["name"], "from-xr");
}

#[test]
fn a_modern_xr_with_no_keys_yet_composes_nothing() {
    let response = Request::modern(one_key()).run();
    assert!(response.0["desired"]["resources"].is_null(), "{:?}", response.0);
    assert_eq!(
        response.results(),
        [(
            "NORMAL".to_owned(),
            "0 of 1 declared connection secret keys are produced; missing: password (the composed resource db is \
             not observed yet)"
                .to_owned()
        )]
    );
}

#[test]
fn what_earlier_steps_desired_is_kept_and_composite_details_are_merged() {
    let earlier = json!({
        "composite": {
            "resource": {"status": {"phase": "Provisioning"}},
            "connectionDetails": {"from-earlier": "ZWFybGllcg==", "password": "b2xk"},
        },
        "resources": {"bucket": {"resource": {"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket"},
                                  "ready": "READY_TRUE"}},
    });
    let response = with_password(Request::legacy(one_key())).desired(earlier.clone()).run();
    let details = response.composite_details();
    assert_eq!(details["from-earlier"], b"earlier");
    assert_eq!(details["password"], b"pw-1", "this step's value wins over an earlier step's");
    assert_eq!(response.0["desired"]["resources"], earlier["resources"]);
    assert_eq!(response.0["desired"]["composite"]["resource"], earlier["composite"]["resource"]);
}

/// An earlier step's Secret under this step's key is taken over (issue
/// 24): its keys stay, as earlier steps' keys do, but no other field of it
/// is blended in, and a NORMAL result says so.
#[test]
fn an_earlier_step_s_secret_under_this_step_s_name_is_taken_over_keys_and_not_fields() {
    let earlier = json!({
        "resources": {
            "connection-secret": {"resource": {"apiVersion": "v1", "kind": "Secret", "stale": "field",
                                               "data": {"old-key": "b2xk"}}},
            "bucket": {"resource": {"kind": "Bucket"}},
        },
    });
    let response = with_password(Request::modern(one_key())).desired(earlier.clone()).run();
    let secret = &response.desired_resource("connection-secret").unwrap()["resource"];
    assert!(secret.get("stale").is_none(), "no field of the earlier object is blended in: {secret}");
    assert_eq!(response.secret_data("connection-secret").keys().collect::<Vec<_>>(), ["old-key", "password"]);
    assert_eq!(response.0["desired"]["resources"]["bucket"], earlier["resources"]["bucket"]);
    let results = response.results();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0].0, "NORMAL");
    assert!(results[0].1.contains("takes over desired resource connection-secret"), "{results:?}");
}

#[test]
fn tag_and_context_pass_through() {
    let mut request = with_password(Request::legacy(one_key()));
    request.0["meta"]["tag"] = json!("abc-123");
    request.0["context"] = json!({"apiextensions.crossplane.io/environment": {"region": "eu-west-1"}});
    let response = request.run();
    assert_eq!(response.0["meta"]["tag"], "abc-123");
    assert_eq!(response.0["context"], request.0["context"]);
}

#[test]
fn the_same_request_gives_the_same_bytes() {
    let request = Request::from_example("scenario-a.json").encode();
    let runtime = &*crate::harness::RUNTIME;
    let first = crate::harness::run_bytes(runtime, &request).unwrap();
    let second = crate::harness::run_bytes(runtime, &request).unwrap();
    assert_eq!(first, second);
}

#[test]
fn a_secret_over_one_mebibyte_is_fatal_and_names_the_object() {
    let big = vec![b'x'; 1024 * 1024];
    let response = Request::modern(one_key()).observed("db", json!({}), &[("password", &big)]).run();
    assert_eq!(
        response.single_fatal(),
        "Secret apps/db-connection would hold 1048584 bytes of data; Kubernetes allows at most 1048576 (1 MiB)"
    );
    assert!(response.desired_resource("connection-secret").is_none());
}

#[test]
fn composite_details_over_one_mebibyte_are_fatal() {
    let big = vec![b'x'; 1024 * 1024];
    let response = Request::legacy(one_key()).observed("db", json!({}), &[("password", &big)]).run();
    assert!(response.single_fatal().starts_with("the composite's connection secret would hold 1048584 bytes"));
}

#[test]
fn a_request_without_input_or_composite_is_fatal() {
    let mut no_input = Request::legacy(one_key());
    no_input.0.as_object_mut().unwrap().remove("input");
    assert_eq!(
        no_input.run().single_fatal(),
        "the pipeline step gives no input; add one of apiVersion connection.fn.crossplane.io/v1beta1, kind ConnectionDetails"
    );
    let mut no_composite = Request::legacy(one_key());
    no_composite.0.as_object_mut().unwrap().remove("observed");
    assert_eq!(no_composite.run().single_fatal(), "the request has no observed composite resource");
}

#[test]
fn a_cluster_scoped_xr_needs_a_namespace_for_its_secret() {
    let mut secret_mode = one_key();
    secret_mode["mode"] = json!("Secret");
    let fatal = with_password(Request::legacy(secret_mode)).run().single_fatal();
    assert!(fatal.contains("cluster-scoped"), "{fatal}");
}

/// function-patch-and-transform v0.10.8, fn_test.go, TestRunFunction case
/// "ExtractCompositeConnectionDetailsV2XR": details an earlier step left in
/// desired.composite go into the Secret composed for a v2 XR.
#[test]
fn a_modern_xr_secret_takes_in_earlier_steps_composite_details_and_ours_win() {
    let earlier = json!({"composite": {
        "resource": {},
        "connectionDetails": {"from-earlier": "ZWFybGllcg==", "password": "b2xk"},
    }});
    let response = with_password(Request::modern(one_key())).desired(earlier).run();
    let data = response.secret_data("connection-secret");
    assert_eq!(data["from-earlier"], b"earlier");
    assert_eq!(data["password"], b"pw-1", "this step's value wins over an earlier step's");
    assert_eq!(
        response.warnings(),
        ["key \"password\" is written by an earlier pipeline step (desired.composite.connectionDetails) and by \
          resources[0] db; this step's value wins"]
    );

    let mut listed = one_key();
    listed["connectionSecretKeys"] = json!(["password"]);
    let filtered = with_password(Request::modern(listed))
        .desired(json!({"composite": {"resource": {}, "connectionDetails": {"from-earlier": "ZQ=="}}}))
        .run();
    assert_eq!(filtered.secret_data("connection-secret").keys().collect::<Vec<_>>(), ["password"]);
}

#[test]
fn earlier_steps_keys_alone_compose_the_modern_xr_secret() {
    let earlier = json!({"composite": {"resource": {}, "connectionDetails": {"endpoint": "ZGI6NTQzMg=="}}});
    let response = Request::modern(one_key()).desired(earlier).run();
    assert_eq!(response.secret_data("connection-secret")["endpoint"], b"db:5432");
}

#[test]
fn a_namespaced_xr_without_spec_crossplane_gets_its_secret_composed() {
    let mut request = with_password(Request::modern(one_key()));
    request.0["observed"]["composite"]["resource"]["spec"].as_object_mut().unwrap().remove("crossplane");
    let response = request.run();
    assert_eq!(response.secret_data("connection-secret")["password"], b"pw-1");
    assert!(response.composite_details().is_empty());
}
