//! Go's `encoding/json`, both ways, as function-patch-and-transform uses it:
//! `json.Marshal` for the `ToJson` and hash conversions (its text differs
//! from serde_json's: `<`, `>`, `&`, U+2028 and U+2029 are escaped, floats
//! are `1e+21`), and `json.Unmarshal` into `any`, where every number is a
//! float64. Objects are written in key order, as Go writes maps (see
//! [`gofmt`](super::gofmt) for why serde_json's order is that).

use std::fmt::Write;

use serde_json::{Number, Value};

use super::gofmt::float_json;

/// `json.Marshal(value)` in Go.
pub fn marshal(value: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, value);
    out
}

fn write_json(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_i64() {
            Some(integer) => {
                let _ = write!(out, "{integer}");
            }
            None => out.push_str(&float_json(n.as_f64().unwrap_or_default())),
        },
        Value::String(text) => write_string(out, text),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (index, (key, item)) in map.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_json(out, item);
            }
            out.push('}');
        }
    }
}

/// A JSON string as Go escapes it: HTML-safe, with `\b` `\f` `\n` `\r` `\t`
/// short and other control characters as `\u00XX`.
fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A value as `json.Unmarshal` into `any` gives it in Go: numbers become
/// float64, whatever their text.
pub fn with_float_numbers(value: Value) -> Value {
    match value {
        Value::Number(n) => n.as_f64().and_then(Number::from_f64).map_or(Value::Null, Value::Number),
        Value::Array(items) => Value::Array(items.into_iter().map(with_float_numbers).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, with_float_numbers(v))).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Go 1.25's `json.Marshal` of the same values.
    #[test]
    fn marshals_like_go() {
        assert_eq!(marshal(&json!({"b": [1, 1.5, null], "a": true})), r#"{"a":true,"b":[1,1.5,null]}"#);
        assert_eq!(marshal(&json!("<a&b>\u{2028}\"\\\n\u{1}\u{8}")), r#""\u003ca\u0026b\u003e\u2028\"\\\n\u0001\b""#);
        assert_eq!(marshal(&json!(1e21)), "1e+21");
        assert_eq!(marshal(&json!("é")), "\"é\"");
    }

    #[test]
    fn unmarshals_numbers_as_float64() {
        let decoded = with_float_numbers(json!({"a": [5, -1]}));
        assert!(decoded["a"][0].is_f64() && decoded["a"][1].is_f64());
        assert_eq!(decoded["a"][0].as_f64(), Some(5.0));
    }
}
