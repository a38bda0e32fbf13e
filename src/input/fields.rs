//! What each field of the input means: the model read from JSON, field by
//! field, with [`Reader`]'s bookkeeping.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::reader::{ANY_FIELDS, Path, Reader};
use super::{
    API_VERSION, ConnectionDetail, DerivedKey, FanOut, Input, KIND, Mode, PatchSource, PushField, PushSecretSpec,
    RefField, RefPatch, RequiredKeys, ResourceEntry, SecretKeyRef, SecretRef, Source, StoreKind,
};
use crate::composite::Placeholder;
use crate::derive;
use crate::fieldpath::FieldPath;
use crate::metadata::{LabelValue, MAX_ANNOTATION_BYTES, MetadataKey, ObjectMetadata};
use crate::names::{KeyName, NameError, Namespace, ObjectName};
use crate::output::ResourceNameTemplate;
use crate::secret::SecretBytes;
use crate::secrettype::SecretType;
use crate::spelling;

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
    "connectionSecretMetadata",
    "connectionSecretResourceName",
    "pushSecrets",
];
/// The patch types of `writeConnectionSecretToRef.patches`, as in P&T.
const PATCH_TYPES: [&str; 2] = ["FromCompositeFieldPath", "CombineFromComposite"];
const PUSH_SECRET_FIELDS: &[&str] = &[
    "name",
    "secret",
    "store",
    "remoteKey",
    "patches",
    "sharedRemoteKey",
    "keys",
    "refreshInterval",
    "updatePolicy",
    "deletionPolicy",
];
/// What patches may set, by `toFieldPath`.
const REF_PATCH_TARGETS: &[(&str, RefField)] = &[("name", RefField::Name), ("namespace", RefField::Namespace)];
const PUSH_PATCH_TARGETS: &[(&str, PushField)] = &[("remoteKey", PushField::RemoteKey)];
/// What a push's `remoteKey` may say of the XR.
const REMOTE_KEY_PLACEHOLDERS: [Placeholder; 3] = Placeholder::ALL;
/// For objects whose fields are not ours to check.
const DETAIL_FIELDS: &[&str] =
    &["name", "type", "value", "fromConnectionSecretKey", "fromFieldPath", "fromSecretKeyRef"];

impl Reader {
    pub(super) fn input(&mut self, value: &Value) -> Option<Input> {
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
        let secrets = self.fan_outs(map.get("secrets"), &root.field("secrets"), FanOutKind::Secret);
        let config_maps = self.fan_outs(map.get("configMaps"), &root.field("configMaps"), FanOutKind::ConfigMap);
        let connection_secret_metadata =
            self.metadata(map.get("connectionSecretMetadata"), &root.field("connectionSecretMetadata"));
        let connection_secret_resource_name = map
            .get("connectionSecretResourceName")
            .and_then(|v| self.name(v, &root.field("connectionSecretResourceName"), ResourceNameTemplate::new));
        let push_secrets = self.list(map.get("pushSecrets"), &root.field("pushSecrets"), Self::push_secret);
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
            connection_secret_metadata,
            connection_secret_resource_name,
            push_secrets,
        };
        self.references_are_declared(&input, &root);
        Some(input)
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

    fn fan_outs(&mut self, value: Option<&Value>, path: &Path, kind: FanOutKind) -> Vec<FanOut> {
        self.list(value, path, |reader, item, item_path| reader.fan_out(item, item_path, kind))
    }

    fn fan_out(&mut self, item: &Value, path: &Path, kind: FanOutKind) -> Option<FanOut> {
        let map = self.object(item, path, &["key", "to"])?;
        let key = self.required_name(map, path, "key", KeyName::new);
        let to_path = path.field("to");
        let Some(to) = map.get("to") else {
            self.fail(&to_path, "is required: the destination's name and key");
            return None;
        };
        let to = self.object(to, &to_path, kind.destination_fields())?;
        let to_name = self.required_name(to, &to_path, "name", ObjectName::new);
        let to_key = to.get("key").map(|v| self.name(v, &to_path.field("key"), KeyName::new));
        let to_namespace = to.get("namespace").and_then(|v| self.name(v, &to_path.field("namespace"), Namespace::new));
        let metadata = self.metadata(to.get("metadata"), &to_path.field("metadata"));
        let secret_type = to.get("type").and_then(|v| self.secret_type(v, &to_path.field("type")));
        let allow_secret_value = to
            .get("allowSecretValue")
            .and_then(|v| self.boolean(v, &to_path.field("allowSecretValue")))
            .unwrap_or(false);
        let key = key?;
        let to_key = match to_key {
            Some(parsed) => parsed?,
            None => key.clone(),
        };
        Some(FanOut { key, to_name: to_name?, to_key, to_namespace, metadata, secret_type, allow_secret_value })
    }

    fn push_secret(&mut self, item: &Value, path: &Path) -> Option<PushSecretSpec> {
        let map = self.object(item, path, PUSH_SECRET_FIELDS)?;
        let name = map.get("name").and_then(|v| self.name(v, &path.field("name"), ObjectName::new));
        let secret = map.get("secret").and_then(|v| self.name(v, &path.field("secret"), ObjectName::new));
        let store = self.store(map.get("store"), &path.field("store"));
        let patches = self.list(map.get("patches"), &path.field("patches"), |reader, item, item_path| {
            reader.ref_patch(item, item_path, PUSH_PATCH_TARGETS)
        });
        let remote_key = self.remote_key(map, path, !patches.is_empty());
        let shared_remote_key =
            map.get("sharedRemoteKey").and_then(|v| self.boolean(v, &path.field("sharedRemoteKey"))).unwrap_or(false);
        let keys = self.key_list(map.get("keys"), &path.field("keys"));
        let refresh_interval =
            map.get("refreshInterval").and_then(|v| self.duration(v, &path.field("refreshInterval")));
        let update_policy =
            self.one_of(map.get("updatePolicy"), &path.field("updatePolicy"), &["Replace", "IfNotExists"]);
        let deletion_policy =
            self.one_of(map.get("deletionPolicy"), &path.field("deletionPolicy"), &["Delete", "None"]);
        let (store_name, store_kind) = store?;
        Some(PushSecretSpec {
            name,
            secret,
            store_name,
            store_kind,
            remote_key: remote_key?,
            patches,
            shared_remote_key,
            keys,
            refresh_interval,
            update_policy,
            deletion_policy,
        })
    }

    /// `remoteKey`, which may be left to a patch and may name the XR only
    /// by the placeholders it knows. `Some(None)`: a patch sets it.
    fn remote_key(&mut self, map: &Map<String, Value>, path: &Path, patched: bool) -> Option<Option<String>> {
        if patched && !map.contains_key("remoteKey") {
            return Some(None);
        }
        let what = "where the keys land in the store (or a patch to remoteKey)";
        let text = self.required_text(map, path, "remoteKey", what)?;
        if Placeholder::unknown_in(text, &REMOTE_KEY_PLACEHOLDERS) {
            let allowed = Placeholder::describe(&REMOTE_KEY_PLACEHOLDERS);
            self.fail(&path.field("remoteKey"), format!("substitutes only {allowed}"));
            return None;
        }
        Some(Some(text.to_owned()))
    }

    fn store(&mut self, value: Option<&Value>, path: &Path) -> Option<(ObjectName, StoreKind)> {
        let Some(value) = value else {
            self.fail(path, "is required: the name and kind of the SecretStore or ClusterSecretStore");
            return None;
        };
        let map = self.object(value, path, &["name", "kind"])?;
        let name = self.required_name(map, path, "name", ObjectName::new);
        let kind = match self.one_of(map.get("kind"), &path.field("kind"), &["SecretStore", "ClusterSecretStore"]) {
            Some("ClusterSecretStore") => StoreKind::ClusterSecretStore,
            _ => StoreKind::SecretStore,
        };
        Some((name?, kind))
    }

    /// An optional string that must be one of `allowed`.
    fn one_of(&mut self, value: Option<&Value>, path: &Path, allowed: &[&'static str]) -> Option<&'static str> {
        let text = self.string(value?, path)?;
        let found = allowed.iter().copied().find(|candidate| *candidate == text);
        if found.is_none() {
            self.not_one_of(path, text, allowed);
        }
        found
    }

    /// A Go duration as ESO reads it: `1h`, `30m`, `1h30m0s`.
    fn duration(&mut self, value: &Value, path: &Path) -> Option<String> {
        let text = self.string(value, path)?;
        if is_go_duration(text) {
            Some(text.to_owned())
        } else {
            self.fail(path, "must be a duration such as 1h, 30m or 1h30m0s");
            None
        }
    }

    fn secret_type(&mut self, value: &Value, path: &Path) -> Option<SecretType> {
        let text = self.string(value, path)?;
        let parsed = SecretType::parse(text);
        if parsed.is_none() {
            let names: Vec<_> = SecretType::ALL.iter().map(|kind| kind.as_str()).collect();
            self.not_one_of(path, text, &names);
        }
        parsed
    }

    /// `{labels, annotations}`, each a map of names to strings, checked as
    /// the API server checks them.
    fn metadata(&mut self, value: Option<&Value>, path: &Path) -> ObjectMetadata {
        let Some(map) = value.and_then(|v| self.object(v, path, &["labels", "annotations"])) else {
            return ObjectMetadata::default();
        };
        let labels = self.string_map(map.get("labels"), &path.field("labels"), LabelValue::new);
        let annotations = self.string_map(map.get("annotations"), &path.field("annotations"), |v| Ok(v.to_owned()));
        let metadata = ObjectMetadata { labels, annotations };
        if metadata.annotation_bytes() > MAX_ANNOTATION_BYTES {
            self.fail(
                &path.field("annotations"),
                format!(
                    "hold {} bytes; Kubernetes allows at most {MAX_ANNOTATION_BYTES} (256 KiB) per object",
                    metadata.annotation_bytes()
                ),
            );
        }
        metadata
    }

    fn string_map<T>(
        &mut self,
        value: Option<&Value>,
        path: &Path,
        make: fn(&str) -> Result<T, NameError>,
    ) -> BTreeMap<MetadataKey, T> {
        let Some(map) = value.and_then(|v| self.object(v, path, ANY_FIELDS)) else { return BTreeMap::new() };
        let mut entries = BTreeMap::new();
        for (name, value) in map {
            let entry_path = path.key(name);
            let key = MetadataKey::new(name).map_err(|error| self.fail(&entry_path, error.to_string())).ok();
            let value = self.name(value, &entry_path, make);
            if let (Some(key), Some(value)) = (key, value) {
                entries.insert(key, value);
            }
        }
        entries
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

    /// Reads the source and the name independently, so that an entry with
    /// neither reports both.
    fn connection_detail(&mut self, value: &Value, path: &Path) -> Option<ConnectionDetail> {
        let map = self.object(value, path, DETAIL_FIELDS)?;
        let kind = self.detail_type(map, path);
        let explicit_name = map.get("name").map(|value| self.name(value, &path.field("name"), KeyName::new));
        match (&explicit_name, kind) {
            (None, Some(kind)) if kind.requires_name() => {
                self.fail(&path.field("name"), format!("is required for type {}", kind.name()));
            }
            // Without a source there is no key to name it after.
            (None, None) => self.fail(&path.field("name"), "is required"),
            _ => {}
        }
        let source = self.detail_source(map, kind?, path)?;
        let name = match explicit_name {
            Some(name) => name?,
            None => match &source {
                Source::ConnectionSecretKey(key) => key.clone(),
                Source::SecretKeyRef(reference) => reference.key.clone(),
                Source::Value(_) | Source::FieldPath(_) => return None,
            },
        };
        Some(ConnectionDetail { name, source })
    }

    fn detail_source(&mut self, map: &Map<String, Value>, kind: DetailType, path: &Path) -> Option<Source> {
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
        Some(source)
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
                self.not_one_of(&type_path, name, &names);
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
        let map = self.object(value, path, &["name", "namespace", "patches"])?;
        let namespace = map.get("namespace").and_then(|v| self.name(v, &path.field("namespace"), Namespace::new));
        let patches = self.list(map.get("patches"), &path.field("patches"), |reader, item, item_path| {
            reader.ref_patch(item, item_path, REF_PATCH_TARGETS)
        });
        // A name patch that is itself invalid has its own error already.
        let patches_name = |patch: &Value| patch.get("toFieldPath").and_then(Value::as_str) == Some("name");
        let name = match map.get("name") {
            Some(value) => Some(self.name(value, &path.field("name"), ObjectName::new)?),
            None if map.get("patches").and_then(Value::as_array).is_some_and(|raw| raw.iter().any(patches_name)) => {
                None
            }
            None => {
                self.fail(&path.field("name"), "is required (or a patch to name)");
                return None;
            }
        };
        Some(SecretRef { name, namespace, patches })
    }

    /// A patch in function-patch-and-transform's form: FromCompositeFieldPath
    /// or CombineFromComposite with the string strategy, then transforms,
    /// setting one of `targets` (by `toFieldPath`).
    fn ref_patch<T: Copy>(&mut self, value: &Value, path: &Path, targets: &[(&str, T)]) -> Option<RefPatch<T>> {
        let map =
            self.object(value, path, &["type", "fromFieldPath", "combine", "toFieldPath", "policy", "transforms"])?;
        let names: Vec<&str> = targets.iter().map(|(name, _)| *name).collect();
        let names = crate::diagnostics::join_words(&names).replace(" and ", " or ");
        let to = match self.required_text(map, path, "toFieldPath", &names) {
            Some(field) => match targets.iter().find(|(name, _)| *name == field) {
                Some(&(_, to)) => Some(to),
                None => {
                    self.fail(&path.field("toFieldPath"), format!("must be {names}"));
                    None
                }
            },
            None => None,
        };
        let source = match map.get("type") {
            None => self.field_path(map, path, "fromFieldPath").map(PatchSource::Field),
            Some(kind) => match self.string(kind, &path.field("type")) {
                Some("FromCompositeFieldPath") => self.field_path(map, path, "fromFieldPath").map(PatchSource::Field),
                Some("CombineFromComposite") => self.combine(map.get("combine"), &path.field("combine")),
                Some(other) => {
                    let hint = spelling::closest(other, PATCH_TYPES).map_or_else(
                        || format!("use one of {}", PATCH_TYPES.join(", ")),
                        |close| format!("did you mean {close:?}?"),
                    );
                    self.fail(&path.field("type"), format!("unknown value {other:?}; {hint}"));
                    None
                }
                None => None,
            },
        };
        let transforms = self.transforms(map.get("transforms"), &path.field("transforms"));
        Some(RefPatch { source: source?, transforms, to: to? })
    }

    /// `combine` with the string strategy: its format takes one value per
    /// variable.
    fn combine(&mut self, value: Option<&Value>, path: &Path) -> Option<PatchSource> {
        let Some(value) = value else {
            self.fail(path, "is required when type is CombineFromComposite");
            return None;
        };
        let combine = self.object(value, path, &["variables", "strategy", "string"])?;
        self.expect_constant(combine, path, "strategy", "string");
        let variables_path = path.field("variables");
        let variables =
            self.required_list(combine.get("variables"), &variables_path, "variable", |reader, item, item_path| {
                let variable = reader.object(item, item_path, &["fromFieldPath"])?;
                reader.field_path(variable, item_path, "fromFieldPath")
            });
        let string_path = path.field("string");
        let Some(string) = combine.get("string") else {
            self.fail(&string_path, "is required: {fmt: a format such as %s-connection}");
            return None;
        };
        let string = self.object(string, &string_path, &["fmt"])?;
        let format_path = string_path.field("fmt");
        let Some(format) = string.get("fmt") else {
            self.fail(&format_path, "is required: a format such as %s-connection");
            return None;
        };
        let format = self.go_format(format, &format_path)?;
        if format.verbs() != variables.len() {
            let verbs = format.verbs();
            self.fail(
                &format_path,
                format!("has {verbs} verbs for {} variables; give each variable one", variables.len()),
            );
            return None;
        }
        Some(PatchSource::Combine { variables, format })
    }

    fn field_path(&mut self, map: &Map<String, Value>, path: &Path, field: &str) -> Option<FieldPath> {
        let text = self.required_text(map, path, field, "a field path of the XR")?;
        FieldPath::parse(text)
            .map_err(|error| self.fail(&path.field(field), format!("is not a valid field path: {error}")))
            .ok()
    }

    fn mode(&mut self, value: Option<&Value>, path: &Path) -> Mode {
        match self.one_of(value, path, &["Auto", "Composite", "Secret"]) {
            Some("Composite") => Mode::Composite,
            Some("Secret") => Mode::Secret,
            _ => Mode::Auto,
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

/// One or more numbers, each with a unit of Go's `time.ParseDuration`.
fn is_go_duration(text: &str) -> bool {
    const UNITS: [&str; 7] = ["ns", "us", "µs", "ms", "s", "m", "h"];
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if digits == 0 || rest[..digits].parse::<f64>().is_err() {
            return false;
        }
        rest = &rest[digits..];
        // Longest unit first, so `ms` is not read as `m` then `s`.
        let Some(unit) = UNITS.iter().filter(|unit| rest.starts_with(**unit)).max_by_key(|unit| unit.len()) else {
            return false;
        };
        rest = &rest[unit.len()..];
    }
    true
}

/// Which list a fan-out item is in: only Secrets have a `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FanOutKind {
    Secret,
    ConfigMap,
}

impl FanOutKind {
    fn destination_fields(self) -> &'static [&'static str] {
        match self {
            Self::Secret => &["name", "key", "namespace", "metadata", "type"],
            Self::ConfigMap => &["name", "key", "namespace", "metadata", "allowSecretValue"],
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

    /// A value or a field path has no key name of its own to default to.
    fn requires_name(self) -> bool {
        matches!(self, Self::FromValue | Self::FromFieldPath)
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
