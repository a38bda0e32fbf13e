//! Crossplane's RunFunction messages (generated from `proto/`) and the
//! conversions between prost's `google.protobuf.Struct` and JSON values.

use std::cell::OnceCell;

use prost_types::value::Kind;
use serde_json::{Map, Value};

#[allow(clippy::all, clippy::pedantic)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/run_function.rs"));
}

pub use generated::apiextensions::r#fn::proto::v1;

/// An observed object, decoded and converted to JSON when something first
/// reads it: most connection details come from a resource's connection
/// secret and never look at its object, and decoding objects is most of a
/// large request's cost.
#[derive(Debug, Clone, Default)]
pub struct LazyObject<'a> {
    /// The encoded `Struct`, in the occurrences the request carried.
    source: &'a [Vec<u8>],
    json: OnceCell<Value>,
}

impl<'a> LazyObject<'a> {
    pub fn from_chunks(source: &'a [Vec<u8>]) -> Self {
        Self { source, json: OnceCell::new() }
    }

    pub fn from_json(object: Value) -> Self {
        Self { source: &[], json: OnceCell::from(object) }
    }

    /// Whether the request carried an object at all.
    pub fn is_present(&self) -> bool {
        !self.source.is_empty() || self.json.get().is_some_and(|json| !json.is_null())
    }

    /// The object as JSON; `null` for a resource observed without one, and
    /// for bytes that are no `Struct` (Crossplane never sends such).
    pub fn get(&self) -> &Value {
        self.json.get_or_init(|| {
            if self.source.is_empty() {
                return Value::Null;
            }
            crate::jsonwire::decode_object(self.source).map_or(Value::Null, Value::Object)
        })
    }

    /// The value under a chain of object keys: from the JSON when something
    /// read the object already, else straight from the bytes, building only
    /// that value ([`jsonwire::lookup`](crate::jsonwire::lookup)).
    pub fn lookup(&self, keys: &[&str]) -> Option<Value> {
        match self.json.get() {
            Some(json) => crate::fieldpath::at(json, keys).cloned(),
            None => crate::jsonwire::lookup(self.source, keys).ok().flatten(),
        }
    }
}

impl PartialEq for LazyObject<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

pub fn struct_to_json(object: &prost_types::Struct) -> Value {
    Value::Object(object.fields.iter().map(|(key, value)| (key.clone(), value_to_json(value))).collect())
}

fn value_to_json(value: &prost_types::Value) -> Value {
    match &value.kind {
        None | Some(Kind::NullValue(_)) => Value::Null,
        Some(Kind::BoolValue(b)) => Value::Bool(*b),
        Some(Kind::NumberValue(n)) => crate::jsonwire::number(*n),
        Some(Kind::StringValue(s)) => Value::String(s.clone()),
        Some(Kind::ListValue(list)) => Value::Array(list.values.iter().map(value_to_json).collect()),
        Some(Kind::StructValue(object)) => struct_to_json(object),
    }
}

pub fn json_to_struct(object: &Map<String, Value>) -> prost_types::Struct {
    prost_types::Struct { fields: object.iter().map(|(key, value)| (key.clone(), json_to_value(value))).collect() }
}

fn json_to_value(value: &Value) -> prost_types::Value {
    let kind = match value {
        Value::Null => Kind::NullValue(0),
        Value::Bool(b) => Kind::BoolValue(*b),
        Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Kind::StringValue(s.clone()),
        Value::Array(items) => {
            Kind::ListValue(prost_types::ListValue { values: items.iter().map(json_to_value).collect() })
        }
        Value::Object(object) => Kind::StructValue(json_to_struct(object)),
    };
    prost_types::Value { kind: Some(kind) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;
    use serde_json::json;

    #[test]
    fn json_survives_a_round_trip_through_struct() {
        let value = json!({"a": 1, "b": [true, null, "s", 2.5, {"c": -3}], "d": {}});
        let Value::Object(object) = &value else { unreachable!() };
        assert_eq!(struct_to_json(&json_to_struct(object)), value);
    }

    #[test]
    fn a_lazy_object_converts_when_first_read_and_only_then() {
        let Value::Object(object) = json!({"status": {"port": 5432}}) else { unreachable!() };
        let source = [json_to_struct(&object).encode_to_vec()];
        let lazy = LazyObject::from_chunks(&source);
        assert!(lazy.json.get().is_none(), "not converted before it is read");
        assert_eq!(lazy.get()["status"]["port"], 5432);
        assert!(lazy.json.get().is_some());
        assert_eq!(LazyObject::from_chunks(&[]).get(), &Value::Null);
        assert!(!LazyObject::from_chunks(&[]).is_present());
    }
}
