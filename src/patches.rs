//! `writeConnectionSecretToRef.patches`: the connection Secret's name and
//! namespace taken from the XR, as function-patch-and-transform takes them,
//! so a Composition that moves here keeps its Secret.

use serde_json::Value;

use crate::input::{RefField, RefPatch, SecretRef};
use crate::names::{Namespace, ObjectName};

/// The reference with every patch applied in order. A patch whose fields
/// the XR lacks is skipped, as P&T skips optional patches; a name no patch
/// or field provides is an error.
pub fn apply(reference: &SecretRef, xr: &Value) -> Result<SecretRef, String> {
    let mut patched = SecretRef { patches: Vec::new(), ..reference.clone() };
    for (index, patch) in reference.patches.iter().enumerate() {
        let Some(text) = patched_text(patch, xr) else { continue };
        let path = format!("writeConnectionSecretToRef.patches[{index}]");
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

/// The patch's format filled with the XR's values, or `None` when one is
/// absent. Whatever the patch sets: a push's remote key takes it too.
pub fn patched_text<To>(patch: &RefPatch<To>, xr: &Value) -> Option<String> {
    let values: Vec<String> = patch
        .from
        .iter()
        .map(|path| {
            path.lookup(xr).map(|value| match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            })
        })
        .collect::<Option<_>>()?;
    Some(format_go(&patch.format, &values))
}

/// Go's `fmt.Sprintf` for the verbs P&T's string combine uses: `%s`, `%v`
/// and `%d` take the next value; `%%` is a percent sign.
fn format_go(format: &str, values: &[String]) -> String {
    let mut out = String::with_capacity(format.len());
    let mut next = values.iter();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('%', Some('%')) => {
                out.push('%');
                chars.next();
            }
            ('%', Some('s' | 'v' | 'd')) => {
                out.push_str(next.next().map_or("%!(MISSING)", String::as_str));
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fieldpath::FieldPath;
    use serde_json::json;

    fn patch(from: &[&str], format: &str, to: RefField) -> RefPatch {
        RefPatch { from: from.iter().map(|p| FieldPath::parse(p).unwrap()).collect(), format: format.to_owned(), to }
    }

    #[test]
    fn patches_set_the_name_and_namespace_from_the_xr() {
        let xr = json!({"metadata": {"name": "db", "uid": "1234"}, "spec": {"team": "shop"}});
        let reference = SecretRef {
            name: None,
            namespace: None,
            patches: vec![
                patch(&["metadata.name", "metadata.uid"], "%s-%s-conn", RefField::Name),
                patch(&["spec.team"], "%s", RefField::Namespace),
                patch(&["spec.absent"], "%s", RefField::Namespace),
            ],
        };
        let patched = apply(&reference, &xr).unwrap();
        assert_eq!(patched.name.unwrap().as_str(), "db-1234-conn");
        assert_eq!(patched.namespace.unwrap().as_str(), "shop");
    }

    #[test]
    fn an_unset_or_invalid_name_is_an_error() {
        let reference =
            SecretRef { name: None, namespace: None, patches: vec![patch(&["spec.x"], "%s", RefField::Name)] };
        assert!(apply(&reference, &json!({})).unwrap_err().starts_with("writeConnectionSecretToRef.name"));
        let error = apply(&reference, &json!({"spec": {"x": "Not_Valid"}})).unwrap_err();
        assert!(
            error.starts_with("writeConnectionSecretToRef.patches[0]: the name it makes is not a valid"),
            "{error}"
        );
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(format_go("%s-%d%%-%v", &["a".into(), "1".into(), "x".into()]), "a-1%-x");
        assert_eq!(format_go("%s-%s", &["a".into()]), "a-%!(MISSING)");
    }
}
