//! `writeConnectionSecretToRef.patches`: the connection Secret's name and
//! namespace taken from the XR, as function-patch-and-transform takes them
//! (transforms included), so a Composition that moves here keeps its Secret.

use serde_json::Value;

use crate::input::{PatchSource, RefField, RefPatch, SecretRef};
use crate::names::{Namespace, ObjectName};
use crate::transforms::{self, go_kind};

/// The reference with every patch applied in order. A patch whose fields
/// the XR lacks is skipped, as P&T skips optional patches; a name no patch
/// or field provides is an error, and so is a transform that fails.
pub fn apply(reference: &SecretRef, xr: &Value) -> Result<SecretRef, String> {
    let mut patched = SecretRef { patches: Vec::new(), ..reference.clone() };
    for (index, patch) in reference.patches.iter().enumerate() {
        let path = format!("writeConnectionSecretToRef.patches[{index}]");
        let Some(text) = patched_text(patch, xr).map_err(|problem| format!("{path}.{problem}"))? else { continue };
        match patch.to {
            RefField::Name => {
                let name = ObjectName::new(&text).map_err(|error| format!("{path}: the name it makes {error}"))?;
                patched.name = Some(name);
            }
            RefField::Namespace => {
                let namespace =
                    Namespace::new(&text).map_err(|error| format!("{path}: the namespace it makes {error}"))?;
                patched.namespace = Some(namespace);
            }
        }
    }
    if patched.name.is_none() {
        return Err("writeConnectionSecretToRef.name: no patch set it, as the XR lacks the fields they read".into());
    }
    Ok(patched)
}

/// The text a patch writes, or `None` when it writes nothing: the XR lacks
/// a field it reads, or its transforms end in null (a `match` with no
/// fallback), where P&T leaves the field as it was. A number or bool is
/// written as Go prints it; `Err` starts with the patch's field at fault.
/// Whatever the patch sets: a push's remote key takes it too.
pub fn patched_text<To>(patch: &RefPatch<To>, xr: &Value) -> Result<Option<String>, String> {
    let Some(value) = source_value(&patch.source, xr)? else { return Ok(None) };
    match transforms::apply_all(&patch.transforms, value).map_err(|error| error.to_string())? {
        Value::Null => Ok(None),
        Value::String(text) => Ok(Some(text)),
        scalar @ (Value::Number(_) | Value::Bool(_)) => Ok(Some(transforms::display(&scalar))),
        other => Err(format!(
            "toFieldPath: the patch makes {}, not a string; end its transforms with one that makes a string",
            go_kind(&other)
        )),
    }
}

/// The value a patch starts from, before its transforms.
fn source_value(source: &PatchSource, xr: &Value) -> Result<Option<Value>, String> {
    match source {
        PatchSource::Field(path) => Ok(path.lookup(xr).cloned()),
        PatchSource::Combine { variables, format } => {
            let Some(values) = variables.iter().map(|path| path.lookup(xr).cloned()).collect::<Option<Vec<_>>>() else {
                return Ok(None);
            };
            let text = format.format(&values).map_err(|error| format!("combine.string.fmt: {error}"))?;
            Ok(Some(Value::String(text)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{API_VERSION, KIND};
    use serde_json::json;

    /// `writeConnectionSecretToRef` read as the function reads its input.
    fn reference(fields: Value) -> SecretRef {
        let input = json!({"apiVersion": API_VERSION, "kind": KIND, "writeConnectionSecretToRef": fields});
        crate::input::parse(&input).unwrap().write_connection_secret_to_ref.unwrap()
    }

    fn patched(fields: Value, xr: &Value) -> Result<(String, Option<String>), String> {
        let patched = apply(&reference(fields), xr)?;
        let name = patched.name.map(|name| name.as_str().to_owned()).unwrap_or_default();
        Ok((name, patched.namespace.map(|namespace| namespace.as_str().to_owned())))
    }

    #[test]
    fn patches_set_the_name_and_namespace_from_the_xr() {
        let xr = json!({"metadata": {"name": "db", "uid": "1234"}, "spec": {"team": "shop"}});
        let fields = json!({"patches": [
            {"type": "CombineFromComposite", "toFieldPath": "name", "combine": {"strategy": "string",
                "variables": [{"fromFieldPath": "metadata.name"}, {"fromFieldPath": "metadata.uid"}],
                "string": {"fmt": "%s-%s-conn"}}},
            {"fromFieldPath": "spec.team", "toFieldPath": "namespace"},
            {"fromFieldPath": "spec.absent", "toFieldPath": "namespace"},
        ]});
        assert_eq!(patched(fields, &xr), Ok(("db-1234-conn".to_owned(), Some("shop".to_owned()))));
    }

    #[test]
    fn an_unset_or_invalid_name_is_an_error() {
        let fields = json!({"patches": [{"fromFieldPath": "spec.x", "toFieldPath": "name"}]});
        assert!(patched(fields.clone(), &json!({})).unwrap_err().starts_with("writeConnectionSecretToRef.name"));
        let error = patched(fields, &json!({"spec": {"x": "Not_Valid"}})).unwrap_err();
        assert!(
            error.starts_with("writeConnectionSecretToRef.patches[0]: the name it makes is not a valid"),
            "{error}"
        );
    }

    /// function-patch-and-transform v0.10.8, connection_test.go,
    /// TestGetConnectionSecretRef, the cases about patches.
    #[test]
    fn patches_name_the_secret_as_patch_and_transform_does() {
        // PatchFromCompositeFieldPath: a string Format transform on the UID.
        let xr = json!({"metadata": {"name": "my-database", "namespace": "production", "uid": "test-uid-456"},
            "spec": {"parameters": {"env": "prod"}}});
        let fields = json!({"patches": [
            {"type": "FromCompositeFieldPath", "fromFieldPath": "metadata.uid", "toFieldPath": "name",
                "transforms": [{"type": "string", "string": {"type": "Format", "fmt": "%s-cool-creds"}}]},
            {"type": "FromCompositeFieldPath", "fromFieldPath": "spec.parameters.env", "toFieldPath": "namespace"},
        ]});
        assert_eq!(patched(fields, &xr), Ok(("test-uid-456-cool-creds".to_owned(), Some("prod".to_owned()))));
        // CombineFromComposite: the namespace is not patched.
        let xr = json!({"metadata": {"name": "db-instance", "namespace": "default"},
            "spec": {"parameters": {"appName": "myapp", "env": "staging"}}});
        let fields = json!({"patches": [{"type": "CombineFromComposite", "toFieldPath": "name", "combine": {
            "variables": [{"fromFieldPath": "spec.parameters.appName"}, {"fromFieldPath": "spec.parameters.env"}],
            "strategy": "string", "string": {"fmt": "%s-%s-cool-creds"}}}]});
        assert_eq!(patched(fields, &xr), Ok(("myapp-staging-cool-creds".to_owned(), None)));
        // PatchesWithStaticBase: a patch overrides the namespace, not the name.
        let xr =
            json!({"metadata": {"name": "my-xr", "namespace": "default"}, "spec": {"targetNamespace": "custom-ns"}});
        let fields = json!({"name": "base-secret-name", "namespace": "base-secret-namespace", "patches": [
            {"type": "FromCompositeFieldPath", "fromFieldPath": "spec.targetNamespace", "toFieldPath": "namespace"}]});
        assert_eq!(patched(fields, &xr), Ok(("base-secret-name".to_owned(), Some("custom-ns".to_owned()))));
    }

    #[test]
    fn transforms_apply_after_combining_and_a_failure_names_its_transform() {
        let xr = json!({"metadata": {"name": "DB"}, "spec": {"env": "qa", "size": 3, "zones": ["a", "b"]}});
        let combined = json!({"patches": [{"type": "CombineFromComposite", "toFieldPath": "name", "combine": {
            "variables": [{"fromFieldPath": "metadata.name"}, {"fromFieldPath": "spec.size"}],
            "strategy": "string", "string": {"fmt": "%s-%d"}},
            "transforms": [{"type": "string", "string": {"type": "Convert", "convert": "ToLower"}}]}]});
        assert_eq!(patched(combined, &xr), Ok(("db-3".to_owned(), None)));
        let unmapped = json!({"name": "base", "patches": [{"fromFieldPath": "spec.env", "toFieldPath": "name",
            "transforms": [{"type": "map", "map": {"prod": "p"}}]}]});
        assert_eq!(
            patched(unmapped, &xr).unwrap_err(),
            "writeConnectionSecretToRef.patches[0].transforms[0].map: has no entry for the value (a string of 2 \
             bytes); its keys are prod"
        );
        let percent_s_of_a_number = json!({"patches": [{"type": "CombineFromComposite", "toFieldPath": "name",
            "combine": {"variables": [{"fromFieldPath": "spec.size"}], "strategy": "string", "string": {"fmt": "n%s"}}}]});
        assert_eq!(
            patched(percent_s_of_a_number, &xr).unwrap_err(),
            "writeConnectionSecretToRef.patches[0].combine.string.fmt: verb 1 (%s) cannot print an int64, Go would \
             print %!s(…); use %d or %v"
        );
        let list = json!({"patches": [{"fromFieldPath": "spec.zones", "toFieldPath": "name"}]});
        assert!(patched(list, &xr).unwrap_err().contains("the patch makes a list, not a string"));
    }

    /// A `match` with no fallback gives null, which leaves the field as it
    /// was (P&T merges null into nothing); a number is written as Go prints it.
    #[test]
    fn null_leaves_the_field_and_a_number_is_printed() {
        let xr = json!({"spec": {"env": "qa", "size": 3}});
        let fields = json!({"name": "base", "patches": [
            {"fromFieldPath": "spec.env", "toFieldPath": "name", "transforms": [{"type": "match",
                "match": {"patterns": [{"type": "literal", "literal": "prod", "result": "production"}]}}]},
            {"fromFieldPath": "spec.size", "toFieldPath": "namespace",
                "transforms": [{"type": "math", "math": {"type": "Multiply", "multiply": 7}}]},
        ]});
        assert_eq!(patched(fields, &xr), Ok(("base".to_owned(), Some("21".to_owned()))));
    }
}
