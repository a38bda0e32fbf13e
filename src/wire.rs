//! RunFunctionRequest as the function reads it, and the response as it
//! writes it: the same wire format as v1's messages, but what the function
//! only passes on stays bytes.
//!
//! A protobuf message field and a `bytes` field share one wire type, so a
//! view declares `bytes` where v1 has a message it need not decode:
//! observed objects (converted when something reads them), the desired
//! state and the context (checked, then copied to the response as they
//! came). Each is `repeated`, keeping every occurrence, because a parser
//! merges repeated occurrences of a message field; decoding the occurrences
//! in order, or writing them again in order, keeps that meaning.
//!
//! The input too stays bytes until [`jsonwire`](crate::jsonwire) reads it
//! straight into JSON, which is how the function reads it.
//!
//! The response relies on the same rules: written after the passed desired
//! state, the step's composite merges into the earlier one (its connection
//! details key by key), while each of its `resources` replaces an earlier
//! entry of the same name whole, as a map entry does.

use std::collections::BTreeMap;

use prost::Message;

use crate::collisions::{EarlierResource, EarlierResources};
use crate::jsonwire;
use crate::protocol::v1::{RequestMeta, Resources, RunFunctionResponse};

#[derive(Clone, PartialEq, Message)]
pub struct RequestView {
    #[prost(message, optional, tag = "1")]
    pub meta: Option<RequestMeta>,
    #[prost(message, optional, tag = "2")]
    pub observed: Option<StateView>,
    #[prost(bytes = "vec", repeated, tag = "3")]
    pub desired: Vec<Vec<u8>>,
    /// The input: a `google.protobuf.Struct`, undecoded.
    #[prost(bytes = "vec", repeated, tag = "4")]
    pub input: Vec<Vec<u8>>,
    #[prost(bytes = "vec", repeated, tag = "5")]
    pub context: Vec<Vec<u8>>,
    #[prost(btree_map = "string, message", tag = "6")]
    pub extra_resources: BTreeMap<String, Resources>,
    #[prost(btree_map = "string, message", tag = "8")]
    pub required_resources: BTreeMap<String, Resources>,
}

#[derive(Clone, PartialEq, Message)]
pub struct StateView {
    #[prost(message, optional, tag = "1")]
    pub composite: Option<ResourceView>,
    #[prost(btree_map = "string, message", tag = "2")]
    pub resources: BTreeMap<String, ResourceView>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ResourceView {
    /// The object: a `google.protobuf.Struct`, undecoded.
    #[prost(bytes = "vec", repeated, tag = "1")]
    pub resource: Vec<Vec<u8>>,
    #[prost(btree_map = "string, bytes", tag = "2")]
    pub connection_details: BTreeMap<String, Vec<u8>>,
    /// Read only so that a malformed one is refused as v1's reader would.
    #[prost(int32, tag = "3")]
    pub ready: i32,
}

/// The desired state earlier steps left, as the request carried it.
#[derive(Debug, Clone, Default)]
pub struct PassedDesired {
    pub chunks: Vec<Vec<u8>>,
    /// The XR's connection details as earlier steps set them.
    pub composite_details: BTreeMap<String, Vec<u8>>,
    /// What this step must know of the resources earlier steps composed,
    /// so that it replaces none of them unawares.
    pub resources: EarlierResources,
}

/// How deep in the response each passed `Struct` sits, in messages around
/// it, so that a check refuses what prost's recursion limit would refuse
/// when the response is read: `RunFunctionResponse` › `State` › `Resource`
/// › `Struct` for the composite, one more (the map entry) for a composed
/// resource; `RunFunctionResponse` › `Struct` for the context.
const COMPOSITE_STRUCT_NESTING: u32 = 3;
const RESOURCE_STRUCT_NESTING: u32 = 4;
const CONTEXT_STRUCT_NESTING: u32 = 1;

impl PassedDesired {
    /// Reads what the response needs and checks that the bytes are a
    /// `State`: passed on unchecked, malformed bytes would make a response
    /// that Crossplane cannot decode. The objects inside are checked, not
    /// built: a pipeline's desired state can be as large as its observed
    /// one. Each occurrence is checked on its own, since a later map entry
    /// replacing an earlier one leaves the earlier one's bytes in the
    /// response all the same; the composite's details merge key by key, as
    /// a reader merges the occurrences.
    pub fn read(chunks: Vec<Vec<u8>>) -> Result<Self, MalformedRequest> {
        let mut composite_details = BTreeMap::new();
        let mut resources = EarlierResources::new();
        for chunk in &chunks {
            let state = StateView::decode(chunk.as_slice())?;
            for (name, resource) in state.resources {
                let field = format_args!("desired.resources[{name}].resource");
                check_struct(field, &resource.resource, RESOURCE_STRUCT_NESTING)?;
                let earlier = EarlierResource::read(|keys| jsonwire::lookup(&resource.resource, keys).ok().flatten());
                resources.insert(name, earlier);
            }
            if let Some(composite) = state.composite {
                check_struct("desired.composite.resource", &composite.resource, COMPOSITE_STRUCT_NESTING)?;
                composite_details.extend(composite.connection_details);
            }
        }
        Ok(Self { chunks, composite_details, resources })
    }
}

/// Checks that the context is a `Struct`, for the same reason.
pub fn check_context(chunks: &[Vec<u8>]) -> Result<(), MalformedRequest> {
    check_struct("context", chunks, CONTEXT_STRUCT_NESTING)
}

/// `field` is written out only for an error.
fn check_struct(field: impl std::fmt::Display, chunks: &[Vec<u8>], nesting: u32) -> Result<(), MalformedRequest> {
    jsonwire::check_object_within(chunks, nesting).map_err(|error| MalformedRequest::in_struct(field, &error))
}

/// Why bytes are not a `RunFunctionRequest`, in the names of v1's messages
/// (prost gives the views': `RequestView.observed: buffer underflow`).
/// Names the field, never its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedRequest(String);

impl MalformedRequest {
    /// A `Struct` field of the request that did not decode.
    pub fn in_struct(field: impl std::fmt::Display, error: &crate::jsonwire::StructError) -> Self {
        Self(format!("failed to decode Protobuf message: RunFunctionRequest.{field}: {error}"))
    }
}

impl From<prost::DecodeError> for MalformedRequest {
    fn from(error: prost::DecodeError) -> Self {
        let text = error.to_string();
        Self(
            text.replace("RequestView", "RunFunctionRequest")
                .replace("StateView", "State")
                .replace("ResourceView", "Resource"),
        )
    }
}

impl std::fmt::Display for MalformedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MalformedRequest {}

/// `RunFunctionResponse` fields written from the request's bytes.
const RESPONSE_DESIRED: u32 = 2;
const RESPONSE_CONTEXT: u32 = 4;

/// The response: the desired state and context passed on, then `response`
/// (whose desired state holds only the function's additions), so that a
/// reader's merge yields the whole.
pub fn encode_response(desired: &[Vec<u8>], context: &[Vec<u8>], response: &RunFunctionResponse) -> Vec<u8> {
    let passed: usize = desired.iter().chain(context).map(|chunk| chunk.len() + 10).sum();
    let mut bytes = Vec::with_capacity(passed + response.encoded_len());
    for chunk in desired {
        prost::encoding::bytes::encode(RESPONSE_DESIRED, chunk, &mut bytes);
    }
    for chunk in context {
        prost::encoding::bytes::encode(RESPONSE_CONTEXT, chunk, &mut bytes);
    }
    response.encode_raw(&mut bytes);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::json_to_struct;
    use crate::protocol::v1::{Ready, Resource, RunFunctionRequest, State};
    use serde_json::json;

    fn object(value: serde_json::Value) -> prost_types::Struct {
        json_to_struct(value.as_object().unwrap())
    }

    fn resource(value: serde_json::Value) -> Resource {
        Resource { resource: Some(object(value)), ..Default::default() }
    }

    /// A desired state whose resource `db` holds a string that is not
    /// UTF-8 (the bytes of "xyz" with the first one changed).
    fn desired_with_bad_utf8(name: &str) -> Vec<u8> {
        let state = State { resources: [(name.to_owned(), resource(json!({"s": "xyz"})))].into(), composite: None };
        let mut bytes = state.encode_to_vec();
        let at = bytes.windows(3).position(|window| window == b"xyz").unwrap();
        bytes[at] = 0xff;
        bytes
    }

    #[test]
    fn a_malformed_object_in_the_passed_desired_state_is_refused_by_name() {
        let error = PassedDesired::read(vec![desired_with_bad_utf8("db")]).unwrap_err().to_string();
        assert_eq!(
            error,
            "failed to decode Protobuf message: RunFunctionRequest.desired.resources[db].resource: \
             google.protobuf.Struct: invalid string value: data is not UTF-8 encoded"
        );
        // A later occurrence replacing the entry leaves the earlier bytes in
        // the response: they are checked all the same.
        let replacement = State { resources: [("db".to_owned(), resource(json!({})))].into(), composite: None };
        let chunks = vec![desired_with_bad_utf8("db"), replacement.encode_to_vec()];
        assert!(PassedDesired::read(chunks).is_err());
    }

    #[test]
    fn passed_objects_are_refused_exactly_where_the_response_would_not_decode() {
        // An object level is three messages deep (Struct, entry, Value), a
        // list level two (ListValue, Value): mixed, they reach every depth.
        let nested = |objects, lists| {
            let inner = (0..lists).fold(json!("leaf"), |inner, _| json!([inner]));
            (0..objects).fold(inner, |inner, _| json!({"n": inner}))
        };
        let decodes = |desired: &[Vec<u8>], context: &[Vec<u8>]| {
            let response = encode_response(desired, context, &RunFunctionResponse::default());
            RunFunctionResponse::decode(response.as_slice()).is_ok()
        };
        let mut seen = std::collections::BTreeSet::new();
        for objects in 25..35 {
            for lists in 0..3 {
                let object = nested(objects, lists);
                let as_resource =
                    State { resources: [("db".to_owned(), resource(object.clone()))].into(), composite: None };
                let as_composite = State { composite: Some(resource(object.clone())), resources: BTreeMap::new() };
                for state in [as_resource, as_composite] {
                    let chunks = vec![state.encode_to_vec()];
                    let expected = decodes(&chunks, &[]);
                    assert_eq!(PassedDesired::read(chunks).is_ok(), expected, "{objects} objects, {lists} lists");
                    seen.insert(expected);
                }
                let context = vec![resource(object).resource.unwrap().encode_to_vec()];
                assert_eq!(check_context(&context).is_ok(), decodes(&[], &context), "context, {objects} objects");
            }
        }
        assert_eq!(seen.len(), 2, "the limit lies within the depths tried");
    }

    #[test]
    fn a_view_reads_what_v1_wrote_and_keeps_the_rest_as_bytes() {
        let desired = State { resources: [("a".to_owned(), resource(json!({"k": 1})))].into(), composite: None };
        let observed = State {
            composite: Some(resource(json!({"kind": "XR"}))),
            resources: [(
                "db".to_owned(),
                Resource {
                    resource: Some(object(json!({"kind": "Db"}))),
                    connection_details: [("password".to_owned(), b"pw".to_vec())].into(),
                    ready: Ready::True.into(),
                },
            )]
            .into(),
        };
        let request = RunFunctionRequest {
            observed: Some(observed.clone()),
            desired: Some(desired.clone()),
            context: Some(object(json!({"c": true}))),
            ..Default::default()
        };
        let view = RequestView::decode(request.encode_to_vec().as_slice()).unwrap();
        assert_eq!(view.desired, vec![desired.encode_to_vec()]);
        assert_eq!(view.context, vec![object(json!({"c": true})).encode_to_vec()]);
        let db = &view.observed.unwrap().resources["db"];
        assert_eq!(db.resource, vec![object(json!({"kind": "Db"})).encode_to_vec()]);
        assert_eq!(db.connection_details["password"], b"pw");
    }

    /// The response carries the passed state, then the function's own;
    /// decoded, the function's resource replaces the earlier one whole.
    fn merged(passed: &State, additions: &State) -> State {
        let response = RunFunctionResponse { desired: Some(additions.clone()), ..Default::default() };
        let bytes = encode_response(&[passed.encode_to_vec()], &[], &response);
        RunFunctionResponse::decode(bytes.as_slice()).unwrap().desired.unwrap()
    }

    #[test]
    fn passed_resources_stay_and_a_resource_of_the_same_name_is_replaced_whole() {
        let passed = State {
            composite: Some(Resource {
                connection_details: [("earlier".to_owned(), b"e".to_vec())].into(),
                ..resource(json!({}))
            }),
            resources: [
                ("bucket".to_owned(), resource(json!({"kind": "Bucket"}))),
                ("connection-secret".to_owned(), resource(json!({"kind": "Secret", "stale": "field"}))),
            ]
            .into(),
        };
        let additions = State {
            composite: Some(Resource {
                connection_details: [("ours".to_owned(), b"o".to_vec())].into(),
                ..resource(json!({}))
            }),
            resources: [("connection-secret".to_owned(), resource(json!({"kind": "Secret"})))].into(),
        };
        let desired = merged(&passed, &additions);
        assert_eq!(desired.resources["bucket"], passed.resources["bucket"]);
        assert_eq!(desired.resources["connection-secret"], additions.resources["connection-secret"]);
        let details = &desired.composite.unwrap().connection_details;
        assert_eq!(details.keys().collect::<Vec<_>>(), ["earlier", "ours"]);
    }

    #[test]
    fn the_composite_details_of_earlier_steps_are_read() {
        let passed = State {
            composite: Some(Resource {
                connection_details: [("a".to_owned(), b"1".to_vec())].into(),
                ..Default::default()
            }),
            resources: BTreeMap::new(),
        };
        let desired = PassedDesired::read(vec![passed.encode_to_vec()]).unwrap();
        assert_eq!(desired.composite_details["a"], b"1");

        // Occurrences merge key by key, the later one winning, as v1's
        // reader merges them.
        let later = State {
            composite: Some(Resource {
                connection_details: [("a".to_owned(), b"2".to_vec()), ("b".to_owned(), b"3".to_vec())].into(),
                ..Default::default()
            }),
            resources: BTreeMap::new(),
        };
        let chunks = vec![passed.encode_to_vec(), later.encode_to_vec()];
        let both: Vec<u8> = chunks.concat();
        let expected = State::decode(both.as_slice()).unwrap().composite.unwrap().connection_details;
        assert_eq!(PassedDesired::read(chunks).unwrap().composite_details, expected);
        assert_eq!(expected["a"], b"2");
        assert_eq!(expected.len(), 2);
    }

    #[test]
    fn malformed_bytes_passed_on_are_refused_not_forwarded() {
        // A Struct whose one key is not UTF-8: field 1, an entry with key 0xff.
        let bad_struct = vec![0x0a, 0x03, 0x0a, 0x01, 0xff];
        assert!(check_context(std::slice::from_ref(&bad_struct)).is_err());
        // A State whose composite's resource is that Struct.
        let composite = [&[0x0a, 0x05][..], &bad_struct].concat();
        let state = [&[0x0a, 0x07][..], &composite].concat();
        assert!(PassedDesired::read(vec![state]).is_err());
        assert!(check_context(&[object(json!({"ok": true})).encode_to_vec()]).is_ok());
    }
}
