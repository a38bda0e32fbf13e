//! function-patch-and-transform's transforms (v0.10, `transforms.go`), for
//! the patches of `writeConnectionSecretToRef`: `map`, `match`, `math`,
//! `string` and `convert`, applied in order to a patch's value with P&T's
//! semantics, value types included. A value is Go's `any` as P&T holds it:
//! a JSON integer is an int64, any other number a float64 (so are the
//! numbers of a `map` value or a `match` result, which Go decodes into
//! `any`).
//!
//! The transforms are parsed once where the input is read
//! ([`crate::input`]): a transform that could never apply is an input error
//! there, not a failure here. What fails here depends on the XR's value
//! (a `map` with no entry for it, a `Regexp` that does not match).
//!
//! Where this differs from P&T on purpose:
//! - Regular expressions are [`regex_lite`]'s, which reads Go's RE2 syntax
//!   except: no Unicode classes (`\pL`, `\p{Greek}`) and no `\Q…\E` (both
//!   refused where the input is read, never silently different);
//!   case-insensitive matching (`(?i)`) folds ASCII letters only; `\s`
//!   also matches `\v`. It accepts a few things RE2 refuses (`(?x)`,
//!   `\<`, class set operations).
//! - `ToUpper` and `ToLower` change a character only where its case has a
//!   single-character counterpart, as Go's `unicode.ToUpper` does; the rare
//!   letter Go maps differently keeps its case here.
//! - `convert` from a string to float64 reads no hexadecimal floats, and
//!   refuses what is not a finite number.
//! - `Join` keeps P&T's quirk: after the last element it leaves the
//!   separator without its last byte (`a, b,` for `, `).

mod gofmt;
mod gojson;
mod quantity;
#[cfg(test)]
mod tests;

use std::fmt::{self, Write};

use base64::Engine;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Number, Value};
use sha1::Digest;

pub use gofmt::{FormatError, GoFormat, display};
pub use gojson::with_float_numbers;

/// One transform, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transform {
    /// The value, a string, looked up; the entries' values are as Go
    /// decodes JSON (numbers float64).
    Map(Map<String, Value>),
    Match(MatchTransform),
    Math(MathTransform),
    String(StringTransform),
    Convert(ConvertTransform),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchTransform {
    pub patterns: Vec<MatchPattern>,
    /// What the transform gives when no pattern matches.
    pub fallback: Fallback,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchPattern {
    pub test: PatternTest,
    /// What the transform gives when this is the first pattern to match;
    /// null when the pattern has none.
    pub result: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternTest {
    /// The value equals this string.
    Literal(String),
    /// The expression matches somewhere in the value.
    Regexp(Pattern),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fallback {
    /// `fallbackValue` (null when absent).
    Value(Value),
    /// `fallbackTo: Input`: the value unchanged.
    Input,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MathTransform {
    Multiply(i64),
    ClampMin(i64),
    ClampMax(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StringTransform {
    /// `fmt.Sprintf(format, value)`.
    Format(GoFormat),
    Convert(StringConversion),
    TrimPrefix(String),
    TrimSuffix(String),
    /// The match of `pattern`, or of its capture group `group`.
    Regexp {
        pattern: Pattern,
        group: usize,
    },
    /// A list's elements joined.
    Join {
        separator: String,
    },
    Replace {
        search: String,
        replace: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringConversion {
    ToUpper,
    ToLower,
    ToJson,
    ToBase64,
    FromBase64,
    ToSha1,
    ToSha256,
    ToSha512,
    ToAdler32,
}

impl StringConversion {
    /// In the order of P&T's `StringConversionType` constants.
    pub const ALL: [(&'static str, Self); 9] = [
        ("ToUpper", Self::ToUpper),
        ("ToLower", Self::ToLower),
        ("ToJson", Self::ToJson),
        ("ToBase64", Self::ToBase64),
        ("FromBase64", Self::FromBase64),
        ("ToSha1", Self::ToSha1),
        ("ToSha256", Self::ToSha256),
        ("ToSha512", Self::ToSha512),
        ("ToAdler32", Self::ToAdler32),
    ];
}

/// `convert`: to `to`, reading a string as `format` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvertTransform {
    pub to: GoType,
    pub format: ConvertFormat,
}

/// The value types a `convert` reads and writes, by P&T's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoType {
    String,
    /// `int` and `int64`, which P&T treats alike.
    Int64,
    Float64,
    Bool,
    Object,
    Array,
}

impl GoType {
    /// `toType` values; `int` is an alias of `int64`.
    pub const ALL: [(&'static str, Self); 7] = [
        ("string", Self::String),
        ("int", Self::Int64),
        ("int64", Self::Int64),
        ("bool", Self::Bool),
        ("float64", Self::Float64),
        ("object", Self::Object),
        ("array", Self::Array),
    ];

    fn name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Int64 => "int64",
            Self::Float64 => "float64",
            Self::Bool => "bool",
            Self::Object => "object",
            Self::Array => "array",
        }
    }

    /// A value's type, if a `convert` can read it: P&T refuses lists,
    /// objects and null as input.
    fn of(value: &Value) -> Option<Self> {
        match value {
            Value::String(_) => Some(Self::String),
            Value::Bool(_) => Some(Self::Bool),
            Value::Number(n) if n.as_i64().is_some() => Some(Self::Int64),
            Value::Number(_) => Some(Self::Float64),
            Value::Null | Value::Array(_) | Value::Object(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvertFormat {
    None,
    /// A Kubernetes quantity, string to float64 only.
    Quantity,
    /// JSON text, string to object or array only.
    Json,
}

impl ConvertFormat {
    pub const ALL: [(&'static str, Self); 3] =
        [("none", Self::None), ("quantity", Self::Quantity), ("json", Self::Json)];

    fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Quantity => "quantity",
            Self::Json => "json",
        }
    }
}

/// A compiled regular expression, compared by its text.
#[derive(Debug, Clone)]
pub struct Pattern(regex_lite::Regex);

impl Pattern {
    /// Compiles `text`; the error says what is wrong with it, in
    /// regex-lite's words.
    pub fn new(text: &str) -> Result<Self, String> {
        regex_lite::Regex::new(text).map(Self).map_err(|error| error.to_string().replace('\n', " "))
    }

    /// Capture groups, not counting the whole match.
    pub fn groups(&self) -> usize {
        self.0.captures_len() - 1
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Eq for Pattern {}

/// Why the `index`th transform failed on a value: `problem` starts with
/// the field it comes from (`string.regexp: …`). Names kinds and sizes,
/// never the value, which may come from anywhere in the XR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransformError {
    pub index: usize,
    pub problem: String,
}

impl fmt::Display for TransformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "transforms[{}].{}", self.index, self.problem)
    }
}

/// Applies each transform in order to the value, as P&T's
/// `ResolveTransforms` does.
pub fn apply_all(transforms: &[Transform], value: Value) -> Result<Value, TransformError> {
    transforms.iter().enumerate().try_fold(value, |value, (index, transform)| {
        transform.apply(value).map_err(|problem| TransformError { index, problem })
    })
}

impl Transform {
    /// The transformed value, or what went wrong, starting with the field
    /// of the transform it concerns.
    pub fn apply(&self, value: Value) -> Result<Value, String> {
        match self {
            Self::Map(entries) => map(entries, &value).map_err(|problem| format!("map: {problem}")),
            Self::Match(transform) => transform.apply(value),
            Self::Math(transform) => transform.apply(value).map_err(|problem| format!("math: {problem}")),
            Self::String(transform) => transform.apply(&value).map(Value::String),
            Self::Convert(transform) => transform.apply(value).map_err(|problem| format!("convert: {problem}")),
        }
    }
}

/// How a value's kind reads in a message, by Go's type names.
pub(crate) fn go_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(n) if n.as_i64().is_some() => "an int64",
        Value::Number(_) => "a float64",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A float64 value; Go would carry infinities and NaN on to fail later,
/// where JSON cannot hold them.
fn float(x: f64) -> Result<Value, String> {
    Number::from_f64(x).map(Value::Number).ok_or_else(|| "gives a number that is not finite".to_owned())
}

fn map(entries: &Map<String, Value>, value: &Value) -> Result<Value, String> {
    let Value::String(key) = value else { return Err(format!("needs a string, not {}", go_kind(value))) };
    entries.get(key).cloned().ok_or_else(|| {
        let keys: Vec<&str> = entries.keys().map(String::as_str).collect();
        format!("has no entry for the value (a string of {} bytes); its keys are {}", key.len(), keys.join(", "))
    })
}

impl MatchTransform {
    fn apply(&self, value: Value) -> Result<Value, String> {
        for (index, pattern) in self.patterns.iter().enumerate() {
            if pattern.test.matches(&value).map_err(|problem| format!("match.patterns[{index}]: {problem}"))? {
                return Ok(pattern.result.clone());
            }
        }
        Ok(match &self.fallback {
            Fallback::Input => value,
            Fallback::Value(fallback) => fallback.clone(),
        })
    }
}

impl PatternTest {
    fn matches(&self, value: &Value) -> Result<bool, String> {
        let Value::String(text) = value else { return Err(format!("needs a string, not {}", go_kind(value))) };
        Ok(match self {
            Self::Literal(literal) => literal == text,
            Self::Regexp(pattern) => pattern.0.is_match(text),
        })
    }
}

impl MathTransform {
    fn apply(&self, value: Value) -> Result<Value, String> {
        let Value::Number(number) = &value else { return Err(format!("needs a number, not {}", go_kind(&value))) };
        match (self, number.as_i64()) {
            (Self::Multiply(factor), Some(integer)) => Ok(Value::from(integer.wrapping_mul(*factor))),
            (Self::Multiply(factor), None) => float(number.as_f64().unwrap_or_default() * *factor as f64),
            (Self::ClampMin(bound), _) if truncated(number) < *bound => Ok(Value::from(*bound)),
            (Self::ClampMax(bound), _) if truncated(number) > *bound => Ok(Value::from(*bound)),
            (Self::ClampMin(_) | Self::ClampMax(_), _) => Ok(value),
        }
    }
}

/// Go's `int64(x)`: a float64 loses its fraction.
fn truncated(number: &Number) -> i64 {
    number.as_i64().unwrap_or_else(|| number.as_f64().unwrap_or_default() as i64)
}

impl StringTransform {
    fn apply(&self, value: &Value) -> Result<String, String> {
        match self {
            Self::Format(format) => {
                format.format(std::slice::from_ref(value)).map_err(|error| format!("string.fmt: {error}"))
            }
            Self::Convert(conversion) => {
                conversion.apply(value).map_err(|problem| format!("string.convert: {problem}"))
            }
            Self::TrimPrefix(prefix) => {
                let text = gofmt::display(value);
                Ok(text.strip_prefix(prefix.as_str()).unwrap_or(&text).to_owned())
            }
            Self::TrimSuffix(suffix) => {
                let text = gofmt::display(value);
                Ok(text.strip_suffix(suffix.as_str()).unwrap_or(&text).to_owned())
            }
            Self::Regexp { pattern, group } => {
                let text = gofmt::display(value);
                let captures = pattern.0.captures(&text).ok_or_else(|| {
                    format!(
                        "string.regexp.match: {:?} does not match the value ({} bytes)",
                        pattern.0.as_str(),
                        text.len()
                    )
                })?;
                Ok(captures.get(*group).map_or("", |found| found.as_str()).to_owned())
            }
            Self::Join { separator } => join(value, separator).map_err(|problem| format!("string.join: {problem}")),
            Self::Replace { search, replace } => Ok(gofmt::display(value).replace(search.as_str(), replace)),
        }
    }
}

/// P&T's `Join`: each element's `%v` text followed by the separator, then
/// the last byte cut off, which leaves all but the last character of a
/// longer separator at the end.
fn join(value: &Value, separator: &str) -> Result<String, String> {
    let Value::Array(items) = value else { return Err(format!("needs a list, not {}", go_kind(value))) };
    let mut joined = Vec::new();
    for item in items {
        joined.extend_from_slice(gofmt::display(item).as_bytes());
        joined.extend_from_slice(separator.as_bytes());
    }
    if !items.is_empty() && !separator.is_empty() {
        joined.pop();
    }
    String::from_utf8(joined).map_err(|_| "cuts the separator's last character in half, as P&T does".to_owned())
}

impl StringConversion {
    fn apply(self, value: &Value) -> Result<String, String> {
        match self {
            Self::ToUpper => Ok(change_case(&gofmt::display(value), char::to_uppercase)),
            Self::ToLower => Ok(change_case(&gofmt::display(value), char::to_lowercase)),
            Self::ToJson => Ok(gojson::marshal(value)),
            Self::ToBase64 => Ok(base64::engine::general_purpose::STANDARD.encode(gofmt::display(value))),
            Self::FromBase64 => from_base64(&gofmt::display(value)),
            Self::ToSha1 => Ok(hex(&sha1::Sha1::digest(hash_input(value)))),
            Self::ToSha256 => Ok(hex(&sha2::Sha256::digest(hash_input(value)))),
            Self::ToSha512 => Ok(hex(&sha2::Sha512::digest(hash_input(value)))),
            Self::ToAdler32 => Ok(adler32(&hash_input(value)).to_string()),
        }
    }
}

/// Go's `strings.ToUpper`/`ToLower`: one character for one.
fn change_case<I: Iterator<Item = char>>(text: &str, mapping: fn(char) -> I) -> String {
    text.chars()
        .map(|c| {
            let mut mapped = mapping(c);
            match (mapped.next(), mapped.next()) {
                (Some(single), None) => single,
                _ => c,
            }
        })
        .collect()
}

/// Go's `base64.StdEncoding.DecodeString`: padding required, line breaks
/// ignored, stray bits after the last character allowed.
fn from_base64(text: &str) -> Result<String, String> {
    const GO_STD: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    let cleaned: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    let bytes = GO_STD
        .decode(cleaned)
        .map_err(|error| format!("FromBase64: the value is not base64: {}", base64_problem(&error)))?;
    String::from_utf8(bytes).map_err(|_| "FromBase64: the value decodes to bytes that are not UTF-8 text".to_owned())
}

/// A decoding error by position, without the offending character.
fn base64_problem(error: &base64::DecodeError) -> String {
    match error {
        base64::DecodeError::InvalidByte(offset, _) => format!("an invalid character at offset {offset}"),
        base64::DecodeError::InvalidLength(length) => format!("{length} characters, which is no valid length"),
        base64::DecodeError::InvalidLastSymbol(offset, _) => format!("an invalid last character at offset {offset}"),
        base64::DecodeError::InvalidPadding => "invalid padding".to_owned(),
    }
}

/// What P&T hashes: a string's bytes, else the value's JSON.
fn hash_input(value: &Value) -> Vec<u8> {
    match value {
        Value::String(text) => text.as_bytes().to_vec(),
        other => gojson::marshal(other).into_bytes(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

/// Adler-32 (RFC 1950), as Go's `hash/adler32`. Written here because no
/// crate in the dependency tree has it and the checksum is a few lines.
fn adler32(bytes: &[u8]) -> u32 {
    const MODULUS: u32 = 65_521;
    /// The most bytes summed before `b` could overflow a u32.
    const CHUNK: usize = 5_552;
    let (mut a, mut b) = (1_u32, 0_u32);
    for chunk in bytes.chunks(CHUNK) {
        for byte in chunk {
            a += u32::from(*byte);
            b += a;
        }
        a %= MODULUS;
        b %= MODULUS;
    }
    (b << 16) | a
}

impl ConvertTransform {
    /// P&T's `ResolveConvert`: a value already of the type is kept, else
    /// one of its conversions applies.
    fn apply(&self, value: Value) -> Result<Value, String> {
        let Some(from) = GoType::of(&value) else { return Err(format!("cannot convert {}", go_kind(&value))) };
        if from == self.to {
            return Ok(value);
        }
        let unsupported =
            || format!("cannot convert {} to {} with format {}", from.name(), self.to.name(), self.format.name());
        match (&value, self.to, self.format) {
            (Value::String(text), to, format) => convert_string(text, to, format).ok_or_else(unsupported)?,
            (_, _, ConvertFormat::Quantity | ConvertFormat::Json) => Err(unsupported()),
            (Value::Bool(b), GoType::String, _) => Ok(Value::from(b.to_string())),
            (Value::Bool(b), GoType::Int64, _) => Ok(Value::from(i64::from(*b))),
            (Value::Bool(b), GoType::Float64, _) => float(f64::from(u8::from(*b))),
            (Value::Number(n), to, _) => convert_number(n, to).ok_or_else(unsupported)?,
            _ => Err(unsupported()),
        }
    }
}

/// A string's conversions; `None` where P&T has none for the pair.
fn convert_string(text: &str, to: GoType, format: ConvertFormat) -> Option<Result<Value, String>> {
    Some(match (to, format) {
        (GoType::Int64, ConvertFormat::None) => {
            text.parse::<i64>().map(Value::from).map_err(|_| "the value is not an int64".to_owned())
        }
        (GoType::Bool, ConvertFormat::None) => match text {
            "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(Value::Bool(true)),
            "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(Value::Bool(false)),
            _ => Err("the value is not a bool (true, false, 1, 0, t, f, …)".to_owned()),
        },
        (GoType::Float64, ConvertFormat::None) => {
            text.parse::<f64>().map_err(|_| "the value is not a float64".to_owned()).and_then(float)
        }
        (GoType::Float64, ConvertFormat::Quantity) => {
            quantity::approximate_float(text).map_err(|error| format!("the value {error}")).and_then(float)
        }
        (GoType::Object, ConvertFormat::Json) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(with_float_numbers(Value::Object(map))),
            Ok(Value::Null) => Ok(Value::Object(Map::new())),
            Ok(other) => Err(format!("the value is JSON for {}, not an object", go_kind(&other))),
            Err(error) => Err(json_problem(&error)),
        },
        (GoType::Array, ConvertFormat::Json) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => Ok(with_float_numbers(Value::Array(items))),
            Ok(Value::Null) => Ok(Value::Array(Vec::new())),
            Ok(other) => Err(format!("the value is JSON for {}, not a list", go_kind(&other))),
            Err(error) => Err(json_problem(&error)),
        },
        _ => return None,
    })
}

/// A number's conversions (format none); `None` where P&T has none.
fn convert_number(number: &Number, to: GoType) -> Option<Result<Value, String>> {
    Some(match (number.as_i64(), to) {
        (Some(integer), GoType::String) => Ok(Value::from(integer.to_string())),
        (Some(integer), GoType::Bool) => Ok(Value::Bool(integer == 1)),
        (Some(integer), GoType::Float64) => float(integer as f64),
        (None, GoType::String) => Ok(Value::from(gofmt::float_f(number.as_f64()?))),
        (None, GoType::Int64) => Ok(Value::from(number.as_f64()? as i64)),
        (None, GoType::Bool) => Ok(Value::Bool(number.as_f64()? == 1.0)),
        _ => return None,
    })
}

/// Where a text stops being JSON, without the text.
fn json_problem(error: &serde_json::Error) -> String {
    format!("the value is not JSON (line {}, column {})", error.line(), error.column())
}
