//! Observed composed resources from files, each with the connection details
//! of the Secret its `spec.writeConnectionSecretToRef` names.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};

use super::documents::{Document, RenderError};
use super::objects::Object;
use crate::protocol::v1::Resource;

/// The annotation by which Crossplane ties a composed resource to its
/// composition resource name.
pub const RESOURCE_NAME_ANNOTATION: &str = "crossplane.io/composition-resource-name";
/// Where `kubectl` puts an object without a namespace.
pub const DEFAULT_NAMESPACE: &str = "default";

#[derive(Debug, Default)]
pub struct Observed {
    /// By composition resource name.
    pub resources: BTreeMap<String, Resource>,
    /// The composed resources' connection Secrets, as the cluster holds them.
    pub connection_secrets: Vec<Object>,
}

pub fn observed(resources: &[Document], secrets: &[Document]) -> Result<Observed, RenderError> {
    let mut observed = Observed::default();
    for document in resources {
        let name = resource_name(document)?;
        if observed.resources.contains_key(&name) {
            return Err(document.error(
                &["metadata", "annotations", RESOURCE_NAME_ANNOTATION],
                format!("{}: a second observed resource named {name:?}", document.describe()),
            ));
        }
        let mut connection_details = BTreeMap::new();
        if let Some(secret) = connection_secret_of(document, secrets) {
            connection_details = secret_data(secret)?;
            let secret_type = secret.value.get("type").and_then(Value::as_str).unwrap_or("Opaque");
            let (namespace, secret_name) = namespaced_name(secret.value.get("metadata"));
            let data = connection_details.iter().map(|(k, v)| (k.as_str(), v.as_slice()));
            observed.connection_secrets.push(Object::secret(&namespace, &secret_name, secret_type, data));
        }
        let resource = Resource { resource: Some(document.to_struct()), connection_details, ready: 0 };
        observed.resources.insert(name, resource);
    }
    Ok(observed)
}

fn resource_name(document: &Document) -> Result<String, RenderError> {
    let name = document
        .value
        .pointer("/metadata/annotations")
        .and_then(|annotations| annotations.get(RESOURCE_NAME_ANNOTATION))
        .and_then(Value::as_str);
    if let Some(name) = name {
        return Ok(name.to_owned());
    }
    // A composed resource's connection Secret is an easy thing to give in
    // the wrong place.
    let hint = if document.value.get("kind").and_then(Value::as_str) == Some("Secret") {
        "; a Secret that holds a composed resource's connection details goes in --secrets"
    } else {
        ""
    };
    Err(document.error(
        &["metadata"],
        format!(
            "{}: has no annotation {RESOURCE_NAME_ANNOTATION}, which render needs to match it to a composition \
             resource{hint}",
            document.describe()
        ),
    ))
}

/// The Secret named by the resource's `spec.writeConnectionSecretToRef`
/// (namespace: the ref's, else the resource's), if it was given.
fn connection_secret_of<'d>(resource: &Document, secrets: &'d [Document]) -> Option<&'d Document> {
    let reference = resource.value.pointer("/spec/writeConnectionSecretToRef")?;
    let name = reference.get("name").and_then(Value::as_str)?;
    let namespace = reference
        .get("namespace")
        .or_else(|| resource.value.pointer("/metadata/namespace"))
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT_NAMESPACE);
    secrets.iter().find(|secret| {
        secret.value.get("kind").and_then(Value::as_str) == Some("Secret")
            && namespaced_name(secret.value.get("metadata")) == (namespace.to_owned(), name.to_owned())
    })
}

/// `(namespace, name)` from an object's `metadata`; the namespace is
/// `default` where none is set, as kubectl does.
pub fn namespaced_name(metadata: Option<&Value>) -> (String, String) {
    let text = |field: &str| metadata.and_then(|m| m.get(field)).and_then(Value::as_str).map(str::to_owned);
    (text("namespace").unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned()), text("name").unwrap_or_default())
}

/// A document as the API server would store it: a Secret's `stringData`
/// folded into base64 `data`; anything else unchanged.
pub fn as_stored(document: &Document) -> Result<Document, RenderError> {
    if document.value.get("kind").and_then(Value::as_str) != Some("Secret") {
        return Ok(document.clone());
    }
    let data = secret_data(document)?;
    let mut stored = document.clone();
    if let Some(object) = stored.value.as_object_mut() {
        object.remove("stringData");
        let encoded: Map<String, Value> =
            data.iter().map(|(key, value)| (key.clone(), Value::String(BASE64.encode(value)))).collect();
        object.insert("data".to_owned(), Value::Object(encoded));
    }
    Ok(stored)
}

/// `data` (base64) and `stringData` (text, as the API server would store
/// it in `data`), merged; `stringData` wins as it does on write.
fn secret_data(secret: &Document) -> Result<BTreeMap<String, Vec<u8>>, RenderError> {
    let mut data = BTreeMap::new();
    if let Some(encoded) = secret.value.get("data").and_then(Value::as_object) {
        for (key, value) in encoded {
            let decoded = value.as_str().and_then(|text| BASE64.decode(text).ok()).ok_or_else(|| {
                secret.error(
                    &["data", key],
                    format!("{}: data.{key} is not base64 text; write text under stringData", secret.describe()),
                )
            })?;
            data.insert(key.clone(), decoded);
        }
    }
    if let Some(plain) = secret.value.get("stringData").and_then(Value::as_object) {
        for (key, value) in plain {
            let text = value.as_str().ok_or_else(|| {
                secret.error(&["stringData", key], format!("{}: stringData.{key} is not text", secret.describe()))
            })?;
            data.insert(key.clone(), text.as_bytes().to_vec());
        }
    }
    Ok(data)
}
