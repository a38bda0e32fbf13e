//! "Why is my key missing?": for each key the input declares, where it came
//! from, or why it is not there (yet), or what dropped it. render writes
//! this as `Explanation` documents; the function's response to Crossplane
//! carries none of it, so no reconcile emits events for it. Never a value:
//! keys, sources, Secrets' key names and byte counts.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::aggregate::{ObservedResource, ObservedResources};
use crate::derive;
use crate::fieldpath::at;
use crate::input::{ConnectionDetail, Input, Source};
use crate::names::KeyName;
use crate::secret::SecretBytes;
use crate::secretref::ExistingSecrets;
use crate::spelling;

/// One key's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAccount {
    pub key: KeyName,
    /// Where it comes from: `resources[3] key2: fromConnectionSecretKey password`.
    pub source: String,
    pub state: KeyState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    Present {
        bytes: usize,
    },
    /// Declared, not produced; why.
    Missing(String),
    /// Produced, then left out; by what.
    Dropped(String),
}

impl KeyState {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Present { .. } => "Present",
            Self::Missing(_) => "Missing",
            Self::Dropped(_) => "Dropped",
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Present { .. } => None,
            Self::Missing(reason) | Self::Dropped(reason) => Some(reason),
        }
    }
}

/// Every declared key of the combined secret, in key order, before any
/// allow-list: the entry that produced it, else why the last entry that
/// declares it could not.
pub fn account(
    input: &Input,
    observed: &ObservedResources<'_>,
    existing: &ExistingSecrets,
    produced: &BTreeMap<KeyName, SecretBytes>,
) -> Vec<KeyAccount> {
    let mut accounts: BTreeMap<KeyName, KeyAccount> = BTreeMap::new();
    for (index, entry) in input.resources.iter().enumerate() {
        let resource = observed.get(entry.name.as_str());
        for detail in &entry.connection_details {
            let source = format!("resources[{index}] {}: {}", entry.name, describe_source(&detail.source));
            let state = match (produced.get(&detail.name), why_missing(detail, &entry.name, resource, existing)) {
                (Some(value), None) => KeyState::Present { bytes: value.len() },
                (_, Some(reason)) => KeyState::Missing(reason),
                (None, None) => KeyState::Missing("it was not produced".to_owned()),
            };
            let keep_earlier = matches!(state, KeyState::Missing(_))
                && accounts.get(&detail.name).is_some_and(|earlier| matches!(earlier.state, KeyState::Present { .. }));
            if !keep_earlier {
                accounts.insert(detail.name.clone(), KeyAccount { key: detail.name.clone(), source, state });
            }
        }
    }
    for (index, derived) in input.derived.iter().enumerate() {
        let state = match produced.get(&derived.name) {
            Some(value) => KeyState::Present { bytes: value.len() },
            None => KeyState::Missing(waiting_template(&derived.template, produced)),
        };
        accounts.insert(
            derived.name.clone(),
            KeyAccount { key: derived.name.clone(), source: format!("derived[{index}]"), state },
        );
    }
    accounts.into_values().collect()
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

fn describe_source(source: &Source) -> String {
    match source {
        Source::ConnectionSecretKey(key) => format!("fromConnectionSecretKey {key}"),
        Source::FieldPath(path) => format!("fromFieldPath {path}"),
        Source::Value(_) => "value".to_owned(),
        Source::SecretKeyRef(reference) => {
            let namespace = reference.namespace.as_ref().map(|ns| format!("{ns}/")).unwrap_or_default();
            format!("fromSecretKeyRef {namespace}{} {}", reference.name, reference.key)
        }
    }
}

/// Why `detail` produced nothing, or `None` when it did.
fn why_missing(
    detail: &ConnectionDetail,
    resource_name: &str,
    resource: Option<&ObservedResource<'_>>,
    existing: &ExistingSecrets,
) -> Option<String> {
    if let Source::SecretKeyRef(reference) = &detail.source {
        return existing.why_missing(reference);
    }
    let Some(resource) = resource else {
        return Some(format!("the composed resource {resource_name} is not observed yet"));
    };
    match &detail.source {
        Source::ConnectionSecretKey(key) => missing_secret_key(key, resource_name, resource),
        Source::FieldPath(path) => {
            let object = resource.object.get();
            path.lookup(object).is_none().then(|| match path.deepest_present(object) {
                Some(deepest) => format!("{resource_name} has no field {path}; it has {deepest}"),
                None => format!("{resource_name} has no field {path}, nor any part of it"),
            })
        }
        Source::Value(_) | Source::SecretKeyRef(_) => None,
    }
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
/// produced.
fn waiting_template(template: &str, produced: &BTreeMap<KeyName, SecretBytes>) -> String {
    let waiting: Vec<String> = derive::plain_variables(template)
        .into_iter()
        .filter(|name| !derive::is_global(name) && !produced.contains_key(name.as_str()))
        .collect();
    if waiting.is_empty() {
        "its template reads a key (through keys[...]) that is not produced yet".to_owned()
    } else {
        format!("its template waits on {}, not produced yet", waiting.join(", "))
    }
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

/// The explanation of a planned request: `accounts` are [`account`]'s.
pub fn explanation(
    input: &Input,
    accounts: &[KeyAccount],
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
                    Some(KeyAccount { key: to_key.clone(), source, state: account.state.clone() })
                })
                .collect(),
        })
        .collect();
    Explanation {
        combined: apply_allow_list(accounts, &allowed, "the input's connectionSecretKeys"),
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
    use crate::secret::SecretData;
    use crate::secretref::{Fetched, SecretId};
    use serde_json::json;

    fn accounts(input: Value, observed: ObservedResources<'_>, fetch: &dyn Fn(&SecretId) -> Fetched) -> Vec<String> {
        let mut value = json!({"apiVersion": crate::input::API_VERSION, "kind": crate::input::KIND});
        value.as_object_mut().unwrap().extend(input.as_object().unwrap().clone());
        let input = parse(&value).unwrap();
        let namespace = crate::names::Namespace::new("apps").ok();
        let existing = ExistingSecrets::fetch(&input, namespace, fetch).unwrap();
        let produced = aggregate(&input, &observed, &existing).produced;
        account(&input, &observed, &existing, &produced)
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
                "host Missing <resources[0] db: fromFieldPath status.atProvider.address> db has no field status.atProvider.address; it has status.atProvider",
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
            state: KeyState::Present { bytes: 5 },
        };
        let dropped = apply_allow_list(std::slice::from_ref(&present), &["password"], "the XRD's connectionSecretKeys");
        assert_eq!(dropped[0].state, KeyState::Dropped("the XRD's connectionSecretKeys leaves it out".to_owned()));
        assert_eq!(apply_allow_list(std::slice::from_ref(&present), &[], "x"), [present]);
    }
}
