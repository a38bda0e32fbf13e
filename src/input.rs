//! The function input (`connection.fn.crossplane.io/v1beta1`,
//! `kind: ConnectionDetails`), parsed and validated in one pass.
//!
//! Every problem is reported with the field path where it was found
//! (`resources[1].connectionDetails[0].name`) and never with the value that
//! was found there: a `value:` may be a password.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value};

use crate::derive;
use crate::fieldpath::FieldPath;
use crate::names::{KeyName, NameError, Namespace, ObjectName};
use crate::secret::SecretBytes;
use crate::spelling;

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    pub name: ObjectName,
    pub namespace: Option<Namespace>,
}

/// Where a key comes from, as users read it: `resources[3] key2`, `derived[0]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceLabel {
    Resource { index: usize, resource: String },
    Derived { index: usize },
}

impl fmt::Display for SourceLabel {
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
    pub fn declared_keys(&self) -> impl Iterator<Item = (&KeyName, SourceLabel)> {
        let from_resources = self.resources.iter().enumerate().flat_map(|(index, entry)| {
            entry
                .connection_details
                .iter()
                .map(move |detail| (&detail.name, SourceLabel::Resource { index, resource: entry.name.clone() }))
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
    let mut reader = Reader::default();
    let parsed = reader.input(input);
    match parsed {
        Some(input) if reader.errors.is_empty() => Ok(input),
        _ => Err(InputErrors(reader.errors)),
    }
}

const TOP_LEVEL_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "resources",
    "connectionSecretKeys",
    "writeConnectionSecretToRef",
    "writeConnectionSecretsToNamespace",
    "mode",
    "readiness",
    "derived",
    "secrets",
    "configMaps",
];
/// For objects whose fields are not ours to check.
const ANY_FIELDS: &[&str] = &[];
const DETAIL_FIELDS: &[&str] =
    &["name", "type", "value", "fromConnectionSecretKey", "fromFieldPath", "fromSecretKeyRef"];

/// A field path into the input, built as the reader descends.
#[derive(Clone, Default)]
struct Path(String);

impl Path {
    fn field(&self, name: &str) -> Path {
        if self.0.is_empty() { Path(name.to_owned()) } else { Path(format!("{}.{name}", self.0)) }
    }

    fn index(&self, index: usize) -> Path {
        Path(format!("{}[{index}]", self.0))
    }
}

#[derive(Default)]
struct Reader {
    errors: Vec<InputError>,
}

impl Reader {
    fn fail(&mut self, path: &Path, message: impl Into<String>) {
        self.errors.push(InputError { path: path.0.clone(), message: message.into() });
    }

    fn input(&mut self, value: &Value) -> Option<Input> {
        let root = Path::default();
        let map = self.object(value, &root, TOP_LEVEL_FIELDS)?;
        self.expect_constant(map, &root, "apiVersion", API_VERSION);
        self.expect_constant(map, &root, "kind", KIND);
        // Kubernetes-style metadata is allowed and carries nothing we use.
        if let Some(metadata) = map.get("metadata") {
            self.object(metadata, &root.field("metadata"), ANY_FIELDS);
        }
        let resources = self.resources(map.get("resources"), &root.field("resources"));
        let connection_secret_keys =
            self.key_list(map.get("connectionSecretKeys"), &root.field("connectionSecretKeys"));
        let write_connection_secret_to_ref = map
            .get("writeConnectionSecretToRef")
            .and_then(|v| self.secret_ref(v, &root.field("writeConnectionSecretToRef")));
        let write_connection_secrets_to_namespace = map
            .get("writeConnectionSecretsToNamespace")
            .and_then(|v| self.name(v, &root.field("writeConnectionSecretsToNamespace"), Namespace::new));
        let mode = self.mode(map.get("mode"), &root.field("mode"));
        let required_keys = self.readiness(map.get("readiness"), &root.field("readiness"));
        let derived = self.derived(map.get("derived"), &root.field("derived"));
        let secrets = self.fan_outs(map.get("secrets"), &root.field("secrets"));
        let config_maps = self.fan_outs(map.get("configMaps"), &root.field("configMaps"));
        let input = Input {
            resources,
            connection_secret_keys,
            write_connection_secret_to_ref,
            write_connection_secrets_to_namespace,
            mode,
            required_keys,
            derived,
            secrets,
            config_maps,
        };
        self.references_are_declared(&input, &root);
        Some(input)
    }

    /// Keys that readiness, fan-out or templates name must be produced by
    /// some entry: otherwise readiness is never reached, a destination never
    /// filled, a derived key never computed.
    fn references_are_declared(&mut self, input: &Input, root: &Path) {
        let declared: BTreeSet<&str> = input.declared_keys().map(|(key, _)| key.as_str()).collect();
        let check = |reader: &mut Self, path: &Path, key: &str, consequence: &str| {
            if !declared.contains(key) {
                let hint = spelling::closest(key, declared.iter().copied())
                    .map(|close| format!("; did you mean {close:?}?"))
                    .unwrap_or_default();
                reader.fail(path, format!("no entry produces {key:?}, so {consequence}{hint}"));
            }
        };
        if let RequiredKeys::Keys(required) = &input.required_keys {
            let path = root.field("readiness").field("requiredKeys");
            for (i, key) in required.iter().enumerate() {
                check(self, &path.index(i), key.as_str(), "readiness would never be reached");
            }
        }
        for (field, items) in [("secrets", &input.secrets), ("configMaps", &input.config_maps)] {
            for (i, item) in items.iter().enumerate() {
                let path = root.field(field).index(i).field("key");
                check(self, &path, item.key.as_str(), "it would never be copied");
            }
        }
        for (i, derived) in input.derived.iter().enumerate() {
            let path = root.field("derived").index(i).field("template");
            for variable in derive::plain_variables(&derived.template) {
                if !declared.contains(variable.as_str()) && !derive::is_global(&variable) {
                    check(self, &path, &variable, "the template could never be rendered");
                }
            }
        }
    }

    fn derived(&mut self, value: Option<&Value>, path: &Path) -> Vec<DerivedKey> {
        self.list(value, path, Self::derived_key)
    }

    fn derived_key(&mut self, item: &Value, path: &Path) -> Option<DerivedKey> {
        let map = self.object(item, path, &["name", "template"])?;
        let name = self.required_name(map, path, "name", KeyName::new);
        let template_path = path.field("template");
        let template = match map.get("template") {
            Some(value) => self.string(value, &template_path),
            None => {
                self.fail(&template_path, "is required");
                None
            }
        }?;
        if let Err(problem) = derive::check(template) {
            let key = name.as_ref().map(|name| format!(" for key {:?}", name.as_str())).unwrap_or_default();
            self.fail(&template_path, format!("is not a valid template{key}: {problem}"));
            return None;
        }
        Some(DerivedKey { name: name?, template: template.to_owned() })
    }

    fn fan_outs(&mut self, value: Option<&Value>, path: &Path) -> Vec<FanOut> {
        self.list(value, path, Self::fan_out)
    }

    fn fan_out(&mut self, item: &Value, path: &Path) -> Option<FanOut> {
        let map = self.object(item, path, &["key", "to"])?;
        let key = self.required_name(map, path, "key", KeyName::new);
        let to_path = path.field("to");
        let Some(to) = map.get("to") else {
            self.fail(&to_path, "is required: the destination's name and key");
            return None;
        };
        let to = self.object(to, &to_path, &["name", "key", "namespace"])?;
        let to_name = self.required_name(to, &to_path, "name", ObjectName::new);
        let to_key = to.get("key").map(|v| self.name(v, &to_path.field("key"), KeyName::new));
        let to_namespace = to.get("namespace").and_then(|v| self.name(v, &to_path.field("namespace"), Namespace::new));
        let key = key?;
        let to_key = match to_key {
            Some(parsed) => parsed?,
            None => key.clone(),
        };
        Some(FanOut { key, to_name: to_name?, to_key, to_namespace })
    }

    /// An object whose fields are all among `known`; each other field is
    /// reported (as not supported yet where SPEC §4 defines it).
    fn object<'v>(&mut self, value: &'v Value, path: &Path, known: &[&str]) -> Option<&'v Map<String, Value>> {
        let Value::Object(map) = value else {
            self.fail(path, format!("must be an object, not {}", kind_of(value)));
            return None;
        };
        if known != ANY_FIELDS {
            for field in map.keys().filter(|field| !known.contains(&field.as_str())) {
                self.fail(&path.field(field), format!("unknown field; expected one of {}", known.join(", ")));
            }
        }
        Some(map)
    }

    fn string<'v>(&mut self, value: &'v Value, path: &Path) -> Option<&'v str> {
        match value {
            Value::String(s) => Some(s),
            other => {
                self.fail(path, format!("must be a string, not {}", kind_of(other)));
                None
            }
        }
    }

    fn array<'v>(&mut self, value: Option<&'v Value>, path: &Path) -> &'v [Value] {
        match value {
            None | Some(Value::Null) => &[],
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.fail(path, format!("must be a list, not {}", kind_of(other)));
                &[]
            }
        }
    }

    /// Parses each item of an optional list, keeping those that parse.
    fn list<T>(
        &mut self,
        value: Option<&Value>,
        path: &Path,
        mut item: impl FnMut(&mut Self, &Value, &Path) -> Option<T>,
    ) -> Vec<T> {
        let items = self.array(value, path);
        items.iter().enumerate().filter_map(|(i, value)| item(self, value, &path.index(i))).collect()
    }

    fn name<T>(&mut self, value: &Value, path: &Path, make: fn(&str) -> Result<T, NameError>) -> Option<T> {
        let text = self.string(value, path)?;
        make(text).map_err(|error| self.fail(path, error.to_string())).ok()
    }

    fn required_name<T>(
        &mut self,
        map: &Map<String, Value>,
        path: &Path,
        field: &str,
        make: fn(&str) -> Result<T, NameError>,
    ) -> Option<T> {
        match map.get(field) {
            Some(value) => self.name(value, &path.field(field), make),
            None => {
                self.fail(&path.field(field), "is required");
                None
            }
        }
    }

    fn expect_constant(&mut self, map: &Map<String, Value>, path: &Path, field: &str, expected: &str) {
        let path = path.field(field);
        match map.get(field) {
            None => self.fail(&path, format!("is required; set it to {expected}")),
            Some(value) => {
                if self.string(value, &path).is_some_and(|found| found != expected) {
                    self.fail(&path, format!("must be {expected}"));
                }
            }
        }
    }

    fn resources(&mut self, value: Option<&Value>, path: &Path) -> Vec<ResourceEntry> {
        let mut first_index_of_name: BTreeMap<String, usize> = BTreeMap::new();
        let mut entries = Vec::new();
        for (index, item) in self.array(value, path).iter().enumerate() {
            let item_path = path.index(index);
            let Some(entry) = self.resource_entry(item, &item_path) else { continue };
            if let Some(first) = first_index_of_name.get(&entry.name) {
                self.fail(&item_path.field("name"), format!("duplicates resources[{first}].name {:?}", entry.name));
            } else {
                first_index_of_name.insert(entry.name.clone(), index);
            }
            entries.push(entry);
        }
        entries
    }

    fn resource_entry(&mut self, value: &Value, path: &Path) -> Option<ResourceEntry> {
        let map = self.object(value, path, &["name", "connectionDetails"])?;
        let name_path = path.field("name");
        let name = match map.get("name") {
            None => {
                self.fail(&name_path, "is required: the composition resource name");
                None
            }
            Some(value) => match self.string(value, &name_path) {
                Some("") => {
                    self.fail(&name_path, "must not be empty");
                    None
                }
                other => other,
            },
        };
        let connection_details =
            self.list(map.get("connectionDetails"), &path.field("connectionDetails"), Self::connection_detail);
        Some(ResourceEntry { name: name?.to_owned(), connection_details })
    }

    fn connection_detail(&mut self, value: &Value, path: &Path) -> Option<ConnectionDetail> {
        let map = self.object(value, path, DETAIL_FIELDS)?;
        let kind = self.detail_type(map, path)?;
        let field_path = path.field(kind.field());
        let Some(field_value) = map.get(kind.field()) else {
            self.fail(&field_path, format!("is required when type is {}", kind.name()));
            return None;
        };
        let source = match kind {
            DetailType::FromValue => {
                Source::Value(SecretBytes::new(self.string(field_value, &field_path)?.as_bytes().to_vec()))
            }
            DetailType::FromConnectionSecretKey => {
                Source::ConnectionSecretKey(self.name(field_value, &field_path, KeyName::new)?)
            }
            DetailType::FromFieldPath => {
                let text = self.string(field_value, &field_path)?;
                match FieldPath::parse(text) {
                    Ok(parsed) => Source::FieldPath(parsed),
                    Err(error) => {
                        self.fail(&field_path, format!("is not a valid field path: {error}"));
                        return None;
                    }
                }
            }
            DetailType::FromSecretKeyRef => Source::SecretKeyRef(self.secret_key_ref(field_value, &field_path)?),
        };
        let name = match (map.get("name"), &source) {
            (Some(value), _) => self.name(value, &path.field("name"), KeyName::new)?,
            (None, Source::ConnectionSecretKey(key)) => key.clone(),
            (None, Source::SecretKeyRef(reference)) => reference.key.clone(),
            (None, _) => {
                self.fail(&path.field("name"), format!("is required for type {}", kind.name()));
                return None;
            }
        };
        Some(ConnectionDetail { name, source })
    }

    /// The explicit `type`, else the first source field present in the
    /// order value, fromConnectionSecretKey, fromFieldPath, fromSecretKeyRef.
    fn detail_type(&mut self, map: &Map<String, Value>, path: &Path) -> Option<DetailType> {
        if let Some(value) = map.get("type") {
            let type_path = path.field("type");
            let name = self.string(value, &type_path)?;
            let found = DetailType::ALL.into_iter().find(|kind| kind.name() == name);
            if found.is_none() {
                let names: Vec<_> = DetailType::ALL.iter().map(|kind| kind.name()).collect();
                self.fail(&type_path, format!("must be one of {}", names.join(", ")));
            }
            return found;
        }
        let inferred = DetailType::ALL.into_iter().find(|kind| map.contains_key(kind.field()));
        if inferred.is_none() {
            self.fail(path, "needs one of value, fromConnectionSecretKey, fromFieldPath or fromSecretKeyRef");
        }
        inferred
    }

    fn key_list(&mut self, value: Option<&Value>, path: &Path) -> Vec<KeyName> {
        self.list(value, path, |reader, item, item_path| reader.name(item, item_path, KeyName::new))
    }

    fn secret_key_ref(&mut self, value: &Value, path: &Path) -> Option<SecretKeyRef> {
        let map = self.object(value, path, &["name", "key", "namespace"])?;
        let name = self.required_name(map, path, "name", ObjectName::new);
        let key = self.required_name(map, path, "key", KeyName::new);
        let namespace = map.get("namespace").and_then(|v| self.name(v, &path.field("namespace"), Namespace::new));
        Some(SecretKeyRef { name: name?, key: key?, namespace })
    }

    fn secret_ref(&mut self, value: &Value, path: &Path) -> Option<SecretRef> {
        let map = self.object(value, path, &["name", "namespace"])?;
        let namespace = map.get("namespace").and_then(|v| self.name(v, &path.field("namespace"), Namespace::new));
        let name = self.required_name(map, path, "name", ObjectName::new)?;
        Some(SecretRef { name, namespace })
    }

    fn mode(&mut self, value: Option<&Value>, path: &Path) -> Mode {
        let Some(value) = value else { return Mode::Auto };
        match self.string(value, path) {
            Some("Auto") => Mode::Auto,
            Some("Composite") => Mode::Composite,
            Some("Secret") => Mode::Secret,
            Some(_) => {
                self.fail(path, "must be one of Auto, Composite, Secret");
                Mode::Auto
            }
            None => Mode::Auto,
        }
    }

    fn readiness(&mut self, value: Option<&Value>, path: &Path) -> RequiredKeys {
        let Some(map) = value.and_then(|v| self.object(v, path, &["requiredKeys"])) else {
            return RequiredKeys::None;
        };
        let keys_path = path.field("requiredKeys");
        match map.get("requiredKeys") {
            None | Some(Value::Null) => RequiredKeys::None,
            Some(Value::String(all)) if all == "All" => RequiredKeys::All,
            Some(Value::String(_)) => {
                self.fail(&keys_path, "must be the string \"All\" or a list of key names");
                RequiredKeys::None
            }
            Some(list) => {
                let keys = self.key_list(Some(list), &keys_path);
                if keys.is_empty() { RequiredKeys::None } else { RequiredKeys::Keys(keys) }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names, reason = "the variants are the input's `type` values")]
enum DetailType {
    FromValue,
    FromConnectionSecretKey,
    FromFieldPath,
    FromSecretKeyRef,
}

impl DetailType {
    /// In inference order.
    const ALL: [DetailType; 4] =
        [Self::FromValue, Self::FromConnectionSecretKey, Self::FromFieldPath, Self::FromSecretKeyRef];

    fn name(self) -> &'static str {
        match self {
            Self::FromValue => "FromValue",
            Self::FromConnectionSecretKey => "FromConnectionSecretKey",
            Self::FromFieldPath => "FromFieldPath",
            Self::FromSecretKeyRef => "FromSecretKeyRef",
        }
    }

    /// The field that holds this type's source.
    fn field(self) -> &'static str {
        match self {
            Self::FromValue => "value",
            Self::FromConnectionSecretKey => "fromConnectionSecretKey",
            Self::FromFieldPath => "fromFieldPath",
            Self::FromSecretKeyRef => "fromSecretKeyRef",
        }
    }
}

/// How a JSON value's kind reads in a message; the value itself is never shown.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal(extra: Value) -> Value {
        let mut input = json!({"apiVersion": API_VERSION, "kind": KIND});
        input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        input
    }

    fn errors(input: Value) -> Vec<String> {
        parse(&input).unwrap_err().0.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn parses_every_source_type_and_default() {
        let input = parse(&minimal(json!({
            "resources": [{"name": "db", "connectionDetails": [
                {"fromConnectionSecretKey": "username"},
                {"name": "user2", "fromConnectionSecretKey": "username"},
                {"name": "endpoint", "fromFieldPath": "status.atProvider.address"},
                {"name": "port", "value": "5432"},
                {"name": "typed", "type": "FromValue", "value": "x", "fromFieldPath": "a"},
            ]}],
        })))
        .unwrap();
        let details = &input.resources[0].connection_details;
        let names: Vec<_> = details.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["username", "user2", "endpoint", "port", "typed"]);
        assert!(matches!(&details[0].source, Source::ConnectionSecretKey(k) if k.as_str() == "username"));
        assert!(matches!(&details[2].source, Source::FieldPath(p) if p.to_string() == "status.atProvider.address"));
        assert!(matches!(&details[3].source, Source::Value(v) if v.expose() == b"5432"));
        assert!(matches!(&details[4].source, Source::Value(_)));
        assert_eq!(input.mode, Mode::Auto);
        assert_eq!(input.required_keys, RequiredKeys::None);
    }

    #[test]
    fn inference_prefers_value_then_secret_key_then_field_path() {
        let input = parse(&minimal(json!({"resources": [{"name": "r", "connectionDetails": [
            {"name": "a", "fromFieldPath": "x", "fromConnectionSecretKey": "k"},
        ]}]})))
        .unwrap();
        assert!(matches!(input.resources[0].connection_details[0].source, Source::ConnectionSecretKey(_)));
    }

    #[test]
    fn parses_destination_mode_and_readiness() {
        let input = parse(&minimal(json!({
            "metadata": {"name": "ignored"},
            "connectionSecretKeys": ["username", "password"],
            "writeConnectionSecretToRef": {"name": "app-db", "namespace": "default"},
            "writeConnectionSecretsToNamespace": "crossplane-system",
            "mode": "Secret",
            "readiness": {"requiredKeys": "All"},
        })))
        .unwrap();
        assert_eq!(input.connection_secret_keys.len(), 2);
        let target = input.write_connection_secret_to_ref.unwrap();
        assert_eq!((target.name.as_str(), target.namespace.unwrap().as_str()), ("app-db", "default"));
        assert_eq!(input.write_connection_secrets_to_namespace.unwrap().as_str(), "crossplane-system");
        assert_eq!(input.mode, Mode::Secret);
        assert_eq!(input.required_keys, RequiredKeys::All);
    }

    #[test]
    fn reports_every_problem_with_its_field_path() {
        let found = errors(json!({
            "apiVersion": "connection.fn.crossplane.io/v1",
            "kind": "Connection",
            "resources": [
                {"name": "a", "connectionDetails": [{"name": "ok", "value": "v"}]},
                {"name": "a", "connectionDetails": [
                    {"name": "", "value": "v"},
                    {"name": "x", "fromFieldPath": "a..b"},
                    {"name": "bad key", "value": "v"},
                    {"name": "n", "value": 5432},
                    {"name": "t", "type": "FromFieldPath", "value": "v"},
                    {"fromFieldPath": "a.b"},
                    {"name": "s"},
                    {"name": "u", "type": "Magic"},
                    {"name": "e", "value": "v", "extra": true},
                ]},
                {"connectionDetails": []},
            ],
            "mode": "Sometimes",
            "readiness": {"requiredKeys": "Some"},
            "writeConnectionSecretToRef": {"namespace": "Default"},
            "typo": 1,
        }));
        let expected = [
            "typo: unknown field; expected one of apiVersion, kind, metadata, resources, connectionSecretKeys, writeConnectionSecretToRef, writeConnectionSecretsToNamespace, mode, readiness, derived, secrets, configMaps",
            "apiVersion: must be connection.fn.crossplane.io/v1beta1",
            "kind: must be ConnectionDetails",
            "resources[1].connectionDetails[0].name: must not be empty",
            "resources[1].connectionDetails[1].fromFieldPath: is not a valid field path: empty field name at character 2",
            "resources[1].connectionDetails[2].name: has ' ' at position 3; a key may hold only letters, digits, '-', '_' and '.'",
            "resources[1].connectionDetails[3].value: must be a string, not a number",
            "resources[1].connectionDetails[4].fromFieldPath: is required when type is FromFieldPath",
            "resources[1].connectionDetails[5].name: is required for type FromFieldPath",
            "resources[1].connectionDetails[6]: needs one of value, fromConnectionSecretKey, fromFieldPath or fromSecretKeyRef",
            "resources[1].connectionDetails[7].type: must be one of FromValue, FromConnectionSecretKey, FromFieldPath, FromSecretKeyRef",
            "resources[1].connectionDetails[8].extra: unknown field; expected one of name, type, value, fromConnectionSecretKey, fromFieldPath, fromSecretKeyRef",
            "resources[1].name: duplicates resources[0].name \"a\"",
            "resources[2].name: is required: the composition resource name",
            "writeConnectionSecretToRef.namespace: is not a valid DNS-1123 name: a namespace must be lower-case letters, digits and '-', starting and ending with a letter or digit",
            "writeConnectionSecretToRef.name: is required",
            "mode: must be one of Auto, Composite, Secret",
            "readiness.requiredKeys: must be the string \"All\" or a list of key names",
        ];
        assert_eq!(found, expected);
    }

    #[test]
    fn parses_secret_refs_derived_keys_and_fan_out() {
        let input = parse(&minimal(json!({
            "resources": [{"name": "server", "connectionDetails": [
                {"name": "admin-password", "fromSecretKeyRef": {"name": "server-admin-pw", "key": "password"}},
                {"fromSecretKeyRef": {"name": "other", "key": "token", "namespace": "apps"}},
            ]}],
            "derived": [{"name": "url", "template": "postgres://{{ keys['admin-password'] }}@h"}],
            "secrets": [{"key": "token", "to": {"name": "mysecret", "key": "tok"}}],
            "configMaps": [{"key": "url", "to": {"name": "info", "namespace": "apps"}}],
        })))
        .unwrap();
        let details = &input.resources[0].connection_details;
        assert_eq!(details[1].name.as_str(), "token", "name defaults to the referenced key");
        assert!(
            matches!(&details[0].source, Source::SecretKeyRef(r) if r.name.as_str() == "server-admin-pw" && r.namespace.is_none())
        );
        assert_eq!(input.derived[0].name.as_str(), "url");
        assert_eq!((input.secrets[0].to_name.as_str(), input.secrets[0].to_key.as_str()), ("mysecret", "tok"));
        assert_eq!(input.config_maps[0].to_key.as_str(), "url", "to.key defaults to the key");
        let declared: Vec<_> = input.declared_keys().map(|(k, l)| format!("{k} <- {l}")).collect();
        assert_eq!(
            declared,
            ["admin-password <- resources[0] server", "token <- resources[0] server", "url <- derived[0]"]
        );
    }

    #[test]
    fn references_to_keys_nothing_produces_are_errors() {
        let found = errors(minimal(json!({
            "resources": [{"name": "db", "connectionDetails": [{"fromConnectionSecretKey": "password"}]}],
            "derived": [
                {"name": "dsn", "template": "{{ passwrd }}@{{ range(2) | length }}"},
                {"name": "bad", "template": "{{ password"},
                {"template": "x"},
            ],
            "secrets": [{"key": "pasword", "to": {"name": "s"}}, {"key": "password"}],
            "configMaps": [{"key": "dsn", "to": {"name": "Bad_Name"}}],
        })));
        assert_eq!(
            found,
            [
                "derived[1].template: is not a valid template for key \"bad\": syntax error at line 1",
                "derived[2].name: is required",
                "secrets[1].to: is required: the destination's name and key",
                "configMaps[0].to.name: is not a valid DNS-1123 name: each '.'-separated part must be lower-case letters, digits and '-', starting and ending with a letter or digit",
                "secrets[0].key: no entry produces \"pasword\", so it would never be copied; did you mean \"password\"?",
                "derived[0].template: no entry produces \"passwrd\", so the template could never be rendered; did you mean \"password\"?",
            ]
        );
    }

    #[test]
    fn messages_never_contain_values() {
        let found = errors(minimal(json!({"resources": [{"name": "r", "connectionDetails": [
            {"name": "p", "value": ["s3cr3t-value"]},
            {"name": "q", "type": "Nope", "value": "s3cr3t-value"},
        ]}]})));
        assert_eq!(found.len(), 2);
        assert!(found.iter().all(|m| !m.contains("s3cr3t")), "{found:?}");
    }

    #[test]
    fn required_keys_must_be_declared() {
        let found = errors(minimal(json!({
            "resources": [{"name": "db", "connectionDetails": [{"fromConnectionSecretKey": "password"}]}],
            "readiness": {"requiredKeys": ["password", "pasword", "endpoint"]},
        })));
        assert_eq!(
            found,
            [
                "readiness.requiredKeys[1]: no entry produces \"pasword\", so readiness would never be reached; did you mean \"password\"?",
                "readiness.requiredKeys[2]: no entry produces \"endpoint\", so readiness would never be reached",
            ]
        );
    }

    #[test]
    fn wrong_top_level_type_is_one_error() {
        assert_eq!(errors(json!(["not", "an", "object"])), ["must be an object, not a list"]);
    }

    #[test]
    fn declared_keys_carry_their_source_labels() {
        let input = parse(&minimal(json!({"resources": [
            {"name": "key", "connectionDetails": [{"fromConnectionSecretKey": "username"}]},
            {"name": "key2", "connectionDetails": [{"name": "key2-user", "fromConnectionSecretKey": "username"}]},
        ]})))
        .unwrap();
        let declared: Vec<_> = input.declared_keys().map(|(k, l)| format!("{k} <- {l}")).collect();
        assert_eq!(declared, ["username <- resources[0] key", "key2-user <- resources[1] key2"]);
    }
}
