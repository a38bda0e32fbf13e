//! package/: the Function's metadata and the input CRD, checked against
//! every example input (SPEC §7).

use regex::Regex;
use serde_json::Value;

use crate::harness::repo_path;

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(repo_path(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn input_schema() -> Value {
    let crd = yaml("package/input/connection.fn.crossplane.io_connectiondetails.yaml");
    assert_eq!(crd["spec"]["group"], "connection.fn.crossplane.io");
    assert_eq!(crd["spec"]["names"]["kind"], "ConnectionDetails");
    assert_eq!(crd["spec"]["versions"][0]["name"], "v1beta1");
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone()
}

/// Checks `value` against the OpenAPI subset the CRD uses, strictly: an
/// unknown field is an error, as with `kubectl --validate=strict`.
fn validate(schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    let preserve_unknown = schema["x-kubernetes-preserve-unknown-fields"] == true;
    match schema["type"].as_str() {
        None if preserve_unknown => {}
        Some("object") => {
            let Some(object) = value.as_object() else { return errors.push(format!("{path}: not an object")) };
            for required in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                if !object.contains_key(required) {
                    errors.push(format!("{path}.{required}: required"));
                }
            }
            for (field, field_value) in object {
                match schema["properties"].get(field) {
                    Some(field_schema) => validate(field_schema, field_value, &format!("{path}.{field}"), errors),
                    None if schema["additionalProperties"].is_object() => {
                        validate(&schema["additionalProperties"], field_value, &format!("{path}[{field}]"), errors)
                    }
                    None if preserve_unknown => {}
                    None => errors.push(format!("{path}.{field}: unknown field")),
                }
            }
        }
        Some("array") => {
            let Some(items) = value.as_array() else { return errors.push(format!("{path}: not an array")) };
            for (i, item) in items.iter().enumerate() {
                validate(&schema["items"], item, &format!("{path}[{i}]"), errors);
            }
        }
        Some("string") => {
            let Some(text) = value.as_str() else { return errors.push(format!("{path}: not a string")) };
            if let Some(allowed) = schema["enum"].as_array()
                && !allowed.iter().any(|a| a == value)
            {
                errors.push(format!("{path}: not one of the enum values"));
            }
            if let Some(pattern) = schema["pattern"].as_str()
                && !Regex::new(pattern).unwrap().is_match(text)
            {
                errors.push(format!("{path}: does not match {pattern}"));
            }
            if schema["minLength"].as_u64().is_some_and(|min| (text.chars().count() as u64) < min) {
                errors.push(format!("{path}: too short"));
            }
        }
        other => panic!("the test validator does not know type {other:?} at {path}"),
    }
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
    let dockerfile = std::fs::read_to_string(repo_path("package/Dockerfile")).unwrap();
    assert!(dockerfile.contains("ENTRYPOINT [\"/usr/local/bin/function-connection-details\", \"serve\"]"));
    assert!(dockerfile.contains("EXPOSE 9443"));
    assert!(dockerfile.contains("FROM gcr.io/distroless/"));
}
