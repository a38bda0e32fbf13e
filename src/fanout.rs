//! `secrets[]` and `configMaps[]`: copies of produced keys into Secrets and
//! ConfigMaps of the user's choosing, like Azure Service Operator's
//! `operatorSpec.secrets` and `operatorSpec.configMaps`.
//!
//! Items naming the same object land in one object, composed as
//! `secret-<name>` or `configmap-<name>`; a pending key is left out.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value, json};

use crate::composite::Composite;
use crate::diagnostics::Diagnostic;
use crate::input::{FanOut, Input};
use crate::names::{KeyName, Namespace, ObjectName};
use crate::output::{self, secret_object};
use crate::secret::SecretBytes;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Secret,
    ConfigMap,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Self::Secret => "secret",
            Self::ConfigMap => "configmap",
        }
    }

    fn field(self) -> &'static str {
        match self {
            Self::Secret => "secrets",
            Self::ConfigMap => "configMaps",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Secret => "Secret",
            Self::ConfigMap => "ConfigMap",
        })
    }
}

/// One destination object and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Destination {
    pub kind: Kind,
    pub name: ObjectName,
    pub namespace: Namespace,
    /// Destination key → the produced key copied into it.
    pub mapping: BTreeMap<KeyName, KeyName>,
    /// By destination key; pending keys are absent.
    pub data: BTreeMap<KeyName, SecretBytes>,
}

impl Destination {
    /// The produced keys it copies, for readiness.
    pub fn sources(&self) -> BTreeSet<&KeyName> {
        self.mapping.values().collect()
    }

    /// The key in `desired.resources`.
    pub fn resource_name(&self) -> String {
        format!("{}-{}", self.kind.prefix(), self.name)
    }

    fn label(&self) -> String {
        format!("{} {}/{}", self.kind, self.namespace, self.name)
    }

    /// The object as it is composed: a Secret of type Opaque, or a
    /// ConfigMap with text data.
    pub fn to_object(&self) -> Map<String, Value> {
        match self.kind {
            Kind::Secret => secret_object(
                self.namespace.as_str(),
                self.name.as_str(),
                "Opaque",
                self.data.iter().map(|(key, value)| (key.as_str(), value.expose())),
            ),
            Kind::ConfigMap => {
                let data: Map<String, Value> = self
                    .data
                    .iter()
                    .map(|(key, value)| (key.to_string(), json!(String::from_utf8_lossy(value.expose()))))
                    .collect();
                Map::from_iter([
                    ("apiVersion".to_owned(), json!("v1")),
                    ("kind".to_owned(), json!("ConfigMap")),
                    ("metadata".to_owned(), json!({"name": self.name.as_str(), "namespace": self.namespace.as_str()})),
                    ("data".to_owned(), Value::Object(data)),
                ])
            }
        }
    }
}

/// Groups the items into destinations and fills them from `produced`.
/// `default_namespace` is the combined secret's; an item's own namespace
/// must be the composite's when the composite is namespaced. Errors are
/// FATAL.
pub fn destinations(
    input: &Input,
    produced: &BTreeMap<KeyName, SecretBytes>,
    default_namespace: Option<&Namespace>,
    composite: &Composite,
) -> Result<Vec<Destination>, Diagnostic> {
    let mut destinations: BTreeMap<(Kind, ObjectName), Destination> = BTreeMap::new();
    for (kind, items) in [(Kind::Secret, &input.secrets), (Kind::ConfigMap, &input.config_maps)] {
        for (index, item) in items.iter().enumerate() {
            let path = format!("{}[{index}].to", kind.field());
            if let Some(namespace) = &item.to_namespace {
                output::within_composite_namespace(composite, namespace, &format!("{path}.namespace"))
                    .map_err(invalid)?;
            }
            let namespace = item.to_namespace.as_ref().or(default_namespace).ok_or_else(|| {
                invalid(format!("{path}.namespace: is required, because the combined secret has no namespace"))
            })?;
            let destination = destinations.entry((kind, item.to_name.clone())).or_insert_with(|| Destination {
                kind,
                name: item.to_name.clone(),
                namespace: namespace.clone(),
                mapping: BTreeMap::new(),
                data: BTreeMap::new(),
            });
            add(destination, item, namespace, &path, produced)?;
        }
    }
    let destinations: Vec<Destination> = destinations.into_values().collect();
    for destination in &destinations {
        check(destination)?;
    }
    Ok(destinations)
}

fn add(
    destination: &mut Destination,
    item: &FanOut,
    namespace: &Namespace,
    path: &str,
    produced: &BTreeMap<KeyName, SecretBytes>,
) -> Result<(), Diagnostic> {
    if *namespace != destination.namespace {
        return Err(invalid(format!(
            "{path}.namespace: {} {} is already written in namespace {}; one name is one object",
            destination.kind, destination.name, destination.namespace
        )));
    }
    if destination.mapping.contains_key(&item.to_key) {
        return Err(invalid(format!(
            "cannot write more than one value to {} key {}",
            destination.label(),
            item.to_key
        )));
    }
    destination.mapping.insert(item.to_key.clone(), item.key.clone());
    if let Some(value) = produced.get(&item.key) {
        destination.data.insert(item.to_key.clone(), value.clone());
    }
    Ok(())
}

/// ConfigMap values must be text, and neither kind may exceed 1 MiB.
fn check(destination: &Destination) -> Result<(), Diagnostic> {
    let not_text = |value: &SecretBytes| std::str::from_utf8(value.expose()).is_err();
    if destination.kind == Kind::ConfigMap
        && let Some((key, _)) = destination.data.iter().find(|(_, value)| not_text(value))
    {
        return Err(Diagnostic::fatal(
            "InvalidValue",
            format!("{} key {key}: the value is not valid UTF-8, and ConfigMap data must be text", destination.label()),
        ));
    }
    let size = output::data_size(destination.data.iter().map(|(key, value)| (key.as_str(), value.len())));
    output::check_size(&destination.label(), size).map_err(|message| Diagnostic::fatal("SecretTooLarge", message))
}

fn invalid(message: String) -> Diagnostic {
    Diagnostic::fatal("InvalidInput", format!("invalid function input: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse;

    fn input(fan_out: Value) -> Input {
        let mut value = json!({
            "apiVersion": crate::input::API_VERSION, "kind": crate::input::KIND,
            "resources": [{"name": "account", "connectionDetails": [
                {"fromConnectionSecretKey": "primaryMasterKey"},
                {"fromConnectionSecretKey": "secondaryMasterKey"},
                {"fromConnectionSecretKey": "documentEndpoint"},
                {"fromConnectionSecretKey": "cert"},
            ]}],
        });
        value.as_object_mut().unwrap().extend(fan_out.as_object().unwrap().clone());
        parse(&value).unwrap()
    }

    fn produced(pairs: &[(&str, &[u8])]) -> BTreeMap<KeyName, SecretBytes> {
        pairs.iter().map(|(k, v)| (KeyName::new(k).unwrap(), SecretBytes::new(v.to_vec()))).collect()
    }

    fn cluster_scoped() -> Composite {
        Composite::from_object(&json!({"metadata": {"name": "xr"}, "spec": {"crossplane": {}}}))
    }

    fn namespaced_in_apps() -> Composite {
        Composite::from_object(&json!({"metadata": {"name": "xr", "namespace": "apps"}, "spec": {"crossplane": {}}}))
    }

    #[test]
    fn a_namespaced_composite_fans_out_only_into_its_own_namespace() {
        let input = input(json!({"configMaps": [
            {"key": "documentEndpoint", "to": {"name": "info", "namespace": "apps"}},
            {"key": "documentEndpoint", "to": {"name": "elsewhere", "key": "e", "namespace": "shared"}},
        ]}));
        let error = destinations(&input, &produced(&[]), Some(&namespace()), &namespaced_in_apps()).unwrap_err();
        assert_eq!(
            error.message,
            "invalid function input: configMaps[1].to.namespace: shared is not the composite's namespace apps; \
             Crossplane composes the resources of a namespaced composite only into its own namespace"
        );
        let allowed = destinations(&input, &produced(&[]), Some(&namespace()), &cluster_scoped()).unwrap();
        assert_eq!(allowed.len(), 2, "a cluster-scoped composite composes anywhere");
    }

    fn namespace() -> Namespace {
        Namespace::new("apps").unwrap()
    }

    #[test]
    fn items_with_one_name_land_in_one_object_without_pending_keys() {
        let input = input(json!({
            "secrets": [
                {"key": "primaryMasterKey", "to": {"name": "mysecret", "key": "primarymasterkey"}},
                {"key": "secondaryMasterKey", "to": {"name": "mysecret", "key": "secondarymasterkey"}},
                {"key": "documentEndpoint", "to": {"name": "myendpoint", "key": "endpoint", "namespace": "shared"}},
            ],
            "configMaps": [{"key": "documentEndpoint", "to": {"name": "db-info", "key": "host"}}],
        }));
        let found = destinations(
            &input,
            &produced(&[("primaryMasterKey", b"k1"), ("documentEndpoint", b"https://x")]),
            Some(&namespace()),
            &cluster_scoped(),
        )
        .unwrap();
        let summary: Vec<(String, String, Vec<&str>)> = found
            .iter()
            .map(|d| (d.resource_name(), d.namespace.to_string(), d.data.keys().map(KeyName::as_str).collect()))
            .collect();
        assert_eq!(
            summary,
            [
                ("secret-myendpoint".to_owned(), "shared".to_owned(), vec!["endpoint"]),
                ("secret-mysecret".to_owned(), "apps".to_owned(), vec!["primarymasterkey"]),
                ("configmap-db-info".to_owned(), "apps".to_owned(), vec!["host"]),
            ]
        );
        assert_eq!(found[1].sources().len(), 2, "the pending key still counts for readiness");
        assert_eq!(found[2].to_object()["data"], json!({"host": "https://x"}));
        assert_eq!(found[1].to_object()["type"], "Opaque");
    }

    #[test]
    fn two_values_for_one_destination_key_are_an_input_error() {
        let input = input(json!({"secrets": [
            {"key": "primaryMasterKey", "to": {"name": "mysecret", "key": "k"}},
            {"key": "secondaryMasterKey", "to": {"name": "mysecret", "key": "k"}},
        ]}));
        let error = destinations(&input, &produced(&[]), Some(&namespace()), &cluster_scoped()).unwrap_err();
        assert_eq!(
            error.message,
            "invalid function input: cannot write more than one value to Secret apps/mysecret key k"
        );
    }

    #[test]
    fn one_name_in_two_namespaces_and_a_missing_namespace_are_errors() {
        let input_two = input(json!({"secrets": [
            {"key": "primaryMasterKey", "to": {"name": "mysecret", "key": "a"}},
            {"key": "secondaryMasterKey", "to": {"name": "mysecret", "key": "b", "namespace": "other"}},
        ]}));
        let error = destinations(&input_two, &produced(&[]), Some(&namespace()), &cluster_scoped()).unwrap_err();
        assert!(
            error.message.contains("secrets[1].to.namespace: Secret mysecret is already written in namespace apps"),
            "{}",
            error.message
        );
        let input_none = input(json!({"configMaps": [{"key": "cert", "to": {"name": "c"}}]}));
        let error = destinations(&input_none, &produced(&[]), None, &cluster_scoped()).unwrap_err();
        assert!(error.message.contains("configMaps[0].to.namespace: is required"), "{}", error.message);
    }

    #[test]
    fn config_map_values_must_be_text() {
        let input = input(json!({"configMaps": [{"key": "cert", "to": {"name": "certs", "key": "ca.crt"}}]}));
        let error = destinations(&input, &produced(&[("cert", &[0xff, 0xfe])]), Some(&namespace()), &cluster_scoped())
            .unwrap_err();
        assert_eq!(
            error.message,
            "ConfigMap apps/certs key ca.crt: the value is not valid UTF-8, and ConfigMap data must be text"
        );
    }
}
