//! Gathers the keys that the input's entries produce from the observed state.
//!
//! A key whose source is not there yet (the resource is not observed, its
//! connection secret lacks the key, the field path is absent) is *pending*:
//! left out now, expected later, never an error.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::derive::{self, Derived};
use crate::diagnostics::{Diagnostic, Reason, join_words};
use crate::input::{ConnectionDetail, Input, Source, SourceLabel};
use crate::names::KeyName;
use crate::protocol::LazyObject;
use crate::secret::{SecretBytes, SecretData};
use crate::secretref::ExistingSecrets;

/// One composed resource as Crossplane observed it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObservedResource<'a> {
    pub object: LazyObject<'a>,
    /// Read from the resource's connection Secret; empty until it exists.
    pub connection_details: SecretData<'a>,
}

/// Observed composed resources by composition resource name.
pub type ObservedResources<'a> = BTreeMap<&'a str, ObservedResource<'a>>;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Aggregate {
    /// Every key some entry produced, before the allow-list.
    pub produced: BTreeMap<KeyName, SecretBytes>,
    /// Keys that entries declare but none has produced yet.
    pub pending: BTreeSet<KeyName>,
    /// Derived keys whose templates failed, with how (never a value): FATAL.
    pub failed: BTreeMap<KeyName, String>,
}

/// Resolves every entry in input order, so a later entry overwrites an
/// earlier one with the same key name; then the derived keys, each seeing
/// the keys produced before it.
pub fn aggregate(input: &Input, observed: &ObservedResources, existing: &ExistingSecrets) -> Aggregate {
    let mut result = Aggregate::default();
    for entry in &input.resources {
        let resource = observed.get(entry.name.as_str());
        for detail in &entry.connection_details {
            match resolve(detail, resource, existing) {
                Some(value) => {
                    result.produced.insert(detail.name.clone(), value);
                }
                None => {
                    result.pending.insert(detail.name.clone());
                }
            }
        }
    }
    for derived in &input.derived {
        match derive::evaluate(&derived.template, &result.produced, &result.pending) {
            Derived::Value(value) => {
                result.produced.insert(derived.name.clone(), value);
            }
            Derived::Pending => {
                result.pending.insert(derived.name.clone());
            }
            Derived::Failed(problem) => {
                result.failed.insert(derived.name.clone(), problem);
            }
        }
    }
    let produced = &result.produced;
    result.pending.retain(|key| !produced.contains_key(key));
    result
}

/// A key of an existing Secret does not depend on the composed resource;
/// every other source waits for the resource to be observed.
fn resolve(
    detail: &ConnectionDetail,
    resource: Option<&ObservedResource<'_>>,
    existing: &ExistingSecrets,
) -> Option<SecretBytes> {
    match &detail.source {
        Source::SecretKeyRef(reference) => existing.value(reference).cloned(),
        Source::ConnectionSecretKey(key) => resource?.connection_details.get(key.as_str()),
        Source::FieldPath(path) => path.lookup(resource?.object.get()).map(field_value_bytes),
        Source::Value(value) => resource.map(|_| value.clone()),
    }
}

/// A string as its UTF-8 bytes without quotes; anything else as compact JSON
/// (serde_json's map is ordered, so object keys come out sorted).
fn field_value_bytes(value: &Value) -> SecretBytes {
    match value {
        Value::String(text) => SecretBytes::new(text.as_bytes().to_vec()),
        other => SecretBytes::new(other.to_string().into_bytes()),
    }
}

/// A WARNING for each key name that more than one entry writes. The check is
/// on the input, not on what was produced this time, so it does not come and
/// go as resources appear.
pub fn conflicts(input: &Input) -> Vec<Diagnostic> {
    // Sorted by key, stably, so each key's writers stay in input order; a
    // map of lists would allocate for every key to find the rare repeats.
    let mut declared: Vec<(&KeyName, SourceLabel<'_>)> = input.declared_keys().collect();
    declared.sort_by_key(|(key, _)| *key);
    declared
        .chunk_by(|(a, _), (b, _)| a == b)
        .filter(|writers| writers.len() > 1)
        .map(|writers| {
            let key = writers[0].0;
            let labels: Vec<SourceLabel<'_>> = writers.iter().map(|(_, label)| *label).collect();
            let message = if labels.iter().all(|label| *label == labels[0]) {
                format!("key {key:?} is written {} times by {}; the last entry wins", labels.len(), labels[0])
            } else {
                format!("key {key:?} is written by {}; the later entry wins", join_words(&labels))
            };
            Diagnostic::warning(Reason::ConflictingKeys, message)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse;
    use serde_json::json;

    fn input(resources: Value) -> Input {
        parse(&json!({"apiVersion": crate::input::API_VERSION, "kind": crate::input::KIND, "resources": resources}))
            .unwrap()
    }

    fn observed(
        name: &'static str,
        object: Value,
        details: &[(&str, &[u8])],
    ) -> (&'static str, ObservedResource<'static>) {
        let connection_details = details.iter().map(|(k, v)| (k.to_string(), v.to_vec())).collect();
        (
            name,
            ObservedResource {
                object: LazyObject::from_json(object),
                connection_details: SecretData::owned(connection_details),
            },
        )
    }

    fn produced(aggregate: &Aggregate) -> Vec<(String, Vec<u8>)> {
        aggregate.produced.iter().map(|(k, v)| (k.to_string(), v.expose().to_vec())).collect()
    }

    #[test]
    fn resolves_each_source_type() {
        let input = input(json!([{"name": "db", "connectionDetails": [
            {"fromConnectionSecretKey": "username"},
            {"name": "generation", "fromFieldPath": "metadata.generation"},
            {"name": "address", "fromFieldPath": "status.address"},
            {"name": "object", "fromFieldPath": "status.object"},
            {"name": "port", "value": "5432"},
        ]}]));
        let object = json!({"metadata": {"generation": 4}, "status": {
            "address": "db.example.org", "object": {"b": [2], "a": 1}}});
        let observed = ObservedResources::from([observed("db", object, &[("username", b"admin\xff")])]);
        assert_eq!(
            produced(&aggregate(&input, &observed, &ExistingSecrets::default())),
            [
                ("address".to_owned(), b"db.example.org".to_vec()),
                ("generation".to_owned(), b"4".to_vec()),
                ("object".to_owned(), br#"{"a":1,"b":[2]}"#.to_vec()),
                ("port".to_owned(), b"5432".to_vec()),
                ("username".to_owned(), b"admin\xff".to_vec()),
            ]
        );
    }

    #[test]
    fn absent_sources_are_pending() {
        let input = input(json!([
            {"name": "db", "connectionDetails": [
                {"fromConnectionSecretKey": "password"},
                {"name": "endpoint", "fromFieldPath": "status.address"},
            ]},
            {"name": "missing", "connectionDetails": [{"name": "port", "value": "5432"}]},
        ]));
        let observed = ObservedResources::from([observed("db", json!({}), &[])]);
        let result = aggregate(&input, &observed, &ExistingSecrets::default());
        assert!(result.produced.is_empty());
        let pending: Vec<_> = result.pending.iter().map(KeyName::as_str).collect();
        assert_eq!(pending, ["endpoint", "password", "port"]);
    }

    #[test]
    fn the_later_entry_wins_and_a_pending_later_entry_keeps_the_earlier_value() {
        let input = input(json!([
            {"name": "a", "connectionDetails": [{"name": "user", "value": "first"}]},
            {"name": "b", "connectionDetails": [{"name": "user", "value": "second"}]},
            {"name": "c", "connectionDetails": [{"name": "user", "fromConnectionSecretKey": "absent"}]},
        ]));
        let observed = ObservedResources::from([
            observed("a", json!({}), &[]),
            observed("b", json!({}), &[]),
            observed("c", json!({}), &[]),
        ]);
        let result = aggregate(&input, &observed, &ExistingSecrets::default());
        assert_eq!(produced(&result), [("user".to_owned(), b"second".to_vec())]);
        assert!(result.pending.is_empty());
    }

    #[test]
    fn conflicts_name_the_key_and_every_source() {
        let input = input(json!([
            {"name": "key", "connectionDetails": [{"fromConnectionSecretKey": "username"}]},
            {"name": "user", "connectionDetails": []},
            {"name": "other", "connectionDetails": [{"name": "x", "value": "1"}, {"name": "x", "value": "2"}]},
            {"name": "key2", "connectionDetails": [{"name": "username", "fromConnectionSecretKey": "username"}]},
        ]));
        let messages: Vec<_> = conflicts(&input).into_iter().map(|d| d.message).collect();
        assert_eq!(
            messages,
            [
                "key \"username\" is written by resources[0] key and resources[3] key2; the later entry wins",
                "key \"x\" is written 2 times by resources[2] other; the last entry wins",
            ]
        );
    }
}

#[cfg(test)]
mod derived_tests {
    use super::*;
    use crate::input::parse;
    use serde_json::json;

    #[test]
    fn derived_keys_see_earlier_keys_and_wait_for_pending_ones() {
        let input = parse(&json!({
            "apiVersion": crate::input::API_VERSION, "kind": crate::input::KIND,
            "resources": [{"name": "db", "connectionDetails": [
                {"fromConnectionSecretKey": "username"}, {"fromConnectionSecretKey": "password"},
            ]}],
            "derived": [
                {"name": "user-upper", "template": "{{ username | upper }}"},
                {"name": "both", "template": "{{ keys['user-upper'] }}:{{ password }}"},
                {"name": "loop", "template": "{% for i in range(100000) %}{{ i }}{% endfor %}"},
            ],
        }))
        .unwrap();
        let observed = ObservedResources::from([(
            "db",
            ObservedResource {
                object: LazyObject::from_json(json!({})),
                connection_details: SecretData::owned([("username".to_owned(), b"admin".to_vec())].into()),
            },
        )]);
        let result = aggregate(&input, &observed, &ExistingSecrets::default());
        assert_eq!(result.produced[&KeyName::new("user-upper").unwrap()].expose(), b"ADMIN");
        let pending: Vec<&str> = result.pending.iter().map(KeyName::as_str).collect();
        assert_eq!(pending, ["both", "password"]);
        let failures: Vec<(&str, &str)> = result.failed.iter().map(|(k, why)| (k.as_str(), why.as_str())).collect();
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].0, "loop");
        assert!(failures[0].1.starts_with("engine ran out of fuel at line 1"), "{failures:?}");
    }
}
