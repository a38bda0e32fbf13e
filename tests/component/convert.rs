//! `convert` (SPEC §9): legacy and function-patch-and-transform
//! Compositions onto this function, through the real component and CLI, and
//! the proof that matters: rendering the converted Composition gives the
//! same Secret, under the same resource name, as before.

use function_connection_details::cli::exit;
use serde_json::Value;

use crate::cli::{Output, cli};
use crate::harness::repo_path;

fn path(relative: &str) -> String {
    repo_path(relative).display().to_string()
}

fn convert(args: &[&str]) -> Output {
    let mut full = vec!["convert"];
    full.extend_from_slice(args);
    cli(&full, b"")
}

/// Writes a converted Composition where render can read it.
fn converted_file(name: &str, output: &Output) -> String {
    let file = std::env::temp_dir().join(format!("fcd-convert-{}-{name}.yaml", std::process::id()));
    std::fs::write(&file, &output.stdout).unwrap();
    file.display().to_string()
}

fn render_json(args: &[String]) -> Vec<Value> {
    let mut full = vec!["render".to_owned()];
    full.extend(args.iter().cloned());
    full.extend(["-o".to_owned(), "json".to_owned()]);
    let args: Vec<&str> = full.iter().map(String::as_str).collect();
    let output = cli(&args, b"");
    assert_eq!(output.status, exit::SUCCESS, "{}", output.stderr);
    serde_json::from_slice(&output.stdout).unwrap()
}

fn secrets(documents: &[Value]) -> Vec<&Value> {
    documents.iter().filter(|d| d["kind"] == "Secret").collect()
}

#[test]
fn the_pt_migration_example_is_what_convert_makes_of_it() {
    let output = convert(&[
        &path("examples/pt-migration/composition-pt.yaml"),
        "--xrd",
        &path("examples/pt-migration/xrd.yaml"),
    ]);
    assert_eq!(output.status, exit::SUCCESS, "{}", output.stderr);
    let expected = std::fs::read_to_string(repo_path("examples/pt-migration/composition.yaml")).unwrap();
    let body = expected.split_once("\n---\n").map_or(expected.as_str(), |(_, body)| body);
    assert_eq!(String::from_utf8(output.stdout).unwrap().trim_start_matches("---\n"), body);
    assert!(output.stderr.contains("keeps function-patch-and-transform's resource name"), "{}", output.stderr);
}

/// What function-patch-and-transform v0.10 composes for this XR, by its
/// rules: the key `<xr-name>-connection-secret`; the name from its
/// writeConnectionSecretToRef patches (`%s-credentials` of the XR's name);
/// the XR's namespace; Crossplane's connection Secret type; one key per
/// connection detail.
#[test]
fn a_converted_pt_composition_renders_pt_s_secret_under_pt_s_key() {
    let folder = "examples/pt-migration";
    let converted =
        convert(&[&path(&format!("{folder}/composition-pt.yaml")), "--xrd", &path(&format!("{folder}/xrd.yaml"))]);
    let composition = converted_file("pt", &converted);
    let documents = render_json(&[
        path(&format!("{folder}/xr.yaml")),
        composition,
        "--observed-resources".to_owned(),
        path(&format!("{folder}/observed.yaml")),
        "--secrets".to_owned(),
        path(&format!("{folder}/secrets.yaml")),
    ]);
    let combined: Vec<&Value> = secrets(&documents)
        .into_iter()
        .filter(|s| s["metadata"]["annotations"]["crossplane.io/composition-resource-name"].is_string())
        .collect();
    assert_eq!(combined.len(), 1, "{documents:?}");
    let secret = combined[0];
    assert_eq!(
        secret["metadata"]["annotations"]["crossplane.io/composition-resource-name"],
        "billing-connection-secret"
    );
    assert_eq!(secret["metadata"]["name"], "billing-credentials");
    assert_eq!(secret["metadata"]["namespace"], "billing");
    assert_eq!(secret["type"], "connection.crossplane.io/v1alpha1");
    let keys: Vec<&String> = secret["data"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["aws_access_key_id", "aws_secret_access_key", "region"]);
}

#[test]
fn every_legacy_example_converts_and_renders_the_same_secrets() {
    let mut converted_any = false;
    for entry in std::fs::read_dir(repo_path("examples")).unwrap() {
        let folder = entry.unwrap().path();
        let composition = folder.join("composition.yaml");
        let Ok(text) = std::fs::read_to_string(&composition) else { continue };
        if !text.contains("\n  resources:") {
            continue;
        }
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        let xrd = folder.join("xrd.yaml");
        let mut args = vec![composition.display().to_string()];
        if xrd.exists() {
            args.extend(["--xrd".to_owned(), xrd.display().to_string()]);
        }
        let output = convert(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(output.status, exit::SUCCESS, "{name}: {}", output.stderr);
        let converted: Value = serde_saphyr::from_str(std::str::from_utf8(&output.stdout).unwrap()).unwrap();
        assert_eq!(converted["spec"]["mode"], "Pipeline", "{name}");
        assert!(converted["spec"].get("resources").is_none(), "{name}");
        let render_args = |composition: String| {
            let mut args = vec![folder.join("xr.yaml").display().to_string(), composition];
            for (flag, file) in [
                ("--observed-resources", "observed.yaml"),
                ("--secrets", "secrets.yaml"),
                ("--xrd", "xrd.yaml"),
                ("--claim", "claim.yaml"),
            ] {
                if folder.join(file).exists() {
                    args.extend([flag.to_owned(), folder.join(file).display().to_string()]);
                }
            }
            args
        };
        let before = render_json(&render_args(composition.display().to_string()));
        let after = render_json(&render_args(converted_file(&name, &output)));
        assert_eq!(secrets(&after), secrets(&before), "{name}: the Secrets differ after convert");
        converted_any = true;
    }
    assert!(converted_any, "no legacy Composition under examples/");
}

#[test]
fn a_composition_with_nothing_to_convert_says_so_and_is_printed_unchanged() {
    let file = repo_path("examples/no-connection-details/composition.yaml");
    let output = convert(&[&file.display().to_string()]);
    assert_eq!(output.status, exit::SUCCESS);
    assert!(output.stderr.contains("nothing to convert"), "{}", output.stderr);
    assert_eq!(output.stdout, std::fs::read(file).unwrap());
}

#[test]
fn other_steps_and_unknown_fields_survive_and_dropped_comments_are_named() {
    let composition = std::env::temp_dir().join(format!("fcd-convert-{}-fields.yaml", std::process::id()));
    std::fs::write(
        &composition,
        "# a comment\napiVersion: apiextensions.crossplane.io/v1\nkind: Composition\nmetadata: {name: c}\n\
         spec:\n  futureField: {kept: true}\n  compositeTypeRef: {apiVersion: example.org/v1, kind: X}\n  resources:\n\
         \x20   - name: db\n      base: {apiVersion: example.org/v1, kind: DB}\n      patches: [{fromFieldPath: spec.size, toFieldPath: spec.forProvider.size}]\n\
         \x20     connectionDetails: [{fromConnectionSecretKey: password}]\n",
    )
    .unwrap();
    let output = convert(&[&composition.display().to_string()]);
    assert_eq!(output.status, exit::SUCCESS, "{}", output.stderr);
    let converted: Value = serde_saphyr::from_str(std::str::from_utf8(&output.stdout).unwrap()).unwrap();
    assert_eq!(converted["spec"]["futureField"]["kept"], true);
    let pipeline = converted["spec"]["pipeline"].as_array().unwrap();
    assert_eq!(pipeline[0]["input"]["resources"][0]["patches"][0]["toFieldPath"], "spec.forProvider.size");
    assert!(pipeline[0]["input"]["resources"][0].get("connectionDetails").is_none());
    assert_eq!(pipeline[1]["input"]["resources"][0]["connectionDetails"][0]["fromConnectionSecretKey"], "password");
    assert!(output.stderr.contains("comments are not kept"), "{}", output.stderr);
}

#[test]
fn an_unusable_composition_names_the_file() {
    let xr = path("examples/aws-iam/xr.yaml");
    let output = convert(&[&xr]);
    assert_eq!(output.status, exit::UNUSABLE);
    assert!(output.stderr.contains("xr.yaml"), "{}", output.stderr);
}
