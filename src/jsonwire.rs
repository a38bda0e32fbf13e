//! `google.protobuf.Struct` on the wire, read straight into JSON.
//!
//! The function reads its input and observed objects as JSON. Decoding them
//! into prost's `Struct` first and converting that to JSON allocated every
//! key, string and node twice and freed the first copy at once; for a
//! thousand composed resources that was a quarter of a call. This reader
//! walks the bytes once and builds the JSON value.
//!
//! It reads what a protobuf parser reads: repeated occurrences of a message
//! merge (a map entry replaces an earlier entry with its key whole, a later
//! scalar of `Value`'s `kind` replaces an earlier one, two `struct_value`s
//! or two `list_value`s merge), unknown fields are skipped, strings must be
//! UTF-8, and nesting stops at prost's recursion limit.

use prost::encoding::{DecodeContext, WireType, decode_key, decode_varint, skip_field};
use serde_json::{Map, Number, Value};

/// Nested messages allowed, as prost allows.
const RECURSION_LIMIT: u32 = 100;

/// The largest integer an `f64` (Struct's only number type) holds exactly.
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

// Field numbers of struct.proto.
const STRUCT_FIELDS: u32 = 1;
const ENTRY_KEY: u32 = 1;
const ENTRY_VALUE: u32 = 2;
const VALUE_NULL: u32 = 1;
const VALUE_NUMBER: u32 = 2;
const VALUE_STRING: u32 = 3;
const VALUE_BOOL: u32 = 4;
const VALUE_STRUCT: u32 = 5;
const VALUE_LIST: u32 = 6;
const LIST_VALUES: u32 = 1;

/// Why bytes are not a `Struct`: the rule broken, never the contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructError(String);

impl std::fmt::Display for StructError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "google.protobuf.Struct: {}", self.0)
    }
}

impl std::error::Error for StructError {}

impl From<prost::DecodeError> for StructError {
    fn from(error: prost::DecodeError) -> Self {
        let text = error.to_string();
        let reason = text.strip_prefix("failed to decode Protobuf message: ").unwrap_or(&text);
        Self(reason.to_owned())
    }
}

fn fail(reason: &str) -> StructError {
    StructError(reason.to_owned())
}

/// The object that the occurrences of one `Struct` field make, merged in
/// order.
pub fn decode_object(chunks: &[Vec<u8>]) -> Result<Map<String, Value>, StructError> {
    let mut object = Map::new();
    for chunk in chunks {
        merge_struct::<true>(&mut object, chunk, RECURSION_LIMIT)?;
    }
    Ok(object)
}

/// Whether [`decode_object`] would read these bytes, building nothing: for
/// a `Struct` the function passes on without reading it.
pub fn check_object(chunks: &[Vec<u8>]) -> Result<(), StructError> {
    check_object_within(chunks, 0)
}

/// [`check_object`] for a `Struct` inside `nesting` messages, whose
/// recursion limit comes that much sooner.
pub fn check_object_within(chunks: &[Vec<u8>], nesting: u32) -> Result<(), StructError> {
    let depth = RECURSION_LIMIT.checked_sub(nesting).ok_or_else(|| fail("recursion limit reached"))?;
    let mut nothing = Map::new();
    chunks.iter().try_for_each(|chunk| merge_struct::<false>(&mut nothing, chunk, depth))
}

/// The value under a chain of object keys in the object these occurrences
/// make, as `decode_object` then [`at`](crate::fieldpath::at) would find
/// it, building only that value: the entries along the way are found by
/// key and everything else is skipped by its length. A later entry with
/// the key replaces an earlier one whole, and a `Value`'s `struct_value`
/// occurrences merge, as in [`decode_object`]. Bytes off the way are not
/// checked, so a malformed object may still answer.
pub fn lookup(chunks: &[Vec<u8>], keys: &[&str]) -> Result<Option<Value>, StructError> {
    let structs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
    lookup_in(&structs, keys, RECURSION_LIMIT)
}

fn lookup_in(structs: &[&[u8]], keys: &[&str], depth: u32) -> Result<Option<Value>, StructError> {
    let Some((key, rest)) = keys.split_first() else {
        let mut object = Map::new();
        structs.iter().try_for_each(|bytes| merge_struct::<true>(&mut object, bytes, depth))?;
        return Ok(Some(Value::Object(object)));
    };
    let Some(entry) = last_entry(structs, key)? else { return Ok(None) };
    let value_depth = nested(nested(depth)?)?;
    if rest.is_empty() {
        let mut found = Value::Null;
        each_value(entry, |bytes| merge_value::<true>(&mut found, bytes, value_depth))?;
        return Ok(Some(found));
    }
    let inner = struct_occurrences(entry)?;
    if inner.is_empty() {
        return Ok(None);
    }
    lookup_in(&inner, rest, nested(value_depth)?)
}

/// The last map entry under `key`, whole: a later one replaces an earlier
/// one. Entries under other keys are passed over by their length.
fn last_entry<'b>(structs: &[&'b [u8]], key: &str) -> Result<Option<&'b [u8]>, StructError> {
    let mut found = None;
    for mut buf in structs.iter().copied() {
        while !buf.is_empty() {
            match next_field(&mut buf)? {
                (STRUCT_FIELDS, wire_type, entry) => {
                    let entry = if wire_type == WireType::LengthDelimited { entry } else { delimited(&mut buf)? };
                    if entry_key(entry)? == key.as_bytes() {
                        found = Some(entry);
                    }
                }
                (tag, wire_type, _) => skip(tag, wire_type, &mut buf)?,
            }
        }
    }
    Ok(found)
}

/// A map entry's key, as bytes: the last occurrence, empty when absent.
fn entry_key(mut buf: &[u8]) -> Result<&[u8], StructError> {
    let mut key = &[][..];
    while !buf.is_empty() {
        match next_field(&mut buf)? {
            (ENTRY_KEY, wire_type, bytes) => {
                expect(wire_type, WireType::LengthDelimited)?;
                key = bytes;
            }
            (tag, wire_type, _) => skip(tag, wire_type, &mut buf)?,
        }
    }
    Ok(key)
}

/// Each occurrence of a map entry's `Value`, in order: they merge.
fn each_value<'b>(
    mut buf: &'b [u8],
    mut visit: impl FnMut(&'b [u8]) -> Result<(), StructError>,
) -> Result<(), StructError> {
    while !buf.is_empty() {
        match next_field(&mut buf)? {
            (ENTRY_VALUE, wire_type, bytes) => {
                expect(wire_type, WireType::LengthDelimited)?;
                visit(bytes)?;
            }
            (tag, wire_type, _) => skip(tag, wire_type, &mut buf)?,
        }
    }
    Ok(())
}

/// The `Struct`s that make an entry's value an object: those after its
/// last occurrence of another kind, which replaced what came before. None
/// when the value is not an object.
fn struct_occurrences(entry: &[u8]) -> Result<Vec<&[u8]>, StructError> {
    let mut structs = Vec::new();
    each_value(entry, |mut buf| {
        while !buf.is_empty() {
            match next_field(&mut buf)? {
                (VALUE_STRUCT, wire_type, bytes) => {
                    expect(wire_type, WireType::LengthDelimited)?;
                    structs.push(bytes);
                }
                (VALUE_NULL | VALUE_NUMBER | VALUE_STRING | VALUE_BOOL | VALUE_LIST, wire_type, _) => {
                    structs.clear();
                    skip(VALUE_NULL, wire_type, &mut buf)?;
                }
                (tag, wire_type, _) => skip(tag, wire_type, &mut buf)?,
            }
        }
        Ok(())
    })?;
    Ok(structs)
}

// Each reader below takes `BUILD`: false reads and checks the same bytes
// but keeps no key, string or item, so a check allocates nothing.

/// The depth left inside a nested message, or the recursion limit's error;
/// `depth` is what the enclosing message's fields have, counted as prost
/// counts it.
fn nested(depth: u32) -> Result<u32, StructError> {
    depth.checked_sub(1).ok_or_else(|| fail("recursion limit reached"))
}

/// The next field: its number, wire type and, for a length-delimited one,
/// its bytes; other wire types are left in `buf` for the caller.
fn next_field<'b>(buf: &mut &'b [u8]) -> Result<(u32, WireType, &'b [u8]), StructError> {
    let (tag, wire_type) = decode_key(buf)?;
    if wire_type != WireType::LengthDelimited {
        return Ok((tag, wire_type, &[]));
    }
    Ok((tag, wire_type, delimited(buf)?))
}

/// A length and that many bytes.
fn delimited<'b>(buf: &mut &'b [u8]) -> Result<&'b [u8], StructError> {
    let len = usize::try_from(decode_varint(buf)?).map_err(|_| fail("buffer underflow"))?;
    if len > buf.len() {
        return Err(fail("buffer underflow"));
    }
    let (field, rest) = buf.split_at(len);
    *buf = rest;
    Ok(field)
}

/// Skips a field the reader does not use; a length-delimited one was
/// already taken by [`next_field`].
fn skip(tag: u32, wire_type: WireType, buf: &mut &[u8]) -> Result<(), StructError> {
    if wire_type != WireType::LengthDelimited {
        skip_field(wire_type, tag, buf, DecodeContext::default())?;
    }
    Ok(())
}

fn expect(wire_type: WireType, expected: WireType) -> Result<(), StructError> {
    if wire_type == expected { Ok(()) } else { Err(fail("invalid wire type")) }
}

fn merge_struct<const BUILD: bool>(
    object: &mut Map<String, Value>,
    mut buf: &[u8],
    depth: u32,
) -> Result<(), StructError> {
    while !buf.is_empty() {
        match next_field(&mut buf)? {
            (STRUCT_FIELDS, wire_type, entry) => {
                // prost reads a map entry whatever wire type its key says,
                // as a length and that many bytes; so does this reader.
                let entry = if wire_type == WireType::LengthDelimited { entry } else { delimited(&mut buf)? };
                let (key, value) = decode_entry::<BUILD>(entry, nested(depth)?)?;
                if BUILD {
                    object.insert(key, value);
                }
            }
            (tag, wire_type, _) => skip(tag, wire_type, &mut buf)?,
        }
    }
    Ok(())
}

/// A map entry: a missing key is the empty string, a missing value null.
fn decode_entry<const BUILD: bool>(mut buf: &[u8], depth: u32) -> Result<(String, Value), StructError> {
    let (mut key, mut value) = (String::new(), Value::Null);
    while !buf.is_empty() {
        match next_field(&mut buf)? {
            (ENTRY_KEY, wire_type, bytes) => {
                expect(wire_type, WireType::LengthDelimited)?;
                key = text::<BUILD>(bytes)?;
            }
            (ENTRY_VALUE, wire_type, bytes) => {
                expect(wire_type, WireType::LengthDelimited)?;
                merge_value::<BUILD>(&mut value, bytes, nested(depth)?)?;
            }
            (tag, wire_type, _) => skip(tag, wire_type, &mut buf)?,
        }
    }
    Ok((key, value))
}

fn merge_value<const BUILD: bool>(value: &mut Value, mut buf: &[u8], depth: u32) -> Result<(), StructError> {
    while !buf.is_empty() {
        match next_field(&mut buf)? {
            (VALUE_NULL, wire_type, _) => {
                expect(wire_type, WireType::Varint)?;
                decode_varint(&mut buf)?;
                *value = Value::Null;
            }
            (VALUE_NUMBER, wire_type, _) => {
                expect(wire_type, WireType::SixtyFourBit)?;
                let (bytes, rest) = buf.split_first_chunk::<8>().ok_or_else(|| fail("buffer underflow"))?;
                buf = rest;
                *value = number(f64::from_le_bytes(*bytes));
            }
            (VALUE_STRING, wire_type, bytes) => {
                expect(wire_type, WireType::LengthDelimited)?;
                *value = Value::String(text::<BUILD>(bytes)?);
            }
            (VALUE_BOOL, wire_type, _) => {
                expect(wire_type, WireType::Varint)?;
                *value = Value::Bool(decode_varint(&mut buf)? != 0);
            }
            (VALUE_STRUCT, wire_type, bytes) => {
                expect(wire_type, WireType::LengthDelimited)?;
                if !value.is_object() {
                    *value = Value::Object(Map::new());
                }
                let Value::Object(object) = value else { unreachable!("made an object above") };
                merge_struct::<BUILD>(object, bytes, nested(depth)?)?;
            }
            (VALUE_LIST, wire_type, bytes) => {
                expect(wire_type, WireType::LengthDelimited)?;
                if !value.is_array() {
                    *value = Value::Array(Vec::new());
                }
                let Value::Array(items) = value else { unreachable!("made an array above") };
                merge_list::<BUILD>(items, bytes, nested(depth)?)?;
            }
            (tag, wire_type, _) => skip(tag, wire_type, &mut buf)?,
        }
    }
    Ok(())
}

fn merge_list<const BUILD: bool>(items: &mut Vec<Value>, mut buf: &[u8], depth: u32) -> Result<(), StructError> {
    while !buf.is_empty() {
        match next_field(&mut buf)? {
            (LIST_VALUES, wire_type, bytes) => {
                expect(wire_type, WireType::LengthDelimited)?;
                let mut item = Value::Null;
                merge_value::<BUILD>(&mut item, bytes, nested(depth)?)?;
                if BUILD {
                    items.push(item);
                }
            }
            (tag, wire_type, _) => skip(tag, wire_type, &mut buf)?,
        }
    }
    Ok(())
}

/// The string, checked to be UTF-8; kept only when building (an empty
/// `String` does not allocate).
fn text<const BUILD: bool>(bytes: &[u8]) -> Result<String, StructError> {
    let text = std::str::from_utf8(bytes).map_err(|_| fail("invalid string value: data is not UTF-8 encoded"))?;
    Ok(if BUILD { text.to_owned() } else { String::new() })
}

/// Whole numbers become JSON integers, so `metadata.generation: 4` reads as
/// `4` rather than `4.0`; NaN and the infinities, which JSON lacks, null.
pub fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() <= MAX_EXACT_INTEGER {
        Value::Number(Number::from(n as i64))
    } else {
        Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{json_to_struct, struct_to_json};
    use prost::Message;
    use serde_json::json;

    /// prost's reading of the occurrences, merged in order, as JSON.
    fn prost_reading(chunks: &[Vec<u8>]) -> Result<Value, prost::DecodeError> {
        let mut object = prost_types::Struct::default();
        chunks.iter().try_for_each(|chunk| object.merge(chunk.as_slice()))?;
        Ok(struct_to_json(&object))
    }

    fn encoded(value: Value) -> Vec<u8> {
        json_to_struct(value.as_object().unwrap()).encode_to_vec()
    }

    #[test]
    fn reads_what_prost_reads() {
        let object = json!({"a": 1, "b": [true, null, "s", 2.5, {"c": -3, "d": []}], "e": {}, "": "empty key",
            "big": 1e300, "ünï": "cödé"});
        let chunks = [encoded(object.clone())];
        assert_eq!(check_object(&chunks), Ok(()));
        assert_eq!(Value::Object(decode_object(&chunks).unwrap()), object);
        assert_eq!(Value::Object(decode_object(&chunks).unwrap()), prost_reading(&chunks).unwrap());
    }

    #[test]
    fn occurrences_merge_as_a_protobuf_parser_merges_them() {
        let first = encoded(json!({"keep": 1, "replaced": {"gone": true}, "s": "x"}));
        let second = encoded(json!({"replaced": {"new": true}, "s": {"now": "object"}}));
        let chunks = [first, second];
        let expected = json!({"keep": 1, "replaced": {"new": true}, "s": {"now": "object"}});
        assert_eq!(Value::Object(decode_object(&chunks).unwrap()), expected);
        assert_eq!(prost_reading(&chunks).unwrap(), expected);

        // Within one Value, two struct_values or two list_values merge.
        let mut twice = Vec::new();
        for part in [json!({"a": 1}), json!({"b": 2})] {
            prost::encoding::message::encode(VALUE_STRUCT, &json_to_struct(part.as_object().unwrap()), &mut twice);
        }
        let mut entry = Vec::new();
        prost::encoding::string::encode(ENTRY_KEY, &"k".to_owned(), &mut entry);
        prost::encoding::bytes::encode(ENTRY_VALUE, &twice, &mut entry);
        let mut object = Vec::new();
        prost::encoding::bytes::encode(STRUCT_FIELDS, &entry, &mut object);
        let chunks = [object];
        assert_eq!(Value::Object(decode_object(&chunks).unwrap()), json!({"k": {"a": 1, "b": 2}}));
        assert_eq!(prost_reading(&chunks).unwrap(), json!({"k": {"a": 1, "b": 2}}));
    }

    /// One `Struct` whose entry `key` holds a `Value` made of `parts`, each
    /// a `Value` message of its own, so that they merge.
    fn entry_of_parts(key: &str, parts: &[prost_types::Value]) -> Vec<u8> {
        let value: Vec<u8> = parts.iter().flat_map(Message::encode_to_vec).collect();
        let mut entry = Vec::new();
        prost::encoding::string::encode(ENTRY_KEY, &key.to_owned(), &mut entry);
        prost::encoding::bytes::encode(ENTRY_VALUE, &value, &mut entry);
        let mut object = Vec::new();
        prost::encoding::bytes::encode(STRUCT_FIELDS, &entry, &mut object);
        object
    }

    fn struct_value(value: Value) -> prost_types::Value {
        let kind = prost_types::value::Kind::StructValue(json_to_struct(value.as_object().unwrap()));
        prost_types::Value { kind: Some(kind) }
    }

    #[test]
    fn a_lookup_finds_what_decoding_the_whole_object_finds() {
        let spec = json!({"ref": {"name": "a", "namespace": "x"}, "other": [1, {"k": "v"}]});
        let cases: Vec<Vec<Vec<u8>>> = vec![
            vec![encoded(json!({"spec": spec, "metadata": {"name": "m"}}))],
            // A later occurrence's entry replaces the earlier one whole.
            vec![encoded(json!({"spec": spec})), encoded(json!({"spec": {"ref": {"name": "b"}}}))],
            // Two entries under one key in one occurrence: the last wins.
            vec![[encoded(json!({"spec": spec})), encoded(json!({"spec": {"other": 2}}))].concat()],
            // A Value's struct occurrences merge; another kind replaces them.
            vec![entry_of_parts("spec", &[struct_value(json!({"ref": {"name": "c"}})), struct_value(json!({"z": 1}))])],
            vec![entry_of_parts(
                "spec",
                &[
                    struct_value(json!({"ref": {"name": "c"}})),
                    prost_types::Value { kind: Some(prost_types::value::Kind::StringValue("s".into())) },
                ],
            )],
            vec![entry_of_parts(
                "spec",
                &[
                    prost_types::Value { kind: Some(prost_types::value::Kind::BoolValue(true)) },
                    struct_value(json!({"ref": {"name": "d"}})),
                ],
            )],
            vec![encoded(json!({"spec": "text"}))],
            vec![],
        ];
        let paths: [&[&str]; 6] =
            [&["spec", "ref"], &["spec", "ref", "name"], &["spec"], &["spec", "other"], &["metadata", "name"], &[]];
        for (index, chunks) in cases.iter().enumerate() {
            let whole = Value::Object(decode_object(chunks).unwrap());
            assert_eq!(Value::Object(decode_object(chunks).unwrap()), prost_reading(chunks).unwrap());
            for path in paths {
                let expected = crate::fieldpath::at(&whole, path).cloned();
                assert_eq!(lookup(chunks, path).unwrap(), expected, "case {index}, {path:?}");
            }
        }
    }

    #[test]
    fn unknown_fields_are_skipped() {
        let mut bytes = encoded(json!({"a": "b"}));
        prost::encoding::uint64::encode(7, &5, &mut bytes);
        prost::encoding::string::encode(9, &"ignored".to_owned(), &mut bytes);
        let chunks = [bytes];
        assert_eq!(Value::Object(decode_object(&chunks).unwrap()), json!({"a": "b"}));
        assert!(prost_reading(&chunks).is_ok());
    }

    #[test]
    fn bad_bytes_fail_as_prost_fails_them_and_name_no_content() {
        let valid = encoded(json!({"secret": "hunter2"}));
        let truncated = valid[..valid.len() - 2].to_vec();
        let mut not_utf8 = encoded(json!({"secret": "hunter2"}));
        let at = not_utf8.windows(7).position(|w| w == b"hunter2").unwrap();
        not_utf8[at] = 0xff;
        let mut wrong_wire_type = encoded(json!({"secret": "hunter2"}));
        let at = wrong_wire_type.iter().position(|&byte| byte == (VALUE_STRING << 3 | 2) as u8).unwrap();
        wrong_wire_type[at] = (VALUE_STRING << 3) as u8; // a string as a varint
        for bad in [truncated, not_utf8, wrong_wire_type] {
            let chunks = [bad];
            assert_eq!(check_object(&chunks).unwrap_err(), decode_object(&chunks).unwrap_err());
            let error = decode_object(&chunks).unwrap_err().to_string();
            assert!(prost_reading(&chunks).is_err(), "{error}");
            assert!(!error.contains("hunter") && !error.contains("secret"), "{error}");
        }
    }

    #[test]
    fn nesting_stops_where_prost_stops_it() {
        let nest = |levels| (0..levels).fold(json!("leaf"), |inner, _| json!({"n": inner}));
        let deepest_read =
            (1..60).map(nest).take_while(|value| prost_reading(&[encoded(value.clone())]).is_ok()).count();
        assert!((20..59).contains(&deepest_read), "{deepest_read}");
        let deepest = [encoded(nest(deepest_read))];
        assert_eq!(Value::Object(decode_object(&deepest).unwrap()), prost_reading(&deepest).unwrap());
        let error = decode_object(&[encoded(nest(deepest_read + 1))]).unwrap_err();
        assert_eq!(error.to_string(), "google.protobuf.Struct: recursion limit reached");
    }

    #[test]
    fn whole_numbers_stay_integers_and_huge_ones_stay_floats() {
        assert_eq!(number(4.0).to_string(), "4");
        assert_eq!(number(-0.5).to_string(), "-0.5");
        assert_eq!(number(1e300).to_string(), "1e+300");
        assert_eq!(number(f64::NAN), Value::Null);
    }
}
