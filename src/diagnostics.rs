//! What the function tells the user, before it becomes a protocol `Result`.
//!
//! Messages name keys, objects and field paths, and count bytes; they never
//! carry a value.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Fatal,
    Warning,
    Normal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A CamelCase reason, as Kubernetes events carry.
    pub reason: &'static str,
    pub message: String,
}

impl Diagnostic {
    pub fn fatal(reason: &'static str, message: impl Into<String>) -> Self {
        Self { severity: Severity::Fatal, reason, message: message.into() }
    }

    pub fn warning(reason: &'static str, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, reason, message: message.into() }
    }

    pub fn normal(reason: &'static str, message: impl Into<String>) -> Self {
        Self { severity: Severity::Normal, reason, message: message.into() }
    }
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_words<T: std::fmt::Display>(items: &[T]) -> String {
    match items {
        [] => String::new(),
        [only] => only.to_string(),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(ToString::to_string).collect();
            format!("{} and {last}", init.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_words_as_prose() {
        assert_eq!(join_words::<&str>(&[]), "");
        assert_eq!(join_words(&["a"]), "a");
        assert_eq!(join_words(&["a", "b"]), "a and b");
        assert_eq!(join_words(&["a", "b", "c"]), "a, b and c");
    }
}
