//! `readiness.requiredKeys`: hold readiness until the secrets are written,
//! the way Azure Service Operator keeps a resource unready until its
//! `operatorSpec.secrets` exist.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostics::Reason;
use crate::input::{Input, RequiredKeys};
use crate::names::KeyName;
use crate::secret::SecretBytes;

/// How soon Crossplane should call again while keys are missing.
pub const TTL_WAITING_SECONDS: i64 = 15;
/// How soon Crossplane should call again otherwise.
pub const TTL_SECONDS: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    /// Required keys not produced yet, sorted.
    pub missing: Vec<KeyName>,
    pub required: usize,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.missing.is_empty()
    }

    pub fn reason(&self) -> Reason {
        if self.is_ready() { Reason::Available } else { Reason::WaitingForKeys }
    }

    pub fn message(&self) -> String {
        if self.is_ready() {
            format!("all {} required connection secret keys are present", self.required)
        } else {
            let missing: Vec<&str> = self.missing.iter().map(KeyName::as_str).collect();
            format!("waiting for connection secret keys: {}", missing.join(", "))
        }
    }
}

/// `None` when the input requires no keys. Keys are checked before the
/// allow-list, since fan-out destinations need them too.
pub fn evaluate(input: &Input, produced: &BTreeMap<KeyName, SecretBytes>) -> Option<Readiness> {
    let required: BTreeSet<&KeyName> = match &input.required_keys {
        RequiredKeys::None => return None,
        RequiredKeys::All => input.declared_keys().map(|(key, _)| key).collect(),
        RequiredKeys::Keys(keys) => keys.iter().collect(),
    };
    let missing = required.iter().filter(|key| !produced.contains_key(**key)).map(|key| (*key).clone()).collect();
    Some(Readiness { missing, required: required.len() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse;
    use serde_json::json;

    fn input(required: serde_json::Value) -> Input {
        parse(&json!({
            "apiVersion": crate::input::API_VERSION, "kind": crate::input::KIND,
            "resources": [{"name": "db", "connectionDetails": [
                {"fromConnectionSecretKey": "username"},
                {"fromConnectionSecretKey": "password"},
                {"name": "port", "value": "5432"},
            ]}],
            "readiness": {"requiredKeys": required},
        }))
        .unwrap()
    }

    fn produced(names: &[&str]) -> BTreeMap<KeyName, SecretBytes> {
        names.iter().map(|n| (KeyName::new(n).unwrap(), SecretBytes::new(vec![1]))).collect()
    }

    #[test]
    fn lists_missing_required_keys() {
        let readiness = evaluate(&input(json!(["username", "password"])), &produced(&["port"])).unwrap();
        assert!(!readiness.is_ready());
        assert_eq!(readiness.message(), "waiting for connection secret keys: password, username");
        assert_eq!(readiness.reason(), Reason::WaitingForKeys);
    }

    #[test]
    fn all_means_every_declared_key() {
        let waiting = evaluate(&input(json!("All")), &produced(&["username", "password"])).unwrap();
        assert_eq!(waiting.message(), "waiting for connection secret keys: port");
        let ready = evaluate(&input(json!("All")), &produced(&["username", "password", "port"])).unwrap();
        assert!(ready.is_ready());
        assert_eq!(ready.message(), "all 3 required connection secret keys are present");
        assert_eq!(ready.reason(), Reason::Available);
    }

    #[test]
    fn nothing_required_means_no_readiness_report() {
        assert_eq!(evaluate(&input(json!([])), &produced(&[])), None);
    }
}
