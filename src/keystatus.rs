//! Why a key is missing, in the cluster: the condition every response sets
//! on the composite (and its claim), saying whether every key the input
//! declares is written and, if not, which keys are missing and why; and a
//! WARNING for each key that what is observed already rules out, so that a
//! typo does not look like waiting. It carries readiness too: one condition,
//! so the two can never disagree. Keys and counts only, never a value.

use crate::diagnostics::{Diagnostic, Reason};
use crate::explain::{KeyAccount, KeyState, Origin};
use crate::readiness::Readiness;

/// The condition type on the composite and the claim.
pub const CONDITION_TYPE: &str = "ConnectionSecretReady";
/// The longest condition message: Kubernetes allows 32 KiB, but a message
/// is read in `kubectl describe`, where a screenful is plenty.
pub const MAX_MESSAGE_BYTES: usize = 1024;
/// At most this many keys get a WARNING of their own per response.
pub const MAX_KEY_WARNINGS: usize = 10;

/// What the condition says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStatus {
    pub written: bool,
    pub reason: Reason,
    pub message: String,
}

/// Where this step's keys go, and whether they got there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Composed as, or set on, `what` (`Secret apps/db-conn`).
    To(String),
    /// Not written at all, for `why` (with the reason to report).
    Not { reason: Reason, why: String },
}

/// The condition for one response: `declared` distinct keys, `unproduced`
/// their accounts that are not present, `readiness` when the input holds it.
pub fn status(
    declared: usize,
    unproduced: &[KeyAccount],
    readiness: Option<&Readiness>,
    written: &Written,
) -> KeyStatus {
    let waiting = readiness.filter(|readiness| !readiness.is_ready());
    let produced = declared - unproduced.len();
    let (reason, headline) = match (written, waiting) {
        (Written::Not { reason, why }, _) => (*reason, why.clone()),
        (_, Some(readiness)) => (readiness.reason(), readiness.message()),
        (Written::To(_), None) if !unproduced.is_empty() => {
            (Reason::KeysMissing, format!("{produced} of {declared} declared connection secret keys are produced"))
        }
        (Written::To(target), None) => {
            (Reason::Available, format!("all {declared} declared connection secret keys are written to {target}"))
        }
    };
    let done = matches!(reason, Reason::Available);
    KeyStatus { written: done, reason, message: bounded(headline, unproduced) }
}

/// `headline`, then each missing key with why, until the message would pass
/// [`MAX_MESSAGE_BYTES`]; the rest are counted.
fn bounded(headline: String, unproduced: &[KeyAccount]) -> String {
    let mut message = headline;
    for (shown, account) in unproduced.iter().enumerate() {
        let separator = if shown == 0 { "; missing: " } else { "; " };
        let why = account.state.reason().unwrap_or_default();
        let entry = format!("{separator}{} ({})", account.key, why);
        let rest = unproduced.len() - shown;
        let tail = format!("; … and {} more", rest);
        if message.len() + entry.len() + if rest > 1 { tail.len() } else { 0 } > MAX_MESSAGE_BYTES {
            message.push_str(&tail);
            break;
        }
        message.push_str(&entry);
    }
    message
}

/// A WARNING for each missing key that what is observed rules out (its
/// composed resource is Ready and lacks it), at most [`MAX_KEY_WARNINGS`]
/// and a count of the rest. Keys waiting on a resource get none: the
/// condition already says they are on their way. A `fromSecretKeyRef`
/// Secret's own WARNING is given where it is fetched.
pub fn warnings(unproduced: &[KeyAccount]) -> Vec<Diagnostic> {
    let ruled_out: Vec<&KeyAccount> = unproduced
        .iter()
        .filter(|account| account.origin == Origin::ComposedResource)
        .filter(|account| matches!(account.state, KeyState::Missing { waiting: false, .. }))
        .collect();
    let mut warnings: Vec<Diagnostic> = ruled_out
        .iter()
        .take(MAX_KEY_WARNINGS)
        .map(|account| {
            Diagnostic::warning(
                Reason::KeyUnavailable,
                format!(
                    "key {:?} ({}) cannot appear from what is observed: {}",
                    account.key.as_str(),
                    account.source,
                    account.state.reason().unwrap_or_default()
                ),
            )
        })
        .collect();
    if ruled_out.len() > MAX_KEY_WARNINGS {
        warnings.push(Diagnostic::warning(
            Reason::KeyUnavailable,
            format!(
                "… and {} more keys cannot appear from what is observed; the condition {CONDITION_TYPE} lists them",
                ruled_out.len() - MAX_KEY_WARNINGS
            ),
        ));
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::KeyName;

    fn missing(key: &str, reason: &str, waiting: bool) -> KeyAccount {
        KeyAccount {
            key: KeyName::new(key).unwrap(),
            source: format!("resources[0] db: fromConnectionSecretKey {key}"),
            origin: Origin::ComposedResource,
            state: KeyState::Missing { reason: reason.to_owned(), waiting },
        }
    }

    fn to_secret() -> Written {
        Written::To("Secret apps/db-conn".to_owned())
    }

    #[test]
    fn every_key_written_is_true() {
        let status = status(3, &[], None, &to_secret());
        assert!(status.written);
        assert_eq!(status.reason, Reason::Available);
        assert_eq!(status.message, "all 3 declared connection secret keys are written to Secret apps/db-conn");
    }

    #[test]
    fn a_missing_key_is_false_and_named_with_why() {
        let unproduced = [missing("endpiont", "the connection secret of db has no key \"endpiont\"", false)];
        let status = status(3, &unproduced, None, &to_secret());
        assert!(!status.written);
        assert_eq!(status.reason, Reason::KeysMissing);
        assert_eq!(
            status.message,
            "2 of 3 declared connection secret keys are produced; missing: endpiont (the connection secret of db \
             has no key \"endpiont\")"
        );
    }

    #[test]
    fn required_keys_missing_say_waiting_and_a_write_that_failed_says_so() {
        let unproduced = [missing("password", "the composed resource db is not observed yet", true)];
        let readiness = Readiness { missing: vec![KeyName::new("password").unwrap()], required: 1 };
        let waiting = status(2, &unproduced, Some(&readiness), &to_secret());
        assert_eq!(waiting.reason, Reason::WaitingForKeys);
        assert!(waiting.message.starts_with("waiting for connection secret keys: password; missing: password ("));

        let ignored = Written::Not {
            reason: Reason::ConnectionDetailsIgnored,
            why: "Crossplane ignores desired.composite.connectionDetails for a v2 XR".to_owned(),
        };
        let status = status(2, &[], None, &ignored);
        assert!(!status.written, "keys that are not written are never reported as written");
        assert_eq!(status.reason, Reason::ConnectionDetailsIgnored);
    }

    #[test]
    fn the_message_is_bounded_and_counts_the_rest() {
        let unproduced: Vec<KeyAccount> = (0..200)
            .map(|i| missing(&format!("key-{i:03}"), "the composed resource db is not observed yet", true))
            .collect();
        let status = status(200, &unproduced, None, &to_secret());
        assert!(status.message.len() <= MAX_MESSAGE_BYTES, "{} bytes", status.message.len());
        let shown = status.message.matches("(the composed resource").count();
        assert!(status.message.ends_with(&format!("; … and {} more", 200 - shown)), "{}", status.message);
    }

    #[test]
    fn only_keys_ruled_out_by_a_ready_resource_warn_and_at_most_ten() {
        let mut unproduced = vec![missing("waits", "db is not Ready yet", true)];
        unproduced.extend((0..12).map(|i| missing(&format!("typo-{i:02}"), "no such key", false)));
        let warnings = warnings(&unproduced);
        assert_eq!(warnings.len(), MAX_KEY_WARNINGS + 1);
        assert!(warnings.iter().all(|warning| !warning.message.contains("\"waits\"")));
        assert_eq!(
            warnings[0].message,
            "key \"typo-00\" (resources[0] db: fromConnectionSecretKey typo-00) cannot appear from what is \
             observed: no such key"
        );
        assert!(warnings[MAX_KEY_WARNINGS].message.starts_with("… and 2 more keys"));
    }
}
