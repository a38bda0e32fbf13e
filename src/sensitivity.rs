//! Which keys hold a secret's value, so that none lands in a ConfigMap,
//! which far more roles may read than a Secret, unless the user says so
//! item by item. As Azure Service Operator exports to ConfigMaps only the
//! values it knows are not secret, the mark is set where a key is gathered:
//! a composed resource's connection secret, a `fromSecretKeyRef`, a
//! Secret's `data` or `stringData` through `fromFieldPath`, or a derived key
//! whose template reads any of these. A `value` or any other field path is
//! free to go anywhere.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::aggregate::ObservedResources;
use crate::derive;
use crate::diagnostics::{Diagnostic, Reason};
use crate::fieldpath::{FieldPath, Segment};
use crate::input::{Input, Source, SourceLabel};
use crate::names::KeyName;
use crate::protocol::LazyObject;

/// Each key whose value comes from a secret, with the first source that
/// makes it one (`resources[0] db: fromConnectionSecretKey password`).
pub fn secret_keys(input: &Input, observed: &ObservedResources<'_>) -> BTreeMap<KeyName, String> {
    let mut secret: BTreeMap<KeyName, String> = BTreeMap::new();
    for (index, entry) in input.resources.iter().enumerate() {
        let resource = observed.get(entry.name.as_str()).map(|resource| &resource.object);
        for detail in &entry.connection_details {
            let why = match &detail.source {
                Source::ConnectionSecretKey(key) => Some(format!("fromConnectionSecretKey {key}")),
                Source::SecretKeyRef(reference) => {
                    Some(format!("fromSecretKeyRef {} {}", reference.name, reference.key))
                }
                Source::FieldPath(path) if resource.is_some_and(|object| reads_secret_data(object, path)) => {
                    Some(format!("fromFieldPath {path} of a Secret"))
                }
                Source::FieldPath(_) | Source::Value(_) => None,
            };
            if let Some(why) = why {
                let label = SourceLabel::Resource { index, resource: &entry.name };
                secret.entry(detail.name.clone()).or_insert_with(|| format!("{label}: {why}"));
            }
        }
    }
    for (index, derived) in input.derived.iter().enumerate() {
        if let Some(read) = secret_key_read(&derived.template, &secret) {
            let why = format!("derived[{index}], whose template reads {read}");
            secret.entry(derived.name.clone()).or_insert(why);
        }
    }
    secret
}

/// A `v1` Secret's `data` or `stringData`. Only `apiVersion` and `kind`
/// are read, and only for such a path, so no object is decoded whole.
fn reads_secret_data(object: &LazyObject<'_>, path: &FieldPath) -> bool {
    let reads_data =
        matches!(path.segments().first(), Some(Segment::Field(field)) if field == "data" || field == "stringData");
    let field_is = |key: &str, expected: &str| object.lookup(&[key]).as_ref().and_then(Value::as_str) == Some(expected);
    reads_data && field_is("apiVersion", "v1") && field_is("kind", "Secret")
}

/// The first secret key a template reads by name, or `keys[...]` when it
/// reads the map in a way that could reach any of them.
fn secret_key_read(template: &str, secret: &BTreeMap<KeyName, String>) -> Option<String> {
    if secret.is_empty() {
        return None;
    }
    let variables = derive::plain_variables(template);
    let named = variables.iter().find(|name| secret.keys().any(|key| key.as_str() == name.as_str()));
    if let Some(name) = named {
        return Some(format!("key {name:?}"));
    }
    if !variables.iter().any(|name| name == "keys") {
        return None;
    }
    match derive::literal_keys_read(template) {
        Some(read) => read
            .into_iter()
            .find(|key| secret.keys().any(|secret| secret.as_str() == key))
            .map(|key| format!("key {key:?}")),
        None => Some("keys[...] with a name that is not written out".to_owned()),
    }
}

/// [`config_map_routes`] of the keys [`secret_keys`] marks, worked out only
/// when the input has ConfigMaps at all.
pub fn check_config_maps(input: &Input, observed: &ObservedResources<'_>) -> (Vec<String>, Vec<Diagnostic>) {
    if input.config_maps.is_empty() {
        return (Vec::new(), Vec::new());
    }
    config_map_routes(input, &secret_keys(input, observed))
}

/// An input error for each `configMaps[]` item that copies a key from a
/// secret without `to.allowSecretValue: true`, and a WARNING for each that
/// has it.
pub fn config_map_routes(input: &Input, secret: &BTreeMap<KeyName, String>) -> (Vec<String>, Vec<Diagnostic>) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for (index, item) in input.config_maps.iter().enumerate() {
        let Some(why) = secret.get(&item.key) else { continue };
        if item.allow_secret_value {
            warnings.push(Diagnostic::warning(
                Reason::SecretInConfigMap,
                format!(
                    "configMaps[{index}] copies key {:?}, which comes from a secret ({why}), into ConfigMap {} in \
                     plain text, as its to.allowSecretValue says",
                    item.key.as_str(),
                    item.to_name
                ),
            ));
        } else {
            errors.push(format!(
                "configMaps[{index}].key: {:?} comes from a secret ({why}); a ConfigMap is readable by more roles \
                 than a Secret, so copy it with secrets[] instead, or set configMaps[{index}].to.allowSecretValue: \
                 true to store it in plain text anyway",
                item.key.as_str()
            ));
        }
    }
    (errors, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::ObservedResource;
    use crate::input::parse;
    use crate::protocol::LazyObject;
    use crate::secret::SecretData;
    use serde_json::json;

    fn input(fields: Value) -> Input {
        let mut value = json!({"apiVersion": crate::input::API_VERSION, "kind": crate::input::KIND});
        value.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
        parse(&value).unwrap()
    }

    fn observed(name: &'static str, object: Value) -> (&'static str, ObservedResource<'static>) {
        (name, ObservedResource { object: LazyObject::from_json(object), connection_details: SecretData::default() })
    }

    fn marked(input: &Input, observed: &ObservedResources<'_>) -> Vec<(String, String)> {
        secret_keys(input, observed).into_iter().map(|(key, why)| (key.to_string(), why)).collect()
    }

    #[test]
    fn each_secret_source_marks_its_key_and_plain_sources_do_not() {
        let input = input(json!({
            "resources": [
                {"name": "db", "connectionDetails": [
                    {"fromConnectionSecretKey": "password"},
                    {"name": "host", "fromFieldPath": "status.atProvider.address"},
                    {"name": "port", "value": "5432"},
                    {"name": "admin", "fromSecretKeyRef": {"name": "admin-pw", "key": "pw"}},
                ]},
                {"name": "creds", "connectionDetails": [
                    {"name": "token", "fromFieldPath": "data.token"},
                    {"name": "label", "fromFieldPath": "metadata.labels.app"},
                ]},
            ],
            "derived": [
                {"name": "url", "template": "postgres://{{ keys['password'] }}@{{ host }}"},
                {"name": "address", "template": "{{ host }}:{{ port }}"},
                {"name": "any", "template": "{% for k in keys %}{{ k }}{% endfor %}"},
            ],
        }));
        let observed = ObservedResources::from([
            observed("db", json!({"apiVersion": "rds.aws.upbound.io/v1beta1", "kind": "Instance"})),
            observed("creds", json!({"apiVersion": "v1", "kind": "Secret"})),
        ]);
        assert_eq!(
            marked(&input, &observed),
            [
                ("admin".to_owned(), "resources[0] db: fromSecretKeyRef admin-pw pw".to_owned()),
                (
                    "any".to_owned(),
                    "derived[2], whose template reads keys[...] with a name that is not written out".to_owned()
                ),
                ("password".to_owned(), "resources[0] db: fromConnectionSecretKey password".to_owned()),
                ("token".to_owned(), "resources[1] creds: fromFieldPath data.token of a Secret".to_owned()),
                ("url".to_owned(), "derived[0], whose template reads key \"password\"".to_owned()),
            ]
        );
    }

    #[test]
    fn a_config_map_refuses_a_secret_key_unless_the_item_allows_it() {
        let input = input(json!({
            "resources": [{"name": "db", "connectionDetails": [
                {"fromConnectionSecretKey": "password"}, {"name": "port", "value": "5432"},
            ]}],
            "configMaps": [
                {"key": "port", "to": {"name": "info"}},
                {"key": "password", "to": {"name": "info"}},
                {"key": "password", "to": {"name": "legacy", "allowSecretValue": true}},
            ],
        }));
        let secret = secret_keys(&input, &ObservedResources::new());
        let (errors, warnings) = config_map_routes(&input, &secret);
        assert_eq!(
            errors,
            [
                "configMaps[1].key: \"password\" comes from a secret (resources[0] db: fromConnectionSecretKey password); \
              a ConfigMap is readable by more roles than a Secret, so copy it with secrets[] instead, or set \
              configMaps[1].to.allowSecretValue: true to store it in plain text anyway"
            ]
        );
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].message.starts_with("configMaps[2] copies key \"password\""), "{}", warnings[0].message);
    }
}
