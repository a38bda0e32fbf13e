//! `connectionSecretKeys`: which produced keys the combined secret keeps,
//! with the semantics of an XRD's `connectionSecretKeys` (empty keeps all).

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostics::{Diagnostic, Reason};
use crate::earlier::EarlierDetails;
use crate::input::{Input, SourceLabel};
use crate::names::KeyName;
use crate::secret::SecretBytes;
use crate::spelling;

/// The produced keys that the allow-list lets through.
pub fn apply(allowed: &[KeyName], produced: &BTreeMap<KeyName, SecretBytes>) -> BTreeMap<KeyName, SecretBytes> {
    if allowed.is_empty() {
        return produced.clone();
    }
    produced.iter().filter(|(key, _)| allowed.contains(key)).map(|(key, value)| (key.clone(), value.clone())).collect()
}

/// A WARNING for each listed key that no entry can ever produce and no
/// earlier pipeline step gave, suggesting the declared-but-filtered key with
/// the closest spelling: that is usually the one the user meant to list.
pub fn unproducible_keys(input: &Input, earlier: &EarlierDetails) -> Vec<Diagnostic> {
    let allowed = &input.connection_secret_keys;
    if allowed.is_empty() {
        return Vec::new();
    }
    let declared: BTreeMap<&KeyName, SourceLabel<'_>> = input.declared_keys().collect();
    let filtered_out: BTreeMap<&str, SourceLabel<'_>> =
        declared.iter().filter(|(key, _)| !allowed.contains(key)).map(|(key, label)| (key.as_str(), *label)).collect();
    let mut warned = BTreeSet::new();
    allowed
        .iter()
        .filter(|key| !declared.contains_key(key) && !earlier.contains_key(key.as_str()) && warned.insert(*key))
        .map(|key| {
            let hint = spelling::closest(key.as_str(), filtered_out.keys().copied())
                .map(|close| {
                    format!("; did you mean {close:?}, which {} produces and the list leaves out?", filtered_out[close])
                })
                .unwrap_or_default();
            Diagnostic::warning(
                Reason::AllowListKeyNeverProduced,
                format!("connectionSecretKeys lists {key:?}, but no entry produces it{hint}"),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse;
    use serde_json::json;

    fn keys(names: &[&str]) -> Vec<KeyName> {
        names.iter().map(|n| KeyName::new(n).unwrap()).collect()
    }

    #[test]
    fn empty_list_keeps_everything_and_a_list_filters() {
        let produced: BTreeMap<_, _> =
            keys(&["a", "b", "c"]).into_iter().map(|k| (k, SecretBytes::new(b"v".to_vec()))).collect();
        assert_eq!(apply(&[], &produced).len(), 3);
        let kept: Vec<_> = apply(&keys(&["c", "a", "z"]), &produced).into_keys().collect();
        assert_eq!(kept, keys(&["a", "c"]));
    }

    #[test]
    fn warns_about_listed_keys_nothing_produces_with_a_suggestion() {
        let input = parse(&json!({
            "apiVersion": crate::input::API_VERSION, "kind": crate::input::KIND,
            "resources": [{"name": "key2", "connectionDetails": [
                {"name": "key2-user", "fromConnectionSecretKey": "username"},
                {"name": "key2-password", "fromConnectionSecretKey": "password"},
            ]}],
            "connectionSecretKeys": ["key2-user", "endpoint", "key2-pass", "endpoint"],
        }))
        .unwrap();
        let messages: Vec<_> =
            unproducible_keys(&input, &EarlierDetails::new()).into_iter().map(|d| d.message).collect();
        assert_eq!(
            messages,
            [
                "connectionSecretKeys lists \"endpoint\", but no entry produces it",
                "connectionSecretKeys lists \"key2-pass\", but no entry produces it; did you mean \"key2-password\", which resources[0] key2 produces and the list leaves out?",
            ]
        );
    }
}
