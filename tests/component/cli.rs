//! `function-connection-details run` (SPEC §6), in-process through the same
//! entry point as the binary.

use std::io::Cursor;

use function_connection_details::cli::{Io, exit, main_with};
use serde_json::Value;

use crate::harness::{Request, Response, repo_path};

pub struct Output {
    pub status: u8,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Runs the command line in-process, as the binary would.
pub fn cli(args: &[&str], stdin: &[u8]) -> Output {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let mut io = Io { stdin: &mut Cursor::new(stdin.to_vec()), stdout: &mut stdout, stderr: &mut stderr };
    let status = main_with(std::iter::once("function-connection-details").chain(args.iter().copied()), &mut io);
    Output { status, stdout, stderr: String::from_utf8_lossy(&stderr).into_owned() }
}

fn example(name: &str) -> String {
    repo_path(&format!("examples/requests/{name}")).display().to_string()
}

#[test]
fn run_prints_the_protojson_response_of_an_example() {
    let output = cli(&["run", "--input", &example("scenario-a.json")], b"");
    assert_eq!(output.status, exit::SUCCESS, "{}", output.stderr);
    let response: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(response["meta"]["tag"], "scenario-a");
    let keys: Vec<_> =
        response["desired"]["composite"]["connectionDetails"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "attribute.secret",
            "attribute.ses_smtp_password_v4",
            "key2-secret",
            "key2-smtp",
            "key2-user",
            "password",
            "username"
        ]
    );
    assert_eq!(response["results"][0]["severity"], "SEVERITY_WARNING");
}

#[test]
fn run_reads_standard_input_and_speaks_binary_protobuf() {
    let request = Request::from_example("scenario-b.json").encode();
    let output = cli(&["run", "--format", "proto"], &request);
    assert_eq!(output.status, exit::SUCCESS, "{}", output.stderr);
    let response = Response::decode(&output.stdout);
    assert_eq!(response.composite_details().len(), 3);
}

#[test]
fn a_fatal_result_exits_1_and_still_prints_the_response() {
    let mut request = Request::from_example("scenario-c.json");
    request.0["input"]["kind"] = Value::from("Wrong");
    let output = cli(&["run"], request.0.to_string().as_bytes());
    assert_eq!(output.status, exit::FATAL_RESULT);
    let response: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(response["results"][0]["severity"], "SEVERITY_FATAL");
}

#[test]
fn a_limit_becomes_a_fatal_response() {
    let output = cli(&["run", "--memory-limit-mib", "1", "--input", &example("scenario-a.json")], b"");
    assert_eq!(output.status, exit::FATAL_RESULT, "{}", output.stderr);
    let response: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(response["meta"]["tag"], "scenario-a");
    assert_eq!(response["results"][0]["message"], function_connection_details::runtime::MEMORY_LIMIT_MESSAGE);
}

#[test]
fn unusable_files_exit_2_naming_the_file() {
    let missing = cli(&["run", "--input", "does/not/exist.json"], b"");
    assert_eq!(missing.status, exit::UNUSABLE);
    assert!(missing.stderr.starts_with("error: does/not/exist.json: cannot read:"), "{}", missing.stderr);

    let not_json = cli(&["run"], b"{\"meta\": {\"tag\": 1}}");
    assert_eq!(not_json.status, exit::UNUSABLE);
    assert_eq!(
        not_json.stderr,
        "error: standard input: not a protojson RunFunctionRequest at field meta.tag: a field has the wrong name, type or format at line 1 column 18\n"
    );

    let unknown_field = cli(&["run"], b"{\"metaa\": {}}");
    assert_eq!(unknown_field.status, exit::UNUSABLE);

    let not_protobuf = cli(&["run", "--format", "proto"], &[0xff, 0xff, 0xff]);
    assert_eq!(not_protobuf.status, exit::UNUSABLE);
    assert!(
        not_protobuf.stderr.contains("standard input: the request is not a protobuf RunFunctionRequest"),
        "{}",
        not_protobuf.stderr
    );
}

#[test]
fn another_component_can_be_loaded_and_a_bad_one_is_refused() {
    let bad = cli(&["run", "--component", "Cargo.toml", "--input", &example("scenario-a.json")], b"");
    assert_eq!(bad.status, exit::UNUSABLE);
    assert!(bad.stderr.starts_with("error: cannot load the component: Cargo.toml: "), "{}", bad.stderr);
}

#[test]
fn help_teaches_and_bad_arguments_exit_2() {
    let help = cli(&["run", "--help"], b"");
    assert_eq!(help.status, exit::SUCCESS);
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(
        text.contains("Exit status:") && text.contains("--component <PATH>") && text.contains("protojson"),
        "{text}"
    );

    let bad = cli(&["run", "--format", "yaml"], b"");
    assert_eq!(bad.status, exit::UNUSABLE);
    assert!(bad.stderr.contains("invalid value 'yaml'"), "{}", bad.stderr);
}

/// What `--version` must tell: the commit, and the component by the digest
/// the compiled-code cache and the playground show.
#[test]
fn version_names_the_commit_the_component_and_wasmtime() {
    use function_connection_details::runtime::{EMBEDDED_COMPONENT, cache};
    let output = cli(&["version"], b"");
    assert_eq!(output.status, exit::SUCCESS, "{}", output.stderr);
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0], format!("function-connection-details {}", env!("CARGO_PKG_VERSION")));
    let commit = lines[1].strip_prefix("commit:    ").unwrap();
    let hash = commit.strip_suffix("-dirty").unwrap_or(commit);
    assert!(hash == "unknown" || (hash.len() == 40 && hash.bytes().all(|b| b.is_ascii_hexdigit())), "{commit}");
    let digest: String = cache::digest(EMBEDDED_COMPONENT).iter().map(|byte| format!("{byte:02x}")).collect();
    assert_eq!(lines[2], format!("component: sha256:{digest} ({} bytes)", EMBEDDED_COMPONENT.len()));
    let lock = std::fs::read_to_string(repo_path("Cargo.lock")).unwrap();
    let wasmtime = lock.split("name = \"wasmtime\"\nversion = \"").nth(1).unwrap().split('"').next().unwrap();
    assert_eq!(lines[3], format!("wasmtime:  {wasmtime}"));
    assert_eq!(cli(&["--version"], b"").stdout, text.as_bytes(), "--version prints the same");
}

#[test]
fn completion_scripts_cover_every_subcommand_and_flag() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let output = cli(&["completion", shell], b"");
        assert_eq!(output.status, exit::SUCCESS, "{shell}: {}", output.stderr);
        let script = String::from_utf8(output.stdout).unwrap();
        // Fish names long flags without their dashes (`-l in-place`).
        for word in ["render", "convert", "serve", "observed-resources", "in-place", "include-context", "format"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    assert_eq!(cli(&["completion", "tcsh"], b"").status, exit::UNUSABLE);
}
