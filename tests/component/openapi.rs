//! Checks objects against a CRD's OpenAPI v3 schema, in the subset that
//! generated CRDs use, strictly: an unknown field is an error, as with
//! `kubectl --validate=strict`, where the API server would drop it. A CEL
//! rule (`x-kubernetes-validations`) on a visited node is reported, since
//! it cannot be checked here, so no schema rule is silently skipped.

use regex::Regex;
use serde_json::Value;

use crate::harness::repo_path;

pub fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(repo_path(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The schema of `version` in the CRD at `path`, which must serve it.
pub fn crd_schema(path: &str, version: &str) -> Value {
    let crd = yaml(path);
    let versions = crd["spec"]["versions"].as_array().unwrap_or_else(|| panic!("{path}: no spec.versions"));
    let found = versions.iter().find(|v| v["name"] == version).unwrap_or_else(|| panic!("{path}: no {version}"));
    assert_eq!(found["served"], true, "{path}: {version} is not served");
    found["schema"]["openAPIV3Schema"].clone()
}

/// A whole object of the CRD's kind: `metadata` is ObjectMeta, which the API
/// server checks itself (a CRD's schema leaves it a bare object), so only
/// the fields this project writes there are allowed; the rest goes by the
/// schema.
pub fn validate_resource(schema: &Value, object: &Value, errors: &mut Vec<String>) {
    let mut rest = object.clone();
    if let Some(Value::Object(metadata)) = rest.as_object_mut().and_then(|o| o.remove("metadata")) {
        for field in metadata.keys().filter(|f| !["name", "namespace", "labels", "annotations"].contains(&f.as_str())) {
            errors.push(format!("metadata.{field}: not written by this project"));
        }
        if !metadata.get("name").is_some_and(Value::is_string) {
            errors.push("metadata.name: required".to_owned());
        }
    }
    validate(schema, &rest, "", errors);
}

pub fn validate(schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    if schema.get("x-kubernetes-validations").is_some() {
        errors.push(format!("{path}: has CEL rules this check cannot evaluate"));
    }
    let preserve_unknown = schema["x-kubernetes-preserve-unknown-fields"] == true;
    match schema["type"].as_str() {
        None if preserve_unknown => {}
        Some("object") => object(schema, value, path, preserve_unknown, errors),
        Some("array") => {
            let Some(items) = value.as_array() else { return errors.push(format!("{path}: not an array")) };
            bounds(schema, "minItems", "maxItems", items.len(), path, errors);
            for (i, item) in items.iter().enumerate() {
                validate(&schema["items"], item, &format!("{path}[{i}]"), errors);
            }
        }
        Some("string") => string(schema, value, path, errors),
        Some("integer") if value.is_i64() || value.is_u64() => {}
        Some("boolean") if value.is_boolean() => {}
        Some(other @ ("integer" | "boolean")) => errors.push(format!("{path}: not a {other}")),
        other => panic!("the test validator does not know type {other:?} at {path}"),
    }
}

fn object(schema: &Value, value: &Value, path: &str, preserve_unknown: bool, errors: &mut Vec<String>) {
    let Some(object) = value.as_object() else { return errors.push(format!("{path}: not an object")) };
    bounds(schema, "minProperties", "maxProperties", object.len(), path, errors);
    for required in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        if !object.contains_key(required) {
            errors.push(format!("{}: required", join(path, required)));
        }
    }
    for (field, field_value) in object {
        match schema["properties"].get(field) {
            Some(field_schema) => validate(field_schema, field_value, &join(path, field), errors),
            None if schema["additionalProperties"].is_object() => {
                validate(&schema["additionalProperties"], field_value, &format!("{path}[{field}]"), errors)
            }
            None if preserve_unknown => {}
            None => errors.push(format!("{}: unknown field", join(path, field))),
        }
    }
}

fn string(schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
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
    let length = text.chars().count();
    if schema["minLength"].as_u64().is_some_and(|min| (length as u64) < min) {
        errors.push(format!("{path}: too short"));
    }
    if schema["maxLength"].as_u64().is_some_and(|max| (length as u64) > max) {
        errors.push(format!("{path}: too long"));
    }
}

fn bounds(schema: &Value, min: &str, max: &str, count: usize, path: &str, errors: &mut Vec<String>) {
    if schema[min].as_u64().is_some_and(|min| (count as u64) < min) {
        errors.push(format!("{path}: fewer than {min} {}", schema[min]));
    }
    if schema[max].as_u64().is_some_and(|max| (count as u64) > max) {
        errors.push(format!("{path}: more than {max} {}", schema[max]));
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() { field.to_owned() } else { format!("{path}.{field}") }
}
