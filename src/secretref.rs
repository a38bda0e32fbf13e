//! `fromSecretKeyRef`: keys of Secrets that already exist. The function
//! cannot read the cluster, so it asks Crossplane for each Secret through
//! requirements and reads the answer on the next call.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use crate::diagnostics::{Diagnostic, Reason};
use crate::input::{Input, SecretKeyRef, Source};
use crate::names::{Namespace, ObjectName};
use crate::secret::SecretBytes;

/// One Secret, by namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SecretId {
    pub namespace: Namespace,
    pub name: ObjectName,
}

impl SecretId {
    /// The key the function asks for this Secret under: the same on every
    /// call, and unambiguous because names cannot hold '/'.
    pub fn requirement_key(&self) -> String {
        format!("secret/{}/{}", self.namespace, self.name)
    }
}

impl fmt::Display for SecretId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// What Crossplane said about a requested Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// Not answered yet: the first call asks.
    NotYet,
    /// Crossplane looked and found no such Secret.
    Missing,
    /// The Secret's `data`, decoded.
    Found(BTreeMap<String, SecretBytes>),
}

/// The referenced Secrets, fetched or not.
#[derive(Debug, Clone, Default)]
pub struct ExistingSecrets {
    default_namespace: Option<Namespace>,
    fetched: BTreeMap<SecretId, Fetched>,
}

impl ExistingSecrets {
    /// Every Secret `input` references, each looked up once with `fetch`.
    /// A reference without a namespace takes the XR's; for a cluster-scoped
    /// XR that is an input error, and so is another namespace than a
    /// namespaced XR's own; both returned as field-path messages.
    pub fn fetch(
        input: &Input,
        composite_namespace: Option<Namespace>,
        fetch: &dyn Fn(&SecretId) -> Fetched,
    ) -> Result<Self, Vec<String>> {
        let mut ids = BTreeSet::new();
        let mut errors = Vec::new();
        for (path, reference) in references(input) {
            match (&reference.namespace, &composite_namespace) {
                (Some(namespace), Some(own)) if namespace != own => errors.push(format!(
                    "{path}.namespace: {namespace} is not the composite's namespace {own}; a namespaced composite \
                     reads Secrets only in its own namespace, as it composes only there (Crossplane fetches \
                     whatever a function asks for, so this function is the gate between tenants)"
                )),
                (Some(namespace), _) | (None, Some(namespace)) => {
                    ids.insert(SecretId { namespace: namespace.clone(), name: reference.name.clone() });
                }
                (None, None) => errors
                    .push(format!("{path}.namespace: is required, because the composite resource is cluster-scoped")),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let fetched = ids.into_iter().map(|id| (id.clone(), fetch(&id))).collect();
        Ok(Self { default_namespace: composite_namespace, fetched })
    }

    /// The Secrets to ask Crossplane for, in a stable order.
    pub fn ids(&self) -> impl Iterator<Item = &SecretId> {
        self.fetched.keys()
    }

    fn id(&self, reference: &SecretKeyRef) -> Option<SecretId> {
        let namespace = reference.namespace.clone().or_else(|| self.default_namespace.clone())?;
        Some(SecretId { namespace, name: reference.name.clone() })
    }

    /// Each Secret `input` reads, with the field that reads it.
    pub fn readers<'i>(&'i self, input: &'i Input) -> impl Iterator<Item = (SecretId, String)> + 'i {
        references(input).filter_map(|(path, reference)| Some((self.id(reference)?, path)))
    }

    /// The referenced value, when the Secret was fetched and holds the key.
    pub fn value(&self, reference: &SecretKeyRef) -> Option<&SecretBytes> {
        match self.fetched.get(&self.id(reference)?)? {
            Fetched::Found(data) => data.get(reference.key.as_str()),
            Fetched::NotYet | Fetched::Missing => None,
        }
    }

    /// Why `reference` has no value, and whether Crossplane's next call may
    /// bring it (`false` once Crossplane has answered without it); `None`
    /// when it has one.
    pub fn why_missing(&self, reference: &SecretKeyRef) -> Option<(String, bool)> {
        let id = self.id(reference)?;
        match self.fetched.get(&id) {
            None | Some(Fetched::NotYet) => {
                Some((format!("Secret {id} has not been fetched yet; Crossplane answers on its next call"), true))
            }
            Some(Fetched::Missing) => Some((format!("Secret {id} was not found"), false)),
            Some(Fetched::Found(data)) if !data.contains_key(reference.key.as_str()) => {
                let absent = crate::spelling::absent_key(reference.key.as_str(), data.keys().map(String::as_str));
                Some((format!("Secret {id} has {absent}"), false))
            }
            Some(Fetched::Found(_)) => None,
        }
    }

    /// A WARNING for each Secret Crossplane could not find and each key a
    /// found Secret lacks (ASO reports these as SecretNotFound).
    pub fn problems(&self, input: &Input) -> Vec<Diagnostic> {
        let mut warned = BTreeSet::new();
        let mut problems = Vec::new();
        for (path, reference) in references(input) {
            let Some(id) = self.id(reference) else { continue };
            let problem = match self.fetched.get(&id) {
                Some(Fetched::Missing) if warned.insert(id.to_string()) => Diagnostic::warning(
                    Reason::SecretNotFound,
                    format!("Secret {id}, which {path} reads, does not exist; its keys stay pending until it does"),
                ),
                Some(Fetched::Found(data))
                    if !data.contains_key(reference.key.as_str())
                        && warned.insert(format!("{id} {}", reference.key)) =>
                {
                    Diagnostic::warning(
                        Reason::SecretKeyNotFound,
                        format!("Secret {id} has no key {:?}, which {path} reads", reference.key.as_str()),
                    )
                }
                _ => continue,
            };
            problems.push(problem);
        }
        problems
    }
}

/// Every `fromSecretKeyRef` with its field path.
fn references(input: &Input) -> impl Iterator<Item = (String, &SecretKeyRef)> {
    input.resources.iter().enumerate().flat_map(|(i, entry)| {
        entry.connection_details.iter().enumerate().filter_map(move |(j, detail)| match &detail.source {
            Source::SecretKeyRef(reference) => {
                Some((format!("resources[{i}].connectionDetails[{j}].fromSecretKeyRef"), reference))
            }
            _ => None,
        })
    })
}

/// A fetched Secret's `data`, base64-decoded. `stringData` exists only on
/// writes, so it is not read; a value that is not base64 is left out.
pub fn read_secret(object: &Value) -> Fetched {
    let data = object
        .get("data")
        .and_then(Value::as_object)
        .map(|data| {
            data.iter()
                .filter_map(|(key, value)| {
                    let decoded = BASE64.decode(value.as_str()?).ok()?;
                    Some((key.clone(), SecretBytes::new(decoded)))
                })
                .collect()
        })
        .unwrap_or_default();
    Fetched::Found(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse;
    use serde_json::json;

    fn input() -> Input {
        input_reading_shared_in("apps")
    }

    fn input_reading_shared_in(namespace: &str) -> Input {
        parse(&json!({
            "apiVersion": crate::input::API_VERSION, "kind": crate::input::KIND,
            "resources": [{"name": "server", "connectionDetails": [
                {"name": "admin", "fromSecretKeyRef": {"name": "server-admin-pw", "key": "password"}},
                {"name": "other", "fromSecretKeyRef": {"name": "server-admin-pw", "key": "user"}},
                {"fromSecretKeyRef": {"name": "shared", "key": "token", "namespace": namespace}},
            ]}],
        }))
        .unwrap()
    }

    #[test]
    fn asks_for_each_secret_once_under_a_stable_key() {
        let existing = ExistingSecrets::fetch(&input(), Namespace::new("apps").ok(), &|_| Fetched::NotYet).unwrap();
        let keys: Vec<String> = existing.ids().map(SecretId::requirement_key).collect();
        assert_eq!(keys, ["secret/apps/server-admin-pw", "secret/apps/shared"]);
    }

    #[test]
    fn a_namespaced_xr_reads_only_its_own_namespace_and_a_cluster_scoped_one_any() {
        let errors =
            ExistingSecrets::fetch(&input_reading_shared_in("kube-system"), Namespace::new("apps").ok(), &|_| {
                Fetched::NotYet
            })
            .unwrap_err();
        assert_eq!(
            errors,
            ["resources[0].connectionDetails[2].fromSecretKeyRef.namespace: kube-system is not the composite's \
              namespace apps; a namespaced composite reads Secrets only in its own namespace, as it composes only \
              there (Crossplane fetches whatever a function asks for, so this function is the gate between tenants)"]
        );
        let mut cluster_scoped = input_reading_shared_in("kube-system");
        cluster_scoped.resources[0].connection_details.drain(..2);
        let existing = ExistingSecrets::fetch(&cluster_scoped, None, &|_| Fetched::NotYet).unwrap();
        let keys: Vec<String> = existing.ids().map(SecretId::requirement_key).collect();
        assert_eq!(keys, ["secret/kube-system/shared"]);
    }

    #[test]
    fn a_cluster_scoped_xr_needs_namespaces_on_its_references() {
        let errors = ExistingSecrets::fetch(&input(), None, &|_| Fetched::NotYet).unwrap_err();
        assert_eq!(
            errors,
            [
                "resources[0].connectionDetails[0].fromSecretKeyRef.namespace: is required, because the composite resource is cluster-scoped",
                "resources[0].connectionDetails[1].fromSecretKeyRef.namespace: is required, because the composite resource is cluster-scoped",
            ]
        );
    }

    #[test]
    fn reads_values_and_names_missing_secrets_and_keys() {
        let fetch = |id: &SecretId| match id.name.as_str() {
            "server-admin-pw" => read_secret(&json!({"data": {"password": "cHc=", "bad": "%%%"}})),
            _ => Fetched::Missing,
        };
        let input = input();
        let existing = ExistingSecrets::fetch(&input, Namespace::new("apps").ok(), &fetch).unwrap();
        let Source::SecretKeyRef(admin) = &input.resources[0].connection_details[0].source else { panic!() };
        assert_eq!(existing.value(admin).unwrap().expose(), b"pw");
        let messages: Vec<String> = existing.problems(&input).into_iter().map(|d| d.message).collect();
        assert_eq!(
            messages,
            [
                "Secret apps/server-admin-pw has no key \"user\", which resources[0].connectionDetails[1].fromSecretKeyRef reads",
                "Secret apps/shared, which resources[0].connectionDetails[2].fromSecretKeyRef reads, does not exist; its keys stay pending until it does",
            ]
        );
    }
}
