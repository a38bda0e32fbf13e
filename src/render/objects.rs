//! The objects render shows, typed until they are written: a Secret holds
//! its bytes (base64 only in the YAML and JSON it writes), a ConfigMap its
//! text, and any other composed object (a PushSecret) stays as composed.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};

use super::observed::DEFAULT_NAMESPACE;
use crate::push;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Secret {
        secret_type: String,
        data: BTreeMap<String, Vec<u8>>,
    },
    ConfigMap {
        data: BTreeMap<String, String>,
    },
    /// Anything else the function composes, whole.
    Other {
        kind: String,
        fields: Map<String, Value>,
    },
}

impl Object {
    pub fn secret<'a>(
        namespace: &str,
        name: &str,
        secret_type: &str,
        data: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Self {
        let data = data.into_iter().map(|(key, value)| (key.to_owned(), value.to_vec())).collect();
        Self {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            body: Body::Secret { secret_type: secret_type.to_owned(), data },
        }
    }

    /// A composed object as the function put it in `desired.resources`:
    /// Secrets and ConfigMaps are read into their types, PushSecrets kept;
    /// other kinds are not render's to show (`None`).
    pub fn from_composed(object: &Map<String, Value>) -> Option<Self> {
        let text = |field: &str| object.get(field).and_then(Value::as_str);
        let metadata = object.get("metadata");
        let meta_text = |field: &str| metadata.and_then(|m| m.get(field)).and_then(Value::as_str);
        let strings = |field: &str| -> BTreeMap<String, String> {
            let entries = metadata.and_then(|m| m.get(field)).and_then(Value::as_object);
            entries.into_iter().flatten().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect()
        };
        let data = || object.get("data").and_then(Value::as_object).into_iter().flatten();
        let body = match (text("apiVersion")?, text("kind")?) {
            ("v1", "Secret") => Body::Secret {
                secret_type: text("type").unwrap_or("Opaque").to_owned(),
                data: data()
                    .filter_map(|(key, value)| Some((key.clone(), BASE64.decode(value.as_str()?).ok()?)))
                    .collect(),
            },
            ("v1", "ConfigMap") => Body::ConfigMap {
                data: data().filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_owned()))).collect(),
            },
            (push::API_VERSION, push::KIND) => Body::Other { kind: push::KIND.to_owned(), fields: object.clone() },
            _ => return None,
        };
        Some(Self {
            namespace: meta_text("namespace").unwrap_or(DEFAULT_NAMESPACE).to_owned(),
            name: meta_text("name").unwrap_or_default().to_owned(),
            labels: strings("labels"),
            annotations: strings("annotations"),
            body,
        })
    }

    pub fn kind(&self) -> &str {
        match &self.body {
            Body::Secret { .. } => "Secret",
            Body::ConfigMap { .. } => "ConfigMap",
            Body::Other { kind, .. } => kind,
        }
    }

    /// Secrets, then ConfigMaps, then the rest.
    pub fn rank(&self) -> u8 {
        match self.body {
            Body::Secret { .. } => 0,
            Body::ConfigMap { .. } => 1,
            Body::Other { .. } => 2,
        }
    }

    /// Each key with the size of its value, in key order.
    pub fn data_sizes(&self) -> Vec<(&str, usize)> {
        match &self.body {
            Body::Secret { data, .. } => data.iter().map(|(key, value)| (key.as_str(), value.len())).collect(),
            Body::ConfigMap { data } => data.iter().map(|(key, value)| (key.as_str(), value.len())).collect(),
            Body::Other { .. } => Vec::new(),
        }
    }

    /// The object as the API server would hold it, for `--format yaml`
    /// and `json`: here a Secret's bytes become base64.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut metadata =
            Map::from_iter([("name".to_owned(), json!(self.name)), ("namespace".to_owned(), json!(self.namespace))]);
        for (field, entries) in [("labels", &self.labels), ("annotations", &self.annotations)] {
            if !entries.is_empty() {
                metadata.insert(field.to_owned(), json!(entries));
            }
        }
        match &self.body {
            Body::Secret { secret_type, data } => {
                let encoded: Map<String, Value> =
                    data.iter().map(|(key, value)| (key.clone(), json!(BASE64.encode(value)))).collect();
                Map::from_iter([
                    ("apiVersion".to_owned(), json!("v1")),
                    ("kind".to_owned(), json!("Secret")),
                    ("metadata".to_owned(), Value::Object(metadata)),
                    ("type".to_owned(), json!(secret_type)),
                    ("data".to_owned(), Value::Object(encoded)),
                ])
            }
            Body::ConfigMap { data } => Map::from_iter([
                ("apiVersion".to_owned(), json!("v1")),
                ("kind".to_owned(), json!("ConfigMap")),
                ("metadata".to_owned(), Value::Object(metadata)),
                ("data".to_owned(), json!(data)),
            ]),
            Body::Other { fields, .. } => {
                let mut fields = fields.clone();
                fields.insert("metadata".to_owned(), Value::Object(metadata));
                fields
            }
        }
    }
}
