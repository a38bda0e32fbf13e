//! Connection details that earlier pipeline steps left in
//! `desired.composite.connectionDetails` (function-patch-and-transform,
//! go-templating, …). Crossplane publishes them for a legacy XR only; for a
//! Crossplane v2 XR they would be lost, so the Secret this step composes
//! takes them in, as function-patch-and-transform v0.10 folds them into the
//! Secret it composes. This step's own keys are written later and win.

use std::collections::BTreeMap;

use crate::diagnostics::{Diagnostic, Reason, join_words};
use crate::input::{Input, SourceLabel};
use crate::names::KeyName;
use crate::secret::SecretBytes;

/// Key to value, as the request's desired composite carries them.
pub type EarlierDetails = BTreeMap<String, Vec<u8>>;

/// Where an earlier step's key is said to come from, in accounts and
/// messages.
pub const SOURCE: &str = "an earlier pipeline step (desired.composite.connectionDetails)";

/// Adds to `keys` each earlier key this step does not write itself and the
/// allow-list (`allowed`, empty for all) keeps; a WARNING for each earlier
/// key no Secret can hold.
pub fn fold_into(
    keys: &mut BTreeMap<KeyName, SecretBytes>,
    earlier: &EarlierDetails,
    allowed: &[KeyName],
) -> Vec<Diagnostic> {
    let mut unusable = Vec::new();
    for (key, value) in earlier {
        match KeyName::new(key) {
            Ok(name) if allowed.is_empty() || allowed.contains(&name) => {
                keys.entry(name).or_insert_with(|| SecretBytes::new(value.clone()));
            }
            Ok(_) => {}
            Err(error) => unusable.push(format!("{key:?} ({error})")),
        }
    }
    if unusable.is_empty() {
        return Vec::new();
    }
    vec![Diagnostic::warning(
        Reason::InvalidValue,
        format!(
            "{SOURCE} holds keys that a Secret cannot hold, left out of the connection Secret: {}",
            join_words(&unusable)
        ),
    )]
}

/// A WARNING for each key both an earlier step and this step's input write.
pub fn conflicts(input: &Input, earlier: &EarlierDetails) -> Vec<Diagnostic> {
    if earlier.is_empty() {
        return Vec::new();
    }
    let mut writers: BTreeMap<&KeyName, Vec<SourceLabel<'_>>> = BTreeMap::new();
    for (key, label) in input.declared_keys().filter(|(key, _)| earlier.contains_key(key.as_str())) {
        writers.entry(key).or_default().push(label);
    }
    writers
        .into_iter()
        .map(|(key, mut labels)| {
            labels.dedup();
            Diagnostic::warning(
                Reason::ConflictingKeys,
                format!("key {key:?} is written by {SOURCE} and by {}; this step's value wins", join_words(&labels)),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse;
    use serde_json::json;

    fn earlier(pairs: &[(&str, &[u8])]) -> EarlierDetails {
        pairs.iter().map(|(key, value)| (key.to_string(), value.to_vec())).collect()
    }

    fn keys(pairs: &[(&str, &[u8])]) -> BTreeMap<KeyName, SecretBytes> {
        pairs.iter().map(|(key, value)| (KeyName::new(key).unwrap(), SecretBytes::new(value.to_vec()))).collect()
    }

    fn shown(keys: &BTreeMap<KeyName, SecretBytes>) -> Vec<(String, Vec<u8>)> {
        keys.iter().map(|(key, value)| (key.to_string(), value.expose().to_vec())).collect()
    }

    #[test]
    fn earlier_keys_join_ours_and_ours_win() {
        let mut ours = keys(&[("password", b"mine")]);
        let diagnostics = fold_into(&mut ours, &earlier(&[("password", b"theirs"), ("endpoint", b"db:5432")]), &[]);
        assert!(diagnostics.is_empty());
        assert_eq!(
            shown(&ours),
            [("endpoint".to_owned(), b"db:5432".to_vec()), ("password".to_owned(), b"mine".to_vec())]
        );
    }

    #[test]
    fn the_allow_list_applies_and_unusable_names_are_reported_by_name() {
        let mut ours = keys(&[]);
        let allowed = [KeyName::new("endpoint").unwrap()];
        let diagnostics =
            fold_into(&mut ours, &earlier(&[("endpoint", b"e"), ("port", b"5432"), ("bad key", b"s3cr3t")]), &allowed);
        assert_eq!(shown(&ours), [("endpoint".to_owned(), b"e".to_vec())]);
        let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages.len(), 1);
        assert!(messages[0].contains("\"bad key\""), "{messages:?}");
        assert!(!messages[0].contains("s3cr3t"), "a value in {messages:?}");
    }

    #[test]
    fn a_key_both_write_is_a_conflict_naming_both() {
        let input = parse(&json!({
            "apiVersion": crate::input::API_VERSION, "kind": crate::input::KIND,
            "resources": [{"name": "db", "connectionDetails": [{"fromConnectionSecretKey": "password"}]}],
        }))
        .unwrap();
        let messages: Vec<String> = conflicts(&input, &earlier(&[("password", b"p"), ("other", b"o")]))
            .into_iter()
            .map(|d| d.message)
            .collect();
        assert_eq!(
            messages,
            ["key \"password\" is written by an earlier pipeline step (desired.composite.connectionDetails) and by \
              resources[0] db; this step's value wins"]
        );
    }
}
