//! The one type that holds secret values.
//!
//! Every connection-detail value passes through [`SecretBytes`]. Its `Debug`
//! prints the length only, so no `{:?}` anywhere can leak a value; code that
//! needs the bytes asks for them by name with [`SecretBytes::expose`].

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_length_and_never_the_value() {
        let value = SecretBytes::new(b"hunter2".to_vec());
        let shown = format!("{value:?} {:#?}", vec![value.clone()]);
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("7 bytes"), "{shown}");
    }
}
