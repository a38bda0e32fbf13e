//! `render` (SPEC §5): each example against its checked-in output, and the
//! ways inputs can be unusable. Set UPDATE_GOLDEN=1 to rewrite the expected
//! files after an intended change, then review the diff.

use std::path::{Path, PathBuf};

use function_connection_details::cli::exit;
use serde_json::Value;

use crate::cli::{Output, cli};
use crate::harness::{SCENARIO_A_KEYS, repo_path};

/// The render arguments for an example folder: XR, Composition, and each
/// optional input the folder has.
fn example_args(example: &str) -> Vec<String> {
    let folder = repo_path(&format!("examples/{example}"));
    let path = |file: &str| folder.join(file).display().to_string();
    let mut args = vec!["render".to_owned(), path("xr.yaml"), path("composition.yaml")];
    for (flag, file) in [
        ("--observed-resources", "observed.yaml"),
        ("--secrets", "secrets.yaml"),
        ("--required-resources", "required.yaml"),
        ("--xrd", "xrd.yaml"),
        ("--claim", "claim.yaml"),
    ] {
        if folder.join(file).exists() {
            args.extend([flag.to_owned(), path(file)]);
        }
    }
    args
}

fn render(args: &[String]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    cli(&args, b"")
}

fn render_example(example: &str, extra: &[&str]) -> Output {
    let mut args = example_args(example);
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    render(&args)
}

fn assert_golden(example: &str, format: &str, file: &str) {
    let output = render_example(example, &["--format", format]);
    assert_eq!(output.status, exit::SUCCESS, "{example}: {}", output.stderr);
    let actual = String::from_utf8(output.stdout).unwrap();
    let expected_path = repo_path(&format!("examples/{example}/expected/{file}"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(expected_path.parent().unwrap()).unwrap();
        std::fs::write(&expected_path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1 to create it)", expected_path.display()));
    assert_eq!(actual, expected, "{example} -o {format} differs from {}", expected_path.display());
}

/// Every example folder that render runs on: those with an XR and a
/// Composition.
fn examples() -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(repo_path("examples"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|folder| folder.join("xr.yaml").exists() && folder.join("composition.yaml").exists())
        .map(|folder| folder.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert!(found.len() >= 6, "found only {found:?}");
    found
}

#[test]
fn every_example_renders_its_expected_yaml_and_table() {
    for example in &examples() {
        assert_golden(example, "yaml", "render.yaml");
        assert_golden(example, "table", "render.txt");
    }
}

fn secret_sizes(document: &Value) -> Vec<(String, usize)> {
    use base64::Engine;
    document["data"]
        .as_object()
        .map(|data| {
            data.iter()
                .map(|(k, v)| {
                    let bytes = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap()).unwrap();
                    (k.clone(), bytes.len())
                })
                .collect()
        })
        .unwrap_or_default()
}

fn json_documents(example: &str, extra: &[&str]) -> Vec<Value> {
    let mut args: Vec<&str> = vec!["--format", "json"];
    args.extend(extra);
    let output = render_example(example, &args);
    assert_eq!(output.status, exit::SUCCESS, "{}", output.stderr);
    serde_json::from_slice::<Vec<Value>>(&output.stdout).expect("-o json is a JSON array")
}

fn find<'a>(documents: &'a [Value], namespace: &str, name: &str) -> &'a Value {
    documents
        .iter()
        .find(|d| d["metadata"]["namespace"] == namespace && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no object {namespace}/{name}"))
}

#[test]
fn scenario_a_claim_and_xr_secrets_hold_seven_keys_and_render_warns_about_key2_pass() {
    let documents = json_documents("aws-iam", &[]);
    let seven = SCENARIO_A_KEYS.map(|(k, n)| (k.to_owned(), n));
    assert_eq!(secret_sizes(find(&documents, "default", "my-access-key-secret")), seven);
    assert_eq!(secret_sizes(find(&documents, "other-namespace", "5b8d7c52-3f0a-4a5e-9c1d-2e6f8a9b0c1d")), seven);
    assert_eq!(secret_sizes(find(&documents, "docs", "key1")).len(), 4);
    let results: Vec<&Value> = documents.iter().filter(|d| d["kind"] == "Result").collect();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["apiVersion"], "render.crossplane.io/v1beta1");
    assert_eq!(results[0]["severity"], "SEVERITY_WARNING");
    assert!(results[0]["message"].as_str().unwrap().contains("did you mean \"key2-password\""));
}

#[test]
fn scenario_b_legacy_composition_claim_secret_holds_exactly_three_keys() {
    let documents = json_documents("aws-iam-legacy-composition", &[]);
    let sizes = secret_sizes(find(&documents, "default", "my-access-key-secret"));
    assert_eq!(sizes, [("key2-user".to_owned(), 20), ("password".to_owned(), 40), ("username".to_owned(), 20)]);
    assert!(documents.iter().all(|d| d["kind"] != "Result"), "no results expected");
}

#[test]
fn scenario_c_xr_secret_exists_with_no_data() {
    let documents = json_documents("no-connection-details", &[]);
    let xr_secret = find(&documents, "other-namespace", "5b8d7c52-3f0a-4a5e-9c1d-2e6f8a9b0c1d");
    assert_eq!(secret_sizes(xr_secret), []);
    assert_eq!(secret_sizes(find(&documents, "default", "my-access-key-secret")), []);
}

#[test]
fn scenario_e_modern_xr_gets_one_composed_secret_in_its_namespace() {
    let documents = json_documents("aws-iam-v2", &[]);
    let secret = find(&documents, "default", "test-secrets-connection");
    assert_eq!(secret["type"], "connection.crossplane.io/v1alpha1");
    assert_eq!(secret_sizes(secret).len(), 7);
    let secrets: Vec<&Value> = documents.iter().filter(|d| d["kind"] == "Secret").collect();
    assert_eq!(secrets.len(), 3, "key1, key2 and the composed Secret");
}

/// What `kubectl apply --dry-run=client` checks of a Secret: the type
/// metadata, DNS names, valid keys and base64 values.
#[test]
fn every_rendered_secret_is_a_valid_kubernetes_secret() {
    use base64::Engine;
    let dns = |s: &str| {
        !s.is_empty()
            && s.len() <= 253
            && s.split('.').all(|part| {
                !part.is_empty()
                    && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !part.starts_with('-')
                    && !part.ends_with('-')
            })
    };
    for example in &examples() {
        for secret in json_documents(example, &[]).iter().filter(|d| d["kind"] == "Secret") {
            assert_eq!(secret["apiVersion"], "v1");
            assert!(dns(secret["metadata"]["name"].as_str().unwrap()), "{secret}");
            assert!(dns(secret["metadata"]["namespace"].as_str().unwrap()), "{secret}");
            for (key, value) in secret["data"].as_object().unwrap() {
                assert!(key.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)), "{key}");
                base64::engine::general_purpose::STANDARD.decode(value.as_str().unwrap()).expect("base64");
            }
        }
    }
}

#[test]
fn yaml_is_a_valid_stream_of_the_same_documents_as_json() {
    for example in &examples() {
        let yaml = render_example(example, &["--format", "yaml"]);
        let text = String::from_utf8(yaml.stdout).unwrap();
        let parsed: Vec<Value> = serde_saphyr::from_multiple(&text).expect("-o yaml parses as YAML");
        assert_eq!(parsed, json_documents(example, &[]), "{example}");
    }
}

#[test]
fn a_referenced_secret_that_is_not_given_leaves_its_keys_pending() {
    let without_secrets = drop_flag(&example_args("aws-iam"), "--secrets");
    let output = render(&without_secrets);
    assert_eq!(output.status, exit::SUCCESS, "{}", output.stderr);
    let documents: Vec<Value> = {
        let mut json_args = without_secrets.clone();
        json_args.extend(["--format".to_owned(), "json".to_owned()]);
        serde_json::from_slice(&render(&json_args).stdout).unwrap()
    };
    assert_eq!(secret_sizes(find(&documents, "default", "my-access-key-secret")), []);
}

#[test]
fn folders_of_files_are_read_in_name_order() {
    let folder = TempDir::new("observed-folder");
    let observed = std::fs::read_to_string(repo_path("examples/aws-iam/observed.yaml")).unwrap();
    for (i, document) in observed.split("---\n").enumerate() {
        std::fs::write(folder.path().join(format!("{i}-resource.yaml")), document).unwrap();
    }
    std::fs::write(folder.path().join("notes.txt"), "not yaml, not read").unwrap();
    let args = replace_flag(&example_args("aws-iam"), "--observed-resources", &folder.path().display().to_string());
    let mut json_args = args.clone();
    json_args.extend(["--format".to_owned(), "json".to_owned()]);
    let output = render(&json_args);
    assert_eq!(output.status, exit::SUCCESS, "{}", output.stderr);
    let documents: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(secret_sizes(find(&documents, "default", "my-access-key-secret")).len(), 7);
}

#[test]
fn a_missing_file_exits_2_naming_it() {
    let args = replace_arg(&example_args("aws-iam"), 1, "examples/aws-iam/nope.yaml");
    let output = render(&args);
    assert_eq!(output.status, exit::UNUSABLE);
    assert!(output.stderr.starts_with("error: examples/aws-iam/nope.yaml: cannot read: "), "{}", output.stderr);
}

#[test]
fn a_yaml_syntax_error_exits_2_naming_file_and_line() {
    let folder = TempDir::new("bad-yaml");
    let bad = folder.path().join("secrets.yaml");
    std::fs::write(&bad, "apiVersion: v1\nkind: Secret\ndata:\n  password: c2VjcmV0\n  bad: : x\n").unwrap();
    let args = replace_flag(&example_args("aws-iam"), "--secrets", &bad.display().to_string());
    let output = render(&args);
    assert_eq!(output.status, exit::UNUSABLE);
    assert_eq!(
        output.stderr,
        format!("error: {}:5: invalid YAML: mapping values are not allowed in this context\n", bad.display())
    );
}

#[test]
fn a_composition_without_the_function_step_exits_2() {
    let output = render_example("aws-iam", &["--function-name", "function-other"]);
    assert_eq!(output.status, exit::UNUSABLE);
    assert!(
        output.stderr.contains(
            "composition.yaml: no pipeline step uses function \"function-other\" (the steps use: \
             function-patch-and-transform, function-connection-details)"
        ),
        "{}",
        output.stderr
    );
}

#[test]
fn an_observed_resource_without_the_annotation_exits_2_naming_it() {
    let folder = TempDir::new("no-annotation");
    let observed = folder.path().join("observed.yaml");
    let text = std::fs::read_to_string(repo_path("examples/aws-iam/observed.yaml")).unwrap();
    std::fs::write(&observed, text.replacen("crossplane.io/composition-resource-name: key2", "other: key2", 1))
        .unwrap();
    let args = replace_flag(&example_args("aws-iam"), "--observed-resources", &observed.display().to_string());
    let output = render(&args);
    assert_eq!(output.status, exit::UNUSABLE);
    assert_eq!(
        output.stderr,
        format!(
            "error: {0}:45: document 4 (AccessKey test-secrets-key2): has no annotation \
             crossplane.io/composition-resource-name, which render needs to match it to a composition resource\n",
            observed.display()
        )
    );
}

#[test]
fn an_invalid_function_input_is_a_fatal_result_and_exit_1() {
    let folder = TempDir::new("bad-input");
    let composition = folder.path().join("composition.yaml");
    let text = std::fs::read_to_string(repo_path("examples/aws-iam/composition.yaml")).unwrap();
    std::fs::write(&composition, text.replace("kind: ConnectionDetails", "kind: ConnectionDetail")).unwrap();
    let args = replace_arg(&example_args("aws-iam"), 2, &composition.display().to_string());
    let mut table_args = args.clone();
    table_args.extend(["--format".to_owned(), "table".to_owned()]);
    let output = render(&table_args);
    assert_eq!(output.status, exit::FATAL_RESULT, "{}", output.stderr);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("FATAL     connection-details   invalid function input"), "{text}");
}

#[test]
fn the_table_never_shows_a_value() {
    use base64::Engine;
    let table = String::from_utf8(render_example("aws-iam", &["--format", "table"]).stdout).unwrap();
    let mut values = 0;
    for secret in json_documents("aws-iam", &[]).iter().filter(|d| d["kind"] == "Secret") {
        for encoded in secret["data"].as_object().unwrap().values().filter_map(Value::as_str) {
            let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).unwrap();
            let value = String::from_utf8(decoded).unwrap();
            assert!(!table.contains(&value) && !table.contains(encoded), "a value leaked into the table");
            values += 1;
        }
    }
    assert_eq!(values, 22, "7 + 7 + 4 + 4 values checked");
}

fn readiness(documents: &[Value]) -> &Value {
    documents.iter().find(|d| d["kind"] == "Readiness").expect("a Readiness document")
}

fn data_keys(document: &Value) -> Vec<String> {
    secret_sizes(document).into_iter().map(|(key, _)| key).collect()
}

#[test]
fn scenario_d_without_the_admin_password_secret_holds_readiness() {
    let mut args = drop_flag(&example_args("aso"), "--required-resources");
    args.extend(["--format".to_owned(), "json".to_owned()]);
    let output = render(&args);
    assert_eq!(output.status, exit::SUCCESS, "{}", output.stderr);
    let documents: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let condition = documents.iter().find(|d| d["kind"] == "Condition").unwrap();
    assert_eq!(condition["status"], "False");
    assert_eq!(
        condition["message"],
        "waiting for connection secret keys: admin-password, postgresUrl; missing: admin-password (Secret \
         default/server-admin-pw was not found); postgresUrl (its template waits on keys[\"admin-password\"], not \
         produced yet)"
    );
    let readiness = readiness(&documents);
    assert_eq!(readiness["composedResources"]["connection-secret"], "False", "the Secret holds the XR unready");
    assert_eq!(readiness["ttl"], "15s");
    let warning = documents.iter().find(|d| d["kind"] == "Result").unwrap();
    assert_eq!(warning["reason"], "SecretNotFound");
    let connection = find(&documents, "default", "orders-connection");
    assert!(!data_keys(connection).contains(&"admin-password".to_owned()));
    // Fan-out does not wait: its keys are all there.
    assert_eq!(data_keys(find(&documents, "default", "mysecret")), ["primarymasterkey", "secondarymasterkey"]);
    assert_eq!(data_keys(find(&documents, "default", "myendpoint")), ["endpoint"]);
}

#[test]
fn scenario_d_with_the_admin_password_secret_is_ready_with_every_key() {
    let documents = json_documents("aso", &[]);
    let condition = documents.iter().find(|d| d["kind"] == "Condition").unwrap();
    assert_eq!(condition["status"], "True");
    let readiness = readiness(&documents);
    assert_eq!(readiness["ttl"], "60s");
    assert_eq!(readiness["composedResources"]["connection-secret"], "True");
    let connection = find(&documents, "default", "orders-connection");
    assert_eq!(
        data_keys(connection),
        [
            "admin-password",
            "admin-user",
            "cosmosConnectionString",
            "documentEndpoint",
            "host",
            "postgresUrl",
            "primaryMasterKey",
            "secondaryMasterKey",
        ]
    );
    let config_map = find(&documents, "default", "orders-db-info");
    assert_eq!(config_map["data"]["postgres-host"], "orders-server-q9w3e.postgres.database.azure.com");
    assert!(documents.iter().all(|d| d["kind"] != "Result"), "no warnings once the Secret exists");
}

fn drop_flag(args: &[String], flag: &str) -> Vec<String> {
    let mut kept = Vec::new();
    let mut skip = false;
    for arg in args {
        if skip {
            skip = false;
        } else if arg == flag {
            skip = true;
        } else {
            kept.push(arg.clone());
        }
    }
    kept
}

fn replace_flag(args: &[String], flag: &str, value: &str) -> Vec<String> {
    let position = args.iter().position(|a| a == flag).expect("the example has the flag");
    replace_arg(args, position + 1, value)
}

fn replace_arg(args: &[String], position: usize, value: &str) -> Vec<String> {
    let mut replaced = args.to_vec();
    replaced[position] = value.to_owned();
    replaced
}

/// A scratch folder removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("fcd-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn explanation<'a>(documents: &'a [Value], namespace: &str, name: &str) -> &'a Value {
    documents
        .iter()
        .find(|d| d["kind"] == "Explanation" && d["object"]["namespace"] == namespace && d["object"]["name"] == name)
        .unwrap_or_else(|| panic!("no Explanation of {namespace}/{name}"))
}

fn key_states(explanation: &Value) -> Vec<(String, String)> {
    explanation["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["key"].as_str().unwrap().to_owned(), k["status"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn explanations_say_where_each_key_came_from_and_what_dropped_it() {
    let documents = json_documents("aws-iam", &[]);
    let claim = explanation(&documents, "default", "my-access-key-secret");
    let dropped = claim["keys"].as_array().unwrap().iter().find(|k| k["key"] == "key2-password").unwrap();
    assert_eq!(dropped["status"], "Dropped");
    assert_eq!(dropped["source"], "resources[1] key2: fromConnectionSecretKey password");
    assert_eq!(dropped["reason"], "the XRD's connectionSecretKeys leaves it out");
    let username = claim["keys"].as_array().unwrap().iter().find(|k| k["key"] == "username").unwrap();
    assert_eq!((username["status"].clone(), username["bytes"].clone()), (Value::from("Present"), Value::from(20)));
}

#[test]
fn a_secret_with_no_key_yet_is_explained_though_it_is_not_composed() {
    let args = vec![
        repo_path("examples/aws-iam-v2/xr.yaml").display().to_string(),
        repo_path("examples/aws-iam-v2/composition.yaml").display().to_string(),
        "--observed-resources".to_owned(),
        repo_path("examples/aws-iam-v2/observed.yaml").display().to_string(),
        "--format".to_owned(),
        "json".to_owned(),
    ];
    let mut full = vec!["render".to_owned()];
    full.extend(args);
    let output = render(&full);
    assert_eq!(output.status, exit::SUCCESS, "{}", output.stderr);
    let documents: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let pending = explanation(&documents, "default", "test-secrets-connection");
    assert_eq!(pending["composed"], false);
    assert!(key_states(pending).iter().all(|(_, state)| state == "Missing"), "{pending}");
    let reason = pending["keys"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("holds no keys yet (Secret default/key"), "{reason}");
    let text = String::from_utf8(
        render(&[full[..full.len() - 2].to_vec(), vec!["--format".to_owned(), "table".to_owned()]].concat()).stdout,
    )
    .unwrap();
    assert!(text.contains("Secret default/test-secrets-connection is not composed yet"), "{text}");
}
