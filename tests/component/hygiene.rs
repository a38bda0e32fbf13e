//! SPEC §4.8: a secret value never appears in a result, condition or error,
//! whatever path the request takes through the function and the host.

use std::io::Cursor;

use function_connection_details::cli::{Io, main_with};
use function_connection_details::runtime::Limits;
use serde_json::json;

use crate::harness::{Request, input};

const SENTINEL: &str = "S3NTINEL-value-that-must-not-leak";

/// Everything in a response that is meant for people to read.
fn readable_text(response: &crate::harness::Response) -> String {
    format!("{} {}", response.0["results"], response.0["conditions"])
}

fn assert_no_sentinel(text: &str) {
    assert!(!text.contains(SENTINEL), "a secret value leaked into: {text}");
}

#[test]
fn warnings_and_readiness_reports_name_keys_only() {
    let response = Request::legacy(input(json!({
        "resources": [
            {"name": "a", "connectionDetails": [{"fromConnectionSecretKey": "password"}]},
            {"name": "b", "connectionDetails": [{"name": "password", "value": SENTINEL}]},
        ],
        "connectionSecretKeys": ["password", "passwd"],
        "readiness": {"requiredKeys": "All"},
    })))
    .observed("a", json!({}), &[("password", SENTINEL.as_bytes())])
    .run();
    assert_eq!(response.composite_details()["password"], SENTINEL.as_bytes(), "the value itself is delivered");
    assert_eq!(response.results().len(), 3, "{:?}", response.results());
    assert_no_sentinel(&readable_text(&response));
}

#[test]
fn input_errors_describe_values_without_quoting_them() {
    let response = Request::legacy(input(json!({"resources": [{"name": "r", "connectionDetails": [
        {"name": "a", "type": "FromSecret", "value": SENTINEL},
        {"name": "b", "value": [SENTINEL]},
        {"name": "c", "value": {"nested": SENTINEL}},
        {"name": SENTINEL, "value": "x"},
        {"name": "d", "fromFieldPath": format!("{SENTINEL}[")},
    ]}], "mode": SENTINEL})))
    .run();
    let fatal = response.single_fatal();
    for problem in [
        "resources[0].connectionDetails[0].type: must be one of FromValue,",
        "resources[0].connectionDetails[1].value: must be a string, not a list;",
        "resources[0].connectionDetails[2].value: must be a string, not an object;",
        "resources[0].connectionDetails[4].fromFieldPath: is not a valid field path: '[' without a matching ']'",
        "mode: must be one of Auto, Composite, Secret",
    ] {
        assert!(fatal.contains(problem), "{problem:?} missing from {fatal}");
    }
    assert_no_sentinel(&fatal);
}

#[test]
fn size_limit_errors_count_bytes() {
    let big = SENTINEL.repeat(40_000);
    let response = Request::modern(input(json!({"resources": [{"name": "db", "connectionDetails": [
        {"fromConnectionSecretKey": "password"},
    ]}]})))
    .observed("db", json!({}), &[("password", big.as_bytes())])
    .run();
    assert_no_sentinel(&response.single_fatal());
}

#[test]
fn host_errors_and_the_cli_never_echo_request_data() {
    let request = Request::legacy(input(json!({"resources": [{"name": "db", "connectionDetails": [
        {"fromConnectionSecretKey": "password"},
    ]}]})))
    .observed("db", json!({}), &[("password", SENTINEL.repeat(100_000).as_bytes())]);

    let starved = crate::harness::runtime_with(Limits { memory_bytes: 2 * 1024 * 1024, ..Limits::default() });
    let error = request.run_with(&starved).expect_err("2 MiB is too little for this request");
    assert_no_sentinel(&format!("{error} {error:?}"));

    // A protojson document that is wrong exactly where the secret is.
    let mut wrong_type = request.0.clone();
    wrong_type["observed"]["resources"]["db"]["connectionDetails"]["password"] = json!(format!("{SENTINEL}!!"));
    wrong_type["meta"]["tag"] = json!([SENTINEL]);
    for document in [wrong_type.to_string(), format!("{{\"meta\": {{\"tag\": \"{SENTINEL}"), SENTINEL.to_owned()] {
        let (status, stdout, stderr) = run_cli(&["run"], document.as_bytes());
        assert_eq!(status, 2, "{stderr}");
        assert!(stdout.is_empty());
        assert_no_sentinel(&stderr);
    }
}

fn run_cli(args: &[&str], stdin: &[u8]) -> (u8, String, String) {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let mut io = Io { stdin: &mut Cursor::new(stdin.to_vec()), stdout: &mut stdout, stderr: &mut stderr };
    let status = main_with(std::iter::once("function-connection-details").chain(args.iter().copied()), &mut io);
    (status, String::from_utf8_lossy(&stdout).into_owned(), String::from_utf8_lossy(&stderr).into_owned())
}
