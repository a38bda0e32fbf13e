//! What Crossplane does with the function's response, reproduced: the
//! Secrets and ConfigMaps that would exist in the cluster afterwards.
//!
//! Legacy XRs: Crossplane writes `desired.composite.connectionDetails`,
//! filtered by the XRD's `connectionSecretKeys`, into the XR's connection
//! secret (named by the XR's UID in the Composition's
//! `writeConnectionSecretsToNamespace` unless the XR names one) and the same
//! data into the claim's. Modern XRs: only composed objects exist.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::documents::{Document, RenderError};
use super::objects::Object;
use super::observed::RESOURCE_NAME_ANNOTATION;
use crate::composite::Composite;
use crate::diagnostics::{Diagnostic, Reason};
use crate::output::CONNECTION_SECRET_TYPE;
use crate::protocol::struct_to_json;
use crate::protocol::v1::RunFunctionResponse;
use crate::spelling;

/// Gives a legacy XR without a `spec.writeConnectionSecretToRef` the one
/// Crossplane would: its UID in the Composition's
/// `writeConnectionSecretsToNamespace`.
pub fn configure_composite(xr: &mut Document, secrets_namespace: Option<&str>) -> Result<(), RenderError> {
    let Some(namespace) = secrets_namespace else { return Ok(()) };
    if Composite::from_object(&xr.value).modern || xr.value.pointer("/spec/writeConnectionSecretToRef").is_some() {
        return Ok(());
    }
    let Some(uid) = xr.value.pointer("/metadata/uid").and_then(Value::as_str).map(str::to_owned) else {
        return Err(RenderError::in_file(
            &xr.file,
            "the XR has no metadata.uid, and Crossplane names a legacy XR's connection secret by its UID; \
             add a uid or a spec.writeConnectionSecretToRef",
        ));
    };
    let Some(object) = xr.value.as_object_mut() else { return Ok(()) };
    let spec = object.entry("spec").or_insert_with(|| json!({}));
    let Some(spec) = spec.as_object_mut() else {
        return Err(RenderError::in_file(&xr.file, "the XR's spec is not a mapping"));
    };
    spec.insert("writeConnectionSecretToRef".to_owned(), json!({"name": uid, "namespace": namespace}));
    Ok(())
}

#[derive(Debug, Default)]
pub struct Published {
    /// Secrets, then ConfigMaps, then PushSecrets, each sorted by
    /// namespace and name.
    pub objects: Vec<Object>,
    /// What render itself has to say about publishing.
    pub diagnostics: Vec<Diagnostic>,
    /// `(namespace, name)` of the legacy XR's and claim's secrets, which
    /// Crossplane writes from the combined keys.
    pub legacy_secrets: Vec<(String, String)>,
}

pub fn publish(
    xr: &Value,
    claim: Option<&Value>,
    xrd: Option<&Value>,
    response: &RunFunctionResponse,
    connection_secrets: Vec<Object>,
) -> Published {
    let mut published = Published { objects: connection_secrets, ..Published::default() };
    let composite = Composite::from_object(xr);
    let details = response
        .desired
        .as_ref()
        .and_then(|desired| desired.composite.as_ref())
        .map(|composite| composite.connection_details.clone())
        .unwrap_or_default();
    // A v2 XR's keys are in the Secret the function composes; the
    // function itself warns when it leaves them where Crossplane ignores them.
    if !composite.modern {
        publish_legacy(xr, claim, xrd, details, &mut published);
    }
    published.objects.extend(composed_objects(response, composite.namespace.as_deref()));
    published.objects.sort_by(|a, b| (a.rank(), &a.namespace, &a.name).cmp(&(b.rank(), &b.namespace, &b.name)));
    published.objects.dedup();
    published
}

fn publish_legacy(
    xr: &Value,
    claim: Option<&Value>,
    xrd: Option<&Value>,
    details: BTreeMap<String, Vec<u8>>,
    published: &mut Published,
) {
    let allowed = xrd_allowed_keys(xrd);
    published.diagnostics.extend(unproduced_xrd_keys(&allowed, &details));
    let filtered: BTreeMap<&str, &[u8]> = details
        .iter()
        .filter(|(key, _)| allowed.is_empty() || allowed.contains(&key.as_str()))
        .map(|(key, value)| (key.as_str(), value.as_slice()))
        .collect();
    let reference = |object: &Value| {
        let name = object.pointer("/spec/writeConnectionSecretToRef/name").and_then(Value::as_str)?.to_owned();
        let namespace = object
            .pointer("/spec/writeConnectionSecretToRef/namespace")
            .or_else(|| object.pointer("/metadata/namespace"))
            .and_then(Value::as_str)?
            .to_owned();
        Some((namespace, name))
    };
    let Some(xr_secret) = reference(xr) else {
        published
            .diagnostics
            .extend(claim.and_then(reference).map(|claim_secret| unpublished_claim_secret(&claim_secret)));
        return;
    };
    let secrets = [Some(xr_secret), claim.and_then(reference)].into_iter().flatten();
    for (namespace, name) in secrets {
        let data = filtered.iter().map(|(key, value)| (*key, *value));
        published.objects.push(Object::secret(&namespace, &name, CONNECTION_SECRET_TYPE, data));
        published.legacy_secrets.push((namespace, name));
    }
}

/// Crossplane propagates a legacy XR's connection secret to its claim, so
/// with no XR secret the claim's stays unwritten (its claim controller
/// returns before reading anything); render says so instead of showing one.
fn unpublished_claim_secret((namespace, name): &(String, String)) -> Diagnostic {
    Diagnostic::warning(
        Reason::ClaimSecretNotPublished,
        format!(
            "the claim's spec.writeConnectionSecretToRef names Secret {namespace}/{name}, but the XR has no \
             connection secret (no spec.writeConnectionSecretToRef, and the Composition sets no \
             writeConnectionSecretsToNamespace), so Crossplane writes no Secret for the claim; set \
             writeConnectionSecretsToNamespace in the Composition"
        ),
    )
}

/// The XRD's `connectionSecretKeys`; empty allows every key.
pub fn xrd_allowed_keys(xrd: Option<&Value>) -> Vec<&str> {
    xrd.and_then(|xrd| xrd.pointer("/spec/connectionSecretKeys"))
        .and_then(Value::as_array)
        .map(|keys| keys.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Crossplane drops these silently; render says so, with the produced key
/// whose spelling is closest.
fn unproduced_xrd_keys(allowed: &[&str], details: &BTreeMap<String, Vec<u8>>) -> Vec<Diagnostic> {
    let unlisted: Vec<&str> = details.keys().map(String::as_str).filter(|key| !allowed.contains(key)).collect();
    allowed
        .iter()
        .filter(|key| !details.contains_key(**key))
        .map(|key| {
            let hint = spelling::closest(key, unlisted.iter().copied())
                .map(|close| format!("; did you mean {close:?}, which the composition produces?"))
                .unwrap_or_default();
            Diagnostic::warning(
                Reason::XrdKeyNeverProduced,
                format!("the XRD's connectionSecretKeys lists {key:?}, but the composition produces no such key{hint}"),
            )
        })
        .collect()
}

/// Desired Secrets, ConfigMaps and PushSecrets, in the XR's namespace unless
/// they name one, each annotated with its key in `desired.resources` as
/// Crossplane annotates what it composes: the key decides which object
/// Crossplane keeps, so moving between functions must keep it.
fn composed_objects(response: &RunFunctionResponse, xr_namespace: Option<&str>) -> Vec<Object> {
    let desired = response.desired.as_ref().map(|desired| &desired.resources);
    desired
        .into_iter()
        .flatten()
        .filter_map(|(resource_name, resource)| {
            let Value::Object(mut composed) = struct_to_json(resource.resource.as_ref()?) else { return None };
            if let (Some(namespace), Some(Value::Object(metadata))) = (xr_namespace, composed.get_mut("metadata")) {
                metadata.entry("namespace").or_insert_with(|| json!(namespace));
            }
            let mut object = Object::from_composed(&composed)?;
            object.annotations.insert(RESOURCE_NAME_ANNOTATION.to_owned(), resource_name.clone());
            Some(object)
        })
        .collect()
}
