//! The RunFunction protocol on the host side: prost types for both packages
//! Crossplane calls (v1, and v1beta1 for Crossplane 1.14–1.16), and
//! protojson, the JSON form `run` reads and writes.

use std::fmt;
use std::sync::LazyLock;

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, SerializeOptions};

#[allow(clippy::all, clippy::pedantic)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/run_function.rs"));
}

pub use generated::apiextensions::r#fn::proto::{v1, v1beta1};

static DESCRIPTORS: LazyLock<DescriptorPool> = LazyLock::new(|| {
    DescriptorPool::decode(&include_bytes!(concat!(env!("OUT_DIR"), "/run_function_descriptors.bin"))[..])
        .expect("the descriptor set compiled by build.rs decodes")
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
    let message = DynamicMessage::deserialize(descriptor(REQUEST), &mut deserializer)
        .map_err(|e| ProtojsonError(format!("not a protojson RunFunctionRequest: {}", describe_json_error(&e))))?;
    deserializer
        .end()
        .map_err(|e| ProtojsonError(format!("trailing data after the request: {}", describe_json_error(&e))))?;
    Ok(message.encode_to_vec())
}

/// Decodes a protobuf RunFunctionResponse and writes it as indented protojson.
pub fn response_to_json(bytes: &[u8]) -> Result<String, ProtojsonError> {
    let message = DynamicMessage::decode(descriptor(RESPONSE), bytes)
        .map_err(|e| ProtojsonError(format!("the component returned an undecodable response: {e}")))?;
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::pretty(&mut out);
    message
        .serialize_with_options(&mut serializer, &SerializeOptions::new())
        .map_err(|e| ProtojsonError(format!("cannot write the response as JSON: {e}")))?;
    String::from_utf8(out).map_err(|e| ProtojsonError(e.to_string()))
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

/// The response for a request the component could not answer: the request's
/// desired state unchanged, its tag, and one FATAL result.
pub fn fatal_response(request: &[u8], message: &str) -> Vec<u8> {
    let decoded = v1::RunFunctionRequest::decode(request).unwrap_or_default();
    v1::RunFunctionResponse {
        meta: Some(v1::ResponseMeta { tag: decoded.meta.map(|meta| meta.tag).unwrap_or_default(), ttl: None }),
        desired: decoded.desired,
        context: decoded.context,
        results: vec![v1::Result {
            severity: v1::Severity::Fatal.into(),
            message: message.to_owned(),
            reason: Some("FunctionFailed".to_owned()),
            target: Some(v1::Target::Composite.into()),
        }],
        ..Default::default()
    }
    .encode_to_vec()
}

/// Whether an encoded response holds a FATAL result.
pub fn has_fatal_result(response: &[u8]) -> bool {
    v1::RunFunctionResponse::decode(response)
        .is_ok_and(|response| response.results.iter().any(|r| r.severity() == v1::Severity::Fatal))
}
