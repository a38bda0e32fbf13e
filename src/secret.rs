//! The one type that holds secret values.
//!
//! Every connection-detail value passes through [`SecretBytes`]. Its `Debug`
//! prints the length only, so no `{:?}` anywhere can leak a value; code that
//! needs the bytes asks for them by name with [`SecretBytes::expose`].

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The value itself, for writing into an output object and nowhere else.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes({} bytes)", self.0.len())
    }
}

/// A composed resource's connection secret as the request carried it, key
/// by key, borrowed from the decoded request rather than copied. Its
/// `Debug` names the keys and counts the bytes; a value leaves only as
/// [`SecretBytes`].
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretData<'a>(Cow<'a, BTreeMap<String, Vec<u8>>>);

impl<'a> SecretData<'a> {
    pub fn borrowed(data: &'a BTreeMap<String, Vec<u8>>) -> Self {
        Self(Cow::Borrowed(data))
    }

    pub fn owned(data: BTreeMap<String, Vec<u8>>) -> Self {
        Self(Cow::Owned(data))
    }

    pub fn get(&self, key: &str) -> Option<SecretBytes> {
        self.0.get(key).map(|value| SecretBytes::new(value.clone()))
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

impl fmt::Debug for SecretData<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes: usize = self.0.values().map(Vec::len).sum();
        f.debug_struct("SecretData").field("keys", &self.0.keys().collect::<Vec<_>>()).field("bytes", &bytes).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_data_debug_names_keys_and_counts_bytes() {
        let data = BTreeMap::from([("password".to_owned(), b"hunter2".to_vec())]);
        let shown = format!("{:?} {:#?}", SecretData::borrowed(&data), SecretData::owned(data.clone()));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("password") && shown.contains("7"), "{shown}");
    }

    #[test]
    fn debug_shows_the_length_and_never_the_value() {
        let value = SecretBytes::new(b"hunter2".to_vec());
        let shown = format!("{value:?} {:#?}", vec![value.clone()]);
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("7 bytes"), "{shown}");
    }
}
