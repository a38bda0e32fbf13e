//! The function input (`connection.fn.crossplane.io/v1beta1`,
//! `kind: ConnectionDetails`), parsed and validated in one pass.
//!
//! Every problem is reported with the field path where it was found
//! (`resources[1].connectionDetails[0].name`) and never with the value that
//! was found there: a `value:` may be a password.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value};

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

/// Where a key comes from, as users read it: `resources[3] key2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLabel {
    pub index: usize,
    pub resource: String,
}

impl fmt::Display for SourceLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "resources[{}] {}", self.index, self.resource)
    }
}

impl Input {
    /// Every (key, where it comes from) pair, in input order.
    pub fn declared_keys(&self) -> impl Iterator<Item = (&KeyName, SourceLabel)> {
        self.resources.iter().enumerate().flat_map(|(index, entry)| {
            entry
                .connection_details
                .iter()
                .map(move |detail| (&detail.name, SourceLabel { index, resource: entry.name.clone() }))
        })
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
];
/// For objects whose fields are not ours to check.
const ANY_FIELDS: &[&str] = &[];
const DETAIL_FIELDS: &[&str] = &["name", "type", "value", "fromConnectionSecretKey", "fromFieldPath"];
/// Fields of SPEC §4 that this build recognises but does not implement yet.
const NOT_YET_SUPPORTED: &[&str] = &["derived", "secrets", "configMaps", "fromSecretKeyRef"];
const NOT_YET_SUPPORTED_MESSAGE: &str = "is not supported yet by this version of the function";

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
        let input = Input {
            resources,
            connection_secret_keys,
            write_connection_secret_to_ref,
            write_connection_secrets_to_namespace,
            mode,
            required_keys,
        };
        self.required_keys_are_declared(&input, &root.field("readiness").field("requiredKeys"));
        Some(input)
    }

    /// A required key that no entry declares would hold readiness forever.
    fn required_keys_are_declared(&mut self, input: &Input, path: &Path) {
        let RequiredKeys::Keys(required) = &input.required_keys else { return };
        let declared: BTreeSet<&str> = input.declared_keys().map(|(key, _)| key.as_str()).collect();
        for (i, key) in required.iter().enumerate() {
            if declared.contains(key.as_str()) {
                continue;
            }
            let hint = spelling::closest(key.as_str(), declared.iter().copied())
                .map(|close| format!("; did you mean {close:?}?"))
                .unwrap_or_default();
            self.fail(&path.index(i), format!("no entry produces {key:?}, so readiness would never be reached{hint}"));
        }
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
                let message = if NOT_YET_SUPPORTED.contains(&field.as_str()) {
                    NOT_YET_SUPPORTED_MESSAGE.to_owned()
                } else {
                    format!("unknown field; expected one of {}", known.join(", "))
                };
                self.fail(&path.field(field), message);
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
        let details_path = path.field("connectionDetails");
        let details = self.array(map.get("connectionDetails"), &details_path);
        let connection_details = details
            .iter()
            .enumerate()
            .filter_map(|(i, detail)| self.connection_detail(detail, &details_path.index(i)))
            .collect();
        Some(ResourceEntry { name: name?.to_owned(), connection_details })
    }

    fn connection_detail(&mut self, value: &Value, path: &Path) -> Option<ConnectionDetail> {
        let map = self.object(value, path, DETAIL_FIELDS)?;
        let kind = self.detail_type(map, path)?;
        if kind == DetailType::FromSecretKeyRef && !map.contains_key(kind.field()) {
            self.fail(&path.field("type"), format!("{} {NOT_YET_SUPPORTED_MESSAGE}", kind.name()));
            return None;
        }
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
            // `object` has reported the field as not supported yet.
            DetailType::FromSecretKeyRef => return None,
        };
        let name = match (map.get("name"), &source) {
            (Some(value), _) => self.name(value, &path.field("name"), KeyName::new)?,
            (None, Source::ConnectionSecretKey(key)) => key.clone(),
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
        let items = self.array(value, path);
        items.iter().enumerate().filter_map(|(i, item)| self.name(item, &path.index(i), KeyName::new)).collect()
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
            "typo: unknown field; expected one of apiVersion, kind, metadata, resources, connectionSecretKeys, writeConnectionSecretToRef, writeConnectionSecretsToNamespace, mode, readiness",
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
            "resources[1].connectionDetails[8].extra: unknown field; expected one of name, type, value, fromConnectionSecretKey, fromFieldPath",
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
    fn later_features_are_named_as_not_yet_supported() {
        let found = errors(minimal(json!({
            "secrets": [],
            "resources": [{"name": "r", "connectionDetails": [
                {"name": "p", "fromSecretKeyRef": {"name": "s", "key": "k"}},
                {"name": "q", "type": "FromSecretKeyRef"},
            ]}],
        })));
        assert_eq!(
            found,
            [
                "secrets: is not supported yet by this version of the function",
                "resources[0].connectionDetails[0].fromSecretKeyRef: is not supported yet by this version of the function",
                "resources[0].connectionDetails[1].type: FromSecretKeyRef is not supported yet by this version of the function",
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
