//! No silent collisions: every object this step composes is its own.
//!
//! An object this step composes may not be one that something else writes
//! or that this step reads: a composed resource's own connection Secret
//! (its `spec.writeConnectionSecretToRef`), the composite's own in mode
//! Composite (Crossplane writes it), a Secret that `fromSecretKeyRef`
//! reads, an object an earlier pipeline step composes under another key,
//! or another object of this step's. Each is an input error naming both.
//!
//! A key in `desired.resources` that an earlier step used too would
//! replace that step's resource whole. That is an input error, unless both
//! are `v1` Secrets — function-patch-and-transform's connection Secret,
//! `$(xr-name)-connection-secret`, during a migration: then this step takes
//! it over, keeps its keys beneath its own (as the composite's connection
//! details of earlier steps are kept), and says so.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use crate::aggregate::ObservedResources;
use crate::composite::Composite;
use crate::diagnostics::{Diagnostic, Reason, join_words};
use crate::fanout::{self, Kind};
use crate::input::Input;
use crate::names::KeyName;
use crate::output::{self, Destination};
use crate::plan::invalid_input;
use crate::push::{self, Push};
use crate::secret::SecretBytes;
use crate::secretref::ExistingSecrets;

/// A desired resource an earlier pipeline step composed, as far as this
/// step needs to know it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EarlierResource {
    pub api_version: String,
    pub kind: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// A `v1` Secret's keys: `stringData` over `data`, as the API server
    /// merges them. `None` for every other kind.
    pub secret_data: Option<BTreeMap<String, SecretBytes>>,
}

/// The earlier steps' desired resources, by their key.
pub type EarlierResources = BTreeMap<String, EarlierResource>;

impl EarlierResource {
    /// What this step needs of an object, read through `lookup` (a chain of
    /// keys to the value there), so that no caller decodes whole objects.
    pub fn read(lookup: impl Fn(&[&str]) -> Option<Value>) -> Self {
        let text = |keys: &[&str]| lookup(keys).and_then(|value| value.as_str().map(str::to_owned));
        let api_version = text(&["apiVersion"]).unwrap_or_default();
        let kind = text(&["kind"]).unwrap_or_default();
        let secret_data = (api_version == "v1" && kind == "Secret")
            .then(|| secret_data(lookup(&["data"]).as_ref(), lookup(&["stringData"]).as_ref()));
        Self {
            name: text(&["metadata", "name"]),
            namespace: text(&["metadata", "namespace"]),
            api_version,
            kind,
            secret_data,
        }
    }

    /// The API group: `v1` is the core group's, written empty.
    fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(group, _)| group)
    }
}

/// `data` in base64 (a value that is not is left out: the API server
/// would refuse the Secret), then `stringData` over it.
fn secret_data(data: Option<&Value>, string_data: Option<&Value>) -> BTreeMap<String, SecretBytes> {
    fn entries(value: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
        value.and_then(Value::as_object).into_iter().flatten()
    }
    let decoded = entries(data).filter_map(|(key, value)| {
        let bytes = BASE64.decode(value.as_str()?).ok()?;
        Some((key.clone(), SecretBytes::new(bytes)))
    });
    let plain = entries(string_data)
        .filter_map(|(key, value)| Some((key.clone(), SecretBytes::new(value.as_str()?.as_bytes().to_vec()))));
    decoded.chain(plain).collect()
}

/// One object by what makes it one in the cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ObjectId {
    group: String,
    kind: String,
    namespace: String,
    name: String,
}

impl ObjectId {
    fn secret(namespace: &str, name: &str) -> Self {
        Self { group: String::new(), kind: "Secret".to_owned(), namespace: namespace.to_owned(), name: name.to_owned() }
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
    }
}

/// An object this step composes.
struct Ours {
    id: ObjectId,
    /// Its key in `desired.resources`.
    resource: String,
    /// Where the input asks for it: `secrets[0].to`, `pushSecrets[1]`.
    origin: String,
    role: Role,
}

/// What a composed object of this step is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Combined,
    FanOut(usize),
    Push,
}

/// What this step is about to compose: the takeover may add earlier keys
/// to the combined Secret's and the fan-out Secrets' data.
pub struct Composed<'a> {
    pub destination: &'a Destination,
    /// The combined Secret's keys.
    pub keys: &'a mut BTreeMap<KeyName, SecretBytes>,
    pub fan_out: &'a mut [fanout::Destination],
    pub pushes: &'a [Push],
}

/// What else exists around this step.
pub struct Surroundings<'a> {
    pub composite: &'a Composite,
    pub observed: &'a ObservedResources<'a>,
    pub existing: &'a ExistingSecrets,
    pub earlier: &'a EarlierResources,
}

/// Checks every object this step composes against the others, then takes
/// over earlier steps' Secrets under its keys. `Ok` holds a NORMAL result
/// for each takeover; `Err`, every collision in one FATAL result.
pub fn settle(input: &Input, composed: Composed<'_>, around: &Surroundings<'_>) -> Result<Vec<Diagnostic>, Diagnostic> {
    let ours = our_objects(input, &composed);
    if ours.is_empty() {
        return Ok(Vec::new());
    }
    let mut problems = shared_keys(&composed);
    problems.extend(shared_objects(&ours, &others(input, &ours, around)));
    problems.extend(ours.iter().filter_map(|object| replaced_resource(object, around.earlier)));
    if !problems.is_empty() {
        return Err(invalid_input(problems.join("; ")));
    }
    take_over(&ours, composed, around.earlier)
}

/// The combined Secret, the fan-out objects and the PushSecrets.
fn our_objects(input: &Input, composed: &Composed<'_>) -> Vec<Ours> {
    let mut ours = Vec::new();
    if let Destination::Secret(secret) = composed.destination {
        let location = &secret.location;
        ours.push(Ours {
            id: ObjectId::secret(location.namespace.as_str(), location.name.as_str()),
            resource: secret.resource.clone(),
            origin: "the combined connection Secret".to_owned(),
            role: Role::Combined,
        });
    }
    for (index, object) in composed.fan_out.iter().enumerate() {
        let (field, items) = match object.kind {
            Kind::Secret => ("secrets", &input.secrets),
            Kind::ConfigMap => ("configMaps", &input.config_maps),
        };
        let first = items.iter().position(|item| item.to_name == object.name).unwrap_or_default();
        ours.push(Ours {
            id: ObjectId {
                group: String::new(),
                kind: object.kind.to_string(),
                namespace: object.namespace.to_string(),
                name: object.name.to_string(),
            },
            resource: object.resource_name(),
            origin: format!("{field}[{first}].to"),
            role: Role::FanOut(index),
        });
    }
    for (index, push) in composed.pushes.iter().enumerate() {
        ours.push(Ours {
            id: ObjectId {
                group: "external-secrets.io".to_owned(),
                kind: push::KIND.to_owned(),
                namespace: push.namespace.to_string(),
                name: push.name.to_string(),
            },
            resource: push.resource_name(),
            origin: format!("pushSecrets[{index}]"),
            role: Role::Push,
        });
    }
    ours
}

/// `connectionSecretResourceName` naming a fan-out object's or a
/// PushSecret's key: one would replace the other in `desired.resources`.
fn shared_keys(composed: &Composed<'_>) -> Vec<String> {
    let Destination::Secret(secret) = composed.destination else { return Vec::new() };
    let fan_out = composed
        .fan_out
        .iter()
        .map(|object| (object.resource_name(), format!("fan-out {} {}", object.kind, object.name)));
    let pushes = composed.pushes.iter().map(|push| (push.resource_name(), format!("PushSecret {}", push.name)));
    let clash = fan_out.chain(pushes).find(|(name, _)| *name == secret.resource);
    clash
        .map(|(_, clash)| {
            format!(
                "connectionSecretResourceName: {} is also the resource name of the {clash}; \
                 each composed resource needs its own",
                secret.resource
            )
        })
        .into_iter()
        .collect()
}

/// An object that is not this step's to write.
struct Other {
    id: ObjectId,
    /// What it is, as a message names it.
    what: String,
    /// What writing it too would do.
    consequence: &'static str,
}

const TWO_COMPOSED: &str = "two composed resources would write one object";
const PROVIDER_WRITES: &str = "its provider and this step would overwrite each other's keys";
const CROSSPLANE_WRITES: &str = "Crossplane and this step would overwrite each other's keys";
const OVERWRITES_WHAT_IT_READS: &str =
    "this step would overwrite what it reads, and Crossplane would adopt that Secret and delete it with the XR";

/// Objects that are not this step's to write.
fn others(input: &Input, ours: &[Ours], around: &Surroundings<'_>) -> Vec<Other> {
    let xr_namespace = around.composite.namespace.as_deref();
    let mut others = Vec::new();
    for (resource, observed) in around.observed {
        let Some(reference) = observed.object.lookup(&["spec", "writeConnectionSecretToRef"]) else { continue };
        let Some(name) = reference.get("name").and_then(Value::as_str) else { continue };
        // Most managed resources' Secrets share no name with ours: those
        // are passed over before anything is worked out or formatted.
        if !ours.iter().any(|object| object.id.name == name) {
            continue;
        }
        // A namespaced managed resource writes into its own namespace.
        let namespace = reference
            .get("namespace")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| {
                observed.object.lookup(&["metadata", "namespace"]).and_then(|ns| ns.as_str().map(str::to_owned))
            })
            .or_else(|| xr_namespace.map(str::to_owned));
        if let Some(namespace) = namespace {
            let what =
                format!("the connection Secret of composed resource {resource} (its spec.writeConnectionSecretToRef)");
            others.push(Other { id: ObjectId::secret(&namespace, name), what, consequence: PROVIDER_WRITES });
        }
    }
    let composes_its_own = ours.iter().any(|object| object.role == Role::Combined);
    if let (false, Some(own)) = (composes_its_own, &around.composite.write_connection_secret_to_ref) {
        let namespace = own.namespace.as_ref().map(|ns| ns.as_str()).or(xr_namespace);
        if let Some(namespace) = namespace {
            let what = "the composite's own connection Secret (its spec.writeConnectionSecretToRef), which Crossplane \
                        writes in mode Composite";
            let id = ObjectId::secret(namespace, own.name.as_str());
            others.push(Other { id, what: what.to_owned(), consequence: CROSSPLANE_WRITES });
        }
    }
    for (id, path) in around.existing.readers(input) {
        let id = ObjectId::secret(id.namespace.as_str(), id.name.as_str());
        others.push(Other { id, what: format!("the Secret that {path} reads"), consequence: OVERWRITES_WHAT_IT_READS });
    }
    let our_resources: Vec<&str> = ours.iter().map(|object| object.resource.as_str()).collect();
    for (resource, earlier) in around.earlier.iter().filter(|(resource, _)| !our_resources.contains(&resource.as_str()))
    {
        let (Some(name), Some(namespace)) = (&earlier.name, earlier.namespace.as_deref().or(xr_namespace)) else {
            continue;
        };
        let id = ObjectId {
            group: earlier.group().to_owned(),
            kind: earlier.kind.clone(),
            namespace: namespace.to_owned(),
            name: name.clone(),
        };
        let what = format!("desired resource {resource} of an earlier pipeline step");
        others.push(Other { id, what, consequence: TWO_COMPOSED });
    }
    others
}

/// Two objects of one kind, name and namespace: ours against each other
/// and against the rest.
fn shared_objects(ours: &[Ours], others: &[Other]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen: BTreeMap<&ObjectId, &Ours> = BTreeMap::new();
    for object in ours {
        if let Some(first) = seen.insert(&object.id, object) {
            problems.push(format!(
                "{}: {} is also {}: {TWO_COMPOSED}; give one of them another name",
                object.origin, object.id, first.origin
            ));
        }
        for other in others.iter().filter(|other| other.id == object.id) {
            problems.push(format!(
                "{}: {} is also {}: {}; give it another name",
                object.origin, object.id, other.what, other.consequence
            ));
        }
    }
    problems
}

/// Our key in `desired.resources` replacing an earlier step's resource:
/// an error unless a Secret of ours takes over a `v1` Secret.
fn replaced_resource(object: &Ours, earlier: &EarlierResources) -> Option<String> {
    let replaced = earlier.get(&object.resource)?;
    let takes_over = object.id.kind == "Secret" && object.role != Role::Push && replaced.secret_data.is_some();
    let rename = match object.role {
        Role::Combined => "connectionSecretResourceName".to_owned(),
        Role::FanOut(_) | Role::Push => format!("{}.name", object.origin),
    };
    (!takes_over).then(|| {
        format!(
            "{}: its key {} in desired.resources is also that of the {} {} an earlier pipeline step composed, \
             which this step would replace; a Secret of this step takes over only a v1 Secret, so change {rename}",
            object.origin, object.resource, replaced.api_version, replaced.kind
        )
    })
}

/// Keeps each replaced Secret's keys beneath ours, and says so.
fn take_over(ours: &[Ours], composed: Composed<'_>, earlier: &EarlierResources) -> Result<Vec<Diagnostic>, Diagnostic> {
    let mut notes = Vec::new();
    for object in ours {
        let Some(replaced) = earlier.get(&object.resource) else { continue };
        let Some(kept) = &replaced.secret_data else { continue };
        let data: &mut BTreeMap<KeyName, SecretBytes> = match object.role {
            Role::Combined => &mut *composed.keys,
            Role::FanOut(index) => &mut composed.fan_out[index].data,
            Role::Push => continue,
        };
        let (mut taken, mut replaced_keys, mut invalid) = (Vec::new(), Vec::new(), Vec::new());
        for (key, value) in kept {
            match KeyName::new(key) {
                Ok(name) if data.contains_key(&name) => replaced_keys.push(key.as_str()),
                Ok(name) => {
                    data.insert(name, value.clone());
                    taken.push(key.as_str());
                }
                Err(_) => invalid.push(key.as_str()),
            }
        }
        if let Role::FanOut(_) = object.role {
            let size = output::data_size(data.iter().map(|(key, value)| (key.as_str(), value.len())));
            output::check_size(&object.id.to_string(), size)
                .map_err(|message| Diagnostic::fatal(Reason::SecretTooLarge, message))?;
        }
        notes.push(Diagnostic::normal(
            Reason::SecretTakenOver,
            takeover_note(object, replaced, &taken, &replaced_keys, &invalid),
        ));
    }
    Ok(notes)
}

fn takeover_note(
    object: &Ours,
    replaced: &EarlierResource,
    taken: &[&str],
    replaced_keys: &[&str],
    invalid: &[&str],
) -> String {
    let earlier_name = match (&replaced.namespace, &replaced.name) {
        (Some(namespace), Some(name)) => format!(" {namespace}/{name}"),
        (None, Some(name)) => format!(" {name}"),
        _ => String::new(),
    };
    let mut note = format!(
        "{}: {} takes over desired resource {}, the v1 Secret{earlier_name} an earlier pipeline step composed \
         (function-patch-and-transform's connection Secret, during a migration)",
        object.origin, object.id, object.resource
    );
    let keys = |keys: &[&str]| join_words(&keys.iter().map(|key| format!("{key:?}")).collect::<Vec<_>>());
    if !taken.is_empty() {
        note.push_str(&format!("; it keeps that Secret's keys {}", keys(taken)));
    }
    if !replaced_keys.is_empty() {
        note.push_str(&format!("; this step's own {} replace that Secret's", keys(replaced_keys)));
    }
    if !invalid.is_empty() {
        note.push_str(&format!("; {} are no valid Secret keys and are left out", keys(invalid)));
    }
    note
}

#[cfg(test)]
mod tests {
    use prost::Message;
    use serde_json::json;

    use super::*;
    use crate::aggregate::ObservedResource;
    use crate::diagnostics::Severity;
    use crate::earlier::EarlierDetails;
    use crate::plan::{Plan, plan};
    use crate::protocol::{LazyObject, json_to_struct};
    use crate::secret::SecretData;
    use crate::secretref::{SecretId, read_secret};

    fn input(extra: Value) -> Value {
        let mut input = json!({
            "apiVersion": crate::input::API_VERSION, "kind": crate::input::KIND,
            "resources": [{"name": "db", "connectionDetails": [
                {"fromConnectionSecretKey": "username"},
                {"fromConnectionSecretKey": "password"},
                {"name": "admin", "fromSecretKeyRef": {"name": "admin-pw", "key": "password"}},
            ]}],
        });
        input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        input
    }

    /// A namespaced v2 XR `xr` in `apps`.
    fn modern() -> Value {
        json!({"metadata": {"name": "xr", "namespace": "apps", "uid": "u1"}, "spec": {"crossplane": {}}})
    }

    fn encoded(object: &Value) -> Vec<Vec<u8>> {
        vec![json_to_struct(object.as_object().unwrap()).encode_to_vec()]
    }

    /// The managed resource `db`, writing its connection Secret `db-conn`
    /// (in its own namespace, as namespaced resources do).
    fn managed_resource() -> Value {
        json!({"apiVersion": "rds.aws.m.upbound.io/v1beta1", "kind": "Instance",
               "metadata": {"name": "xr-db", "namespace": "apps"},
               "spec": {"writeConnectionSecretToRef": {"name": "db-conn"}}})
    }

    fn earlier(resources: &[(&str, Value)]) -> EarlierResources {
        resources
            .iter()
            .map(|(name, object)| {
                (name.to_string(), EarlierResource::read(|keys| crate::fieldpath::at(object, keys).cloned()))
            })
            .collect()
    }

    fn run(input_extra: Value, xr: &Value, earlier: &EarlierResources) -> Result<Plan, Diagnostic> {
        let chunks = encoded(&managed_resource());
        let details =
            BTreeMap::from([("username".to_owned(), b"admin".to_vec()), ("password".to_owned(), b"pw".to_vec())]);
        let observed = ObservedResources::from([(
            "db",
            ObservedResource {
                object: LazyObject::from_chunks(&chunks),
                connection_details: SecretData::borrowed(&details),
            },
        )]);
        let fetch = |_: &SecretId| read_secret(&json!({"data": {"password": "c2VjcmV0"}}));
        plan(Some(&input(input_extra)), xr, &observed, &EarlierDetails::new(), earlier, &fetch)
    }

    fn error(input_extra: Value, xr: &Value, earlier: &EarlierResources) -> String {
        let fatal = run(input_extra, xr, earlier).unwrap_err();
        assert_eq!(fatal.reason, Reason::InvalidInput);
        fatal
            .message
            .strip_prefix("invalid function input (connection.fn.crossplane.io/v1beta1 ConnectionDetails): ")
            .unwrap()
            .to_owned()
    }

    #[test]
    fn a_destination_may_not_be_a_managed_resource_s_connection_secret() {
        let none = EarlierResources::new();
        assert_eq!(
            error(json!({"writeConnectionSecretToRef": {"name": "db-conn"}}), &modern(), &none),
            "the combined connection Secret: Secret apps/db-conn is also the connection Secret of composed \
             resource db (its spec.writeConnectionSecretToRef): its provider and this step would overwrite each \
             other's keys; give it another name"
        );
        assert_eq!(
            error(json!({"secrets": [{"key": "password", "to": {"name": "db-conn"}}]}), &modern(), &none),
            "secrets[0].to: Secret apps/db-conn is also the connection Secret of composed resource db (its \
             spec.writeConnectionSecretToRef): its provider and this step would overwrite each other's keys; give \
             it another name"
        );
        // A ConfigMap of that name is another object.
        assert!(
            run(
                json!({"configMaps": [{"key": "username", "to": {"name": "db-conn", "allowSecretValue": true}}]}),
                &modern(),
                &none
            )
            .is_ok()
        );
    }

    #[test]
    fn a_destination_may_not_be_a_secret_the_step_reads() {
        assert_eq!(
            error(
                json!({"secrets": [{"key": "username", "to": {"name": "admin-pw"}}]}),
                &modern(),
                &EarlierResources::new()
            ),
            "secrets[0].to: Secret apps/admin-pw is also the Secret that \
             resources[0].connectionDetails[2].fromSecretKeyRef reads: this step would overwrite what it reads, and \
             Crossplane would adopt that Secret and delete it with the XR; give it another name"
        );
    }

    #[test]
    fn two_objects_of_this_step_may_not_be_one() {
        let same_as_combined = json!({"writeConnectionSecretToRef": {"name": "app"},
            "secrets": [{"key": "password", "to": {"name": "other"}}, {"key": "username", "to": {"name": "app"}}]});
        assert_eq!(
            error(same_as_combined, &modern(), &EarlierResources::new()),
            "secrets[1].to: Secret apps/app is also the combined connection Secret: two composed resources would \
             write one object; give one of them another name"
        );
    }

    #[test]
    fn in_mode_composite_the_composite_s_own_secret_is_crossplane_s() {
        let legacy = json!({"metadata": {"name": "xr"}, "spec": {"writeConnectionSecretToRef": {
            "name": "xr-conn", "namespace": "ops"}}});
        let fan_out = json!({"secrets": [{"key": "password", "to": {"name": "xr-conn", "namespace": "ops"}}],
            "resources": [{"name": "db", "connectionDetails": [{"fromConnectionSecretKey": "password"}]}]});
        assert_eq!(
            error(fan_out, &legacy, &EarlierResources::new()),
            "secrets[0].to: Secret ops/xr-conn is also the composite's own connection Secret (its \
             spec.writeConnectionSecretToRef), which Crossplane writes in mode Composite: Crossplane and this step \
             would overwrite each other's keys; give it another name"
        );
    }

    #[test]
    fn an_earlier_step_s_object_or_key_is_not_replaced_unawares() {
        let access_key =
            ("xr-connection-secret", json!({"apiVersion": "iam.aws.upbound.io/v1beta1", "kind": "AccessKey"}));
        let secret_elsewhere =
            ("app-secret", json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "app"}}));
        let push = ("pushsecret-app-vault", json!({"apiVersion": "v1", "kind": "Secret"}));
        let found = error(
            json!({"connectionSecretResourceName": "$(xr-name)-connection-secret",
                   "writeConnectionSecretToRef": {"name": "app"},
                   "pushSecrets": [{"store": {"name": "vault"}, "remoteKey": "db"}]}),
            &modern(),
            &earlier(&[access_key, secret_elsewhere, push]),
        );
        assert_eq!(
            found,
            "the combined connection Secret: Secret apps/app is also desired resource app-secret of an earlier \
             pipeline step: two composed resources would write one object; give it another name; \
             the combined connection Secret: its key xr-connection-secret in desired.resources is also that of the \
             iam.aws.upbound.io/v1beta1 AccessKey an earlier pipeline step composed, which this step would replace; \
             a Secret of this step takes over only a v1 Secret, so change connectionSecretResourceName; \
             pushSecrets[0]: its key pushsecret-app-vault in desired.resources is also that of the v1 Secret an \
             earlier pipeline step composed, which this step would replace; a Secret of this step takes over only a \
             v1 Secret, so change pushSecrets[0].name"
        );
    }

    #[test]
    fn an_earlier_step_s_secret_under_the_key_is_taken_over_with_its_keys() {
        let pt_secret = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "app", "namespace": "apps"},
            "data": {"password": "b2xk", "endpoint": "aG9zdA=="}, "stringData": {"port": "5432"}});
        let plan = run(
            json!({"connectionSecretResourceName": "$(xr-name)-connection-secret",
                   "writeConnectionSecretToRef": {"name": "app"}}),
            &modern(),
            &earlier(&[("xr-connection-secret", pt_secret)]),
        )
        .unwrap();
        let keys: BTreeMap<&str, &[u8]> = plan.keys.iter().map(|(key, value)| (key.as_str(), value.expose())).collect();
        assert_eq!(
            keys,
            BTreeMap::from([
                ("admin", &b"secret"[..]),
                ("endpoint", b"host"),
                ("password", b"pw"),
                ("port", b"5432"),
                ("username", b"admin"),
            ]),
            "the earlier keys stay beneath this step's"
        );
        let notes: Vec<&Diagnostic> = plan.diagnostics.iter().filter(|d| d.reason == Reason::SecretTakenOver).collect();
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].severity, Severity::Normal);
        assert_eq!(
            notes[0].message,
            "the combined connection Secret: Secret apps/app takes over desired resource xr-connection-secret, the \
             v1 Secret apps/app an earlier pipeline step composed (function-patch-and-transform's connection \
             Secret, during a migration); it keeps that Secret's keys \"endpoint\" and \"port\"; this step's own \
             \"password\" replace that Secret's"
        );
        assert!(!notes[0].message.contains("b2xk") && !notes[0].message.contains("old"));
    }

    #[test]
    fn a_fan_out_secret_takes_over_too_and_a_config_map_does_not() {
        let earlier_secret = json!({"apiVersion": "v1", "kind": "Secret", "data": {"ca.crt": "Y2E="}});
        let plan = run(
            json!({"secrets": [{"key": "password", "to": {"name": "creds"}}]}),
            &modern(),
            &earlier(&[("secret-creds", earlier_secret.clone())]),
        )
        .unwrap();
        let creds = &plan.fan_out[0];
        assert_eq!(creds.data.keys().map(KeyName::as_str).collect::<Vec<_>>(), ["ca.crt", "password"]);
        assert!(plan.diagnostics.iter().any(|d| d.reason == Reason::SecretTakenOver));
        let config_map = error(
            json!({"configMaps": [{"key": "username", "to": {"name": "creds", "allowSecretValue": true}}]}),
            &modern(),
            &earlier(&[("configmap-creds", earlier_secret)]),
        );
        assert!(
            config_map.starts_with(
                "configMaps[0].to: its key configmap-creds in desired.resources is also that of the v1 Secret"
            ),
            "{config_map}"
        );
    }

    #[test]
    fn reads_an_earlier_secret_s_data_and_string_data() {
        let object = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"a": "MQ==", "b": "Mg==", "bad": "%%"}, "stringData": {"b": "two"}});
        let read = EarlierResource::read(|keys| crate::fieldpath::at(&object, keys).cloned());
        assert_eq!((read.name.as_deref(), read.namespace.as_deref(), read.group()), (Some("s"), None, ""));
        let data = read.secret_data.unwrap();
        let values: Vec<(&str, &[u8])> = data.iter().map(|(key, value)| (key.as_str(), value.expose())).collect();
        assert_eq!(values, [("a", &b"1"[..]), ("b", b"two")]);
        let other = json!({"apiVersion": "external-secrets.io/v1alpha1", "kind": "PushSecret", "data": {"a": "MQ=="}});
        let read = EarlierResource::read(|keys| crate::fieldpath::at(&other, keys).cloned());
        assert_eq!(read.group(), "external-secrets.io");
        assert_eq!(read.secret_data, None);
    }
}
