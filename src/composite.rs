//! What the function needs to know about the observed composite resource.

use serde_json::Value;

use crate::fieldpath::at;
use crate::names::{Namespace, ObjectName};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composite {
    pub name: Option<String>,
    /// `None` for a cluster-scoped XR.
    pub namespace: Option<String>,
    /// A Crossplane v2 XR: it carries `spec.crossplane`, or it is
    /// namespaced, which only a v2 XR can be (its YAML in a test or a
    /// `render` input may leave out the fields Crossplane would default).
    pub modern: bool,
    /// The XR's own `spec.writeConnectionSecretToRef`, when it has one.
    pub write_connection_secret_to_ref: Option<CompositeSecretRef>,
}

/// The XR's `spec.writeConnectionSecretToRef`, which the XR's schema owns, so
/// it is read leniently: a malformed ref counts as absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompositeSecretRef {
    pub name: ObjectName,
    pub namespace: Option<Namespace>,
}

impl Composite {
    pub fn from_object(object: &Value) -> Self {
        let text = |keys: &[&str]| at(object, keys).and_then(Value::as_str).map(str::to_owned);
        let namespace = text(&["metadata", "namespace"]).filter(|ns| !ns.is_empty());
        let write_connection_secret_to_ref =
            at(object, &["spec", "writeConnectionSecretToRef"]).and_then(|reference| {
                let name = ObjectName::new(reference.get("name")?.as_str()?).ok()?;
                let namespace =
                    reference.get("namespace").and_then(Value::as_str).and_then(|ns| Namespace::new(ns).ok());
                Some(CompositeSecretRef { name, namespace })
            });
        Self {
            name: text(&["metadata", "name"]),
            modern: namespace.is_some() || at(object, &["spec", "crossplane"]).is_some_and(Value::is_object),
            namespace,
            write_connection_secret_to_ref,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn modern_means_spec_crossplane_is_an_object() {
        let modern = json!({"metadata": {"name": "x", "namespace": "default"}, "spec": {"crossplane": {}}});
        let legacy = json!({"metadata": {"name": "x"}, "spec": {"crossplane": "no"}});
        assert!(Composite::from_object(&modern).modern);
        assert!(!Composite::from_object(&legacy).modern);
        assert_eq!(Composite::from_object(&modern).namespace.as_deref(), Some("default"));
        assert_eq!(Composite::from_object(&legacy).namespace, None);
    }

    #[test]
    fn a_namespaced_xr_is_modern_without_spec_crossplane() {
        let namespaced = json!({"metadata": {"name": "x", "namespace": "team-a"}, "spec": {}});
        assert!(Composite::from_object(&namespaced).modern);
    }

    #[test]
    fn reads_the_xr_secret_ref_and_ignores_a_malformed_one() {
        let with_ref = json!({"spec": {"writeConnectionSecretToRef": {"name": "db-conn", "namespace": "apps"}}});
        let reference = Composite::from_object(&with_ref).write_connection_secret_to_ref.unwrap();
        assert_eq!(reference.name.as_str(), "db-conn");
        assert_eq!(reference.namespace.unwrap().as_str(), "apps");
        let malformed = json!({"spec": {"writeConnectionSecretToRef": {"name": "Not Valid"}}});
        assert_eq!(Composite::from_object(&malformed).write_connection_secret_to_ref, None);
    }
}
