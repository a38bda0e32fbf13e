//! Labels and annotations on the objects this function writes, in the shape
//! of Crossplane v1's `publishConnectionDetailsTo.metadata`: backup tools,
//! External Secrets and Argo CD select Secrets by them.
//!
//! Names and values are checked against the rules the API server applies, so
//! a bad label is an input error naming its field instead of a rejected
//! apply at reconcile time.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value, json};

use crate::names::NameError;

/// The longest name part of a label or annotation key, and the longest
/// label value.
const MAX_NAME_PART: usize = 63;
/// The longest prefix (a DNS-1123 subdomain) before the `/`.
const MAX_PREFIX: usize = 253;
/// Kubernetes refuses an object whose annotations, keys and values
/// together, exceed 256 KiB.
pub const MAX_ANNOTATION_BYTES: usize = 256 * 1024;

/// A label or annotation key: `[prefix/]name`, where the prefix is a
/// DNS-1123 subdomain and the name at most 63 letters, digits, `-`, `_` and
/// `.`, starting and ending with a letter or digit.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MetadataKey(String);

impl MetadataKey {
    pub fn new(key: &str) -> Result<Self, NameError> {
        let (prefix, name) = match key.split_once('/') {
            Some((prefix, name)) => (Some(prefix), name),
            None => (None, key),
        };
        if let Some(prefix) = prefix {
            check_prefix(prefix)?;
        }
        if name.is_empty() {
            return Err(NameError::new("has an empty name part; a key is [prefix/]name"));
        }
        check_name_part(name, "the name part")?;
        Ok(Self(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A label value: empty, or at most 63 letters, digits, `-`, `_` and `.`,
/// starting and ending with a letter or digit.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LabelValue(String);

impl LabelValue {
    pub fn new(value: &str) -> Result<Self, NameError> {
        if !value.is_empty() {
            check_name_part(value, "a label value")?;
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_prefix(prefix: &str) -> Result<(), NameError> {
    let lower_alphanumeric = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let label_ok = |label: &str| {
        label.chars().next().is_some_and(lower_alphanumeric)
            && label.chars().last().is_some_and(lower_alphanumeric)
            && label.chars().all(|c| lower_alphanumeric(c) || c == '-')
    };
    if prefix.is_empty() || prefix.len() > MAX_PREFIX || !prefix.split('.').all(label_ok) {
        return Err(NameError::new(format!(
            "has a prefix that is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', \
             at most {MAX_PREFIX} characters) before its '/'"
        )));
    }
    Ok(())
}

fn check_name_part(text: &str, what: &str) -> Result<(), NameError> {
    if text.len() > MAX_NAME_PART {
        return Err(NameError::new(format!(
            "{what} is {} characters long; at most {MAX_NAME_PART} are allowed",
            text.len()
        )));
    }
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if let Some((position, c)) =
        text.char_indices().find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(NameError::new(format!(
            "{what} has {c:?} at position {position}; only letters, digits, '-', '_' and '.' are allowed"
        )));
    }
    if !edge_ok(text.chars().next()) || !edge_ok(text.chars().last()) {
        return Err(NameError::new(format!("{what} must start and end with a letter or digit")));
    }
    Ok(())
}

/// `metadata: {labels, annotations}` of one written object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectMetadata {
    pub labels: BTreeMap<MetadataKey, LabelValue>,
    pub annotations: BTreeMap<MetadataKey, String>,
}

impl ObjectMetadata {
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.annotations.is_empty()
    }

    /// Bytes Kubernetes counts against [`MAX_ANNOTATION_BYTES`].
    pub fn annotation_bytes(&self) -> usize {
        self.annotations.iter().map(|(key, value)| key.as_str().len() + value.len()).sum()
    }

    /// Writes the labels and annotations into an object's `metadata`,
    /// keeping what is there.
    pub fn apply_to(&self, object: &mut Map<String, Value>) {
        if self.is_empty() {
            return;
        }
        let metadata = object.entry("metadata").or_insert_with(|| json!({}));
        let Some(metadata) = metadata.as_object_mut() else { return };
        let entries = [
            ("labels", self.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>()),
            ("annotations", self.annotations.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()),
        ];
        for (field, pairs) in entries.into_iter().filter(|(_, pairs)| !pairs.is_empty()) {
            let map = metadata.entry(field).or_insert_with(|| json!({}));
            if let Some(map) = map.as_object_mut() {
                map.extend(pairs.into_iter().map(|(key, value)| (key.to_owned(), json!(value))));
            }
        }
    }
}

/// Several items' metadata gathered onto one object; each entry remembers
/// the field that set it, so a disagreement names both.
#[derive(Debug, Clone, Default)]
pub struct MergedMetadata {
    pub metadata: ObjectMetadata,
    origins: BTreeMap<(Part, MetadataKey), String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Labels,
    Annotations,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Labels => "labels",
            Self::Annotations => "annotations",
        })
    }
}

impl MergedMetadata {
    /// Adds `more`, set at field path `origin` (`secrets[2].to.metadata`).
    /// The same entry with the same value is fine; another value is an error
    /// naming both fields and not the values.
    pub fn add(&mut self, more: &ObjectMetadata, origin: &str) -> Result<(), String> {
        for (key, value) in &more.labels {
            let existing = self.metadata.labels.get(key).map(|old| old == value);
            self.note(Part::Labels, key, existing, origin)?;
            self.metadata.labels.insert(key.clone(), value.clone());
        }
        for (key, value) in &more.annotations {
            let existing = self.metadata.annotations.get(key).map(|old| old == value);
            self.note(Part::Annotations, key, existing, origin)?;
            self.metadata.annotations.insert(key.clone(), value.clone());
        }
        Ok(())
    }

    /// `existing`: whether an earlier item set this entry, and if so whether
    /// to the same value.
    fn note(&mut self, part: Part, key: &MetadataKey, existing: Option<bool>, origin: &str) -> Result<(), String> {
        match existing {
            Some(false) => {
                let first = &self.origins[&(part, key.clone())];
                Err(format!(
                    "{origin}.{part}[{key}]: gives another value than {first}.{part}[{key}] for the same object; \
                     items that share a destination must agree on its {part}"
                ))
            }
            Some(true) => Ok(()),
            None => {
                self.origins.insert((part, key.clone()), origin.to_owned());
                Ok(())
            }
        }
    }
}

impl fmt::Display for MetadataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MetadataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// Label values are not secret, but they are shown as little as keys are
/// not: only where a message needs them.
impl fmt::Debug for LabelValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_qualified_name_rules() {
        for good in ["app", "app.kubernetes.io/name", "velero.io/exclude-from-backup", "a_b.C-9", &"k".repeat(63)] {
            assert!(MetadataKey::new(good).is_ok(), "{good} should be accepted");
        }
        for bad in ["", "/x", "a/", "Example.com/x", "a/b/c", "-a", "a-", "a b", &"k".repeat(64)] {
            assert!(MetadataKey::new(bad).is_err(), "{bad:?} should be refused");
        }
        let error = MetadataKey::new("team name").unwrap_err().to_string();
        assert_eq!(error, "the name part has ' ' at position 4; only letters, digits, '-', '_' and '.' are allowed");
    }

    #[test]
    fn label_values_may_be_empty_but_not_long_or_odd() {
        assert!(LabelValue::new("").is_ok());
        assert!(LabelValue::new("prod-1").is_ok());
        for bad in ["-x", "a/b", &"v".repeat(64)] {
            assert!(LabelValue::new(bad).is_err(), "{bad:?} should be refused");
        }
    }

    fn metadata(labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> ObjectMetadata {
        ObjectMetadata {
            labels: labels.iter().map(|(k, v)| (MetadataKey::new(k).unwrap(), LabelValue::new(v).unwrap())).collect(),
            annotations: annotations.iter().map(|(k, v)| (MetadataKey::new(k).unwrap(), (*v).to_owned())).collect(),
        }
    }

    #[test]
    fn merging_agrees_or_names_both_fields() {
        let mut merged = MergedMetadata::default();
        merged.add(&metadata(&[("team", "db")], &[("note", "one")]), "secrets[0].to.metadata").unwrap();
        merged.add(&metadata(&[("team", "db"), ("tier", "1")], &[]), "secrets[1].to.metadata").unwrap();
        assert_eq!(merged.metadata, metadata(&[("team", "db"), ("tier", "1")], &[("note", "one")]));
        let error = merged.add(&metadata(&[("team", "web")], &[]), "secrets[3].to.metadata").unwrap_err();
        assert_eq!(
            error,
            "secrets[3].to.metadata.labels[team]: gives another value than secrets[0].to.metadata.labels[team] \
             for the same object; items that share a destination must agree on its labels"
        );
        assert!(!error.contains("web") && !error.contains("\"db\""), "{error}");
    }

    #[test]
    fn applies_into_existing_metadata() {
        let mut object = json!({"metadata": {"name": "s", "annotations": {"kept": "yes"}}});
        metadata(&[("team", "db")], &[("note", "one")]).apply_to(object.as_object_mut().unwrap());
        assert_eq!(
            object,
            json!({"metadata": {"name": "s", "labels": {"team": "db"}, "annotations": {"kept": "yes", "note": "one"}}})
        );
    }
}
