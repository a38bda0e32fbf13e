//! The RunFunction protocol on the host side. The host never decodes a
//! request or response into types: bytes go to the component and come back
//! as bytes, so fields newer than any transcription pass through. What it
//! needs to know of a message it reads off the protobuf wire format here;
//! protojson, the JSON form `run` reads and writes, goes through the SDK's
//! descriptor set of the v1 package.

use std::fmt;
use std::sync::LazyLock;

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, SerializeOptions};

static DESCRIPTORS: LazyLock<DescriptorPool> = LazyLock::new(|| {
    DescriptorPool::decode(function_sdk_rust::proto::FILE_DESCRIPTOR_SET)
        .expect("the SDK's descriptor set of the v1 protocol decodes")
});

const REQUEST: &str = "apiextensions.fn.proto.v1.RunFunctionRequest";
const RESPONSE: &str = "apiextensions.fn.proto.v1.RunFunctionResponse";

/// A protojson document that is not the message it should be. The message
/// names the field or position, never a value.
#[derive(Debug)]
pub struct ProtojsonError(String);

impl fmt::Display for ProtojsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProtojsonError {}

fn descriptor(name: &str) -> MessageDescriptor {
    DESCRIPTORS.get_message_by_name(name).expect("the descriptor set holds the RunFunction messages")
}

/// Encodes a protojson RunFunctionRequest as protobuf. Unknown fields are
/// refused, so a typo does not silently drop data.
pub fn request_from_json(json: &str) -> Result<Vec<u8>, ProtojsonError> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let mut track = serde_path_to_error::Track::new();
    let tracked = serde_path_to_error::Deserializer::new(&mut deserializer, &mut track);
    let message = DynamicMessage::deserialize(descriptor(REQUEST), tracked).map_err(|e| {
        let at = match (track.path().to_string().as_str(), unknown_field(&e)) {
            (".", None) => String::new(),
            (".", Some(field)) => format!(" at field {field}"),
            (path, None) => format!(" at field {path}"),
            (path, Some(field)) => format!(" at field {path}.{field}"),
        };
        ProtojsonError(format!("not a protojson RunFunctionRequest{at}: {}", describe_json_error(&e)))
    })?;
    deserializer
        .end()
        .map_err(|e| ProtojsonError(format!("trailing data after the request: {}", describe_json_error(&e))))?;
    Ok(message.encode_to_vec())
}

/// Decodes a protobuf RunFunctionResponse and writes it as indented protojson.
pub fn response_to_json(bytes: &[u8]) -> Result<String, ProtojsonError> {
    to_json(bytes, RESPONSE)
}

/// Decodes a protobuf RunFunctionRequest and writes it as indented
/// protojson, every object's keys sorted: prost-reflect keeps map fields
/// (a Struct's, the observed resources) in hash order, and the same request
/// should read the same every time.
pub fn request_to_json(bytes: &[u8]) -> Result<String, ProtojsonError> {
    let json: serde_json::Value = serde_json::from_str(&to_json(bytes, REQUEST)?)
        .map_err(|e| ProtojsonError(format!("cannot read back the request's JSON: {e}")))?;
    serde_json::to_string_pretty(&sorted(json)).map_err(|e| ProtojsonError(e.to_string()))
}

fn sorted(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(fields) => {
            let mut fields: Vec<(String, serde_json::Value)> = fields.into_iter().collect();
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(fields.into_iter().map(|(key, value)| (key, sorted(value))).collect())
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

fn to_json(bytes: &[u8], name: &str) -> Result<String, ProtojsonError> {
    let message = DynamicMessage::decode(descriptor(name), bytes)
        .map_err(|e| ProtojsonError(format!("the component returned an undecodable message ({name}): {e}")))?;
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::pretty(&mut out);
    message
        .serialize_with_options(&mut serializer, &SerializeOptions::new())
        .map_err(|e| ProtojsonError(format!("cannot write {name} as JSON: {e}")))?;
    String::from_utf8(out).map_err(|e| ProtojsonError(e.to_string()))
}

/// The name in prost-reflect's "unrecognized field name 'name'": a field
/// name, never a value.
fn unknown_field(error: &serde_json::Error) -> Option<String> {
    let message = error.to_string();
    let name = message.strip_prefix("unrecognized field name '")?.split('\'').next()?;
    Some(name.to_owned())
}

/// serde_json's messages can quote the offending input; keep only what kind
/// of problem it was and where.
fn describe_json_error(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let kind = match error.classify() {
        Category::Io => "cannot read input",
        Category::Syntax => "JSON syntax error",
        Category::Eof => "unexpected end of input",
        Category::Data => "a field has the wrong name, type or format",
    };
    format!("{kind} at line {} column {}", error.line(), error.column())
}

/// Field numbers used here (SPEC §3).
mod field {
    pub const REQUEST_META: u32 = 1;
    pub const REQUEST_DESIRED: u32 = 3;
    pub const REQUEST_CONTEXT: u32 = 5;
    pub const META_TAG: u32 = 1;
    pub const RESPONSE_META: u32 = 1;
    pub const RESPONSE_DESIRED: u32 = 2;
    pub const RESPONSE_RESULTS: u32 = 3;
    pub const RESPONSE_CONTEXT: u32 = 4;
    pub const RESULT_SEVERITY: u32 = 1;
    pub const RESULT_MESSAGE: u32 = 2;
    pub const RESULT_REASON: u32 = 3;
    pub const RESULT_TARGET: u32 = 4;
}

const SEVERITY_FATAL: u64 = 1;
const TARGET_COMPOSITE: u64 = 1;

/// The response for a request the component could not answer: the request's
/// desired state and context unchanged (copied as bytes, unknown fields
/// included), its tag, and one FATAL result. Bytes that are no request give
/// a response with the result alone.
pub fn fatal_response(request: &[u8], message: &str) -> Vec<u8> {
    let wanted = [field::REQUEST_META, field::REQUEST_DESIRED, field::REQUEST_CONTEXT];
    let [meta, desired, context] = wire::messages(request, wanted).unwrap_or_default();
    let tag = wire::last(&meta, field::META_TAG, wire::as_bytes).unwrap_or_default();

    let mut response_meta = Vec::new();
    wire::put_bytes(&mut response_meta, field::META_TAG, &tag);
    let mut result = Vec::new();
    wire::put_varint_field(&mut result, field::RESULT_SEVERITY, SEVERITY_FATAL);
    wire::put_bytes(&mut result, field::RESULT_MESSAGE, message.as_bytes());
    wire::put_bytes(&mut result, field::RESULT_REASON, b"FunctionFailed");
    wire::put_varint_field(&mut result, field::RESULT_TARGET, TARGET_COMPOSITE);

    let mut response = Vec::with_capacity(request.len() + message.len() + 64);
    wire::put_bytes(&mut response, field::RESPONSE_META, &response_meta);
    if !desired.is_empty() {
        wire::put_bytes(&mut response, field::RESPONSE_DESIRED, &desired);
    }
    wire::put_bytes(&mut response, field::RESPONSE_RESULTS, &result);
    if !context.is_empty() {
        wire::put_bytes(&mut response, field::RESPONSE_CONTEXT, &context);
    }
    response
}

/// The request's `meta.tag`, empty when it has none or is no request.
pub fn request_tag(request: &[u8]) -> String {
    let [meta] = wire::messages(request, [field::REQUEST_META]).unwrap_or_default();
    String::from_utf8_lossy(&wire::last(&meta, field::META_TAG, wire::as_bytes).unwrap_or_default()).into_owned()
}

/// What a response says about itself, for exit statuses and log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// How many results it holds.
    pub results: usize,
    /// Whether any of them is FATAL.
    pub fatal: bool,
}

/// Reads the results' severities off an encoded RunFunctionResponse; bytes
/// that are no response summarise as no results.
pub fn summarize(response: &[u8]) -> Summary {
    let mut summary = Summary::default();
    let _ = wire::each_field(response, |number, value| {
        if let (field::RESPONSE_RESULTS, wire::Value::Bytes(result)) = (number, value) {
            summary.results += 1;
            summary.fatal |= wire::last(result, field::RESULT_SEVERITY, wire::as_varint) == Some(SEVERITY_FATAL);
        }
    });
    summary
}

/// The protobuf wire format, as much of it as the host reads and writes.
mod wire {
    /// One field's value. Fixed-width values are skipped, never read.
    pub enum Value<'a> {
        Varint(u64),
        Bytes(&'a [u8]),
        Fixed,
    }

    /// The input ended inside a field or used a wire type that does not exist.
    #[derive(Debug)]
    pub struct Malformed;

    /// Calls `visit` with every field of a message, in order.
    pub fn each_field<'a>(mut bytes: &'a [u8], mut visit: impl FnMut(u32, Value<'a>)) -> Result<(), Malformed> {
        while !bytes.is_empty() {
            let key = varint(&mut bytes)?;
            let number = u32::try_from(key >> 3).map_err(|_| Malformed)?;
            let value = match key & 7 {
                0 => Value::Varint(varint(&mut bytes)?),
                1 => take(&mut bytes, 8).map(|_| Value::Fixed)?,
                2 => {
                    let length = usize::try_from(varint(&mut bytes)?).map_err(|_| Malformed)?;
                    Value::Bytes(take(&mut bytes, length)?)
                }
                5 => take(&mut bytes, 4).map(|_| Value::Fixed)?,
                _ => return Err(Malformed),
            };
            visit(number, value);
        }
        Ok(())
    }

    /// The payloads of the message fields `numbers`, each the concatenation
    /// of every occurrence, which is how protobuf merges a message field
    /// that appears more than once.
    pub fn messages<const N: usize>(bytes: &[u8], numbers: [u32; N]) -> Result<[Vec<u8>; N], Malformed> {
        let mut found: [Vec<u8>; N] = std::array::from_fn(|_| Vec::new());
        each_field(bytes, |number, value| {
            if let (Some(slot), Value::Bytes(payload)) = (numbers.iter().position(|&n| n == number), value) {
                found[slot].extend_from_slice(payload);
            }
        })?;
        Ok(found)
    }

    /// The last occurrence of field `wanted` that `pick` accepts, as
    /// protobuf reads a scalar that appears more than once.
    pub fn last<'a, T>(bytes: &'a [u8], wanted: u32, pick: impl Fn(Value<'a>) -> Option<T>) -> Option<T> {
        let mut last = None;
        each_field(bytes, |number, value| {
            if number == wanted
                && let Some(picked) = pick(value)
            {
                last = Some(picked);
            }
        })
        .ok()?;
        last
    }

    pub fn as_bytes(value: Value<'_>) -> Option<Vec<u8>> {
        if let Value::Bytes(payload) = value { Some(payload.to_vec()) } else { None }
    }

    pub fn as_varint(value: Value<'_>) -> Option<u64> {
        if let Value::Varint(n) = value { Some(n) } else { None }
    }

    pub fn put_bytes(out: &mut Vec<u8>, number: u32, payload: &[u8]) {
        put_varint(out, u64::from(number) << 3 | 2);
        put_varint(out, payload.len() as u64);
        out.extend_from_slice(payload);
    }

    pub fn put_varint_field(out: &mut Vec<u8>, number: u32, value: u64) {
        put_varint(out, u64::from(number) << 3);
        put_varint(out, value);
    }

    fn put_varint(out: &mut Vec<u8>, mut value: u64) {
        while value >= 0x80 {
            out.push((value as u8) | 0x80);
            value >>= 7;
        }
        out.push(value as u8);
    }

    fn varint(bytes: &mut &[u8]) -> Result<u64, Malformed> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = bytes.split_first().ok_or(Malformed)?;
            *bytes = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(Malformed)
    }

    fn take<'a>(bytes: &mut &'a [u8], length: usize) -> Result<&'a [u8], Malformed> {
        if length > bytes.len() {
            return Err(Malformed);
        }
        let (taken, rest) = bytes.split_at(length);
        *bytes = rest;
        Ok(taken)
    }
}

#[cfg(test)]
mod tests {
    use function_sdk_rust::proto::v1 as sdk;

    use super::*;

    fn request() -> sdk::RunFunctionRequest {
        let desired = sdk::State {
            composite: Some(sdk::Resource {
                connection_details: [("k".to_owned(), b"v".to_vec())].into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        sdk::RunFunctionRequest {
            meta: Some(sdk::RequestMeta { tag: "the-tag".to_owned(), ..Default::default() }),
            desired: Some(desired),
            context: Some(pbjson_types::Struct {
                fields: [("step".to_owned(), pbjson_types::Value::from("one".to_owned()))].into(),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_fatal_response_keeps_the_tag_desired_state_and_context() {
        let request = request();
        let bytes = fatal_response(&request.encode_to_vec(), "stopped");
        let response = sdk::RunFunctionResponse::decode(bytes.as_slice()).unwrap();
        assert_eq!(response.meta.unwrap().tag, "the-tag");
        assert_eq!(response.desired, request.desired);
        assert_eq!(response.context, request.context);
        assert_eq!(response.results.len(), 1);
        let result = &response.results[0];
        assert_eq!(result.severity(), sdk::Severity::Fatal);
        assert_eq!(result.message, "stopped");
        assert_eq!(result.reason.as_deref(), Some("FunctionFailed"));
        assert_eq!(result.target(), sdk::Target::Composite);
        assert_eq!(summarize(&bytes), Summary { results: 1, fatal: true });
    }

    #[test]
    fn a_fatal_response_to_bytes_that_are_no_request_holds_the_result_alone() {
        let bytes = fatal_response(&[0xff, 0xff, 0xff], "stopped");
        let response = sdk::RunFunctionResponse::decode(bytes.as_slice()).unwrap();
        assert_eq!(response.meta.unwrap().tag, "");
        assert!(response.desired.is_none());
        assert_eq!(response.results.len(), 1);
    }

    #[test]
    fn fields_the_host_does_not_know_pass_through_a_fatal_response() {
        // desired.resources["x"].resource with an unknown field 99 inside desired.
        let mut desired = Vec::new();
        wire::put_bytes(&mut desired, 99, b"from the future");
        let mut request = Vec::new();
        wire::put_bytes(&mut request, field::REQUEST_DESIRED, &desired);
        let response = fatal_response(&request, "stopped");
        let [copied] = wire::messages(&response, [field::RESPONSE_DESIRED]).unwrap();
        assert_eq!(copied, desired);
    }

    #[test]
    fn summarize_counts_results_and_finds_a_fatal_one() {
        let result = |severity: sdk::Severity| sdk::Result { severity: severity.into(), ..Default::default() };
        let response = |results| sdk::RunFunctionResponse { results, ..Default::default() }.encode_to_vec();
        assert_eq!(summarize(&response(vec![])), Summary { results: 0, fatal: false });
        let warnings = response(vec![result(sdk::Severity::Warning), result(sdk::Severity::Normal)]);
        assert_eq!(summarize(&warnings), Summary { results: 2, fatal: false });
        let fatal = response(vec![result(sdk::Severity::Warning), result(sdk::Severity::Fatal)]);
        assert_eq!(summarize(&fatal), Summary { results: 2, fatal: true });
    }
}
