//! "Why is my key missing?": for each key the input declares, where it came
//! from, or why it is not there (yet), or what dropped it. render writes
//! this as `Explanation` documents; the function's response to Crossplane
//! carries none of it, so no reconcile emits events for it. Never a value:
//! keys, sources, Secrets' key names and byte counts.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::aggregate::{Aggregate, ObservedResource, ObservedResources};
use crate::derive;
use crate::earlier::{self, EarlierDetails};
use crate::fieldpath::at;
use crate::input::{self, ConnectionDetail, Input};
use crate::names::KeyName;
use crate::secretref::ExistingSecrets;
use crate::spelling;

/// One key's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAccount {
    pub key: KeyName,
    /// Where it comes from: `resources[3] key2: fromConnectionSecretKey password`.
    pub source: String,
    pub origin: Origin,
    pub state: KeyState,
}

/// What kind of source a key has: who reports it when it is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A composed resource's connection secret or fields, or a value.
    ComposedResource,
    /// A `fromSecretKeyRef` Secret, reported where it is fetched.
    ExistingSecret,
    /// A derived key's template, missing for the keys it reads.
    Template,
    /// An earlier pipeline step's `desired.composite.connectionDetails`.
    EarlierStep,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    Present {
        bytes: usize,
    },
    /// Declared, not produced; why, and whether time can bring it (`false`
    /// when what is observed already settles it and a person must act).
    Missing {
        reason: String,
        waiting: bool,
    },
    /// Produced, then left out; by what.
    Dropped(String),
    /// Its template failed; how.
    Failed(String),
}

impl KeyState {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Present { .. } => "Present",
            Self::Missing { .. } => "Missing",
            Self::Dropped(_) => "Dropped",
            Self::Failed(_) => "Failed",
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Present { .. } => None,
            Self::Missing { reason, .. } | Self::Dropped(reason) | Self::Failed(reason) => Some(reason),
        }
    }

    fn waiting(reason: String) -> Self {
        Self::Missing { reason, waiting: true }
    }
}

/// Every declared key of the combined secret, in key order, before any
/// allow-list: the entry that produced it, else why the last entry that
/// declares it could not.
pub fn account(
    input: &Input,
    observed: &ObservedResources<'_>,
    existing: &ExistingSecrets,
    aggregate: &Aggregate,
) -> Vec<KeyAccount> {
    accounts_where(input, observed, existing, aggregate, |_| true)
}

/// The declared keys that are not produced, each with its account: what a
/// response to Crossplane reports, without describing every present key.
pub fn unproduced(
    input: &Input,
    observed: &ObservedResources<'_>,
    existing: &ExistingSecrets,
    aggregate: &Aggregate,
) -> Vec<KeyAccount> {
    accounts_where(input, observed, existing, aggregate, |state| !matches!(state, KeyState::Present { .. }))
}

/// [`account`] for the keys whose state `keep` accepts; the source of the
/// others is never formatted.
fn accounts_where(
    input: &Input,
    observed: &ObservedResources<'_>,
    existing: &ExistingSecrets,
    aggregate: &Aggregate,
    keep: impl Fn(&KeyState) -> bool,
) -> Vec<KeyAccount> {
    let produced = &aggregate.produced;
    let mut states: BTreeMap<&KeyName, (KeyState, Source<'_>)> = BTreeMap::new();
    for (index, entry) in input.resources.iter().enumerate() {
        let resource = observed.get(entry.name.as_str());
        for detail in &entry.connection_details {
            let state = match (produced.get(&detail.name), why_missing(detail, &entry.name, resource, existing)) {
                (Some(value), None) => KeyState::Present { bytes: value.len() },
                (_, Some(state)) => state,
                (None, None) => KeyState::waiting("it was not produced".to_owned()),
            };
            let keep_earlier = matches!(state, KeyState::Missing { .. })
                && states.get(&detail.name).is_some_and(|(earlier, _)| matches!(earlier, KeyState::Present { .. }));
            if !keep_earlier {
                states.insert(&detail.name, (state, Source::Entry { index, entry: &entry.name, detail }));
            }
        }
    }
    for (index, derived) in input.derived.iter().enumerate() {
        let state = match (produced.get(&derived.name), aggregate.failed.get(&derived.name)) {
            (Some(value), _) => KeyState::Present { bytes: value.len() },
            (None, Some(problem)) => KeyState::Failed(format!("the template failed: {problem}")),
            (None, None) => waiting_template(&derived.template, &states),
        };
        states.insert(&derived.name, (state, Source::Derived { index }));
    }
    states
        .into_iter()
        .filter(|(_, (state, _))| keep(state))
        .map(|(key, (state, source))| KeyAccount {
            key: key.clone(),
            source: source.to_string(),
            origin: source.origin(),
            state,
        })
        .collect()
}

/// Where an account's key comes from, formatted only when shown.
enum Source<'i> {
    Entry { index: usize, entry: &'i str, detail: &'i ConnectionDetail },
    Derived { index: usize },
}

impl Source<'_> {
    fn origin(&self) -> Origin {
        match self {
            Self::Entry { detail, .. } if matches!(detail.source, input::Source::SecretKeyRef(_)) => {
                Origin::ExistingSecret
            }
            Self::Entry { .. } => Origin::ComposedResource,
            Self::Derived { .. } => Origin::Template,
        }
    }
}

impl std::fmt::Display for Source<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Entry { index, entry, detail } => {
                write!(f, "resources[{index}] {entry}: {}", describe_source(&detail.source))
            }
            Self::Derived { index } => write!(f, "derived[{index}]"),
        }
    }
}

/// The same accounts with the keys `allowed` leaves out marked as dropped
/// by `by` (an empty list allows every key).
pub fn apply_allow_list(accounts: &[KeyAccount], allowed: &[&str], by: &str) -> Vec<KeyAccount> {
    accounts
        .iter()
        .map(|account| {
            let dropped = !allowed.is_empty() && !allowed.contains(&account.key.as_str());
            match &account.state {
                KeyState::Present { .. } if dropped => {
                    KeyAccount { state: KeyState::Dropped(format!("{by} leaves it out")), ..account.clone() }
                }
                _ => account.clone(),
            }
        })
        .collect()
}

fn describe_source(source: &input::Source) -> String {
    match source {
        input::Source::ConnectionSecretKey(key) => format!("fromConnectionSecretKey {key}"),
        input::Source::FieldPath(path) => format!("fromFieldPath {path}"),
        input::Source::Value(_) => "value".to_owned(),
        input::Source::SecretKeyRef(reference) => {
            let namespace = reference.namespace.as_ref().map(|ns| format!("{ns}/")).unwrap_or_default();
            format!("fromSecretKeyRef {namespace}{} {}", reference.name, reference.key)
        }
    }
}

/// Why `detail` produced nothing, or `None` when it did. A composed
/// resource that is Ready settles its connection secret's keys and its
/// fields: what it lacks then needs a person, not time.
fn why_missing(
    detail: &ConnectionDetail,
    resource_name: &str,
    resource: Option<&ObservedResource<'_>>,
    existing: &ExistingSecrets,
) -> Option<KeyState> {
    if let input::Source::SecretKeyRef(reference) = &detail.source {
        return existing.why_missing(reference).map(|(reason, waiting)| KeyState::Missing { reason, waiting });
    }
    let Some(resource) = resource else {
        return Some(KeyState::waiting(format!("the composed resource {resource_name} is not observed yet")));
    };
    // Whole objects are decoded only for keys that are missing: a present
    // key needs none of this, and most keys are present.
    let reason = match &detail.source {
        input::Source::ConnectionSecretKey(key) => missing_secret_key(key, resource_name, resource)?,
        input::Source::FieldPath(path) => {
            let object = resource.object.get();
            if path.lookup(object).is_some() {
                return None;
            }
            let not_ready = if is_ready(object) { "" } else { " (it is not Ready yet)" };
            match path.deepest_present(object) {
                Some(deepest) => format!("{resource_name} has no field {path}; it has {deepest}{not_ready}"),
                None => format!("{resource_name} has no field {path}, nor any part of it{not_ready}"),
            }
        }
        input::Source::Value(_) | input::Source::SecretKeyRef(_) => return None,
    };
    let settled = is_ready(resource.object.get());
    // A Ready resource whose connection Secret is not there yet may still
    // get it, when it names one.
    let secret_may_come = is_connection_key(detail)
        && resource.connection_details.is_empty()
        && connection_secret_of(resource.object.get()).is_some();
    let waiting = !settled || secret_may_come;
    Some(KeyState::Missing { reason, waiting })
}

fn is_connection_key(detail: &ConnectionDetail) -> bool {
    matches!(detail.source, input::Source::ConnectionSecretKey(_))
}

/// Crossplane's `Ready` condition is `True` on the observed resource.
fn is_ready(object: &Value) -> bool {
    at(object, &["status", "conditions"]).and_then(Value::as_array).is_some_and(|conditions| {
        conditions.iter().any(|condition| {
            condition.get("type").and_then(Value::as_str) == Some("Ready")
                && condition.get("status").and_then(Value::as_str) == Some("True")
        })
    })
}

fn missing_secret_key(key: &KeyName, resource_name: &str, resource: &ObservedResource<'_>) -> Option<String> {
    let details = &resource.connection_details;
    if details.contains_key(key.as_str()) {
        return None;
    }
    if details.is_empty() {
        let secret = connection_secret_of(resource.object.get())
            .map(|secret| format!(" (Secret {secret}, which its spec.writeConnectionSecretToRef names, is not there)"))
            .unwrap_or_else(|| " (it names no spec.writeConnectionSecretToRef)".to_owned());
        return Some(format!("the connection secret of {resource_name} holds no keys yet{secret}"));
    }
    let absent = spelling::absent_key(key.as_str(), details.keys());
    Some(format!("the connection secret of {resource_name} has {absent}"))
}

/// `namespace/name` of the Secret a managed resource writes its connection
/// details to: its ref's namespace, else its own.
fn connection_secret_of(object: &Value) -> Option<String> {
    let reference = at(object, &["spec", "writeConnectionSecretToRef"])?;
    let name = reference.get("name")?.as_str()?;
    let namespace =
        reference.get("namespace").or_else(|| at(object, &["metadata", "namespace"])).and_then(Value::as_str);
    Some(namespace.map_or_else(|| name.to_owned(), |namespace| format!("{namespace}/{name}")))
}

/// Why a derived key is pending: the keys its template reads that are not
/// produced, and whether any of them can still come by waiting.
fn waiting_template(template: &str, states: &BTreeMap<&KeyName, (KeyState, Source<'_>)>) -> KeyState {
    let unproduced: Vec<(String, bool)> = derive::plain_variables(template)
        .into_iter()
        .filter(|name| !derive::is_global(name))
        .filter_map(|name| match KeyName::new(&name).ok().and_then(|key| states.get(&key)) {
            Some((KeyState::Present { .. }, _)) => None,
            Some((KeyState::Missing { waiting, .. }, _)) => Some((name, *waiting)),
            Some(_) | None => Some((name, false)),
        })
        .collect();
    let through_keys = || match derive::literal_keys_read(template) {
        Some(read) => {
            let waiting: Vec<(String, bool)> = read
                .into_iter()
                .filter_map(|name| match KeyName::new(&name).ok().and_then(|key| states.get(&key)) {
                    Some((KeyState::Present { .. }, _)) => None,
                    Some((KeyState::Missing { waiting, .. }, _)) => Some((format!("keys[{name:?}]"), *waiting)),
                    Some(_) | None => Some((format!("keys[{name:?}]"), false)),
                })
                .collect();
            waiting
        }
        None => Vec::new(),
    };
    let unproduced = if unproduced.is_empty() { through_keys() } else { unproduced };
    if unproduced.is_empty() {
        return KeyState::waiting("its template reads a key (through keys[...]) that is not produced yet".to_owned());
    }
    let names: Vec<&str> = unproduced.iter().map(|(name, _)| name.as_str()).collect();
    KeyState::Missing {
        reason: format!("its template waits on {}, not produced yet", names.join(", ")),
        waiting: unproduced.iter().all(|(_, waiting)| *waiting),
    }
}

/// `accounts` with each earlier step's key that this step leaves missing or
/// does not declare accounted as present from that step, in key order.
fn with_earlier_keys(accounts: &[KeyAccount], earlier: &EarlierDetails) -> Vec<KeyAccount> {
    let mut merged: BTreeMap<KeyName, KeyAccount> =
        accounts.iter().map(|account| (account.key.clone(), account.clone())).collect();
    for (key, value) in earlier {
        let Ok(key) = KeyName::new(key) else { continue };
        let ours_present = merged.get(&key).is_some_and(|account| matches!(account.state, KeyState::Present { .. }));
        if !ours_present {
            let state = KeyState::Present { bytes: value.len() };
            let source = earlier::SOURCE.to_owned();
            merged.insert(key.clone(), KeyAccount { key, source, origin: Origin::EarlierStep, state });
        }
    }
    merged.into_values().collect()
}

/// Accounts for every object the function writes from one request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Explanation {
    /// The combined secret's keys, the input's allow-list applied.
    pub combined: Vec<KeyAccount>,
    /// `(namespace, name)` of the combined Secret when the function composes
    /// it (mode Secret); in mode Composite, Crossplane's XR and claim secrets.
    pub composed_secret: Option<(String, String)>,
    /// Each fan-out object: its kind, namespace, name and keys, each
    /// accounted as the produced key it copies.
    pub fan_out: Vec<ObjectAccount>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectAccount {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub keys: Vec<KeyAccount>,
}

/// The explanation of a planned request: `accounts` are [`account`]'s;
/// `earlier` the keys earlier steps left on the composite, which a composed
/// Secret takes in where this step produces nothing.
pub fn explanation(
    input: &Input,
    accounts: &[KeyAccount],
    earlier: &EarlierDetails,
    destination: &crate::output::Destination,
    fan_out: &[crate::fanout::Destination],
) -> Explanation {
    let allowed: Vec<&str> = input.connection_secret_keys.iter().map(KeyName::as_str).collect();
    let composed_secret = match destination {
        crate::output::Destination::Secret(secret) => {
            Some((secret.location.namespace.to_string(), secret.location.name.to_string()))
        }
        crate::output::Destination::Composite => None,
    };
    let combined = match destination {
        crate::output::Destination::Secret(_) => with_earlier_keys(accounts, earlier),
        crate::output::Destination::Composite => accounts.to_vec(),
    };
    let by_key: BTreeMap<&KeyName, &KeyAccount> = accounts.iter().map(|account| (&account.key, account)).collect();
    let fan_out = fan_out
        .iter()
        .map(|object| ObjectAccount {
            kind: object.kind.to_string(),
            namespace: object.namespace.to_string(),
            name: object.name.to_string(),
            keys: object
                .mapping
                .iter()
                .filter_map(|(to_key, from_key)| {
                    let account = by_key.get(from_key)?;
                    let source = if to_key == from_key {
                        account.source.clone()
                    } else {
                        format!("key {from_key} ({})", account.source)
                    };
                    Some(KeyAccount { key: to_key.clone(), source, ..(*account).clone() })
                })
                .collect(),
        })
        .collect();
    Explanation {
        combined: apply_allow_list(&combined, &allowed, "the input's connectionSecretKeys"),
        composed_secret,
        fan_out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::aggregate;
    use crate::input::parse;
    use crate::protocol::LazyObject;
    use crate::secret::SecretBytes;
    use crate::secret::SecretData;
    use crate::secretref::{Fetched, SecretId};
    use serde_json::json;

    fn accounts(input: Value, observed: ObservedResources<'_>, fetch: &dyn Fn(&SecretId) -> Fetched) -> Vec<String> {
        let mut value = json!({"apiVersion": crate::input::API_VERSION, "kind": crate::input::KIND});
        value.as_object_mut().unwrap().extend(input.as_object().unwrap().clone());
        let input = parse(&value).unwrap();
        let namespace = crate::names::Namespace::new("apps").ok();
        let existing = ExistingSecrets::fetch(&input, namespace, fetch).unwrap();
        let aggregate = aggregate(&input, &observed, &existing);
        account(&input, &observed, &existing, &aggregate)
            .iter()
            .map(|a| format!("{} {} <{}> {}", a.key, a.state.name(), a.source, a.state.reason().unwrap_or_default()))
            .collect()
    }

    fn resource(object: Value, details: &[(&str, &[u8])]) -> ObservedResource<'static> {
        let connection_details = details.iter().map(|(k, v)| (k.to_string(), v.to_vec())).collect();
        ObservedResource {
            object: LazyObject::from_json(object),
            connection_details: SecretData::owned(connection_details),
        }
    }

    #[test]
    fn every_reason_a_key_is_missing_is_named() {
        let input = json!({
            "resources": [
                {"name": "db", "connectionDetails": [
                    {"fromConnectionSecretKey": "username"},
                    {"fromConnectionSecretKey": "pasword"},
                    {"name": "host", "fromFieldPath": "status.atProvider.address"},
                ]},
                {"name": "cache", "connectionDetails": [{"fromConnectionSecretKey": "token"}]},
                {"name": "queue", "connectionDetails": [{"name": "port", "value": "5672"}]},
                {"name": "server", "connectionDetails": [
                    {"name": "admin", "fromSecretKeyRef": {"name": "admin-pw", "key": "pw"}},
                    {"name": "other", "fromSecretKeyRef": {"name": "gone", "key": "pw"}},
                ]},
            ],
            "derived": [{"name": "url", "template": "{{ username }}:{{ admin }}@{{ host }}"}],
        });
        let observed = ObservedResources::from([
            ("db", resource(json!({"status": {"atProvider": {}}}), &[("username", b"u"), ("password", b"p")])),
            (
                "cache",
                resource(
                    json!({"metadata": {"namespace": "apps"}, "spec": {"writeConnectionSecretToRef": {"name": "cache-conn"}}}),
                    &[],
                ),
            ),
        ]);
        let fetch = |id: &SecretId| match id.name.as_str() {
            "admin-pw" => Fetched::Found(BTreeMap::from([("password".to_owned(), SecretBytes::new(b"x".to_vec()))])),
            _ => Fetched::Missing,
        };
        assert_eq!(
            accounts(input, observed, &fetch),
            [
                "admin Missing <resources[3] server: fromSecretKeyRef admin-pw pw> Secret apps/admin-pw has no key \"pw\"; it has password",
                "host Missing <resources[0] db: fromFieldPath status.atProvider.address> db has no field status.atProvider.address; it has status.atProvider (it is not Ready yet)",
                "other Missing <resources[3] server: fromSecretKeyRef gone pw> Secret apps/gone was not found",
                "pasword Missing <resources[0] db: fromConnectionSecretKey pasword> the connection secret of db has no key \"pasword\"; it has password, username; did you mean \"password\"?",
                "port Missing <resources[2] queue: value> the composed resource queue is not observed yet",
                "token Missing <resources[1] cache: fromConnectionSecretKey token> the connection secret of cache holds no keys yet (Secret apps/cache-conn, which its spec.writeConnectionSecretToRef names, is not there)",
                "url Missing <derived[0]> its template waits on admin, host, not produced yet",
                "username Present <resources[0] db: fromConnectionSecretKey username> ",
            ]
        );
    }

    #[test]
    fn a_later_missing_entry_does_not_hide_an_earlier_present_one_and_allow_lists_drop() {
        let input = json!({"resources": [
            {"name": "a", "connectionDetails": [{"name": "user", "value": "first"}]},
            {"name": "b", "connectionDetails": [{"name": "user", "fromConnectionSecretKey": "absent"}]},
        ]});
        let observed =
            ObservedResources::from([("a", resource(json!({}), &[])), ("b", resource(json!({}), &[("other", b"x")]))]);
        let found = accounts(input, observed, &|_| Fetched::NotYet);
        assert_eq!(found, ["user Present <resources[0] a: value> "]);
        let present = KeyAccount {
            key: KeyName::new("user").unwrap(),
            source: "s".to_owned(),
            origin: Origin::ComposedResource,
            state: KeyState::Present { bytes: 5 },
        };
        let dropped = apply_allow_list(std::slice::from_ref(&present), &["password"], "the XRD's connectionSecretKeys");
        assert_eq!(dropped[0].state, KeyState::Dropped("the XRD's connectionSecretKeys leaves it out".to_owned()));
        assert_eq!(apply_allow_list(std::slice::from_ref(&present), &[], "x"), [present]);
    }
}
