//! What the function needs to know about the observed composite resource.

use serde_json::Value;

use crate::fieldpath::at;
use crate::names::{Namespace, ObjectName};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composite {
    pub name: Option<String>,
    /// `metadata.uid`, which Crossplane always sets; tests and render
    /// inputs may lack it.
    pub uid: Option<String>,
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
            uid: text(&["metadata", "uid"]),
            namespace,
            write_connection_secret_to_ref,
        }
    }
}

/// What a template in the input may say of the XR: its name, namespace or
/// UID, as `$(xr-name)`, `$(xr-namespace)` and `$(xr-uid)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    Name,
    Namespace,
    Uid,
}

impl Placeholder {
    pub const ALL: [Self; 3] = [Self::Name, Self::Namespace, Self::Uid];

    pub fn token(self) -> &'static str {
        match self {
            Self::Name => "$(xr-name)",
            Self::Namespace => "$(xr-namespace)",
            Self::Uid => "$(xr-uid)",
        }
    }

    /// The XR's field it stands for, as a message names it.
    fn field(self) -> &'static str {
        match self {
            Self::Name => "metadata.name",
            Self::Namespace => "metadata.namespace",
            Self::Uid => "metadata.uid",
        }
    }

    /// Whether `text` holds `$(` other than as one of `allowed`: a typo such
    /// as `$(xr-nmae)` would otherwise reach the cluster literally.
    pub fn unknown_in(text: &str, allowed: &[Self]) -> bool {
        allowed.iter().fold(text.to_owned(), |rest, placeholder| rest.replace(placeholder.token(), "")).contains("$(")
    }

    /// Whether `text` holds one of `allowed`.
    pub fn any_in(text: &str, allowed: &[Self]) -> bool {
        allowed.iter().any(|placeholder| text.contains(placeholder.token()))
    }

    /// `allowed`'s tokens as a message lists them.
    pub fn describe(allowed: &[Self]) -> String {
        let tokens: Vec<&str> = allowed.iter().map(|placeholder| placeholder.token()).collect();
        crate::diagnostics::join_words(&tokens)
    }
}

impl Composite {
    /// `text` with each of `allowed` replaced by the XR's value; `Err` names
    /// a placeholder whose field the XR lacks (a cluster-scoped XR has no
    /// namespace).
    pub fn substitute(&self, text: &str, allowed: &[Placeholder]) -> Result<String, String> {
        let mut out = text.to_owned();
        for &placeholder in allowed.iter().filter(|placeholder| text.contains(placeholder.token())) {
            let value = match placeholder {
                Placeholder::Name => self.name.as_deref(),
                Placeholder::Namespace => self.namespace.as_deref(),
                Placeholder::Uid => self.uid.as_deref(),
            };
            let value = value.ok_or_else(|| {
                format!("uses {}, but the observed composite has no {}", placeholder.token(), placeholder.field())
            })?;
            out = out.replace(placeholder.token(), value);
        }
        Ok(out)
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

    #[test]
    fn placeholders_stand_for_the_xr_s_name_namespace_and_uid() {
        let xr = Composite::from_object(&json!({"metadata": {"name": "db", "namespace": "apps", "uid": "u-1"}}));
        let all = Placeholder::ALL;
        assert_eq!(xr.substitute("$(xr-namespace)/$(xr-name)/$(xr-uid)/$(xr-name)", &all).unwrap(), "apps/db/u-1/db");
        assert_eq!(xr.substitute("$(xr-uid)", &[Placeholder::Name]).unwrap(), "$(xr-uid)", "only those allowed");
        let cluster_scoped = Composite::from_object(&json!({"metadata": {"name": "db"}}));
        assert_eq!(
            cluster_scoped.substitute("$(xr-namespace)/x", &all).unwrap_err(),
            "uses $(xr-namespace), but the observed composite has no metadata.namespace"
        );
        assert!(Placeholder::unknown_in("$(xr-nmae)/x", &all));
        assert!(Placeholder::unknown_in("$(xr-uid)", &[Placeholder::Name]));
        assert!(!Placeholder::unknown_in("$(xr-uid)-$(xr-name)", &all));
        assert!(Placeholder::any_in("a/$(xr-uid)", &all) && !Placeholder::any_in("a/b", &all));
        assert_eq!(Placeholder::describe(&all), "$(xr-name), $(xr-namespace) and $(xr-uid)");
    }
}
