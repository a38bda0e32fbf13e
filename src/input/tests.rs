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
    assert_eq!((target.name.unwrap().as_str(), target.namespace.unwrap().as_str()), ("app-db", "default"));
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
                {"type": "FromValue"},
            ]},
            {"connectionDetails": []},
        ],
        "mode": "Sometimes",
        "readiness": {"requiredKeys": "Some"},
        "writeConnectionSecretToRef": {"namespace": "Default"},
        "typo": 1,
    }));
    let expected = [
        "typo: unknown field; expected one of apiVersion, kind, metadata, resources, connectionSecretKeys, writeConnectionSecretToRef, writeConnectionSecretsToNamespace, mode, readiness, derived, secrets, configMaps, connectionSecretMetadata, connectionSecretResourceName, pushSecrets",
        "apiVersion: must be connection.fn.crossplane.io/v1beta1, not \"connection.fn.crossplane.io/v1\"; did you mean \"connection.fn.crossplane.io/v1beta1\"?",
        "kind: must be ConnectionDetails, not \"Connection\"; did you mean \"ConnectionDetails\"?",
        "resources[1].connectionDetails[0].name: must not be empty",
        "resources[1].connectionDetails[1].fromFieldPath: is not a valid field path: empty field name at character 2",
        "resources[1].connectionDetails[2].name: has ' ' at position 3; a key may hold only letters, digits, '-', '_' and '.'",
        "resources[1].connectionDetails[3].value: must be a string, not a number",
        "resources[1].connectionDetails[4].fromFieldPath: is required when type is FromFieldPath",
        "resources[1].connectionDetails[5].name: is required for type FromFieldPath",
        "resources[1].connectionDetails[6]: needs one of value, fromConnectionSecretKey, fromFieldPath or fromSecretKeyRef",
        "resources[1].connectionDetails[7].type: must be one of FromValue, FromConnectionSecretKey, FromFieldPath, FromSecretKeyRef; what is there (5 characters) is not close to any of them",
        "resources[1].connectionDetails[8].extra: unknown field; expected one of name, type, value, fromConnectionSecretKey, fromFieldPath, fromSecretKeyRef",
        "resources[1].connectionDetails[9].name: is required for type FromValue",
        "resources[1].connectionDetails[9].value: is required when type is FromValue",
        "resources[1].name: duplicates resources[0].name \"a\"",
        "resources[2].name: is required: the composition resource name",
        "writeConnectionSecretToRef.namespace: is not a valid DNS-1123 name: a namespace must be lower-case letters, digits and '-', starting and ending with a letter or digit",
        "writeConnectionSecretToRef.name: is required (or a patch to name)",
        "mode: must be one of Auto, Composite, Secret; what is there (9 characters) is not close to any of them",
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
            "derived[1].template: is not a valid template for key \"bad\": syntax error at line 1: unexpected end of input, expected end of variable block",
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

#[test]
fn parses_metadata_types_and_the_resource_name() {
    let input = parse(&minimal(json!({
        "resources": [{"name": "cert", "connectionDetails": [
            {"fromConnectionSecretKey": "tls.crt"}, {"fromConnectionSecretKey": "tls.key"}]}],
        "connectionSecretMetadata": {"labels": {"app.kubernetes.io/name": "db", "tier": ""},
                                     "annotations": {"backup.velero.io/backup-volumes": "any text / at all"}},
        "connectionSecretResourceName": "$(xr-name)-connection-secret",
        "secrets": [{"key": "tls.crt", "to": {"name": "tls", "type": "kubernetes.io/tls",
                                              "metadata": {"labels": {"team": "db"}}}}],
        "configMaps": [{"key": "tls.crt", "to": {"name": "ca", "metadata": {"annotations": {"note": "public"}}}}],
    })))
    .unwrap();
    let labels: Vec<_> = input.connection_secret_metadata.labels.keys().map(|key| key.as_str()).collect();
    assert_eq!(labels, ["app.kubernetes.io/name", "tier"]);
    assert_eq!(input.connection_secret_metadata.annotations.len(), 1);
    assert!(input.connection_secret_resource_name.is_some());
    assert_eq!(input.secrets[0].secret_type, Some(crate::secrettype::SecretType::Tls));
    assert_eq!(input.secrets[0].metadata.labels.len(), 1);
    assert_eq!(input.config_maps[0].secret_type, None);
    assert_eq!(input.config_maps[0].metadata.annotations.len(), 1);
}

#[test]
fn enumerations_in_the_wrong_case_say_which_was_meant() {
    let found = errors(minimal(json!({
        "resources": [{"name": "r", "connectionDetails": [{"name": "k", "type": "fromValue", "value": "v"}]}],
        "mode": "secret",
    })));
    assert_eq!(
        found,
        [
            "resources[0].connectionDetails[0].type: must be one of FromValue, FromConnectionSecretKey, FromFieldPath, FromSecretKeyRef, not \"fromValue\"; did you mean \"FromValue\"?",
            "mode: must be one of Auto, Composite, Secret, not \"secret\"; did you mean \"Secret\"?",
        ]
    );
}

#[test]
fn bad_metadata_and_types_name_their_fields() {
    let found = errors(minimal(json!({
        "resources": [{"name": "r", "connectionDetails": [{"fromConnectionSecretKey": "k"}]}],
        "connectionSecretMetadata": {"labels": {"Team Name": "x", "ok": "not ok!", "n": 5},
                                     "annotations": {"a/b/c": "v", "Example.com/x": "v", "big": "x".repeat(300_000)}, "owner": "me"},
        "connectionSecretResourceName": "$(xr.name)",
        "secrets": [{"key": "k", "to": {"name": "s", "type": "kubernetes.io/magic"}}],
        "configMaps": [{"key": "k", "to": {"name": "c", "type": "Opaque"}}],
    })));
    assert_eq!(
        found,
        [
            "secrets[0].to.type: must be one of Opaque, kubernetes.io/basic-auth, kubernetes.io/tls, kubernetes.io/ssh-auth, kubernetes.io/dockerconfigjson, not \"kubernetes.io/magic\"; did you mean \"kubernetes.io/basic-auth\"?",
            "configMaps[0].to.type: unknown field; expected one of name, key, namespace, metadata, allowSecretValue",
            "connectionSecretMetadata.owner: unknown field; expected one of labels, annotations",
            "connectionSecretMetadata.labels[Team Name]: the name part has ' ' at position 4; only letters, digits, '-', '_' and '.' are allowed",
            "connectionSecretMetadata.labels[n]: must be a string, not a number",
            "connectionSecretMetadata.labels[ok]: a label value has ' ' at position 3; only letters, digits, '-', '_' and '.' are allowed",
            "connectionSecretMetadata.annotations[Example.com/x]: has a prefix that is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', at most 253 characters) before its '/'",
            "connectionSecretMetadata.annotations[a/b/c]: the name part has '/' at position 1; only letters, digits, '-', '_' and '.' are allowed",
            "connectionSecretMetadata.annotations: hold 300003 bytes; Kubernetes allows at most 262144 (256 KiB) per object",
            "connectionSecretResourceName: substitutes only $(xr-name)",
        ]
    );
}

#[test]
fn parses_push_secrets_and_names_what_is_wrong() {
    let input = parse(&minimal(json!({"pushSecrets": [
        {"store": {"name": "vault"}, "remoteKey": "apps/db"},
        {"name": "p", "secret": "admin", "store": {"name": "aws", "kind": "ClusterSecretStore"}, "remoteKey": "k",
         "keys": ["pw"], "refreshInterval": "1h30m", "updatePolicy": "IfNotExists", "deletionPolicy": "None"},
    ]})))
    .unwrap();
    assert_eq!(input.push_secrets[0].store_kind, StoreKind::SecretStore);
    assert_eq!(input.push_secrets[1].store_kind, StoreKind::ClusterSecretStore);
    assert_eq!(input.push_secrets[1].refresh_interval.as_deref(), Some("1h30m"));
    assert_eq!(input.push_secrets[1].update_policy, Some("IfNotExists"));
    let found = errors(minimal(json!({"pushSecrets": [
        {"store": {"kind": "Vault"}, "remoteKey": "", "refreshInterval": "1 hour", "updatePolicy": "Always"},
        {"remoteKey": "k", "deletionPolicy": "Retain", "storeRef": {}},
    ]})));
    assert_eq!(
        found,
        [
            "pushSecrets[0].store.name: is required",
            "pushSecrets[0].store.kind: must be one of SecretStore, ClusterSecretStore; what is there (5 characters) is not close to any of them",
            "pushSecrets[0].remoteKey: must not be empty",
            "pushSecrets[0].refreshInterval: must be a duration such as 1h, 30m or 1h30m0s",
            "pushSecrets[0].updatePolicy: must be one of Replace, IfNotExists; what is there (6 characters) is not close to any of them",
            "pushSecrets[1].storeRef: unknown field; expected one of name, secret, store, remoteKey, patches, sharedRemoteKey, keys, refreshInterval, updatePolicy, deletionPolicy",
            "pushSecrets[1].store: is required: the name and kind of the SecretStore or ClusterSecretStore",
            "pushSecrets[1].deletionPolicy: must be one of Delete, None; what is there (6 characters) is not close to any of them",
        ]
    );
}

#[test]
fn a_combine_patch_names_each_missing_part() {
    let patch = |combine: Value| {
        let mut patch = json!({"type": "CombineFromComposite", "toFieldPath": "name"});
        if !combine.is_null() {
            patch["combine"] = combine;
        }
        minimal(json!({"writeConnectionSecretToRef": {"patches": [patch]}}))
    };
    let at = "writeConnectionSecretToRef.patches[0].combine";
    assert_eq!(errors(patch(Value::Null)), [format!("{at}: is required when type is CombineFromComposite")]);
    assert_eq!(
        errors(patch(json!({"strategy": "string", "string": {"fmt": "%s"}}))),
        [
            format!("{at}.variables: needs at least one variable"),
            format!("{at}.string.fmt: has 1 verbs for 0 variables; give each variable one"),
        ]
    );
    assert_eq!(
        errors(patch(json!({"strategy": "string", "variables": [{"fromFieldPath": "metadata.name"}]}))),
        [format!("{at}.string: is required: {{fmt: a format such as %s-connection}}")]
    );
}

#[test]
fn a_remote_key_takes_placeholders_and_patches() {
    let input = parse(&minimal(json!({"pushSecrets": [
        {"store": {"name": "vault"}, "remoteKey": "$(xr-namespace)/$(xr-name)/$(xr-uid)", "sharedRemoteKey": false},
        {"store": {"name": "vault"}, "sharedRemoteKey": true,
         "patches": [{"fromFieldPath": "metadata.uid", "toFieldPath": "remoteKey"}]},
    ]})))
    .unwrap();
    assert_eq!(input.push_secrets[0].remote_key.as_deref(), Some("$(xr-namespace)/$(xr-name)/$(xr-uid)"));
    assert!(!input.push_secrets[0].shared_remote_key);
    assert_eq!(input.push_secrets[1].remote_key, None, "left to the patch");
    assert_eq!(input.push_secrets[1].patches.len(), 1);
    assert!(input.push_secrets[1].shared_remote_key);
    let found = errors(minimal(json!({"pushSecrets": [
        {"store": {"name": "vault"}, "remoteKey": "$(xr-nmae)/db", "sharedRemoteKey": "yes"},
        {"store": {"name": "vault"}, "patches": [{"fromFieldPath": "metadata.uid", "toFieldPath": "name"}]},
        {"store": {"name": "vault"}},
    ]})));
    assert_eq!(
        found,
        [
            "pushSecrets[0].remoteKey: substitutes only $(xr-name), $(xr-namespace) and $(xr-uid)",
            "pushSecrets[0].sharedRemoteKey: must be true or false, not a string",
            "pushSecrets[1].patches[0].toFieldPath: must be remoteKey",
            "pushSecrets[1].remoteKey: is required: where the keys land in the store (or a patch to remoteKey)",
            "pushSecrets[2].remoteKey: is required: where the keys land in the store (or a patch to remoteKey)",
        ]
    );
    // The Secret's own patches still set only its name and namespace.
    let found = errors(minimal(json!({"writeConnectionSecretToRef": {"patches": [
        {"fromFieldPath": "metadata.uid", "toFieldPath": "remoteKey"}]}})));
    assert_eq!(
        found,
        [
            "writeConnectionSecretToRef.patches[0].toFieldPath: must be name or namespace",
            "writeConnectionSecretToRef.name: is required (or a patch to name)",
        ]
    );
}
