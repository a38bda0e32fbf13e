//! `pushSecrets[]`: External Secrets Operator `PushSecret`s that copy keys
//! of a Secret this step writes into a SecretStore or ClusterSecretStore —
//! Vault, AWS Secrets Manager, GCP, Azure Key Vault — so that the values
//! never leave the cluster's API on the way: a PushSecret holds references,
//! never a value.
//!
//! Each is a composed resource keyed `pushsecret-<name>`, in the namespace
//! of the Secret it pushes, Ready once ESO reports it `Ready`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::aggregate::ObservedResources;
use crate::fanout::{self, Kind};
use crate::fieldpath::at;
use crate::input::{Input, PushSecretSpec};
use crate::names::{KeyName, Namespace, ObjectName};
use crate::output::Destination;
use crate::spelling;

pub const API_VERSION: &str = "external-secrets.io/v1alpha1";
pub const KIND: &str = "PushSecret";

/// A Secret this step writes, as a PushSecret can select it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Written {
    name: ObjectName,
    namespace: Namespace,
    /// Every key it is declared to hold, pending or not.
    keys: BTreeSet<KeyName>,
}

/// One PushSecret to compose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    pub name: ObjectName,
    pub namespace: Namespace,
    /// The Secret whose keys it pushes.
    pub secret: ObjectName,
    pub keys: Vec<KeyName>,
    pub spec: PushSecretSpec,
    /// ESO reports the observed PushSecret `Ready`.
    pub ready: bool,
}

impl Push {
    /// The key in `desired.resources`.
    pub fn resource_name(&self) -> String {
        format!("pushsecret-{}", self.name)
    }

    /// The PushSecret as ESO's v1alpha1 CRD has it: each key one
    /// `data[].match` whose `remoteRef.property` is the key, so the keys
    /// land together in the one remote object, as Vault KV and AWS Secrets
    /// Manager JSON hold them.
    pub fn to_object(&self) -> Map<String, Value> {
        let data: Vec<Value> = self
            .keys
            .iter()
            .map(|key| {
                json!({"match": {"secretKey": key.as_str(), "remoteRef": {
                    "remoteKey": self.spec.remote_key, "property": key.as_str()}}})
            })
            .collect();
        let mut spec = Map::from_iter([
            (
                "secretStoreRefs".to_owned(),
                json!([{"name": self.spec.store_name.as_str(), "kind": self.spec.store_kind.as_str()}]),
            ),
            ("selector".to_owned(), json!({"secret": {"name": self.secret.as_str()}})),
            ("data".to_owned(), Value::Array(data)),
        ]);
        let passed = [
            ("refreshInterval", self.spec.refresh_interval.as_deref()),
            ("updatePolicy", self.spec.update_policy),
            ("deletionPolicy", self.spec.deletion_policy),
        ];
        spec.extend(passed.into_iter().filter_map(|(field, value)| Some((field.to_owned(), json!(value?)))));
        Map::from_iter([
            ("apiVersion".to_owned(), json!(API_VERSION)),
            ("kind".to_owned(), json!(KIND)),
            ("metadata".to_owned(), json!({"name": self.name.as_str(), "namespace": self.namespace.as_str()})),
            ("spec".to_owned(), Value::Object(spec)),
        ])
    }
}

/// The PushSecrets of `input`, over the Secrets this step writes: the
/// combined one (mode Secret) and the fan-out Secrets. An `Err` names the
/// field of the input that cannot be met.
pub fn pushes(
    input: &Input,
    destination: &Destination,
    fan_out: &[fanout::Destination],
    observed: &ObservedResources<'_>,
) -> Result<Vec<Push>, String> {
    if input.push_secrets.is_empty() {
        return Ok(Vec::new());
    }
    let combined = combined_secret(input, destination);
    let fanned: Vec<Written> = fan_out
        .iter()
        .filter(|object| object.kind == Kind::Secret)
        .map(|object| Written {
            name: object.name.clone(),
            namespace: object.namespace.clone(),
            keys: object.mapping.keys().cloned().collect(),
        })
        .collect();
    let mut first_by_name: BTreeMap<ObjectName, usize> = BTreeMap::new();
    let mut pushes = Vec::with_capacity(input.push_secrets.len());
    for (index, spec) in input.push_secrets.iter().enumerate() {
        let path = format!("pushSecrets[{index}]");
        let secret = pushed_secret(spec, combined.as_ref(), &fanned, &path)?;
        let keys = pushed_keys(spec, secret, &path)?;
        let name = push_name(spec, secret, &path)?;
        if let Some(first) = first_by_name.insert(name.clone(), index) {
            return Err(format!(
                "{path}: PushSecret {name} is also composed by pushSecrets[{first}]; give one of them its own name"
            ));
        }
        let ready = is_ready(observed, &format!("pushsecret-{name}"));
        pushes.push(Push {
            name,
            namespace: secret.namespace.clone(),
            secret: secret.name.clone(),
            keys,
            spec: spec.clone(),
            ready,
        });
    }
    Ok(pushes)
}

/// The combined Secret when this step composes it, with the keys the
/// allow-list lets in.
fn combined_secret(input: &Input, destination: &Destination) -> Option<Written> {
    let Destination::Secret(secret) = destination else { return None };
    let allowed = |key: &KeyName| input.connection_secret_keys.is_empty() || input.connection_secret_keys.contains(key);
    Some(Written {
        name: secret.location.name.clone(),
        namespace: secret.location.namespace.clone(),
        keys: input.declared_keys().map(|(key, _)| key).filter(|key| allowed(key)).cloned().collect(),
    })
}

fn pushed_secret<'w>(
    spec: &PushSecretSpec,
    combined: Option<&'w Written>,
    fanned: &'w [Written],
    path: &str,
) -> Result<&'w Written, String> {
    let Some(name) = &spec.secret else {
        return combined.ok_or_else(|| {
            format!(
                "{path}.secret: is required here: the combined secret goes to desired.composite (mode Composite, \
                 or Auto for a legacy XR) and Crossplane writes it; name a fan-out Secret or use mode Secret"
            )
        });
    };
    combined.into_iter().chain(fanned).find(|written| written.name == *name).ok_or_else(|| {
        let names: Vec<&str> = combined.into_iter().chain(fanned).map(|written| written.name.as_str()).collect();
        let written = if names.is_empty() { "none".to_owned() } else { names.join(", ") };
        format!("{path}.secret: this step writes no Secret named {name} (it writes {written})")
    })
}

fn pushed_keys(spec: &PushSecretSpec, secret: &Written, path: &str) -> Result<Vec<KeyName>, String> {
    if spec.keys.is_empty() {
        return Ok(secret.keys.iter().cloned().collect());
    }
    for (index, key) in spec.keys.iter().enumerate() {
        if !secret.keys.contains(key) {
            let hint = spelling::closest(key.as_str(), secret.keys.iter().map(KeyName::as_str))
                .map(|close| format!("; did you mean {close:?}?"))
                .unwrap_or_default();
            return Err(format!("{path}.keys[{index}]: Secret {} never holds {key:?}{hint}", secret.name));
        }
    }
    Ok(spec.keys.clone())
}

fn push_name(spec: &PushSecretSpec, secret: &Written, path: &str) -> Result<ObjectName, String> {
    if let Some(name) = &spec.name {
        return Ok(name.clone());
    }
    let default = format!("{}-{}", secret.name, spec.store_name);
    ObjectName::new(&default).map_err(|error| format!("{path}.name: the default name {default} {error}; set name"))
}

/// ESO sets condition `Ready` to `True` once the keys are in the store.
fn is_ready(observed: &ObservedResources<'_>, resource_name: &str) -> bool {
    let Some(resource) = observed.get(resource_name) else { return false };
    let conditions = at(resource.object.get(), &["status", "conditions"]).and_then(Value::as_array);
    conditions.into_iter().flatten().any(|condition| {
        condition.get("type").and_then(Value::as_str) == Some("Ready")
            && condition.get("status").and_then(Value::as_str) == Some("True")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::ObservedResource;
    use crate::composite::Composite;
    use crate::input::parse;
    use crate::output;

    fn input(extra: Value) -> Input {
        let mut value = json!({
            "apiVersion": crate::input::API_VERSION, "kind": crate::input::KIND,
            "resources": [{"name": "db", "connectionDetails": [
                {"fromConnectionSecretKey": "username"},
                {"fromConnectionSecretKey": "password"},
                {"name": "host", "fromFieldPath": "status.host"},
            ]}],
            "secrets": [{"key": "password", "to": {"name": "admin", "key": "pw"}}],
        });
        value.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        parse(&value).unwrap()
    }

    fn modern() -> Composite {
        Composite::from_object(&json!({"metadata": {"name": "xr", "namespace": "apps"}, "spec": {"crossplane": {}}}))
    }

    fn plan_pushes(
        input: &Input,
        composite: &Composite,
        observed: &ObservedResources<'_>,
    ) -> Result<Vec<Push>, String> {
        let destination = output::destination(input, composite).unwrap();
        let namespace = Namespace::new("apps").unwrap();
        let fan_out = fanout::destinations(input, &BTreeMap::new(), Some(&namespace), composite).unwrap();
        pushes(input, &destination, &fan_out, observed)
    }

    #[test]
    fn pushes_the_combined_secret_s_keys_by_reference() {
        let input = input(json!({"connectionSecretKeys": ["username", "password"], "pushSecrets": [
            {"store": {"name": "vault", "kind": "ClusterSecretStore"}, "remoteKey": "apps/db",
             "refreshInterval": "1h", "deletionPolicy": "Delete"},
        ]}));
        let pushes = plan_pushes(&input, &modern(), &ObservedResources::new()).unwrap();
        assert_eq!(pushes[0].resource_name(), "pushsecret-xr-connection-vault");
        assert!(!pushes[0].ready);
        assert_eq!(
            Value::Object(pushes[0].to_object()),
            json!({
                "apiVersion": "external-secrets.io/v1alpha1", "kind": "PushSecret",
                "metadata": {"name": "xr-connection-vault", "namespace": "apps"},
                "spec": {
                    "secretStoreRefs": [{"name": "vault", "kind": "ClusterSecretStore"}],
                    "selector": {"secret": {"name": "xr-connection"}},
                    "data": [
                        {"match": {"secretKey": "password", "remoteRef": {"remoteKey": "apps/db", "property": "password"}}},
                        {"match": {"secretKey": "username", "remoteRef": {"remoteKey": "apps/db", "property": "username"}}},
                    ],
                    "refreshInterval": "1h",
                    "deletionPolicy": "Delete",
                },
            })
        );
    }

    #[test]
    fn a_fan_out_secret_can_be_pushed_and_readiness_follows_eso() {
        let input = input(json!({"pushSecrets": [
            {"name": "admin-to-aws", "secret": "admin", "store": {"name": "aws"}, "remoteKey": "admin", "keys": ["pw"]},
        ]}));
        use prost::Message;
        let object = json!({"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Synced"}]}});
        let chunks = vec![crate::protocol::json_to_struct(object.as_object().unwrap()).encode_to_vec()];
        let observed = ObservedResources::from([(
            "pushsecret-admin-to-aws",
            ObservedResource {
                object: crate::protocol::LazyObject::from_chunks(&chunks),
                connection_details: crate::secret::SecretData::default(),
            },
        )]);
        let pushes = plan_pushes(&input, &modern(), &observed).unwrap();
        assert!(pushes[0].ready);
        assert_eq!(pushes[0].to_object()["spec"]["secretStoreRefs"], json!([{"name": "aws", "kind": "SecretStore"}]));
    }

    #[test]
    fn unmet_references_name_their_fields() {
        let error = |extra: Value, composite: &Composite| {
            plan_pushes(&input(extra), composite, &ObservedResources::new()).unwrap_err()
        };
        assert_eq!(
            error(json!({"pushSecrets": [{"secret": "admn", "store": {"name": "v"}, "remoteKey": "k"}]}), &modern()),
            "pushSecrets[0].secret: this step writes no Secret named admn (it writes xr-connection, admin)"
        );
        assert_eq!(
            error(json!({"pushSecrets": [{"store": {"name": "v"}, "remoteKey": "k", "keys": ["pasword"]}]}), &modern()),
            "pushSecrets[0].keys[0]: Secret xr-connection never holds \"pasword\"; did you mean \"password\"?"
        );
        assert_eq!(
            error(
                json!({"pushSecrets": [{"store": {"name": "v"}, "remoteKey": "a"}, {"store": {"name": "v"}, "remoteKey": "b"}]}),
                &modern()
            ),
            "pushSecrets[1]: PushSecret xr-connection-v is also composed by pushSecrets[0]; give one of them its own name"
        );
        let legacy = Composite::from_object(&json!({"metadata": {"name": "xr"}}));
        let legacy_input = json!({"writeConnectionSecretsToNamespace": "ns",
            "pushSecrets": [{"store": {"name": "v"}, "remoteKey": "k"}]});
        assert!(error(legacy_input, &legacy).starts_with("pushSecrets[0].secret: is required here"));
    }
}
