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
use crate::diagnostics::{Diagnostic, Reason};
use crate::input::{FanOut, Input};
use crate::metadata::{MAX_ANNOTATION_BYTES, MergedMetadata, ObjectMetadata};
use crate::names::{KeyName, Namespace, ObjectName};
use crate::output::{self, secret_object};
use crate::secret::SecretBytes;
use crate::secrettype::SecretType;

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
    /// The items' `to.metadata`, merged.
    pub metadata: ObjectMetadata,
    /// Opaque unless an item sets `to.type`; ConfigMaps have none.
    pub secret_type: SecretType,
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

    /// Keys its type requires that are still pending: the API server would
    /// refuse the Secret without them, so it is not composed until they
    /// arrive. Its readiness, not the XR's, waits.
    pub fn held_back_for(&self) -> Vec<&'static str> {
        self.secret_type.required_keys().unmet(|key| self.data.contains_key(key))
    }

    /// The object as it is composed: a Secret of type Opaque, or a
    /// ConfigMap with text data.
    pub fn to_object(&self) -> Map<String, Value> {
        let mut object = match self.kind {
            Kind::Secret => secret_object(
                self.namespace.as_str(),
                self.name.as_str(),
                self.secret_type.as_str(),
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
        };
        self.metadata.apply_to(&mut object);
        object
    }
}

/// A destination while its items are gathered: who set what, so that a
/// disagreement names both items.
struct Gathering {
    destination: Destination,
    metadata: MergedMetadata,
    /// The field that set `type`.
    type_origin: Option<String>,
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
    let mut gathered: BTreeMap<(Kind, ObjectName), Gathering> = BTreeMap::new();
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
            let gathering = gathered.entry((kind, item.to_name.clone())).or_insert_with(|| Gathering {
                destination: Destination {
                    kind,
                    name: item.to_name.clone(),
                    namespace: namespace.clone(),
                    mapping: BTreeMap::new(),
                    data: BTreeMap::new(),
                    metadata: ObjectMetadata::default(),
                    secret_type: SecretType::Opaque,
                },
                metadata: MergedMetadata::default(),
                type_origin: None,
            });
            gathering.add(item, namespace, &path, produced)?;
        }
    }
    gathered.into_values().map(Gathering::finish).collect()
}

impl Gathering {
    fn add(
        &mut self,
        item: &FanOut,
        namespace: &Namespace,
        path: &str,
        produced: &BTreeMap<KeyName, SecretBytes>,
    ) -> Result<(), Diagnostic> {
        let destination = &mut self.destination;
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
        self.metadata.add(&item.metadata, &format!("{path}.metadata")).map_err(invalid)?;
        if let Some(secret_type) = item.secret_type {
            self.set_type(secret_type, &format!("{path}.type"))?;
        }
        Ok(())
    }

    fn set_type(&mut self, secret_type: SecretType, origin: &str) -> Result<(), Diagnostic> {
        match &self.type_origin {
            Some(first) if self.destination.secret_type != secret_type => Err(invalid(format!(
                "{origin}: {secret_type} differs from {first}, {}, for the same {}",
                self.destination.secret_type,
                self.destination.label()
            ))),
            Some(_) => Ok(()),
            None => {
                self.destination.secret_type = secret_type;
                self.type_origin = Some(origin.to_owned());
                Ok(())
            }
        }
    }

    /// The merged metadata in place, and the checks that need every item:
    /// the keys the type requires are written by some item.
    fn finish(self) -> Result<Destination, Diagnostic> {
        let mut destination = self.destination;
        destination.metadata = self.metadata.metadata;
        let requirement = destination.secret_type.required_keys();
        let unmet = requirement.unmet(|key| destination.mapping.contains_key(key));
        if let (false, Some(origin)) = (unmet.is_empty(), &self.type_origin) {
            return Err(invalid(format!(
                "{origin}: {} is of type {}, which needs key {}, but no item writes it",
                destination.label(),
                destination.secret_type,
                requirement.describe(&unmet)
            )));
        }
        if destination.metadata.annotation_bytes() > MAX_ANNOTATION_BYTES {
            return Err(invalid(format!(
                "{}: its items' annotations hold {} bytes together; Kubernetes allows at most {MAX_ANNOTATION_BYTES}",
                destination.label(),
                destination.metadata.annotation_bytes()
            )));
        }
        check(&destination)?;
        Ok(destination)
    }
}

/// ConfigMap values must be text, a Docker config JSON, and neither kind
/// may exceed 1 MiB.
fn check(destination: &Destination) -> Result<(), Diagnostic> {
    let not_text = |value: &SecretBytes| std::str::from_utf8(value.expose()).is_err();
    if destination.kind == Kind::ConfigMap
        && let Some((key, _)) = destination.data.iter().find(|(_, value)| not_text(value))
    {
        return Err(Diagnostic::fatal(
            Reason::InvalidValue,
            format!("{} key {key}: the value is not valid UTF-8, and ConfigMap data must be text", destination.label()),
        ));
    }
    let json_key = destination.secret_type.json_key();
    if let Some(value) = json_key.and_then(|key| destination.data.get(key))
        && serde_json::from_slice::<Value>(value.expose()).is_err()
    {
        return Err(Diagnostic::fatal(
            Reason::InvalidValue,
            format!(
                "{} key {}: the value is not JSON, and a {} Secret must hold JSON there",
                destination.label(),
                json_key.unwrap_or_default(),
                destination.secret_type
            ),
        ));
    }
    let size = output::data_size(destination.data.iter().map(|(key, value)| (key.as_str(), value.len())));
    output::check_size(&destination.label(), size).map_err(|message| Diagnostic::fatal(Reason::SecretTooLarge, message))
}

fn invalid(message: String) -> Diagnostic {
    Diagnostic::fatal(Reason::InvalidInput, format!("invalid function input: {message}"))
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

    #[test]
    fn items_merge_metadata_and_agree_on_one_type() {
        let input = input(json!({"secrets": [
            {"key": "primaryMasterKey", "to": {"name": "creds", "key": "username",
                "type": "kubernetes.io/basic-auth", "metadata": {"labels": {"team": "db"}}}},
            {"key": "secondaryMasterKey", "to": {"name": "creds", "key": "password",
                "metadata": {"labels": {"team": "db"}, "annotations": {"note": "rotated"}}}},
        ]}));
        let found =
            destinations(&input, &produced(&[("primaryMasterKey", b"u")]), Some(&namespace()), &cluster_scoped())
                .unwrap();
        let object = found[0].to_object();
        assert_eq!(object["type"], "kubernetes.io/basic-auth");
        assert_eq!(object["metadata"]["labels"], json!({"team": "db"}));
        assert_eq!(object["metadata"]["annotations"], json!({"note": "rotated"}));
        assert!(found[0].held_back_for().is_empty(), "basic-auth needs username or password, and has username");
    }

    #[test]
    fn disagreeing_items_and_unwritten_required_keys_are_input_errors() {
        let error = |fan_out: Value| {
            destinations(&input(fan_out), &produced(&[]), Some(&namespace()), &cluster_scoped()).unwrap_err().message
        };
        assert_eq!(
            error(json!({"secrets": [
                {"key": "cert", "to": {"name": "tls", "key": "tls.crt", "type": "kubernetes.io/tls"}},
                {"key": "primaryMasterKey", "to": {"name": "tls", "key": "tls.key", "type": "Opaque"}},
            ]})),
            "invalid function input: secrets[1].to.type: Opaque differs from secrets[0].to.type, \
             kubernetes.io/tls, for the same Secret apps/tls"
        );
        assert_eq!(
            error(
                json!({"secrets": [{"key": "cert", "to": {"name": "tls", "key": "tls.crt", "type": "kubernetes.io/tls"}}]})
            ),
            "invalid function input: secrets[0].to.type: Secret apps/tls is of type kubernetes.io/tls, \
             which needs key tls.key, but no item writes it"
        );
        assert_eq!(
            error(json!({"configMaps": [
                {"key": "cert", "to": {"name": "info", "key": "a", "metadata": {"labels": {"tier": "1"}}}},
                {"key": "cert", "to": {"name": "info", "key": "b", "metadata": {"labels": {"tier": "2"}}}},
            ]})),
            "invalid function input: configMaps[1].to.metadata.labels[tier]: gives another value than \
             configMaps[0].to.metadata.labels[tier] for the same object; items that share a destination must agree \
             on its labels"
        );
    }

    #[test]
    fn a_secret_waits_for_the_keys_its_type_requires() {
        let input = input(json!({"secrets": [
            {"key": "cert", "to": {"name": "tls", "key": "tls.crt", "type": "kubernetes.io/tls"}},
            {"key": "primaryMasterKey", "to": {"name": "tls", "key": "tls.key"}},
        ]}));
        let pending =
            destinations(&input, &produced(&[("cert", b"c")]), Some(&namespace()), &cluster_scoped()).unwrap();
        assert_eq!(pending[0].held_back_for(), ["tls.key"]);
        let complete = destinations(
            &input,
            &produced(&[("cert", b"c"), ("primaryMasterKey", b"k")]),
            Some(&namespace()),
            &cluster_scoped(),
        )
        .unwrap();
        assert!(complete[0].held_back_for().is_empty());
    }

    #[test]
    fn a_docker_config_must_be_json() {
        let input = input(json!({"secrets": [{"key": "cert", "to": {"name": "pull", "key": ".dockerconfigjson",
            "type": "kubernetes.io/dockerconfigjson"}}]}));
        let error = destinations(&input, &produced(&[("cert", b"s3cr3t{")]), Some(&namespace()), &cluster_scoped())
            .unwrap_err();
        assert_eq!(
            error.message,
            "Secret apps/pull key .dockerconfigjson: the value is not JSON, and a kubernetes.io/dockerconfigjson \
             Secret must hold JSON there"
        );
        let ok = destinations(&input, &produced(&[("cert", b"{\"auths\":{}}")]), Some(&namespace()), &cluster_scoped());
        assert!(ok.is_ok());
    }
}
