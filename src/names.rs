//! Names that Kubernetes constrains, validated once where they enter.
//!
//! A [`KeyName`] is a key of a Secret's or ConfigMap's `data`; an
//! [`ObjectName`] names a Secret; a [`Namespace`] names a namespace. None of
//! them is secret, so they may appear in messages.

use std::fmt;

/// The longest key Kubernetes accepts in Secret or ConfigMap data.
const MAX_KEY_LEN: usize = 253;
/// The longest object name (a DNS-1123 subdomain).
const MAX_OBJECT_NAME_LEN: usize = 253;
/// The longest namespace name (a DNS-1123 label).
const MAX_NAMESPACE_LEN: usize = 63;

/// Why a name was refused. The message never repeats the whole name, only
/// the offending character and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError(String);

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NameError {}

impl NameError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// A data key of a Secret or ConfigMap: `[-._a-zA-Z0-9]+`, at most 253
/// characters, and not `.`, `..` or starting with `..`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyName(String);

impl KeyName {
    pub fn new(name: &str) -> Result<Self, NameError> {
        check_length(name, MAX_KEY_LEN)?;
        if let Some((position, c)) =
            name.char_indices().find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(NameError(format!(
                "has {c:?} at position {position}; a key may hold only letters, digits, '-', '_' and '.'"
            )));
        }
        if name == "." || name.starts_with("..") {
            return Err(NameError("must not be '.' or start with '..' (Kubernetes reserves them)".to_owned()));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Maps keyed by `KeyName` can be asked with a `&str`: the derived order,
/// equality and hash are those of the text.
impl std::borrow::Borrow<str> for KeyName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// The name of a namespaced object such as a Secret: a DNS-1123 subdomain.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectName(String);

impl ObjectName {
    pub fn new(name: &str) -> Result<Self, NameError> {
        check_length(name, MAX_OBJECT_NAME_LEN)?;
        for label in name.split('.') {
            check_dns_label_chars(label, "each '.'-separated part")?;
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A namespace name: a DNS-1123 label.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Namespace(String);

impl Namespace {
    pub fn new(name: &str) -> Result<Self, NameError> {
        check_length(name, MAX_NAMESPACE_LEN)?;
        check_dns_label_chars(name, "a namespace")?;
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_length(name: &str, max: usize) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError("must not be empty".to_owned()));
    }
    if name.len() > max {
        return Err(NameError(format!("is {} characters long; at most {max} are allowed", name.len())));
    }
    Ok(())
}

/// Lower-case letters, digits and '-', starting and ending alphanumeric.
fn check_dns_label_chars(label: &str, what: &str) -> Result<(), NameError> {
    let starts_and_ends_alphanumeric = label
        .chars()
        .next()
        .zip(label.chars().last())
        .is_some_and(|(first, last)| is_lower_alphanumeric(first) && is_lower_alphanumeric(last));
    let allowed = label.chars().all(|c| is_lower_alphanumeric(c) || c == '-');
    if allowed && starts_and_ends_alphanumeric {
        Ok(())
    } else {
        Err(NameError(format!(
            "is not a valid DNS-1123 name: {what} must be lower-case letters, digits and '-', \
             starting and ending with a letter or digit"
        )))
    }
}

fn is_lower_alphanumeric(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

macro_rules! display_as_str {
    ($($name:ident),*) => {$(
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:?}", self.0)
            }
        }
    )*};
}

display_as_str!(KeyName, ObjectName, Namespace);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_follow_kubernetes_rules() {
        for good in ["username", "attribute.ses_smtp_password_v4", "tls.crt", "a-b_c.D9", ".hidden"] {
            assert!(KeyName::new(good).is_ok(), "{good} should be accepted");
        }
        for bad in ["", ".", "..", "..x", "user name", "a/b", "ключ", &"k".repeat(254)] {
            assert!(KeyName::new(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn key_error_names_the_character_and_position() {
        let err = KeyName::new("user name").unwrap_err().to_string();
        assert!(err.contains("' ' at position 4"), "{err}");
    }

    #[test]
    fn object_names_are_dns_subdomains() {
        for good in ["app-db", "my-access-key-secret", "a.b.c", "0"] {
            assert!(ObjectName::new(good).is_ok(), "{good} should be accepted");
        }
        for bad in ["", "App", "-a", "a-", "a..b", "a_b", &"a".repeat(254)] {
            assert!(ObjectName::new(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn namespaces_are_dns_labels() {
        assert!(Namespace::new("crossplane-system").is_ok());
        for bad in ["", "a.b", "Default", &"a".repeat(64)] {
            assert!(Namespace::new(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
