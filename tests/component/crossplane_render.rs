//! `render` with `crossplane render`'s command line (issue 21): its
//! positionals and short flags, standard input for any one file, the flags
//! it ignores said plainly, the pipeline context, and `--format request`,
//! the RunFunctionRequest that `run` answers exactly as render computed.

use function_connection_details::cli::exit;
use serde_json::Value;

use crate::cli::{Output, cli};
use crate::harness::repo_path;

fn example(name: &str, file: &str) -> String {
    repo_path(&format!("examples/{name}/{file}")).display().to_string()
}

fn run(args: &[String], stdin: &[u8]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    cli(&args, stdin)
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| (*arg).to_owned()).collect()
}

/// The render arguments for an example folder, with crossplane render's
/// short flags where it has them.
fn example_args(name: &str) -> Vec<String> {
    let mut args = strings(&["render"]);
    args.extend([example(name, "xr.yaml"), example(name, "composition.yaml")]);
    for (flag, file) in [
        ("-o", "observed.yaml"),
        ("--secrets", "secrets.yaml"),
        ("-e", "required.yaml"),
        ("--xrd", "xrd.yaml"),
        ("--claim", "claim.yaml"),
    ] {
        if repo_path(&format!("examples/{name}/{file}")).exists() {
            args.extend([flag.to_owned(), example(name, file)]);
        }
    }
    args
}

/// Every example render runs on.
fn examples() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo_path("examples"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|folder| folder.join("xr.yaml").exists() && folder.join("composition.yaml").exists())
        .map(|folder| folder.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_crossplane_render_command_line_renders_what_the_long_flags_do() {
    let mut copied = example_args("aws-iam");
    copied.insert(3, example("aws-iam", "functions.yaml"));
    copied.extend(strings(&["-r", "-x", "--timeout", "1m", "-a", "k=v", "--format", "yaml"]));
    let output = run(&copied, b"");
    assert_eq!(output.status, exit::SUCCESS, "{}", output.stderr);
    let expected = std::fs::read_to_string(repo_path("examples/aws-iam/expected/render.yaml")).unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
    assert_eq!(
        output.stderr,
        "note: --include-full-xr is ignored here: render prints the Secrets a composition leaves, not the XR\n\
         note: --function-annotations is ignored here: no Function runs in Docker here\n\
         note: --timeout is ignored here: each call is limited by --cpu-limit-ms instead\n\
         note: --include-function-results changes nothing here: render always prints the results\n"
    );
}

#[test]
fn functions_must_list_this_function() {
    let folder = std::env::temp_dir().join(format!("fcd-functions-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let functions = folder.join("functions.yaml");
    std::fs::write(
        &functions,
        "apiVersion: pkg.crossplane.io/v1\nkind: Function\nmetadata:\n  name: function-patch-and-transform\n",
    )
    .unwrap();
    let mut args = example_args("aws-iam");
    args.insert(3, functions.display().to_string());
    let output = run(&args, b"");
    assert_eq!(output.status, exit::UNUSABLE);
    assert_eq!(
        output.stderr,
        format!(
            "error: {}: lists no Function named \"function-connection-details\" (the functionRef of step \
             connection-details); it lists function-patch-and-transform\n",
            functions.display()
        )
    );
}

#[test]
fn any_one_file_argument_reads_standard_input() {
    let from_files = run(&example_args("aws-iam"), b"");
    for (position, file) in [(1, "xr.yaml"), (2, "composition.yaml"), (4, "observed.yaml")] {
        let mut args = example_args("aws-iam");
        assert!(args[position].ends_with(file));
        args[position] = "-".to_owned();
        let stdin = std::fs::read(example("aws-iam", file)).unwrap();
        let output = run(&args, &stdin);
        assert_eq!(output.status, exit::SUCCESS, "{file}: {}", output.stderr);
        assert_eq!(output.stdout, from_files.stdout, "{file} from standard input");
    }
    let mut twice = example_args("aws-iam");
    twice[1] = "-".to_owned();
    twice[2] = "-".to_owned();
    let output = run(&twice, b"");
    assert_eq!(output.status, exit::UNUSABLE);
    assert_eq!(
        output.stderr,
        "error: COMPOSITION and XR both read standard input (-); it can be read once, so give one of them a file\n"
    );
}

#[test]
fn the_context_goes_in_and_comes_back_with_include_context() {
    let folder = std::env::temp_dir().join(format!("fcd-context-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let environment = folder.join("environment.yaml");
    std::fs::write(&environment, "region: eu-west-1\ntier: gold\n").unwrap();
    let mut args = example_args("aws-iam");
    args.extend([
        "--context-files".to_owned(),
        format!("apiextensions.crossplane.io/environment={}", environment.display()),
        "--context-values".to_owned(),
        "example.org/flag=true".to_owned(),
        "--context-values".to_owned(),
        "example.org/list=[1, 2]".to_owned(),
        "-c".to_owned(),
        "--format".to_owned(),
        "json".to_owned(),
    ]);
    let output = run(&args, b"");
    assert_eq!(output.status, exit::SUCCESS, "{}", output.stderr);
    let documents: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let context = documents.last().unwrap();
    assert_eq!(context["kind"], "Context");
    assert_eq!(
        context["fields"],
        serde_json::json!({
            "apiextensions.crossplane.io/environment": {"region": "eu-west-1", "tier": "gold"},
            "example.org/flag": true,
            "example.org/list": [1, 2],
        })
    );
    let table_args: Vec<String> =
        args.iter().map(|arg| if arg == "json" { "table".to_owned() } else { arg.clone() }).collect();
    let table = String::from_utf8(run(&table_args, b"").stdout).unwrap();
    assert!(
        table.ends_with("CONTEXT KEY\napiextensions.crossplane.io/environment\nexample.org/flag\nexample.org/list\n"),
        "{table}"
    );
    let without = run(&args[..args.len() - 3], b"");
    let request_args: Vec<String> =
        args[..args.len() - 3].iter().cloned().chain(strings(&["--format", "request"])).collect();
    let request: Value = serde_json::from_slice(&run(&request_args, b"").stdout).unwrap();
    // A protobuf Struct holds numbers as doubles.
    assert_eq!(as_doubles(&request["context"]), as_doubles(&context["fields"]), "the request carries the context");
    assert!(!String::from_utf8(without.stdout).unwrap().contains("kind: Context"), "no Context without -c");
}

/// `run` on the request render prints answers as render computed: the same
/// results, conditions, readiness and composed resources, for every example.
#[test]
fn run_answers_the_printed_request_as_render_computed_for_every_example() {
    for name in examples() {
        let mut args = example_args(&name);
        let rendered_args: Vec<String> = args.iter().cloned().chain(strings(&["--format", "json"])).collect();
        let rendered = run(&rendered_args, b"");
        let documents: Vec<Value> = serde_json::from_slice(&rendered.stdout).unwrap();
        args.extend(strings(&["--format", "request"]));
        let request = run(&args, b"");
        assert_eq!(request.status, exit::SUCCESS, "{name}: {}", request.stderr);
        let proto_args: Vec<String> =
            args.iter().map(|arg| if arg == "request" { "request-proto".to_owned() } else { arg.clone() }).collect();
        let proto = run(&proto_args, b"");
        assert_eq!(
            function_connection_details::protocol::request_to_json(&proto.stdout).unwrap() + "\n",
            String::from_utf8(request.stdout.clone()).unwrap(),
            "{name}: request and request-proto are one request, written the same way each time"
        );

        let answered = cli(&["run"], &request.stdout);
        let response: Value = serde_json::from_slice(&answered.stdout).unwrap();
        let of_kind = |kind: &'static str| documents.iter().filter(move |d| d["kind"] == kind);
        let from_step: Vec<(String, String, String)> = of_kind("Result")
            .filter(|result| result.get("step").is_some())
            .map(|result| (text(&result["severity"]), text(&result["reason"]), text(&result["message"])))
            .collect();
        let results: Vec<(String, String, String)> = response["results"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|result| (text(&result["severity"]), text(&result["reason"]), text(&result["message"])))
            .collect();
        assert_eq!(results, from_step, "{name}: results");
        let conditions: Vec<(String, String)> = response["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| (text(&c["type"]), text(&c["status"]).replace("STATUS_CONDITION_", "").to_lowercase()))
            .collect();
        let rendered_conditions: Vec<(String, String)> =
            of_kind("Condition").map(|c| (text(&c["type"]), text(&c["status"]).to_lowercase())).collect();
        assert_eq!(conditions, rendered_conditions, "{name}: conditions");
        let readiness = of_kind("Readiness").next().unwrap();
        let composed: Vec<&String> =
            response["desired"]["resources"].as_object().map(|r| r.keys().collect()).unwrap_or_default();
        let rendered_composed: Vec<&String> = readiness["composedResources"].as_object().unwrap().keys().collect();
        assert_eq!(composed, rendered_composed, "{name}: composed resources");
        assert_eq!(response["meta"]["ttl"], readiness["ttl"], "{name}: ttl");
    }
}

fn as_doubles(value: &Value) -> Value {
    match value {
        Value::Number(number) => serde_json::json!(number.as_f64()),
        Value::Array(items) => Value::Array(items.iter().map(as_doubles).collect()),
        Value::Object(fields) => Value::Object(fields.iter().map(|(k, v)| (k.clone(), as_doubles(v))).collect()),
        other => other.clone(),
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}
