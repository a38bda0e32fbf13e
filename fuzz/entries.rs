//! The fuzzed entry points, one per target. Each must return for every
//! input, and each checks a property beyond "does not panic". The fuzz
//! targets call them under libFuzzer; `tests/fuzz_corpus.rs` calls them on
//! stable over the kept corpus and regressions.

use std::collections::BTreeMap;

use connection_details::derive::{self, Derived};
use connection_details::fieldpath::FieldPath;
use connection_details::names::KeyName;
use connection_details::protocol::v1::RunFunctionResponse;
use connection_details::render::{self, File, Format, RenderRequest};
use connection_details::secret::SecretBytes;
use prost::Message;
use serde_json::{Value, json};

/// Arbitrary bytes as a RunFunctionRequest: either refused as malformed or
/// answered with a response that decodes.
pub fn run_function(data: &[u8]) {
    if let Ok(response) = connection_details::function::run_function(data) {
        RunFunctionResponse::decode(response.as_slice()).expect("the response decodes");
    }
}

/// Arbitrary bytes as a `google.protobuf.Struct`: the function's own reader
/// and prost's decoding then conversion agree, on the object or on refusing
/// the bytes; the reader's check that builds nothing refuses what it does.
pub fn struct_json(data: &[u8]) {
    let chunks = [data.to_vec()];
    let ours = connection_details::jsonwire::decode_object(&chunks).map(Value::Object);
    let checked = connection_details::jsonwire::check_object(&chunks);
    assert_eq!(checked.as_ref().err(), ours.as_ref().err(), "the check and the reader disagree");
    let prost = prost_types::Struct::decode(data).map(|object| connection_details::protocol::struct_to_json(&object));
    match (ours, prost) {
        (Ok(ours), Ok(prost)) => assert_eq!(ours, prost),
        (Err(_), Err(_)) => {}
        (ours, prost) => panic!("the readers disagree: ours {:?}, prost's {:?}", ours.err(), prost.err()),
    }
}

/// Arbitrary JSON as the function's input: parsed, or refused with at least
/// one error that says where.
pub fn input(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<Value>(data) else { return };
    if let Err(errors) = connection_details::input::parse(&value) {
        assert!(!errors.0.is_empty(), "a refused input names at least one problem");
        assert!(!errors.to_string().is_empty());
    }
}

/// A field path: one that parses prints back to a path that parses to the
/// same segments, and looking it up never fails.
pub fn field_path(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(path) = FieldPath::parse(text) else { return };
    let printed = path.to_string();
    assert_eq!(FieldPath::parse(&printed).as_ref(), Ok(&path), "{text:?} printed as {printed:?}");
    let document = json!({"spec": {"ports": [{"port": 5432}], "a.b/c": {"d": [1, [2]]}}, "data": {"tls.crt": "x"}});
    let _ = path.lookup(&document);
}

/// Bytes 0xFF (never in UTF-8) separate the files of a render: XR,
/// Composition, observed resources, Secrets, required resources, XRD and
/// claim; the first byte picks the output format. Rendering is
/// deterministic.
pub fn render(data: &[u8]) {
    let Some((&format, files)) = data.split_first() else { return };
    let format = [Format::Yaml, Format::Json, Format::Table][usize::from(format % 3)];
    let mut files = files
        .split(|&byte| byte == 0xFF)
        .enumerate()
        .map(|(i, text)| File { name: format!("file-{i}.yaml"), text: String::from_utf8_lossy(text).into_owned() });
    let request = RenderRequest {
        composite: files.next(),
        composition: files.next(),
        observed_resources: files.next().into_iter().collect(),
        secrets: files.next().into_iter().collect(),
        required_resources: files.next().into_iter().collect(),
        xrd: files.next(),
        claim: files.next(),
        function_name: render::DEFAULT_FUNCTION_NAME.to_owned(),
        ..RenderRequest::default()
    };
    let first = render::render(&request, format);
    assert_eq!(first, render::render(&request, format), "the same files render the same way");
}

/// The first line is a template, each further line a key name; every key
/// holds a sentinel value that no error message may contain (unless the
/// template itself spells it out).
pub fn derive(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut lines = text.split('\n');
    let template = lines.next().unwrap_or_default();
    let produced: BTreeMap<KeyName, SecretBytes> = lines
        .filter_map(|name| KeyName::new(name).ok())
        .map(|key| (key, SecretBytes::new(SENTINEL.as_bytes().to_vec())))
        .collect();
    // The function evaluates only what input validation let through.
    if derive::check(template).is_err() {
        return;
    }
    if let Derived::Failed(message) = derive::evaluate(template, &produced, &Default::default()) {
        assert!(!message.starts_with("syntax error"), "a template that checks does not parse: {message}");
        if !template.contains(SENTINEL) {
            assert!(!message.contains(SENTINEL), "an error holds a value: {message}");
        }
    }
}

const SENTINEL: &str = "s3ntinel-Secret-VALUE";
