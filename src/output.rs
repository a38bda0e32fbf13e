//! Where the combined secret goes (SPEC §4.4) and the objects that carry it.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};

use crate::composite::{Composite, Placeholder};
use crate::input::{Input, Mode};
use crate::metadata::ObjectMetadata;
use crate::names::{KeyName, NameError, Namespace, ObjectName};
use crate::secret::SecretBytes;

/// The key of the composed connection Secret in `desired.resources`.
pub const CONNECTION_SECRET_RESOURCE: &str = "connection-secret";
/// The Secret type Crossplane gives connection secrets.
pub const CONNECTION_SECRET_TYPE: &str = "connection.crossplane.io/v1alpha1";
/// Kubernetes refuses a Secret or ConfigMap whose keys and values together
/// exceed 1 MiB.
pub const MAX_DATA_BYTES: usize = 1024 * 1024;

/// What `connectionSecretResourceName` substitutes: the XR's name.
const RESOURCE_NAME_PLACEHOLDERS: [Placeholder; 1] = [Placeholder::Name];

/// Where the combined keys are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// `desired.composite.connection_details`, which Crossplane publishes
    /// for legacy XRs.
    Composite,
    /// A composed `v1` Secret.
    Secret(ComposedSecret),
}

/// The combined Secret as a composed resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposedSecret {
    /// Its key in `desired.resources`.
    pub resource: String,
    pub location: SecretLocation,
    pub metadata: ObjectMetadata,
}

/// The combined Secret's key in `desired.resources`, where `$(xr-name)`
/// stands for the XR's name: `$(xr-name)-connection-secret` takes over the
/// Secret that function-patch-and-transform composes, so moving a
/// Composition here neither deletes nor recreates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceNameTemplate(String);

impl ResourceNameTemplate {
    pub fn new(text: &str) -> Result<Self, NameError> {
        if text.is_empty() {
            return Err(NameError::new("must not be empty"));
        }
        let placeholder = Placeholder::describe(&RESOURCE_NAME_PLACEHOLDERS);
        if Placeholder::unknown_in(text, &RESOURCE_NAME_PLACEHOLDERS) {
            return Err(NameError::new(format!("substitutes only {placeholder}")));
        }
        let literal = text.replace(Placeholder::Name.token(), "");
        if let Some(c) = literal.chars().find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
            return Err(NameError::new(format!(
                "has {c:?}; a resource name may hold only letters, digits, '-', '_', '.' and {placeholder}"
            )));
        }
        Ok(Self(text.to_owned()))
    }

    /// The name for this XR.
    pub fn resolve(&self, composite: &Composite) -> Result<String, String> {
        composite
            .substitute(&self.0, &RESOURCE_NAME_PLACEHOLDERS)
            .map_err(|problem| format!("connectionSecretResourceName: {problem}"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretLocation {
    pub name: ObjectName,
    pub namespace: Namespace,
}

impl fmt::Display for SecretLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// Chooses the destination: the input's `mode`, where `Auto` follows the XR
/// (legacy → Composite, modern → Secret). A Secret's name and namespace come
/// from the first of: the XR's `spec.writeConnectionSecretToRef`, the input's
/// `writeConnectionSecretToRef`, `<xr-name>-connection`.
pub fn destination(input: &Input, composite: &Composite) -> Result<Destination, String> {
    let use_secret = match input.mode {
        Mode::Auto => composite.modern,
        Mode::Composite => false,
        Mode::Secret => true,
    };
    if !use_secret {
        return Ok(Destination::Composite);
    }
    let resource = match &input.connection_secret_resource_name {
        Some(template) => template.resolve(composite)?,
        None => CONNECTION_SECRET_RESOURCE.to_owned(),
    };
    Ok(Destination::Secret(ComposedSecret {
        resource,
        location: secret_location(input, composite)?,
        metadata: input.connection_secret_metadata.clone(),
    }))
}

/// Where a combined Secret goes, by the precedence of [`destination`].
pub fn secret_location(input: &Input, composite: &Composite) -> Result<SecretLocation, String> {
    let (name, explicit_namespace) = if let Some(reference) = &composite.write_connection_secret_to_ref {
        let field = "the composite's spec.writeConnectionSecretToRef.namespace";
        (reference.name.clone(), reference.namespace.clone().map(|namespace| (namespace, field)))
    } else if let Some(reference) = &input.write_connection_secret_to_ref {
        let field = "writeConnectionSecretToRef.namespace";
        let name = reference.name.clone().ok_or("writeConnectionSecretToRef.name: no patch has set it yet")?;
        (name, reference.namespace.clone().map(|namespace| (namespace, field)))
    } else {
        (default_secret_name(composite)?, None)
    };
    let namespace = match explicit_namespace {
        Some((namespace, field)) => {
            within_composite_namespace(composite, &namespace, field)?;
            namespace
        }
        None => default_namespace(input, composite)?,
    };
    Ok(SecretLocation { name, namespace })
}

/// Crossplane v2 composes a namespaced XR's resources only into the XR's
/// own namespace (it overwrites `metadata.namespace`), so naming another is
/// an input error; a cluster-scoped XR may compose into any namespace.
/// `field` names where the namespace was given.
pub fn within_composite_namespace(composite: &Composite, namespace: &Namespace, field: &str) -> Result<(), String> {
    match composite.namespace.as_deref() {
        Some(own) if own != namespace.as_str() => Err(format!(
            "{field}: {namespace} is not the composite's namespace {own}; Crossplane composes the resources \
             of a namespaced composite only into its own namespace"
        )),
        _ => Ok(()),
    }
}

fn default_secret_name(composite: &Composite) -> Result<ObjectName, String> {
    let xr_name = composite.name.as_deref().ok_or_else(|| {
        "the observed composite has no metadata.name to name its connection Secret after; \
         set writeConnectionSecretToRef.name in the input"
            .to_owned()
    })?;
    ObjectName::new(&format!("{xr_name}-connection")).map_err(|error| {
        format!("the default connection Secret name {xr_name}-connection {error}; set writeConnectionSecretToRef.name in the input")
    })
}

/// The XR's namespace, else the input's `writeConnectionSecretsToNamespace`.
fn default_namespace(input: &Input, composite: &Composite) -> Result<Namespace, String> {
    if let Some(namespace) = &composite.namespace {
        return Namespace::new(namespace)
            .map_err(|error| format!("the observed composite's metadata.namespace {error}"));
    }
    input.write_connection_secrets_to_namespace.clone().ok_or_else(|| {
        "the composite is cluster-scoped, so the connection Secret needs a namespace: \
         set writeConnectionSecretToRef.namespace or writeConnectionSecretsToNamespace in the input"
            .to_owned()
    })
}

/// A `v1` Secret of Crossplane's connection-secret type, `data` in base64.
pub fn connection_secret(secret: &ComposedSecret, data: &BTreeMap<KeyName, SecretBytes>) -> Map<String, Value> {
    let mut object = secret_object(
        secret.location.namespace.as_str(),
        secret.location.name.as_str(),
        CONNECTION_SECRET_TYPE,
        data.iter().map(|(key, value)| (key.as_str(), value.expose())),
    );
    secret.metadata.apply_to(&mut object);
    object
}

/// A `v1` Secret as the API server holds it: `data` in base64, keys sorted.
pub fn secret_object<'a>(
    namespace: &str,
    name: &str,
    secret_type: &str,
    data: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Map<String, Value> {
    let encoded: Map<String, Value> =
        data.into_iter().map(|(key, value)| (key.to_owned(), Value::String(BASE64.encode(value)))).collect();
    Map::from_iter([
        ("apiVersion".to_owned(), json!("v1")),
        ("kind".to_owned(), json!("Secret")),
        ("metadata".to_owned(), json!({"name": name, "namespace": namespace})),
        ("type".to_owned(), json!(secret_type)),
        ("data".to_owned(), Value::Object(encoded)),
    ])
}

/// Bytes Kubernetes counts against [`MAX_DATA_BYTES`]: every key plus its value.
pub fn data_size<'a>(data: impl IntoIterator<Item = (&'a str, usize)>) -> usize {
    data.into_iter().map(|(key, value_len)| key.len() + value_len).sum()
}

/// An error naming the object when its data is over the Kubernetes limit.
pub fn check_size(object: &str, size: usize) -> Result<(), String> {
    if size > MAX_DATA_BYTES {
        Err(format!("{object} would hold {size} bytes of data; Kubernetes allows at most {MAX_DATA_BYTES} (1 MiB)"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse;

    fn input(extra: Value) -> Input {
        let mut value = json!({"apiVersion": crate::input::API_VERSION, "kind": crate::input::KIND});
        value.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        parse(&value).unwrap()
    }

    fn composite(object: Value) -> Composite {
        Composite::from_object(&object)
    }

    fn secret_at(input_extra: Value, xr: Value) -> String {
        match destination(&input(input_extra), &composite(xr)).unwrap() {
            Destination::Secret(secret) => secret.location.to_string(),
            Destination::Composite => "composite".to_owned(),
        }
    }

    #[test]
    fn auto_follows_the_xr_and_explicit_modes_win() {
        let legacy = json!({"metadata": {"name": "xr"}});
        let modern = json!({"metadata": {"name": "xr", "namespace": "default"}, "spec": {"crossplane": {}}});
        assert_eq!(secret_at(json!({}), legacy.clone()), "composite");
        assert_eq!(secret_at(json!({}), modern.clone()), "default/xr-connection");
        assert_eq!(secret_at(json!({"mode": "Composite"}), modern), "composite");
        assert_eq!(
            secret_at(json!({"mode": "Secret", "writeConnectionSecretsToNamespace": "crossplane-system"}), legacy),
            "crossplane-system/xr-connection"
        );
    }

    #[test]
    fn naming_precedence_is_xr_ref_then_input_ref_then_default() {
        let xr_with_ref = json!({"metadata": {"name": "xr", "namespace": "default"}, "spec": {
            "crossplane": {}, "writeConnectionSecretToRef": {"name": "from-xr"}}});
        let xr = json!({"metadata": {"name": "xr", "namespace": "default"}, "spec": {"crossplane": {}}});
        let input_ref = json!({"writeConnectionSecretToRef": {"name": "from-input", "namespace": "default"}});
        assert_eq!(secret_at(input_ref.clone(), xr_with_ref), "default/from-xr");
        assert_eq!(secret_at(input_ref, xr.clone()), "default/from-input");
        assert_eq!(secret_at(json!({"writeConnectionSecretToRef": {"name": "n"}}), xr), "default/n");
    }

    #[test]
    fn a_namespaced_xr_s_secret_stays_in_its_namespace_and_a_cluster_scoped_one_goes_anywhere() {
        let error = |input_extra: Value, xr: Value| destination(&input(input_extra), &composite(xr)).unwrap_err();
        let namespaced = json!({"metadata": {"name": "xr", "namespace": "default"}, "spec": {"crossplane": {}}});
        let to_apps = json!({"writeConnectionSecretToRef": {"name": "db", "namespace": "apps"}});
        assert_eq!(
            error(to_apps.clone(), namespaced),
            "writeConnectionSecretToRef.namespace: apps is not the composite's namespace default; \
             Crossplane composes the resources of a namespaced composite only into its own namespace"
        );
        let xr_ref_elsewhere = json!({"metadata": {"name": "xr", "namespace": "default"}, "spec": {
            "crossplane": {}, "writeConnectionSecretToRef": {"name": "db", "namespace": "apps"}}});
        assert!(
            error(json!({}), xr_ref_elsewhere)
                .starts_with("the composite's spec.writeConnectionSecretToRef.namespace: apps is not the composite's"),
        );
        let cluster_scoped = json!({"metadata": {"name": "xr"}, "spec": {"crossplane": {}}});
        assert_eq!(secret_at(to_apps, cluster_scoped), "apps/db");
    }

    #[test]
    fn a_cluster_scoped_xr_without_a_namespace_is_an_error() {
        let error = destination(&input(json!({"mode": "Secret"})), &composite(json!({"metadata": {"name": "xr"}})))
            .unwrap_err();
        assert!(error.contains("writeConnectionSecretsToNamespace"), "{error}");
    }

    #[test]
    fn builds_a_connection_secret_with_base64_data_and_its_metadata() {
        let input = input(json!({"connectionSecretMetadata": {
            "labels": {"app.kubernetes.io/name": "db"}, "annotations": {"note": "n"}}}));
        let xr = json!({"metadata": {"name": "xr", "namespace": "default"}, "spec": {"crossplane": {}}});
        let Destination::Secret(secret) = destination(&input, &composite(xr)).unwrap() else { panic!("not a Secret") };
        let data = BTreeMap::from([(KeyName::new("password").unwrap(), SecretBytes::new(b"\x00\xffpw".to_vec()))]);
        assert_eq!(
            Value::Object(connection_secret(&secret, &data)),
            json!({
                "apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "xr-connection", "namespace": "default",
                    "labels": {"app.kubernetes.io/name": "db"}, "annotations": {"note": "n"}},
                "type": "connection.crossplane.io/v1alpha1",
                "data": {"password": "AP9wdw=="},
            })
        );
    }

    #[test]
    fn the_resource_name_defaults_and_can_follow_the_xr_name() {
        let xr = json!({"metadata": {"name": "my-db", "namespace": "default"}, "spec": {"crossplane": {}}});
        let resource = |extra: Value| match destination(&input(extra), &composite(xr.clone())).unwrap() {
            Destination::Secret(secret) => secret.resource,
            Destination::Composite => unreachable!("a modern XR composes a Secret"),
        };
        assert_eq!(resource(json!({})), "connection-secret");
        assert_eq!(
            resource(json!({"connectionSecretResourceName": "$(xr-name)-connection-secret"})),
            "my-db-connection-secret"
        );
        assert_eq!(resource(json!({"connectionSecretResourceName": "db-secret"})), "db-secret");
        for (bad, problem) in [
            ("", "must not be empty"),
            ("$(xr-uid)-s", "substitutes only $(xr-name)"),
            ("a/b", "has '/'; a resource name may hold only letters, digits, '-', '_', '.' and $(xr-name)"),
        ] {
            assert_eq!(ResourceNameTemplate::new(bad).unwrap_err().to_string(), problem, "{bad:?}");
        }
        let nameless = json!({"metadata": {"namespace": "default"}, "spec": {"crossplane": {}}});
        let template = ResourceNameTemplate::new("$(xr-name)-connection-secret").unwrap();
        assert!(template.resolve(&composite(nameless)).unwrap_err().contains("no metadata.name"));
    }

    #[test]
    fn size_counts_keys_and_values_against_one_mebibyte() {
        let at_limit = data_size([("k", MAX_DATA_BYTES - 1)]);
        assert_eq!(at_limit, MAX_DATA_BYTES);
        assert!(check_size("Secret default/x", at_limit).is_ok());
        let error = check_size("Secret default/x", at_limit + 1).unwrap_err();
        assert!(error.starts_with("Secret default/x would hold 1048577 bytes"), "{error}");
    }
}
