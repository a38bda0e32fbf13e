//! `convert` (SPEC §9): legacy and function-patch-and-transform
//! Compositions onto this function, through the real component and CLI.
//! Two proofs matter: rendering the converted Composition gives the same
//! Secret, under the same resource name, as before; and the converted file
//! differs from the source by the migration only, so its review in Git is
//! the review of the migration.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use function_connection_details::cli::exit;
use serde_json::Value;

use crate::cli::{Output, cli};
use crate::harness::repo_path;

fn path(relative: &str) -> String {
    repo_path(relative).display().to_string()
}

fn convert(args: &[&str]) -> Output {
    convert_with_stdin(args, b"")
}

fn convert_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut full = vec!["convert"];
    full.extend_from_slice(args);
    cli(&full, stdin)
}

/// A fresh folder of this test's own.
fn scratch(name: &str) -> PathBuf {
    let folder = std::env::temp_dir().join(format!("fcd-convert-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

/// Writes a converted Composition where render can read it.
fn converted_file(name: &str, output: &Output) -> String {
    let file = scratch(name).join("composition.yaml");
    std::fs::write(&file, &output.stdout).unwrap();
    file.display().to_string()
}

fn render_json(args: &[String]) -> Vec<Value> {
    let mut full = vec!["render".to_owned()];
    full.extend(args.iter().cloned());
    full.extend(["--format".to_owned(), "json".to_owned()]);
    let args: Vec<&str> = full.iter().map(String::as_str).collect();
    let output = cli(&args, b"");
    assert_eq!(output.status, exit::SUCCESS, "{}", output.stderr);
    serde_json::from_slice(&output.stdout).unwrap()
}

fn secrets(documents: &[Value]) -> Vec<&Value> {
    documents.iter().filter(|d| d["kind"] == "Secret").collect()
}

fn yaml(text: &[u8]) -> Value {
    serde_saphyr::from_str(std::str::from_utf8(text).unwrap()).unwrap()
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
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
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
        let converted = yaml(&output.stdout);
        assert_eq!(converted["spec"]["mode"], "Pipeline", "{name}");
        assert!(converted["spec"].get("resources").is_none(), "{name}");
        assert_only_the_migration(&name, text.as_bytes(), &output.stdout);
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
fn other_steps_unknown_fields_and_comments_survive() {
    let folder = scratch("fields");
    let composition = folder.join("composition.yaml");
    let text = "# a comment\napiVersion: apiextensions.crossplane.io/v1\nkind: Composition\nmetadata: {name: c}\n\
         spec:\n  futureField: {kept: true}  # and this\n  compositeTypeRef: {apiVersion: example.org/v1, kind: X}\n  resources:\n\
         \x20   - name: db\n      base: {apiVersion: example.org/v1, kind: DB}\n      patches: [{fromFieldPath: spec.size, toFieldPath: spec.forProvider.size}]\n\
         \x20     connectionDetails: [{fromConnectionSecretKey: password}]\n";
    std::fs::write(&composition, text).unwrap();
    let output = convert(&[&composition.display().to_string()]);
    assert_eq!(output.status, exit::SUCCESS, "{}", output.stderr);
    let converted = yaml(&output.stdout);
    assert_eq!(converted["spec"]["futureField"]["kept"], true);
    let pipeline = converted["spec"]["pipeline"].as_array().unwrap();
    assert_eq!(pipeline[0]["input"]["resources"][0]["patches"][0]["toFieldPath"], "spec.forProvider.size");
    assert!(pipeline[0]["input"]["resources"][0].get("connectionDetails").is_none());
    assert_eq!(pipeline[1]["input"]["resources"][0]["connectionDetails"][0]["fromConnectionSecretKey"], "password");
    let written = String::from_utf8(output.stdout).unwrap();
    assert!(written.starts_with("# a comment\n"), "{written}");
    assert!(written.contains("  futureField: {kept: true}  # and this\n"), "{written}");
    assert!(written.contains("connectionDetails: [{fromConnectionSecretKey: password}]\n"), "{written}");
}

/// A real Composition, its XRD, and the lines convert alone writes (every
/// other added line is one it moved), with leading blanks trimmed.
struct Real {
    folder: &'static str,
    new_lines: &'static [&'static str],
}

const STEP_LINES: [&str; 6] = [
    "- step: connection-details",
    "functionRef:",
    "name: function-connection-details",
    "input:",
    "apiVersion: connection.fn.crossplane.io/v1beta1",
    "kind: ConnectionDetails",
];

const PT_STEP_LINES: [&str; 10] = [
    "mode: Pipeline",
    "pipeline:",
    "- step: patch-and-transform",
    "functionRef:",
    "name: function-patch-and-transform",
    "input:",
    "apiVersion: pt.fn.crossplane.io/v1beta1",
    "kind: Resources",
    // This function's input has a resources list, and so has P&T's, which
    // holds the moved spec.resources.
    "resources:",
    "connectionSecretKeys:",
];

const REAL: [Real; 4] = [
    Real {
        folder: "aws-eks-legacy",
        new_lines: &[
            "- name: kubernetesClusterAuth",
            "- kubeconfig",
            "writeConnectionSecretsToNamespace: upbound-system",
        ],
    },
    Real {
        folder: "aws-eks-caas",
        new_lines: &[
            "- name: kubernetesClusterAuth",
            "- kubeconfig",
            "writeConnectionSecretsToNamespace: upbound-system",
        ],
    },
    Real {
        folder: "aws-eks-pipeline",
        new_lines: &[
            "resources:",
            "- name: kubernetesClusterAuth",
            "connectionSecretKeys:",
            "- kubeconfig",
            "writeConnectionSecretsToNamespace: upbound-system",
        ],
    },
    Real {
        folder: "gcp-cluster-pipeline",
        new_lines: &[
            "resources:",
            "- name: XGKE",
            "connectionSecretKeys:",
            "- kubeconfig",
            "writeConnectionSecretsToNamespace: upbound-system",
        ],
    },
];

/// Real Compositions from public platform repositories (sources in
/// tests/data/convert/SOURCES.md): the diff holds the migration and nothing
/// else, what moved reads back as it was, and a second run changes no byte.
#[test]
fn real_compositions_convert_with_a_diff_that_holds_only_the_migration() {
    for real in REAL {
        let folder = repo_path(&format!("tests/data/convert/{}", real.folder));
        let composition = folder.join("composition.yaml");
        let source = std::fs::read(&composition).unwrap();
        let output = convert(&[
            &composition.display().to_string(),
            "--xrd",
            &folder.join("definition.yaml").display().to_string(),
        ]);
        assert_eq!(output.status, exit::SUCCESS, "{}: {}", real.folder, output.stderr);
        let (removed, added) = line_diff(&source, &output.stdout);
        let legacy = yaml(&source)["spec"].get("resources").is_some();
        let mut expected: Vec<&str> = real.new_lines.to_vec();
        expected.extend(STEP_LINES);
        if legacy {
            expected.extend(PT_STEP_LINES);
        }
        let moved_away = difference(&removed, &added);
        assert!(moved_away.is_empty(), "{}: lines removed and not written elsewhere: {moved_away:?}", real.folder);
        let mut written = difference(&added, &removed);
        written.sort_unstable();
        expected.sort_unstable();
        assert_eq!(written, expected, "{}: the lines convert wrote itself", real.folder);
        assert_moved_as_they_were(real.folder, &yaml(&source), &yaml(&output.stdout));

        let again =
            convert_with_stdin(&["-", "--xrd", &folder.join("definition.yaml").display().to_string()], &output.stdout);
        assert_eq!(again.status, exit::SUCCESS, "{}: {}", real.folder, again.stderr);
        assert!(again.stderr.contains("standard input: nothing to convert"), "{}", again.stderr);
        assert_eq!(again.stdout, output.stdout, "{}: a second run changed the file", real.folder);
    }
}

/// For the examples: every removed line reappears among the added ones.
fn assert_only_the_migration(name: &str, source: &[u8], converted: &[u8]) {
    let (removed, added) = line_diff(source, converted);
    let moved_away = difference(&removed, &added);
    assert!(moved_away.is_empty(), "{name}: lines removed and not written elsewhere: {moved_away:?}");
}

/// The lines a line diff removes and adds, each without its indentation
/// (a line that moves deeper is the same line).
fn line_diff(before: &[u8], after: &[u8]) -> (Vec<String>, Vec<String>) {
    let (before, after) = (std::str::from_utf8(before).unwrap(), std::str::from_utf8(after).unwrap());
    let diff = similar::TextDiff::from_lines(before, after);
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for change in diff.iter_all_changes() {
        let line = change.value().trim().to_owned();
        match change.tag() {
            similar::ChangeTag::Delete => removed.push(line),
            similar::ChangeTag::Insert => added.push(line),
            similar::ChangeTag::Equal => {}
        }
    }
    (removed, added)
}

/// `from` less `other`, counting repeats.
fn difference<'a>(from: &'a [String], other: &[String]) -> Vec<&'a str> {
    let mut left: BTreeMap<&str, usize> = BTreeMap::new();
    for line in other {
        *left.entry(line.as_str()).or_default() += 1;
    }
    from.iter()
        .filter(|line| match left.get_mut(line.as_str()) {
            Some(count) if *count > 0 => {
                *count -= 1;
                false
            }
            _ => true,
        })
        .map(String::as_str)
        .collect()
}

/// Read back, every moved part equals what it was in the source: P&T's
/// resources without their connection details, and those details in this
/// function's step; everything else of the Composition is untouched.
fn assert_moved_as_they_were(name: &str, source: &Value, converted: &Value) {
    let strip = |resources: &Value| -> Value {
        let mut resources = resources.clone();
        for resource in resources.as_array_mut().unwrap() {
            resource.as_object_mut().unwrap().remove("connectionDetails");
        }
        resources
    };
    let details = |resources: &Value| -> Vec<Value> {
        resources
            .as_array()
            .unwrap()
            .iter()
            .filter(|resource| resource.get("connectionDetails").is_some())
            .map(|resource| serde_json::json!({"name": resource["name"], "connectionDetails": resource["connectionDetails"]}))
            .collect()
    };
    let pipeline = converted["spec"]["pipeline"].as_array().unwrap();
    let ours = pipeline.iter().find(|step| step["functionRef"]["name"] == "function-connection-details").unwrap();
    let (source_resources, pt) = match source["spec"].get("resources") {
        Some(resources) => (resources, &pipeline[0]),
        None => {
            let pt =
                source["spec"]["pipeline"].as_array().unwrap().iter().find(|step| step["input"]["kind"] == "Resources");
            (&pt.unwrap()["input"]["resources"], &pipeline[0])
        }
    };
    assert_eq!(pt["input"]["resources"], strip(source_resources), "{name}: P&T's resources");
    assert_eq!(ours["input"]["resources"].as_array().unwrap(), &details(source_resources), "{name}: the moved details");
    if let Some(patch_sets) = source["spec"].get("patchSets") {
        assert_eq!(&pt["input"]["patchSets"], patch_sets, "{name}: patchSets");
    }
    let rest = |composition: &Value| {
        let mut composition = composition.clone();
        let spec = composition["spec"].as_object_mut().unwrap();
        for moved in ["resources", "patchSets", "pipeline", "mode"] {
            spec.remove(moved);
        }
        composition
    };
    assert_eq!(rest(converted), rest(source), "{name}: the rest of the Composition");
}

#[test]
fn in_place_replaces_the_file_whole_and_leaves_nothing_beside_it() {
    use std::os::unix::fs::PermissionsExt;
    let folder = scratch("in-place");
    let file = folder.join("composition.yaml");
    std::fs::copy(repo_path("examples/aws-iam-legacy-composition/composition.yaml"), &file).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let to_stdout = convert(&[&file.display().to_string()]);
    assert_eq!(to_stdout.status, exit::SUCCESS, "{}", to_stdout.stderr);

    let in_place = convert(&["--in-place", &file.display().to_string()]);
    assert_eq!(in_place.status, exit::SUCCESS, "{}", in_place.stderr);
    assert!(in_place.stdout.is_empty(), "--in-place prints nothing");
    assert_eq!(std::fs::read(&file).unwrap(), to_stdout.stdout);
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o640);
    let beside: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|entry| entry.unwrap().file_name()).collect();
    assert_eq!(beside, ["composition.yaml"]);

    let output_file = folder.join("out.yaml");
    let to_file = convert(&[&file.display().to_string(), "--output-file", &output_file.display().to_string()]);
    assert!(to_file.stderr.contains("nothing to convert"), "{}", to_file.stderr);
    assert_eq!(std::fs::read(&output_file).unwrap(), to_stdout.stdout);

    let from_stdin = convert(&["--in-place", "-"]);
    assert_eq!(from_stdin.status, exit::UNUSABLE);
    assert_eq!(
        from_stdin.stderr,
        "error: --in-place needs a file to replace, not standard input (-); use --output-file\n"
    );
}

/// A legacy Composition whose one resource has `details` as its connection
/// details.
fn legacy_with(folder: &Path, details: &str) -> String {
    let file = folder.join("composition.yaml");
    let text = format!(
        "apiVersion: apiextensions.crossplane.io/v1\nkind: Composition\nmetadata:\n  name: c\nspec:\n  compositeTypeRef:\n\
         \x20   apiVersion: example.org/v1\n    kind: X\n  resources:\n    - name: db\n      base:\n        apiVersion: example.org/v1\n\
         \x20       kind: DB\n      connectionDetails:\n{details}"
    );
    std::fs::write(&file, text).unwrap();
    file.display().to_string()
}

/// Issue 20: what convert writes is checked as the function checks it; each
/// problem is named at the source's file, line and field path, and nothing
/// is written unless --force, which marks the step.
#[test]
fn a_converted_input_the_function_would_refuse_is_not_written() {
    let folder = scratch("refused");
    let file = legacy_with(
        &folder,
        "        - name: password\n          fromConnectionSecretKy: password\n        - type: FromSecret\n          name: user\n",
    );
    let output = convert(&[&file]);
    assert_eq!(output.status, exit::FATAL_RESULT, "{}", output.stderr);
    assert!(output.stdout.is_empty(), "nothing is written");
    let errors: Vec<&str> = output.stderr.lines().filter(|line| line.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 4, "{}", output.stderr);
    assert!(
        errors[0].starts_with(&format!(
            "error: {file}:16: spec.resources[0].connectionDetails[0].fromConnectionSecretKy: unknown field"
        )),
        "{}",
        output.stderr
    );
    assert!(
        errors[1].starts_with(&format!("error: {file}:15: spec.resources[0].connectionDetails[0]: ")),
        "{}",
        output.stderr
    );
    assert!(
        errors[2].starts_with(&format!("error: {file}:17: spec.resources[0].connectionDetails[1].type: ")),
        "{}",
        output.stderr
    );
    assert!(
        errors[3].ends_with(&format!(
            "nothing was written. Fix {file} and run convert again, or give --force to write it marked"
        )),
        "{}",
        output.stderr
    );

    let forced = convert(&[&file, "--force"]);
    assert_eq!(forced.status, exit::FATAL_RESULT);
    let written = String::from_utf8(forced.stdout).unwrap();
    let marked =
        written.find("    # function-connection-details convert: the function refuses this step's input").unwrap();
    let step = written.find("    - step: connection-details").unwrap();
    assert!(marked < step, "{written}");
    assert!(written.contains("    #   "), "{written}");
    assert_eq!(yaml(written.as_bytes())["spec"]["pipeline"][1]["step"], "connection-details");
}

#[test]
fn an_xrd_key_nothing_produces_gets_render_s_warning() {
    let folder = scratch("xrd-keys");
    let file = legacy_with(
        &folder,
        "        - fromConnectionSecretKey: password\n        - fromConnectionSecretKey: username\n",
    );
    let xrd = folder.join("xrd.yaml");
    std::fs::write(
        &xrd,
        "apiVersion: apiextensions.crossplane.io/v1\nkind: CompositeResourceDefinition\nmetadata:\n  name: xs.example.org\n\
         spec:\n  connectionSecretKeys:\n    - password\n    - usernme\n",
    )
    .unwrap();
    let output = convert(&[&file, "--xrd", &xrd.display().to_string()]);
    assert_eq!(output.status, exit::SUCCESS, "{}", output.stderr);
    let warning = output.stderr.lines().find(|line| line.starts_with("warning: ")).unwrap_or_default();
    assert_eq!(
        warning,
        format!(
            "warning: {}:6: spec.connectionSecretKeys: connectionSecretKeys lists \"usernme\", but no entry produces it; \
             did you mean \"username\", which resources[0] db produces and the list leaves out?",
            xrd.display()
        )
    );
}

#[test]
fn an_unusable_composition_names_the_file() {
    let xr = path("examples/aws-iam/xr.yaml");
    let output = convert(&[&xr]);
    assert_eq!(output.status, exit::UNUSABLE);
    assert!(output.stderr.contains("xr.yaml"), "{}", output.stderr);
}
