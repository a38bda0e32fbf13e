//! The function input (`connection.fn.crossplane.io/v1beta1`,
//! `kind: ConnectionDetails`), parsed and validated in one pass.
//!
//! Every problem is reported with the field path where it was found
//! (`resources[1].connectionDetails[0].name`) and never with the value that
//! was found there: a `value:` may be a password.

mod fields;
mod reader;
mod references;
#[cfg(test)]
mod tests;
mod transforms;

use std::fmt;

use serde_json::Value;

use crate::fieldpath::FieldPath;
use crate::metadata::ObjectMetadata;
use crate::names::{KeyName, Namespace, ObjectName};
use crate::output::ResourceNameTemplate;
use crate::secret::SecretBytes;
use crate::secrettype::SecretType;
use crate::transforms::{GoFormat, Transform};

pub const API_VERSION: &str = "connection.fn.crossplane.io/v1beta1";
pub const KIND: &str = "ConnectionDetails";

#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub resources: Vec<ResourceEntry>,
    /// The allow-list of the combined secret; empty keeps every key.
    pub connection_secret_keys: Vec<KeyName>,
    pub write_connection_secret_to_ref: Option<SecretRef>,
    pub write_connection_secrets_to_namespace: Option<Namespace>,
    pub mode: Mode,
    pub required_keys: RequiredKeys,
    /// Keys computed from other keys, in order.
    pub derived: Vec<DerivedKey>,
    /// ASO-style copies of produced keys into other Secrets.
    pub secrets: Vec<FanOut>,
    /// The same into ConfigMaps.
    pub config_maps: Vec<FanOut>,
    /// Labels and annotations of the combined Secret.
    pub connection_secret_metadata: ObjectMetadata,
    /// The combined Secret's key in `desired.resources`, when not the
    /// default `connection-secret`.
    pub connection_secret_resource_name: Option<ResourceNameTemplate>,
    /// External Secrets `PushSecret`s copying written Secrets to a store.
    pub push_secrets: Vec<PushSecretSpec>,
}

/// One `pushSecrets[]` item: keys of a Secret this step writes, pushed by
/// External Secrets Operator to a SecretStore or ClusterSecretStore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSecretSpec {
    /// The PushSecret's name; defaults to `<secret>-<store>`.
    pub name: Option<ObjectName>,
    /// The Secret pushed; `None` is the combined Secret.
    pub secret: Option<ObjectName>,
    pub store_name: ObjectName,
    pub store_kind: StoreKind,
    /// Where the keys land in the store: one remote object, a property per
    /// key. It may hold `$(xr-name)`, `$(xr-namespace)` and `$(xr-uid)`;
    /// `None` only while a patch is yet to set it.
    pub remote_key: Option<String>,
    /// Patches of `remoteKey` from the XR, in the form of the Secret name's.
    pub patches: Vec<RefPatch<PushField>>,
    /// `sharedRemoteKey`: the remote key is meant to be the same for every
    /// XR, so a ClusterSecretStore push need not name the XR in it.
    pub shared_remote_key: bool,
    /// Empty pushes every key of the Secret.
    pub keys: Vec<KeyName>,
    /// Passed through to ESO, checked only for shape.
    pub refresh_interval: Option<String>,
    pub update_policy: Option<&'static str>,
    pub deletion_policy: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StoreKind {
    #[default]
    SecretStore,
    ClusterSecretStore,
}

impl StoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SecretStore => "SecretStore",
            Self::ClusterSecretStore => "ClusterSecretStore",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedKey {
    pub name: KeyName,
    /// A MiniJinja template, checked to parse.
    pub template: String,
}

/// One `secrets[]` or `configMaps[]` item: produced key `key` goes to key
/// `to_key` of the object `to_name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FanOut {
    pub key: KeyName,
    pub to_name: ObjectName,
    pub to_key: KeyName,
    pub to_namespace: Option<Namespace>,
    /// `to.metadata`: merged with the other items of the same destination.
    pub metadata: ObjectMetadata,
    /// `to.type`, Secrets only; `None` leaves it to the other items of the
    /// same destination, else Opaque.
    pub secret_type: Option<SecretType>,
    /// `to.allowSecretValue`, ConfigMaps only: the user's explicit consent
    /// to a value from a secret being stored in plain text.
    pub allow_secret_value: bool,
}

/// `fromSecretKeyRef`: a key of an existing Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretKeyRef {
    pub name: ObjectName,
    pub key: KeyName,
    /// Defaults to the XR's namespace.
    pub namespace: Option<Namespace>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceEntry {
    /// The composition resource name: a key of `observed.resources`.
    pub name: String,
    pub connection_details: Vec<ConnectionDetail>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionDetail {
    pub name: KeyName,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    ConnectionSecretKey(KeyName),
    FieldPath(FieldPath),
    Value(SecretBytes),
    SecretKeyRef(SecretKeyRef),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Composite for a legacy XR, Secret for a modern one.
    #[default]
    Auto,
    Composite,
    Secret,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RequiredKeys {
    #[default]
    None,
    /// Every key that some entry declares.
    All,
    Keys(Vec<KeyName>),
}

/// `writeConnectionSecretToRef`: a name and namespace, each possibly set
/// from the XR by patches in function-patch-and-transform's form, so that a
/// Composition moving from P&T keeps its Secret's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    /// `None` only while a patch is yet to set it.
    pub name: Option<ObjectName>,
    pub namespace: Option<Namespace>,
    pub patches: Vec<RefPatch>,
}

/// A patch from the XR, in function-patch-and-transform's form: of
/// `writeConnectionSecretToRef` (`To` is [`RefField`]) or of a push's
/// `remoteKey` ([`PushField`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefPatch<To = RefField> {
    pub source: PatchSource,
    /// Applied in order to the source's value, as P&T applies them.
    pub transforms: Vec<Transform>,
    pub to: To,
}

/// Where a patch's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchSource {
    /// `FromCompositeFieldPath`: the XR's value at this path, as it is.
    Field(FieldPath),
    /// `CombineFromComposite` with the string strategy: the values at
    /// these paths, formatted.
    Combine { variables: Vec<FieldPath>, format: GoFormat },
}

impl PatchSource {
    /// The XR fields it reads.
    pub fn paths(&self) -> &[FieldPath] {
        match self {
            Self::Field(path) => std::slice::from_ref(path),
            Self::Combine { variables, .. } => variables,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefField {
    Name,
    Namespace,
}

/// What a `pushSecrets[].patches` item may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushField {
    RemoteKey,
}

/// Where a key comes from, as users read it: `resources[3] key2`, `derived[0]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceLabel<'i> {
    Resource { index: usize, resource: &'i str },
    Derived { index: usize },
}

impl fmt::Display for SourceLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Resource { index, resource } => write!(f, "resources[{index}] {resource}"),
            Self::Derived { index } => write!(f, "derived[{index}]"),
        }
    }
}

impl Input {
    /// Every (key, where it comes from) pair, in evaluation order: the
    /// resources' entries, then derived keys.
    pub fn declared_keys(&self) -> impl Iterator<Item = (&KeyName, SourceLabel<'_>)> {
        let from_resources = self.resources.iter().enumerate().flat_map(|(index, entry)| {
            entry
                .connection_details
                .iter()
                .map(move |detail| (&detail.name, SourceLabel::Resource { index, resource: &entry.name }))
        });
        let derived = self.derived.iter().enumerate().map(|(index, key)| (&key.name, SourceLabel::Derived { index }));
        from_resources.chain(derived)
    }
}

/// One problem in the input, at a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() { f.write_str(&self.message) } else { write!(f, "{}: {}", self.path, self.message) }
    }
}

/// All problems found in one input, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputErrors(pub Vec<InputError>);

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid function input ({API_VERSION} {KIND}): ")?;
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputErrors {}

/// Parses and validates an input. All problems are collected, so one run
/// tells the user everything that needs fixing.
pub fn parse(input: &Value) -> Result<Input, InputErrors> {
    let mut reader = reader::Reader::default();
    let parsed = reader.input(input);
    match parsed {
        Some(input) if reader.errors.is_empty() => Ok(input),
        _ => Err(InputErrors(reader.errors)),
    }
}
