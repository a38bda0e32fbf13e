//! The catalogue of bad inputs (RELIABILITY.md has it as a table): each case
//! feeds one malformed input to one entry point (function input, `render`,
//! `run`, `serve`) through the real component and checks the class of the
//! error, that it says where (field path, or file and line), and that the
//! secret value planted in every case appears nowhere in what comes back.
//! Nothing may panic or trap: each class below is an answer, not a crash.

use function_connection_details::cli::exit;
use function_connection_details::runtime::RunError;
use serde_json::{Value, json};

use crate::cli::cli;
use crate::harness::{Request, input, repo_path};

/// A value that must never come back.
const SECRET: &str = "S3CRET-sentinel-value";

/// One bad input of one entry point.
struct Case<T> {
    id: &'static str,
    /// What comes back: a FATAL result's reason, an exit status, a gRPC code.
    class: String,
    /// Where: a fragment naming the field path, or the file and line.
    names: &'static str,
    input: T,
}

fn case<T>(id: &'static str, class: impl Into<String>, names: &'static str, input: T) -> Case<T> {
    Case { id, class: class.into(), names, input }
}

/// What a case produced, for the checks and the failure report.
struct Outcome {
    class: String,
    text: String,
}

fn check<T>(case: &Case<T>, outcome: &Outcome) -> Option<String> {
    let mut problems = Vec::new();
    if outcome.class != case.class {
        problems.push(format!("class {:?}, expected {:?}", outcome.class, case.class));
    }
    if !outcome.text.contains(case.names) {
        problems.push(format!("does not name {:?}", case.names));
    }
    if outcome.text.contains(SECRET) {
        problems.push("shows the secret value".to_owned());
    }
    (!problems.is_empty()).then(|| format!("{}: {}\n    {}", case.id, problems.join("; "), outcome.text))
}

/// Runs every case, then reports every one that failed. CATALOGUE_PRINT=1
/// prints every outcome, as RELIABILITY.md quotes them.
fn assert_all<T>(cases: Vec<Case<T>>, mut outcome: impl FnMut(&Case<T>) -> Outcome) {
    let print = std::env::var_os("CATALOGUE_PRINT").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let outcome = outcome(case);
        if print {
            let first_line = outcome.text.lines().next().unwrap_or_default();
            println!("| `{}` | {} | {} |", case.id, outcome.class, first_line.chars().take(220).collect::<String>());
        }
        failures.extend(check(case, &outcome));
    }
    assert!(failures.is_empty(), "{} of {} cases:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

fn unusable() -> String {
    format!("exit {}", exit::UNUSABLE)
}

// ---- function input: one FATAL result naming the field path -------------

fn input_outcome(request: Request) -> Outcome {
    let response = match request.run_with(&crate::harness::RUNTIME) {
        Ok(response) => response,
        Err(error @ (RunError::CpuLimit | RunError::MemoryLimit)) => {
            return Outcome { class: "stopped by a limit".to_owned(), text: error.to_string() };
        }
        Err(error) => return Outcome { class: format!("{error:?}"), text: error.to_string() },
    };
    let results = response.0["results"].as_array().cloned().unwrap_or_default();
    let fatal: Vec<&Value> = results.iter().filter(|r| r["severity"] == "SEVERITY_FATAL").collect();
    match fatal.as_slice() {
        [result] => Outcome {
            class: format!("FATAL {}", result["reason"].as_str().unwrap_or_default()),
            text: result["message"].as_str().unwrap_or_default().to_owned(),
        },
        _ => Outcome { class: format!("{} FATAL results", fatal.len()), text: response.0.to_string() },
    }
}

fn with_value(fields: Value) -> Value {
    let mut fields = fields;
    fields["resources"] = json!([{"name": "db", "connectionDetails": [{"name": "literal", "value": SECRET}]}]);
    input(fields)
}

/// A template whose every step multiplies its text by eight: one fuel unit
/// each, a gigabyte by the ninth, so only the sandbox's limits end it.
fn growing_template() -> String {
    format!("{{{{ 'aaaaaaaa'{} }}}}", " | replace('a', 'aaaaaaaa')".repeat(9))
}

/// (case, whether the XR is namespaced)
fn input_cases() -> Vec<Case<(Value, bool)>> {
    let db = |details: Value| json!({"resources": [{"name": "db", "connectionDetails": details}]});
    let invalid = |id, names, input: Value| case(id, "FATAL InvalidInput", names, (input, false));
    let mut wrong_kind = with_value(json!({}));
    wrong_kind["kind"] = json!("ConnectionDetail");
    let mut no_api_version = with_value(json!({}));
    no_api_version.as_object_mut().unwrap().remove("apiVersion");
    vec![
        invalid("input-api-version", "apiVersion: ", no_api_version),
        invalid(
            "input-kind",
            "kind: must be ConnectionDetails, not \"ConnectionDetail\"; did you mean \"ConnectionDetails\"?",
            wrong_kind,
        ),
        invalid(
            "input-mode-case",
            "mode: must be one of Auto, Composite, Secret, not \"secret\"; did you mean \"Secret\"?",
            with_value(json!({"mode": "secret"})),
        ),
        invalid(
            "input-unknown-field",
            "connectionSecretKey: unknown field",
            with_value(json!({"connectionSecretKey": []})),
        ),
        invalid("input-resources-type", "resources: ", input(json!({"resources": {"name": SECRET}}))),
        invalid(
            "input-resource-name-missing",
            "resources[0].name",
            input(json!({"resources": [{"connectionDetails": []}]})),
        ),
        invalid("input-resource-name-type", "resources[0].name", input(json!({"resources": [{"name": 5}]}))),
        invalid(
            "input-detail-type",
            "resources[0].connectionDetails[0].type",
            input(db(json!([{"name": "k", "type": "FromMagic", "value": SECRET}]))),
        ),
        invalid(
            "input-detail-type-without-field",
            "resources[0].connectionDetails[0].fromFieldPath",
            input(db(json!([{"name": "k", "type": "FromFieldPath", "value": SECRET}]))),
        ),
        invalid("input-no-source", "resources[0].connectionDetails[0]", input(db(json!([{"name": "k"}])))),
        invalid(
            "input-key-name",
            "resources[0].connectionDetails[0].name",
            input(db(json!([{"name": "db/password", "value": SECRET}]))),
        ),
        invalid(
            "input-field-path",
            "resources[0].connectionDetails[0].fromFieldPath",
            input(db(json!([{"name": "port", "fromFieldPath": "spec.ports[0"}]))),
        ),
        invalid(
            "input-value-type",
            "resources[0].connectionDetails[0].value",
            input(db(json!([{"name": "port", "value": 5432}]))),
        ),
        invalid(
            "input-template-syntax",
            "derived[0].template",
            with_value(json!({"derived": [{"name": "url", "template": "{{ literal "}]})),
        ),
        invalid(
            "input-derived-unknown-key",
            "derived[0]",
            with_value(json!({"derived": [{"name": "url", "template": "{{ nothing_produces_this }}"}]})),
        ),
        invalid(
            "input-template-repetition",
            "derived[0].template",
            with_value(json!({"derived": [{"name": "big", "template": "{{ ['s'] * 60 * 66669 }}"}]})),
        ),
        case(
            "input-template-growth",
            "FATAL TemplateFailed",
            "replace: ",
            (with_value(json!({"derived": [{"name": "big", "template": growing_template()}]})), false),
        ),
        invalid("input-mode", "mode", with_value(json!({"mode": "Sideways"}))),
        invalid(
            "input-secret-ref-name",
            "writeConnectionSecretToRef.name",
            with_value(json!({"writeConnectionSecretToRef": {"name": "Not_A_Name"}})),
        ),
        invalid(
            "input-secret-key-ref",
            "resources[0].connectionDetails[0].fromSecretKeyRef",
            input(db(json!([{"name": "pw", "fromSecretKeyRef": {"name": "admin"}}]))),
        ),
        invalid(
            "input-allow-list",
            "connectionSecretKeys[1]",
            with_value(json!({"connectionSecretKeys": ["literal", 7]})),
        ),
        invalid(
            "input-fan-out-target",
            "secrets[0].to",
            with_value(json!({"secrets": [{"key": "literal", "to": {}}]})),
        ),
        invalid(
            "input-fan-out-unknown-key",
            "configMaps[0].key",
            with_value(json!({"configMaps": [{"key": "nothing", "to": {"name": "cm"}}]})),
        ),
        case(
            "input-namespace-of-namespaced-xr",
            "FATAL InvalidInput",
            "writeConnectionSecretToRef.namespace",
            (with_value(json!({"writeConnectionSecretToRef": {"name": "s", "namespace": "elsewhere"}})), true),
        ),
    ]
}

#[test]
fn function_input() {
    assert_all(input_cases(), |case| {
        let (input, namespaced) = &case.input;
        input_outcome(if *namespaced { Request::modern(input.clone()) } else { Request::legacy(input.clone()) })
    });
}

// ---- render: exit 2 naming the file (and line) ---------------------------

/// Renders examples/aws-iam with `file` replaced by `text`.
fn render_with(file: &str, text: &[u8]) -> Outcome {
    let folder = std::env::temp_dir().join(format!("fcd-catalogue-{}-{}", std::process::id(), file.replace('.', "-")));
    std::fs::create_dir_all(&folder).unwrap();
    let example = repo_path("examples/aws-iam");
    let path = |name: &str| -> String {
        if name == file {
            let replaced = folder.join(name);
            std::fs::write(&replaced, text).unwrap();
            replaced.display().to_string()
        } else {
            example.join(name).display().to_string()
        }
    };
    let (xr, composition, observed, secrets, xrd, claim) = (
        path("xr.yaml"),
        path("composition.yaml"),
        path("observed.yaml"),
        path("secrets.yaml"),
        path("xrd.yaml"),
        path("claim.yaml"),
    );
    let args = [
        "render",
        &xr,
        &composition,
        "--observed-resources",
        &observed,
        "--secrets",
        &secrets,
        "--xrd",
        &xrd,
        "--claim",
        &claim,
        "--format",
        "table",
    ];
    let output = cli(&args, b"");
    let _ = std::fs::remove_dir_all(&folder);
    let stdout = String::from_utf8_lossy(&output.stdout);
    Outcome { class: format!("exit {}", output.status), text: format!("{}{stdout}", output.stderr) }
}

fn example(file: &str) -> String {
    std::fs::read_to_string(repo_path(&format!("examples/aws-iam/{file}"))).unwrap()
}

/// The value of `username` in examples/aws-iam/secrets.yaml, a key that
/// the combined Secrets take.
const KEY1_USERNAME: &str = "QUtJQUVYQU1QTEVLRVkwMVVTUlg=";

/// (case, file of examples/aws-iam replaced, its text)
fn render_cases() -> Vec<Case<(&'static str, Vec<u8>)>> {
    let secrets = example("secrets.yaml");
    let observed = example("observed.yaml");
    let file = |id, names, file, text: Vec<u8>| case(id, unusable(), names, (file, text));
    let deep = format!("a: {}1{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let first_observed = observed.split("\n---").next().unwrap().to_owned();
    let mut invalid_utf8 = secrets.clone().into_bytes();
    invalid_utf8.extend_from_slice(b"\n# \xff\xfe\n");
    vec![
        file(
            "render-yaml-syntax",
            "secrets.yaml:5: invalid YAML",
            "secrets.yaml",
            format!("apiVersion: v1\nkind: Secret\ndata:\n  password: {SECRET}\n  bad: : x\n").into_bytes(),
        ),
        file("render-xr-two-documents", "xr.yaml", "xr.yaml", format!("{0}---\n{0}", example("xr.yaml")).into_bytes()),
        file("render-xr-empty", "xr.yaml", "xr.yaml", Vec::new()),
        file("render-xr-not-a-mapping", "xr.yaml", "xr.yaml", b"- just\n- a list\n".to_vec()),
        file(
            "render-xr-no-kind",
            "xr.yaml: the XR has no kind",
            "xr.yaml",
            b"apiVersion: example.org/v1\nmetadata: {name: x}\n".to_vec(),
        ),
        file(
            "render-composition-kind",
            "composition.yaml",
            "composition.yaml",
            example("composition.yaml").replacen("kind: Composition", "kind: Deployment", 1).into_bytes(),
        ),
        file(
            "render-composition-no-step",
            "composition.yaml",
            "composition.yaml",
            example("composition.yaml").replace("function-connection-details", "function-other").into_bytes(),
        ),
        file(
            "render-observed-annotation",
            "crossplane.io/composition-resource-name",
            "observed.yaml",
            observed.replacen("crossplane.io/composition-resource-name: key2", "other: key2", 1).into_bytes(),
        ),
        file(
            "render-observed-duplicate",
            "observed.yaml",
            "observed.yaml",
            format!("{observed}\n---\n{first_observed}\n").into_bytes(),
        ),
        file(
            "render-observed-scalar",
            "observed.yaml",
            "observed.yaml",
            format!("{observed}\n---\njust a string\n").into_bytes(),
        ),
        file(
            "render-secret-base64",
            "secrets.yaml",
            "secrets.yaml",
            secrets.replacen(KEY1_USERNAME, "not*base64", 1).into_bytes(),
        ),
        case(
            "render-secret-10-mb",
            "exit 1",
            "--memory-limit-mib",
            ("secrets.yaml", secrets.replacen(KEY1_USERNAME, &"QUFB".repeat(10 * 1024 * 1024 / 3), 1).into_bytes()),
        ),
        file("render-deep-nesting", "secrets.yaml", "secrets.yaml", deep.into_bytes()),
        file("render-invalid-utf8", "secrets.yaml: not UTF-8", "secrets.yaml", invalid_utf8),
        file(
            "render-nul-byte",
            "secrets.yaml",
            "secrets.yaml",
            secrets.replacen("kind: Secret", "kind: Sec\0ret", 1).into_bytes(),
        ),
        file(
            "render-xrd-kind",
            "xrd.yaml",
            "xrd.yaml",
            example("xrd.yaml").replacen("kind: CompositeResourceDefinition", "kind: ConfigMap", 1).into_bytes(),
        ),
        file("render-claim-list", "claim.yaml", "claim.yaml", b"[1, 2, 3]\n".to_vec()),
    ]
}

#[test]
fn render_files() {
    assert_all(render_cases(), |case| render_with(case.input.0, &case.input.1));
}

// ---- run: exit 2 naming what is wrong with the request -------------------

/// (case, --format, standard input)
fn run_cases() -> Vec<Case<(&'static str, Vec<u8>)>> {
    let scenario_a = Request::from_example("scenario-a.json");
    let mut unknown = scenario_a.0.clone();
    unknown["observd"] = json!({"secret": SECRET});
    let mut wrong_type = scenario_a.0.clone();
    wrong_type["meta"]["tag"] = json!(5);
    let encoded = scenario_a.encode();
    let request = |id, names, format, stdin: Vec<u8>| case(id, unusable(), names, (format, stdin));
    vec![
        request("run-json-syntax", "line 1", "json", format!("{{\"meta\": {SECRET}").into_bytes()),
        request("run-json-unknown-field", "observd", "json", unknown.to_string().into_bytes()),
        request("run-json-wrong-type", "tag", "json", wrong_type.to_string().into_bytes()),
        request("run-json-empty", "standard input", "json", Vec::new()),
        request("run-binary-garbage", "RunFunctionRequest", "proto", vec![0xff; 64]),
        request("run-binary-truncated", "RunFunctionRequest.observed", "proto", encoded[..encoded.len() / 2].to_vec()),
    ]
}

#[test]
fn run_requests() {
    assert_all(run_cases(), |case| {
        let output = cli(&["run", "--format", case.input.0], &case.input.1);
        Outcome { class: format!("exit {}", output.status), text: output.stderr }
    });
}

// ---- serve: a gRPC status, or an answer with a FATAL result --------------

const RUN_FUNCTION: &str = "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction";

/// (case, method path, message bytes)
fn serve_cases() -> Vec<Case<(&'static str, Vec<u8>)>> {
    let scenario_a = Request::from_example("scenario-a.json");
    let encoded = scenario_a.encode();
    let mut no_composite = scenario_a.clone();
    no_composite.0["observed"]["composite"] = json!({});
    let mut bad_input = scenario_a.clone();
    bad_input.0["input"]["resources"][0]["connectionDetails"][0]["name"] = json!("bad/name");
    let mut big = encoded.clone();
    big.resize(5 * 1024 * 1024, 0);
    vec![
        case("serve-not-protobuf", "InvalidArgument", "RunFunctionRequest", (RUN_FUNCTION, vec![0xff; 64])),
        case(
            "serve-truncated",
            "InvalidArgument",
            "RunFunctionRequest",
            (RUN_FUNCTION, encoded[..encoded.len() / 2].to_vec()),
        ),
        case("serve-over-size-limit", "OutOfRange", "message", (RUN_FUNCTION, big)),
        case(
            "serve-unknown-method",
            "Unimplemented",
            "method",
            ("/apiextensions.fn.proto.v1.FunctionRunnerService/Nope", encoded.clone()),
        ),
        case("serve-no-composite", "Ok, FATAL MissingComposite", "composite", (RUN_FUNCTION, no_composite.encode())),
        case(
            "serve-invalid-input",
            "Ok, FATAL InvalidInput",
            "resources[0].connectionDetails[0].name",
            (RUN_FUNCTION, bad_input.encode()),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_calls() {
    use crate::serve::{RawCodec, args, connect, free_port, start};
    use function_connection_details::runtime::Limits;

    let server = start(args(free_port()), Limits::default()).await;
    let endpoint = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{}", server.port)).unwrap();
    let mut raw = tonic::client::Grpc::new(connect(endpoint).await);
    let mut outcomes = Vec::new();
    let cases = serve_cases();
    for case in &cases {
        raw.ready().await.unwrap();
        let path = http::uri::PathAndQuery::try_from(case.input.0).unwrap();
        let outcome =
            match raw.unary(tonic::Request::new(bytes::Bytes::from(case.input.1.clone())), path, RawCodec).await {
                Ok(response) => {
                    let response = crate::harness::Response::decode(&response.into_inner());
                    let fatal = response.0["results"]
                        .as_array()
                        .and_then(|results| results.iter().find(|r| r["severity"] == "SEVERITY_FATAL").cloned());
                    let reason = fatal.as_ref().map_or("", |r| r["reason"].as_str().unwrap_or_default()).to_owned();
                    Outcome { class: format!("Ok, FATAL {reason}"), text: response.0.to_string() }
                }
                Err(status) => Outcome { class: format!("{:?}", status.code()), text: status.message().to_owned() },
            };
        outcomes.push(outcome);
    }
    let mut outcomes = outcomes.into_iter();
    assert_all(cases, |_| outcomes.next().unwrap());
}

// ---- command lines: the exit status and the whole message ---------------

/// One command line of a case: its arguments, where `{dir}` is a folder of
/// the case's own files and `{aws}` examples/aws-iam, and its standard input.
struct CommandLine {
    args: &'static [&'static str],
    files: Vec<(&'static str, String)>,
    stdin: &'static [u8],
}

fn command_line(args: &'static [&'static str], files: Vec<(&'static str, String)>) -> CommandLine {
    CommandLine { args, files, stdin: b"" }
}

/// Messages that must point the right way (issue 21), each checked whole:
/// `names` is standard error, with `{dir}` and `{aws}` as in the arguments.
fn command_line_cases() -> Vec<Case<CommandLine>> {
    let secrets = example("secrets.yaml");
    let observed = example("observed.yaml");
    let key1_secret = secrets.split("\n---").next().unwrap().to_owned();
    let exit_2 = |id, message, line| case(id, unusable(), message, line);
    vec![
        exit_2(
            "cli-render-swapped-arguments",
            "error: {aws}/composition.yaml: is the Composition, given where the XR goes, and {aws}/xr.yaml is not a \
             Composition: the XR comes first, then the Composition (render XR COMPOSITION)\n",
            command_line(&["render", "{aws}/composition.yaml", "{aws}/xr.yaml"], Vec::new()),
        ),
        exit_2(
            "cli-render-composition-kind",
            "error: {aws}/xrd.yaml: has kind CompositeResourceDefinition; expected kind Composition\n",
            command_line(&["render", "{aws}/xr.yaml", "{aws}/xrd.yaml"], Vec::new()),
        ),
        exit_2(
            "cli-render-mode-case",
            "error: {dir}/composition.yaml: spec.mode: must be Pipeline or Resources, not \"pipeline\"; did you mean \
             \"Pipeline\"? Crossplane refuses any other spelling\n",
            command_line(
                &["render", "{aws}/xr.yaml", "{dir}/composition.yaml"],
                vec![("composition.yaml", example("composition.yaml").replacen("mode: Pipeline", "mode: pipeline", 1))],
            ),
        ),
        exit_2(
            "cli-render-yaml-tab",
            "error: {dir}/secrets.yaml:4: invalid YAML: tabs disallowed within this context (block indentation)\n",
            command_line(
                &["render", "{aws}/xr.yaml", "{aws}/composition.yaml", "--secrets", "{dir}/secrets.yaml"],
                vec![("secrets.yaml", format!("apiVersion: v1\nkind: Secret\ndata:\n\tpassword: {SECRET}\n"))],
            ),
        ),
        exit_2(
            "cli-render-secret-base64-line",
            "error: {dir}/secrets.yaml:8: document 1 (Secret docs/key1): data.username is not base64 text; write text \
             under stringData\n",
            command_line(
                &[
                    "render",
                    "{aws}/xr.yaml",
                    "{aws}/composition.yaml",
                    "-o",
                    "{aws}/observed.yaml",
                    "--secrets",
                    "{dir}/secrets.yaml",
                ],
                vec![("secrets.yaml", secrets.replacen(KEY1_USERNAME, &format!("{SECRET}*"), 1))],
            ),
        ),
        exit_2(
            "cli-render-secret-as-observed",
            "error: {dir}/observed.yaml:3: document 1 (Secret docs/key1): has no annotation \
             crossplane.io/composition-resource-name, which render needs to match it to a composition resource; a \
             Secret that holds a composed resource's connection details goes in --secrets\n",
            command_line(
                &["render", "{aws}/xr.yaml", "{aws}/composition.yaml", "-o", "{dir}/observed.yaml"],
                vec![("observed.yaml", format!("{key1_secret}\n---\n{observed}"))],
            ),
        ),
        exit_2(
            "cli-render-stdin-twice",
            "error: COMPOSITION and XR both read standard input (-); it can be read once, so give one of them a file\n",
            command_line(&["render", "-", "-"], Vec::new()),
        ),
        exit_2(
            "cli-convert-xrd-given-as-composition",
            "error: {aws}/xrd.yaml: is a CompositeResourceDefinition, not a Composition; give it with --xrd and the \
             Composition first\n",
            command_line(&["convert", "{aws}/xrd.yaml"], Vec::new()),
        ),
        case(
            "cli-convert-input-the-function-refuses",
            format!("exit {}", exit::FATAL_RESULT),
            "spec.resources moved, bases and patches unchanged, into a function-patch-and-transform step; mode is \
             Pipeline\nadded step connection-details running function-connection-details\n\
             error: {dir}/composition.yaml:9: spec.resources[0].connectionDetails[0].type: must be one of FromValue, \
             FromConnectionSecretKey, FromFieldPath, FromSecretKeyRef, not \"fromValue\"; did you mean \"FromValue\"?\n\
             error: the function would refuse the converted input (1 problem); nothing was written. Fix \
             {dir}/composition.yaml and run convert again, or give --force to write it marked\n",
            command_line(
                &["convert", "{dir}/composition.yaml"],
                vec![(
                    "composition.yaml",
                    format!(
                        "apiVersion: apiextensions.crossplane.io/v1\nkind: Composition\nmetadata: {{name: c}}\nspec:\n  \
                         resources:\n    - name: db\n      base: {{apiVersion: v1, kind: X}}\n      connectionDetails:\n\
                         \x20       - type: fromValue\n          name: password\n          value: {SECRET}\n"
                    ),
                )],
            ),
        ),
    ]
}

#[test]
fn command_lines() {
    let aws = repo_path("examples/aws-iam").display().to_string();
    let print = std::env::var_os("CATALOGUE_PRINT").is_some();
    let mut failures = Vec::new();
    let cases = command_line_cases();
    for case in &cases {
        let dir = std::env::temp_dir().join(format!("fcd-catalogue-{}-{}", std::process::id(), case.id));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in &case.input.files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let fill = |text: &str| text.replace("{dir}", &dir.display().to_string()).replace("{aws}", &aws);
        let args: Vec<String> = case.input.args.iter().map(|arg| fill(arg)).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = cli(&args, case.input.stdin);
        let _ = std::fs::remove_dir_all(&dir);
        let class = format!("exit {}", output.status);
        if print {
            println!("| `{}` | {class} | {} |", case.id, output.stderr.lines().next().unwrap_or_default());
        }
        let expected = fill(case.names);
        let mut problems = Vec::new();
        if class != case.class {
            problems.push(format!("class {class:?}, expected {:?}", case.class));
        }
        if output.stderr != expected {
            problems.push(format!("says\n    {}\n  expected\n    {}", output.stderr, expected));
        }
        if output.stderr.contains(SECRET) || String::from_utf8_lossy(&output.stdout).contains(SECRET) {
            problems.push("shows the secret value".to_owned());
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}", case.id, problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn every_case_is_in_the_table_of_reliability_md() {
    let table = std::fs::read_to_string(repo_path("RELIABILITY.md")).unwrap();
    let ids: Vec<&str> = input_cases()
        .iter()
        .map(|c| c.id)
        .chain(render_cases().iter().map(|c| c.id))
        .chain(run_cases().iter().map(|c| c.id))
        .chain(serve_cases().iter().map(|c| c.id))
        .chain(command_line_cases().iter().map(|c| c.id))
        .collect();
    assert!(ids.len() >= 40, "the catalogue has {} cases", ids.len());
    let missing: Vec<&&str> = ids.iter().filter(|id| !table.contains(&format!("`{id}`"))).collect();
    assert!(missing.is_empty(), "RELIABILITY.md lacks {missing:?}");
}
