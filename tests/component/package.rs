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
    ];
    for (malformed, expected) in cases {
        assert_eq!(errors_for(&malformed), [expected]);
    }
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
