//! Crossplane's RunFunction messages (generated from `proto/`) and the
//! conversions between `google.protobuf.Struct` and JSON values.

use std::cell::OnceCell;

use prost_types::value::Kind;
use serde_json::{Map, Number, Value};

#[allow(clippy::all, clippy::pedantic)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/run_function.rs"));
}

pub use generated::apiextensions::r#fn::proto::v1;

/// The largest integer an `f64` (Struct's only number type) holds exactly.
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

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
            crate::wire::merged(self.source).map_or(Value::Null, |object| struct_to_json(&object))
        })
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
        Some(Kind::NumberValue(n)) => number_to_json(*n),
        Some(Kind::StringValue(s)) => Value::String(s.clone()),
        Some(Kind::ListValue(list)) => Value::Array(list.values.iter().map(value_to_json).collect()),
        Some(Kind::StructValue(object)) => struct_to_json(object),
    }
}

/// Whole numbers become JSON integers, so `metadata.generation: 4` reads as
/// `4` rather than `4.0`.
fn number_to_json(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() <= MAX_EXACT_INTEGER {
        Value::Number(Number::from(n as i64))
    } else {
        Number::from_f64(n).map_or(Value::Null, Value::Number)
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

    #[test]
    fn whole_numbers_stay_integers_and_huge_ones_stay_floats() {
        assert_eq!(number_to_json(4.0).to_string(), "4");
        assert_eq!(number_to_json(-0.5).to_string(), "-0.5");
        assert_eq!(number_to_json(1e300).to_string(), "1e+300");
        assert_eq!(number_to_json(f64::NAN), Value::Null);
    }
}
