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

/// Every reason the function and render give, one word each, as
/// Kubernetes events and conditions carry them. Users filter events by
/// these, so each means one thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The step's input is not a valid `ConnectionDetails`.
    InvalidInput,
    /// The step has no input at all.
    MissingInput,
    /// The request has no observed composite resource.
    MissingComposite,
    /// The bytes are not a RunFunctionRequest.
    MalformedRequest,
    /// The function's own messages did not decode (render only).
    FunctionFailed,
    /// A derived key's template failed while rendering.
    TemplateFailed,
    /// A Secret or ConfigMap would exceed Kubernetes' 1 MiB.
    SecretTooLarge,
    /// A value cannot go where it is copied (not text for a ConfigMap, not
    /// JSON for a Docker config).
    InvalidValue,
    /// A key from a secret copied into a ConfigMap, as the item allows.
    SecretInConfigMap,
    /// Two entries write one key.
    ConflictingKeys,
    /// The input's `connectionSecretKeys` lists a key no entry produces.
    AllowListKeyNeverProduced,
    /// The XRD's `connectionSecretKeys` lists a key the composition never
    /// produces (render only, where it knows the XRD).
    XrdKeyNeverProduced,
    /// A `fromSecretKeyRef` Secret does not exist.
    SecretNotFound,
    /// A `fromSecretKeyRef` Secret lacks the key.
    SecretKeyNotFound,
    /// A setting for a composed Secret, in a mode that composes none.
    SettingNotApplied,
    /// Keys set in a modern XR's `desired.composite.connectionDetails`,
    /// which Crossplane ignores.
    ConnectionDetailsIgnored,
    /// A claim names a connection Secret, but its legacy XR has none for
    /// Crossplane to propagate (render only).
    ClaimSecretNotPublished,
    /// Requirements still changed after Crossplane's last call (render only).
    RequirementsUnsettled,
    /// Required keys are missing.
    WaitingForKeys,
    /// Declared keys are missing, none of them required.
    KeysMissing,
    /// A key that what is observed rules out: its composed resource is
    /// Ready and lacks it.
    KeyUnavailable,
    /// A PushSecret waits for the Secret it pushes to be composed.
    WaitingForSecret,
    /// This step composes a Secret in place of an earlier step's, keeping
    /// its keys.
    SecretTakenOver,
    /// Every required key is present.
    Available,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "InvalidInput",
            Self::MissingInput => "MissingInput",
            Self::MissingComposite => "MissingComposite",
            Self::MalformedRequest => "MalformedRequest",
            Self::FunctionFailed => "FunctionFailed",
            Self::TemplateFailed => "TemplateFailed",
            Self::SecretTooLarge => "SecretTooLarge",
            Self::InvalidValue => "InvalidValue",
            Self::SecretInConfigMap => "SecretInConfigMap",
            Self::ConflictingKeys => "ConflictingKeys",
            Self::AllowListKeyNeverProduced => "AllowListKeyNeverProduced",
            Self::XrdKeyNeverProduced => "XrdKeyNeverProduced",
            Self::SecretNotFound => "SecretNotFound",
            Self::SecretKeyNotFound => "SecretKeyNotFound",
            Self::SettingNotApplied => "SettingNotApplied",
            Self::ConnectionDetailsIgnored => "ConnectionDetailsIgnored",
            Self::ClaimSecretNotPublished => "ClaimSecretNotPublished",
            Self::RequirementsUnsettled => "RequirementsUnsettled",
            Self::WaitingForKeys => "WaitingForKeys",
            Self::KeysMissing => "KeysMissing",
            Self::KeyUnavailable => "KeyUnavailable",
            Self::WaitingForSecret => "WaitingForSecret",
            Self::SecretTakenOver => "SecretTakenOver",
            Self::Available => "Available",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub reason: Reason,
    pub message: String,
}

impl Diagnostic {
    pub fn fatal(reason: Reason, message: impl Into<String>) -> Self {
        Self { severity: Severity::Fatal, reason, message: message.into() }
    }

    pub fn warning(reason: Reason, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, reason, message: message.into() }
    }

    pub fn normal(reason: Reason, message: impl Into<String>) -> Self {
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
