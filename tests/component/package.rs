//! package/: the Function's metadata and the input CRD, checked against
//! every example input (SPEC §7).

use serde_json::Value;

use crate::harness::repo_path;
use crate::openapi::{validate, yaml};

fn input_schema() -> Value {
    let crd = yaml("package/input/connection.fn.crossplane.io_connectiondetails.yaml");
    assert_eq!(crd["spec"]["group"], "connection.fn.crossplane.io");
    assert_eq!(crd["spec"]["names"]["kind"], "ConnectionDetails");
    assert_eq!(crd["spec"]["versions"][0]["name"], "v1beta1");
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone()
}

fn errors_for(input: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    validate(&input_schema(), input, "input", &mut errors);
    errors
}

/// The function inputs of every example: each Pipeline step of ours, and
/// each raw request's input.
fn example_inputs() -> Vec<(String, Value)> {
    let mut inputs = Vec::new();
    for entry in std::fs::read_dir(repo_path("examples")).unwrap() {
        let folder = entry.unwrap().path();
        let composition = folder.join("composition.yaml");
        if composition.exists() {
            let text = std::fs::read_to_string(&composition).unwrap();
            let value: Value = serde_saphyr::from_str(&text).unwrap();
            for step in value["spec"]["pipeline"].as_array().into_iter().flatten() {
                if step["functionRef"]["name"] == "function-connection-details" {
                    inputs.push((composition.display().to_string(), step["input"].clone()));
                }
            }
        }
    }
    for entry in std::fs::read_dir(repo_path("examples/requests")).unwrap() {
        let path = entry.unwrap().path();
        let request: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        inputs.push((path.display().to_string(), request["input"].clone()));
    }
    inputs
}

#[test]
fn every_example_input_matches_the_crd() {
    let inputs = example_inputs();
    assert!(inputs.len() >= 8, "found only {} example inputs", inputs.len());
    for (source, input) in inputs {
        assert_eq!(errors_for(&input), Vec::<String>::new(), "{source}");
    }
}

#[test]
fn the_crd_rejects_malformed_inputs() {
    let input = |extra: Value| {
        let mut value =
            serde_json::json!({"apiVersion": "connection.fn.crossplane.io/v1beta1", "kind": "ConnectionDetails"});
        value.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        value
    };
    let cases = [
        (input(serde_json::json!({"mode": "Sometimes"})), "input.mode: not one of the enum values"),
        (input(serde_json::json!({"typo": 1})), "input.typo: unknown field"),
        (input(serde_json::json!({"resources": [{"connectionDetails": []}]})), "input.resources[0].name: required"),
        (
            input(
                serde_json::json!({"resources": [{"name": "r", "connectionDetails": [{"name": "a/b", "value": "v"}]}]}),
            ),
            "input.resources[0].connectionDetails[0].name: does not match ^[-._a-zA-Z0-9]+$",
        ),
        (input(serde_json::json!({"secrets": [{"key": "k"}]})), "input.secrets[0].to: required"),
        (
            input(serde_json::json!({"derived": [{"name": "d", "template": 5}]})),
            "input.derived[0].template: not a string",
        ),
        (
            input(serde_json::json!({"connectionSecretMetadata": {"labels": {"team": 5}}})),
            "input.connectionSecretMetadata.labels[team]: not a string",
        ),
        (
            input(serde_json::json!({"secrets": [{"key": "k", "to": {"name": "s", "type": "kubernetes.io/magic"}}]})),
            "input.secrets[0].to.type: not one of the enum values",
        ),
        (
            input(
                serde_json::json!({"pushSecrets": [{"store": {"name": "v"}, "remoteKey": "k", "sharedRemoteKey": "yes"}]}),
            ),
            "input.pushSecrets[0].sharedRemoteKey: not a boolean",
        ),
        (
            input(serde_json::json!({"pushSecrets": [{"store": {"name": "v"},
                "patches": [{"fromFieldPath": "metadata.uid", "toFieldPath": "name"}]}]})),
            "input.pushSecrets[0].patches[0].toFieldPath: not one of the enum values",
        ),
    ];
    for (malformed, expected) in cases {
        assert_eq!(errors_for(&malformed), [expected]);
    }
}

/// Every kind of transform the function reads, in the form the CRD
/// describes: the reader and the schema agree on it, and on a misspelling.
#[test]
fn the_crd_accepts_the_transforms_the_function_reads() {
    let with_transforms = |transforms: Value| {
        serde_json::json!({
            "apiVersion": "connection.fn.crossplane.io/v1beta1", "kind": "ConnectionDetails",
            "writeConnectionSecretToRef": {"patches": [
                {"fromFieldPath": "metadata.uid", "toFieldPath": "name", "transforms": transforms},
                {"type": "CombineFromComposite", "toFieldPath": "namespace", "combine": {"strategy": "string",
                    "variables": [{"fromFieldPath": "spec.team"}], "string": {"fmt": "team-%s"}},
                    "transforms": [{"type": "string", "string": {"type": "Convert", "convert": "ToLower"}}]},
            ]},
        })
    };
    let every_kind = with_transforms(serde_json::json!([
        {"type": "map", "map": {"a": "b", "c": {"d": [1]}}},
        {"type": "match", "match": {"patterns": [
            {"type": "literal", "literal": "b", "result": 2},
            {"type": "regexp", "regexp": "^x", "result": null},
        ], "fallbackTo": "Input"}},
        {"type": "match", "match": {"patterns": [{"literal": "z"}], "fallbackValue": {"any": ["thing"]}}},
        {"type": "math", "math": {"type": "Multiply", "multiply": 2}},
        {"type": "math", "math": {"type": "ClampMin", "clampMin": 1}},
        {"type": "math", "math": {"type": "ClampMax", "clampMax": 9}},
        {"type": "convert", "convert": {"toType": "string"}},
        {"type": "convert", "convert": {"toType": "float64", "format": "quantity"}},
        {"type": "convert", "convert": {"toType": "object", "format": "json"}},
        {"type": "string", "string": {"type": "Format", "fmt": "%v"}},
        {"type": "string", "string": {"type": "Convert", "convert": "ToSha256"}},
        {"type": "string", "string": {"type": "TrimPrefix", "trim": "a"}},
        {"type": "string", "string": {"type": "TrimSuffix", "trim": "z"}},
        {"type": "string", "string": {"type": "Regexp", "regexp": {"match": "([a-f]+)", "group": 1}}},
        {"type": "string", "string": {"type": "Join", "join": {"separator": "-"}}},
        {"type": "string", "string": {"type": "Replace", "replace": {"search": "x", "replace": ""}}},
    ]));
    assert_eq!(errors_for(&every_kind), Vec::<String>::new());
    assert!(
        connection_details::input::parse(&every_kind).is_ok(),
        "{:?}",
        connection_details::input::parse(&every_kind)
    );

    let misspelt = with_transforms(serde_json::json!([{"type": "string", "string": {"type": "Fromat", "fmt": "%s"}}]));
    let at = "writeConnectionSecretToRef.patches[0].transforms[0].string.type";
    assert_eq!(errors_for(&misspelt), [format!("input.{at}: not one of the enum values")]);
    let reader = connection_details::input::parse(&misspelt).unwrap_err().to_string();
    assert!(reader.ends_with(&format!("{at}: unknown value \"Fromat\"; did you mean \"Format\"?")), "{reader}");
}

/// A push using every field the reader takes is valid to both the CRD and
/// the component.
#[test]
fn the_crd_takes_every_push_secret_field_the_component_takes() {
    let push = serde_json::json!({
        "name": "db-vault", "secret": "db-connection", "store": {"name": "vault", "kind": "ClusterSecretStore"},
        "remoteKey": "tenants/$(xr-namespace)/$(xr-name)", "sharedRemoteKey": false,
        "patches": [{"type": "CombineFromComposite", "toFieldPath": "remoteKey", "combine": {"strategy": "string",
            "variables": [{"fromFieldPath": "metadata.namespace"}, {"fromFieldPath": "metadata.uid"}],
            "string": {"fmt": "tenants/%s/%s"}}}],
        "keys": ["password"], "refreshInterval": "1h", "updatePolicy": "Replace", "deletionPolicy": "Delete",
    });
    let function_input = crate::harness::input(serde_json::json!({
        "resources": [{"name": "db", "connectionDetails": [{"fromConnectionSecretKey": "password"}]}],
        "pushSecrets": [push],
    }));
    assert_eq!(errors_for(&function_input), Vec::<String>::new());
    let mut request =
        crate::harness::Request::modern(function_input).observed("db", serde_json::json!({}), &[("password", b"pw")]);
    request.0["observed"]["composite"]["resource"]["metadata"]["uid"] = serde_json::json!("4f2a");
    let response = request.run();
    assert_eq!(response.results(), []);
    let pushed = &response.desired_resource("pushsecret-db-vault").expect("composed")["resource"]["spec"]["data"][0];
    assert_eq!(pushed["match"]["remoteRef"]["remoteKey"], "tenants/apps/4f2a", "the patch sets it");
}

#[test]
fn the_package_is_a_composition_function() {
    let package = yaml("package/crossplane.yaml");
    assert_eq!(package["apiVersion"], "meta.pkg.crossplane.io/v1");
    assert_eq!(package["kind"], "Function");
    assert_eq!(package["metadata"]["name"], "function-connection-details");
    assert_eq!(package["spec"]["capabilities"], serde_json::json!(["composition"]));
    for annotation in ["title", "description", "source"] {
        let key = format!("meta.crossplane.io/{annotation}");
        assert!(package["metadata"]["annotations"][key.as_str()].is_string(), "{key}");
    }
}
