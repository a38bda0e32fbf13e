//! `pushSecrets[]`: External Secrets Operator `PushSecret`s that copy keys
//! of a Secret this step writes into a SecretStore or ClusterSecretStore —
//! Vault, AWS Secrets Manager, GCP, Azure Key Vault — so that the values
//! never leave the cluster's API on the way: a PushSecret holds references,
//! never a value.
//!
//! Each is a composed resource keyed `pushsecret-<name>`, in the namespace
//! of the Secret it pushes, Ready once ESO reports it `Ready`, and composed
//! only in a response that composes that Secret: otherwise ESO would push
//! whatever Secret of that name the namespace already holds.
//!
//! Every push is its XR's own: its remote key names the XR
//! (`$(xr-name)`, `$(xr-namespace)`, `$(xr-uid)`, or a patch reading the
//! XR's name, namespace or UID) whenever the store is a
//! ClusterSecretStore, which every namespace shares, unless the item says
//! the key is shared on purpose.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::aggregate::ObservedResources;
use crate::composite::{Composite, Placeholder};
use crate::diagnostics::{Diagnostic, Reason};
use crate::fanout::{self, Kind};
use crate::fieldpath::{FieldPath, Segment, at};
use crate::input::{Input, PushSecretSpec, StoreKind};
use crate::names::{KeyName, Namespace, ObjectName};
use crate::output::Destination;
use crate::patches;
use crate::secret::SecretBytes;
use crate::spelling;

pub const API_VERSION: &str = "external-secrets.io/v1alpha1";
pub const KIND: &str = "PushSecret";

/// The XR's `metadata` fields whose values differ from one XR to the next:
/// a remote key patched from one of them is the XR's own.
const XR_IDENTITY_FIELDS: [&str; 3] = ["name", "namespace", "uid"];

/// A Secret this step writes, as a PushSecret can select it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Written {
    name: ObjectName,
    namespace: Namespace,
    /// Every key it is declared to hold, pending or not.
    keys: BTreeSet<KeyName>,
    selected: Selected,
}

/// Which of the Secrets this step writes a push selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selected {
    Combined,
    FanOut,
}

/// One PushSecret to compose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    pub name: ObjectName,
    pub namespace: Namespace,
    /// The Secret whose keys it pushes.
    pub secret: ObjectName,
    pub selected: Selected,
    pub keys: Vec<KeyName>,
    /// The remote key for this XR: placeholders filled, patches applied.
    pub remote_key: String,
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
                    "remoteKey": self.remote_key, "property": key.as_str()}}})
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

/// The XR as pushes read it: its name, namespace and UID, and the object
/// its patches read.
#[derive(Debug, Clone, Copy)]
pub struct Xr<'a> {
    pub composite: &'a Composite,
    pub object: &'a Value,
}

/// The PushSecrets of `input`, over the Secrets this step writes: the
/// combined one (mode Secret) and the fan-out Secrets. An `Err` names the
/// field of the input that cannot be met.
pub fn pushes(
    input: &Input,
    xr: Xr<'_>,
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
            selected: Selected::FanOut,
        })
        .collect();
    let mut first_by_name: BTreeMap<ObjectName, usize> = BTreeMap::new();
    let mut pushes = Vec::with_capacity(input.push_secrets.len());
    for (index, spec) in input.push_secrets.iter().enumerate() {
        let path = format!("pushSecrets[{index}]");
        let secret = pushed_secret(spec, xr.composite, combined.as_ref(), &fanned, &path)?;
        let keys = pushed_keys(spec, secret, &path)?;
        let name = push_name(spec, secret, &path)?;
        if let Some(first) = first_by_name.insert(name.clone(), index) {
            return Err(format!(
                "{path}: PushSecret {name} is also composed by pushSecrets[{first}]; give one of them its own name"
            ));
        }
        let remote_key = remote_key(spec, xr, &path)?;
        let ready = is_ready(observed, &format!("pushsecret-{name}"));
        pushes.push(Push {
            name,
            namespace: secret.namespace.clone(),
            secret: secret.name.clone(),
            selected: secret.selected,
            keys,
            remote_key,
            spec: spec.clone(),
            ready,
        });
    }
    Ok(pushes)
}

/// The pushes whose Secret this response composes, and a NORMAL result
/// for each of the others saying what it waits for: a PushSecret composed
/// without its Secret would push whatever Secret of that name the
/// namespace already holds. `combined` is the combined Secret's data as
/// this response composes it (no key: not composed).
pub fn with_their_secrets(
    pushes: Vec<Push>,
    combined: &BTreeMap<KeyName, SecretBytes>,
    fan_out: &[fanout::Destination],
) -> (Vec<Push>, Vec<Diagnostic>) {
    let mut notes = Vec::new();
    let composed = pushes
        .into_iter()
        .filter(|push| {
            let Some(reason) = why_secret_is_not_composed(push, combined, fan_out) else { return true };
            notes.push(Diagnostic::normal(
                Reason::WaitingForSecret,
                format!(
                    "PushSecret {}/{} is not composed yet: the Secret it pushes, {}/{}, {reason}; \
                     the PushSecret follows in the response that composes it",
                    push.namespace, push.name, push.namespace, push.secret
                ),
            ));
            false
        })
        .collect();
    (composed, notes)
}

fn why_secret_is_not_composed(
    push: &Push,
    combined: &BTreeMap<KeyName, SecretBytes>,
    fan_out: &[fanout::Destination],
) -> Option<String> {
    match push.selected {
        Selected::Combined if combined.is_empty() => Some("has no key yet, so it is not composed either".to_owned()),
        Selected::Combined => None,
        Selected::FanOut => {
            let secret = fan_out.iter().find(|object| object.kind == Kind::Secret && object.name == push.secret)?;
            let unmet = secret.held_back_for();
            (!unmet.is_empty()).then(|| {
                format!(
                    "is held back until it has {}, which its type {} requires",
                    secret.secret_type.required_keys().describe(&unmet),
                    secret.secret_type
                )
            })
        }
    }
}

/// The remote key for this XR: `remoteKey` with its placeholders filled,
/// then each patch whose fields the XR has, in order. A ClusterSecretStore
/// is shared by every namespace, so there a key that does not name the XR
/// would be every XR's, each overwriting (and with `deletionPolicy:
/// Delete`, deleting) the others' credentials: an input error unless the
/// item says `sharedRemoteKey: true`.
fn remote_key(spec: &PushSecretSpec, xr: Xr<'_>, path: &str) -> Result<String, String> {
    let field = format!("{path}.remoteKey");
    let mut key = match &spec.remote_key {
        Some(template) => Some((
            xr.composite.substitute(template, &Placeholder::ALL).map_err(|problem| format!("{field}: {problem}"))?,
            Placeholder::any_in(template, &Placeholder::ALL),
        )),
        None => None,
    };
    for (index, patch) in spec.patches.iter().enumerate() {
        let patched =
            patches::patched_text(patch, xr.object).map_err(|problem| format!("{path}.patches[{index}].{problem}"))?;
        if let Some(text) = patched {
            key = Some((text, patch.source.paths().iter().any(reads_xr_identity)));
        }
    }
    let (key, names_the_xr) =
        key.ok_or_else(|| format!("{field}: no patch set it, as the XR lacks the fields they read"))?;
    if key.is_empty() {
        return Err(format!("{field}: is empty for this XR"));
    }
    if spec.store_kind == StoreKind::ClusterSecretStore && !names_the_xr && !spec.shared_remote_key {
        return Err(format!(
            "{field}: {key} is the same for every XR, and ClusterSecretStore {} is shared by every namespace, so \
             XRs would overwrite (and with deletionPolicy Delete, delete) each other's credentials; put {} in it \
             (or patch it from the XR's {}), or set sharedRemoteKey: true if they are meant to share it",
            spec.store_name,
            Placeholder::describe(&Placeholder::ALL).replace(" and ", " or "),
            crate::diagnostics::join_words(&XR_IDENTITY_FIELDS.map(|field| format!("metadata.{field}")))
                .replace(" and ", " or "),
        ));
    }
    Ok(key)
}

fn reads_xr_identity(path: &FieldPath) -> bool {
    matches!(path.segments(), [Segment::Field(metadata), Segment::Field(field)]
        if metadata == "metadata" && XR_IDENTITY_FIELDS.contains(&field.as_str()))
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
        selected: Selected::Combined,
    })
}

fn pushed_secret<'w>(
    spec: &PushSecretSpec,
    composite: &Composite,
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
        let xr_s_own = composite.write_connection_secret_to_ref.as_ref().is_some_and(|own| own.name == *name);
        let whose = if combined.is_none() && xr_s_own {
            "; Crossplane writes the composite's own connection Secret in mode Composite, and a PushSecret \
             composed before it exists would push whatever Secret of that name is there"
        } else {
            ""
        };
        format!("{path}.secret: this step writes no Secret named {name} (it writes {written}){whose}")
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
                {"fromConnectionSecretKey": "tls.crt"},
                {"fromConnectionSecretKey": "tls.key"},
            ]}],
            "secrets": [
                {"key": "password", "to": {"name": "admin", "key": "pw"}},
                {"key": "tls.crt", "to": {"name": "tls", "type": "kubernetes.io/tls"}},
                {"key": "tls.key", "to": {"name": "tls"}},
            ],
        });
        value.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        parse(&value).unwrap()
    }

    fn modern_xr() -> Value {
        json!({"metadata": {"name": "xr", "namespace": "apps", "uid": "9f3c"}, "spec": {"crossplane": {}, "team": "shop"}})
    }

    fn produced(keys: &[&str]) -> BTreeMap<KeyName, SecretBytes> {
        keys.iter().map(|key| (KeyName::new(key).unwrap(), SecretBytes::new(b"v".to_vec()))).collect()
    }

    /// The pushes for `xr`, with the fan-out filled from `keys`.
    fn plan_with(
        input: &Input,
        xr: &Value,
        observed: &ObservedResources<'_>,
        keys: &[&str],
    ) -> Result<(Vec<Push>, Vec<fanout::Destination>), String> {
        let composite = Composite::from_object(xr);
        let destination = output::destination(input, &composite).unwrap();
        let namespace = Namespace::new("apps").unwrap();
        let fan_out = fanout::destinations(input, &produced(keys), Some(&namespace), &composite).unwrap();
        let xr = Xr { composite: &composite, object: xr };
        Ok((pushes(input, xr, &destination, &fan_out, observed)?, fan_out))
    }

    fn plan_pushes(input: &Input, xr: &Value, observed: &ObservedResources<'_>) -> Result<Vec<Push>, String> {
        plan_with(input, xr, observed, &[]).map(|(pushes, _)| pushes)
    }

    fn remote_key(push: Value) -> Result<String, String> {
        let input = input(json!({"pushSecrets": [push]}));
        plan_pushes(&input, &modern_xr(), &ObservedResources::new()).map(|pushes| pushes[0].remote_key.clone())
    }

    #[test]
    fn pushes_the_combined_secret_s_keys_by_reference() {
        let input = input(json!({"connectionSecretKeys": ["username", "password"], "pushSecrets": [
            {"store": {"name": "vault", "kind": "ClusterSecretStore"}, "remoteKey": "$(xr-namespace)/$(xr-name)",
             "refreshInterval": "1h", "deletionPolicy": "Delete"},
        ]}));
        let pushes = plan_pushes(&input, &modern_xr(), &ObservedResources::new()).unwrap();
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
                        {"match": {"secretKey": "password", "remoteRef": {"remoteKey": "apps/xr", "property": "password"}}},
                        {"match": {"secretKey": "username", "remoteRef": {"remoteKey": "apps/xr", "property": "username"}}},
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
        let pushes = plan_pushes(&input, &modern_xr(), &observed).unwrap();
        assert!(pushes[0].ready);
        assert_eq!(pushes[0].selected, Selected::FanOut);
        assert_eq!(pushes[0].to_object()["spec"]["secretStoreRefs"], json!([{"name": "aws", "kind": "SecretStore"}]));
    }

    #[test]
    fn unmet_references_name_their_fields() {
        let error = |extra: Value, xr: &Value| plan_pushes(&input(extra), xr, &ObservedResources::new()).unwrap_err();
        assert_eq!(
            error(json!({"pushSecrets": [{"secret": "admn", "store": {"name": "v"}, "remoteKey": "k"}]}), &modern_xr()),
            "pushSecrets[0].secret: this step writes no Secret named admn (it writes xr-connection, admin, tls)"
        );
        assert_eq!(
            error(
                json!({"pushSecrets": [{"store": {"name": "v"}, "remoteKey": "k", "keys": ["pasword"]}]}),
                &modern_xr()
            ),
            "pushSecrets[0].keys[0]: Secret xr-connection never holds \"pasword\"; did you mean \"password\"?"
        );
        assert_eq!(
            error(
                json!({"pushSecrets": [{"store": {"name": "v"}, "remoteKey": "a"}, {"store": {"name": "v"}, "remoteKey": "b"}]}),
                &modern_xr()
            ),
            "pushSecrets[1]: PushSecret xr-connection-v is also composed by pushSecrets[0]; give one of them its own name"
        );
        let legacy = json!({"metadata": {"name": "xr"}});
        let legacy_input = json!({"writeConnectionSecretsToNamespace": "ns",
            "pushSecrets": [{"store": {"name": "v"}, "remoteKey": "k"}]});
        assert!(error(legacy_input, &legacy).starts_with("pushSecrets[0].secret: is required here"));
        // The composite's own Secret, which Crossplane writes in mode Composite.
        let legacy_with_ref = json!({"metadata": {"name": "xr"}, "spec": {"writeConnectionSecretToRef": {
            "name": "xr-conn", "namespace": "ns"}}});
        let naming_it = json!({"writeConnectionSecretsToNamespace": "ns",
            "pushSecrets": [{"secret": "xr-conn", "store": {"name": "v"}, "remoteKey": "k"}]});
        assert_eq!(
            error(naming_it, &legacy_with_ref),
            "pushSecrets[0].secret: this step writes no Secret named xr-conn (it writes admin, tls); Crossplane \
             writes the composite's own connection Secret in mode Composite, and a PushSecret composed before it \
             exists would push whatever Secret of that name is there"
        );
    }

    #[test]
    fn a_remote_key_names_the_xr_by_placeholder() {
        let vault = |key: &str| json!({"store": {"name": "vault", "kind": "ClusterSecretStore"}, "remoteKey": key});
        assert_eq!(remote_key(vault("tenants/$(xr-namespace)/$(xr-name)-$(xr-uid)")).unwrap(), "tenants/apps/xr-9f3c");
        assert_eq!(remote_key(vault("by-uid/$(xr-uid)")).unwrap(), "by-uid/9f3c");
        let nameless = json!({"metadata": {"name": "xr", "namespace": "apps"}, "spec": {"crossplane": {}}});
        let input = input(json!({"pushSecrets": [vault("$(xr-uid)")]}));
        assert_eq!(
            plan_pushes(&input, &nameless, &ObservedResources::new()).unwrap_err(),
            "pushSecrets[0].remoteKey: uses $(xr-uid), but the observed composite has no metadata.uid"
        );
    }

    #[test]
    fn a_cluster_store_key_the_same_for_every_xr_is_refused_unless_shared_on_purpose() {
        assert_eq!(
            remote_key(json!({"store": {"name": "vault", "kind": "ClusterSecretStore"}, "remoteKey": "shop/db"}))
                .unwrap_err(),
            "pushSecrets[0].remoteKey: shop/db is the same for every XR, and ClusterSecretStore vault is shared by \
             every namespace, so XRs would overwrite (and with deletionPolicy Delete, delete) each other's \
             credentials; put $(xr-name), $(xr-namespace) or $(xr-uid) in it (or patch it from the XR's \
             metadata.name, metadata.namespace or metadata.uid), or set sharedRemoteKey: true if they are meant \
             to share it"
        );
        let shared = json!({"store": {"name": "vault", "kind": "ClusterSecretStore"}, "remoteKey": "shop/db",
            "sharedRemoteKey": true});
        assert_eq!(remote_key(shared).unwrap(), "shop/db");
        // A namespace's own SecretStore is not shared across namespaces.
        assert_eq!(remote_key(json!({"store": {"name": "aws"}, "remoteKey": "shop/db"})).unwrap(), "shop/db");
    }

    #[test]
    fn patches_set_the_remote_key_as_they_set_the_secret_s_name() {
        let patched = |patches: Value, key: Option<&str>| {
            let mut push = json!({"store": {"name": "vault", "kind": "ClusterSecretStore"}, "patches": patches});
            if let Some(key) = key {
                push["remoteKey"] = json!(key);
            }
            remote_key(push)
        };
        let from_uid = json!([{"type": "CombineFromComposite", "toFieldPath": "remoteKey", "combine": {
            "variables": [{"fromFieldPath": "spec.team"}, {"fromFieldPath": "metadata.uid"}],
            "strategy": "string", "string": {"fmt": "%s/%s"}}}]);
        assert_eq!(patched(from_uid, None).unwrap(), "shop/9f3c");
        // A patch whose field the XR lacks is skipped; the template stays.
        let absent = json!([{"fromFieldPath": "spec.absent", "toFieldPath": "remoteKey"}]);
        assert_eq!(patched(absent.clone(), Some("t/$(xr-name)")).unwrap(), "t/xr");
        assert_eq!(
            patched(absent, None).unwrap_err(),
            "pushSecrets[0].remoteKey: no patch set it, as the XR lacks the fields they read"
        );
        // Patched from a field every XR may share, the key is refused.
        let from_team = json!([{"fromFieldPath": "spec.team", "toFieldPath": "remoteKey"}]);
        let error = patched(from_team, Some("t/$(xr-name)")).unwrap_err();
        assert!(error.starts_with("pushSecrets[0].remoteKey: shop is the same for every XR"), "{error}");
    }

    #[test]
    fn a_push_waits_for_the_response_that_composes_its_secret() {
        let input = input(json!({"pushSecrets": [
            {"store": {"name": "vault"}, "remoteKey": "db"},
            {"secret": "tls", "store": {"name": "vault"}, "remoteKey": "tls"},
            {"secret": "admin", "store": {"name": "vault"}, "remoteKey": "admin"},
        ]}));
        let observed = ObservedResources::new();
        let (pushes, fan_out) = plan_with(&input, &modern_xr(), &observed, &["password", "tls.crt"]).unwrap();
        let (composed, notes) = with_their_secrets(pushes.clone(), &BTreeMap::new(), &fan_out);
        let names: Vec<&str> = composed.iter().map(|push| push.name.as_str()).collect();
        assert_eq!(names, ["admin-vault"]);
        let messages: Vec<&str> = notes.iter().map(|note| note.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "PushSecret apps/xr-connection-vault is not composed yet: the Secret it pushes, apps/xr-connection, \
                 has no key yet, so it is not composed either; the PushSecret follows in the response that composes it",
                "PushSecret apps/tls-vault is not composed yet: the Secret it pushes, apps/tls, is held back until it \
                 has tls.key, which its type kubernetes.io/tls requires; the PushSecret follows in the response that \
                 composes it",
            ]
        );
        assert!(notes.iter().all(|note| note.severity == crate::diagnostics::Severity::Normal));
        let (_, fan_out) = plan_with(&input, &modern_xr(), &observed, &["password", "tls.crt", "tls.key"]).unwrap();
        let (composed, notes) = with_their_secrets(pushes, &produced(&["password"]), &fan_out);
        assert_eq!(composed.len(), 3);
        assert_eq!(notes, []);
    }
}
