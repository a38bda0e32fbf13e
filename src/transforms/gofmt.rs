//! Go's `fmt` and `strconv` as function-patch-and-transform prints values:
//! `fmt.Sprintf` with the verbs `%s`, `%v` and `%d`, Go's `%v` text of every
//! value a transform can hold, and the float64 text of `strconv`.
//!
//! Objects print in key order, as Go prints maps, because serde_json's map
//! is ordered by key (its `preserve_order` feature is off; the tests of
//! maps here and in `gojson` would fail if it were on).
//!
//! Where Go writes an error into its output (`%!s(int64=5)`, `%!v(MISSING)`,
//! `%!(EXTRA string=x)`), which can only make a name Kubernetes refuses,
//! this formatter refuses instead and says which verb and what it got.

use std::fmt::{self, Write};

use serde_json::Value;

use super::go_kind;

/// A Go format string, checked once where the input is read: literal text
/// and the verbs `%s`, `%v` and `%d`, with `%%` for a percent sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoFormat {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Verb(Verb),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `%s`: strings, and lists and objects of strings.
    S,
    /// `%v`: any value, in its default format.
    V,
    /// `%d`: integers, and lists and objects of integers.
    D,
}

impl Verb {
    fn letter(self) -> char {
        match self {
            Self::S => 's',
            Self::V => 'v',
            Self::D => 'd',
        }
    }
}

/// The characters Go allows between `%` and the verb: flags, width,
/// precision and argument indexes.
const MODIFIERS: &str = "+-# 0123456789.[]*";

impl GoFormat {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                literal.push(c);
                continue;
            }
            let rest = chars.as_str();
            let modifiers = rest.find(|c: char| !MODIFIERS.contains(c)).unwrap_or(rest.len());
            let Some(verb) = rest[modifiers..].chars().next() else {
                return Err("ends with a lone %; write %% for a percent sign".to_owned());
            };
            let directive = &rest[..modifiers + verb.len_utf8()];
            let verb = match (modifiers, verb) {
                (0, '%') => {
                    literal.push('%');
                    chars = rest[1..].chars();
                    continue;
                }
                (0, 's') => Verb::S,
                (0, 'v') => Verb::V,
                (0, 'd') => Verb::D,
                (0, _) => {
                    return Err(format!("%{directive} is not supported; use %s, %v or %d (%% for a percent sign)"));
                }
                _ => {
                    return Err(format!(
                        "%{directive}: flags, widths, precisions and argument indexes are not supported; use %s, %v \
                         or %d"
                    ));
                }
            };
            if !literal.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut literal)));
            }
            pieces.push(Piece::Verb(verb));
            chars = rest[directive.len()..].chars();
        }
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Self { pieces })
    }

    /// How many values the format takes.
    pub fn verbs(&self) -> usize {
        self.pieces.iter().filter(|piece| matches!(piece, Piece::Verb(_))).count()
    }

    /// `fmt.Sprintf(format, values...)`, refusing where Go would write an
    /// error into the text.
    pub fn format(&self, values: &[Value]) -> Result<String, FormatError> {
        if values.len() != self.verbs() {
            return Err(FormatError::Count { verbs: self.verbs(), values: values.len() });
        }
        let mut out = String::new();
        let verbs = self.pieces.iter().filter_map(|piece| match piece {
            Piece::Verb(verb) => Some(*verb),
            Piece::Text(_) => None,
        });
        let mut values = verbs.zip(values).enumerate();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Verb(_) => {
                    if let Some((index, (verb, value))) = values.next() {
                        write_value(&mut out, verb, value).map_err(|got| FormatError::Verb {
                            position: index + 1,
                            verb,
                            got,
                        })?;
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Why a format could not print its values. Names kinds, never values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    Count { verbs: usize, values: usize },
    Verb { position: usize, verb: Verb, got: &'static str },
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count { verbs, values } => {
                write!(f, "has {verbs} verbs for {values} values; Go would print %!(MISSING) or %!(EXTRA)")
            }
            Self::Verb { position, verb, got } => {
                let letter = verb.letter();
                let hint = match (*verb, *got) {
                    (Verb::S, "an int64") => "%d or %v",
                    (Verb::D, "a string") => "%s or %v",
                    _ => "%v",
                };
                write!(f, "verb {position} (%{letter}) cannot print {got}, Go would print %!{letter}(…); use {hint}")
            }
        }
    }
}

/// `%v` of a value: what `fmt.Sprintf("%v", v)` prints in Go.
pub fn display(value: &Value) -> String {
    let mut out = String::new();
    // %v prints every kind of value, so this cannot fail.
    let _ = write_value(&mut out, Verb::V, value);
    out
}

/// Appends `value` printed with `verb`; `Err` is the kind of the value the
/// verb cannot print (an element's, in a list or object).
fn write_value(out: &mut String, verb: Verb, value: &Value) -> Result<(), &'static str> {
    match (verb, value) {
        (Verb::V, Value::Null) => out.push_str("<nil>"),
        (Verb::V, Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
        (Verb::S | Verb::V, Value::String(text)) => out.push_str(text),
        (Verb::V | Verb::D, Value::Number(n)) if n.as_i64().is_some() => {
            let _ = write!(out, "{}", n.as_i64().unwrap_or_default());
        }
        (Verb::V, Value::Number(n)) => out.push_str(&float_g(n.as_f64().unwrap_or_default())),
        (_, Value::Array(items)) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(' ');
                }
                write_value(out, verb, item)?;
            }
            out.push(']');
        }
        (_, Value::Object(map)) => {
            out.push_str("map[");
            for (index, (key, item)) in map.iter().enumerate() {
                if index > 0 {
                    out.push(' ');
                }
                write_value(out, verb, &Value::String(key.clone()))?;
                out.push(':');
                write_value(out, verb, item)?;
            }
            out.push(']');
        }
        (_, other) => return Err(go_kind(other)),
    }
    Ok(())
}

/// The shortest decimal digits that read back as `x`, and where the point
/// goes: `x` is `0.DIGITS × 10^point`. Rust's `{:e}` and Go's shortest
/// formatting choose the same digits.
struct Shortest {
    negative: bool,
    digits: Vec<u8>,
    point: i32,
}

impl Shortest {
    fn of(x: f64) -> Self {
        let text = format!("{:e}", x.abs());
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
        let exponent: i32 = exponent.parse().unwrap_or_default();
        // Go's shortest form of zero has no digits and the point at 0.
        let (digits, point) = if x == 0.0 { (Vec::new(), 0) } else { (digits, exponent + 1) };
        Self { negative: x.is_sign_negative(), digits, point }
    }

    fn digit(&self, index: i32) -> char {
        usize::try_from(index).ok().and_then(|i| self.digits.get(i)).map_or('0', |d| char::from(*d))
    }

    fn sign(&self) -> &'static str {
        if self.negative { "-" } else { "" }
    }

    /// `strconv`'s `%e` with every shortest digit: `1.5e+06`, `1e-07`.
    fn exponential(&self) -> String {
        let mut out = format!("{}{}", self.sign(), self.digit(0));
        if self.digits.len() > 1 {
            out.push('.');
            out.extend(self.digits[1..].iter().map(|d| char::from(*d)));
        }
        let exponent = if self.digits.is_empty() { 0 } else { self.point - 1 };
        let sign = if exponent < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exponent.unsigned_abs());
        out
    }

    /// `strconv`'s `%f` with every shortest digit: `1500000`, `0.0000001`.
    fn positional(&self) -> String {
        let mut out = self.sign().to_owned();
        if self.point > 0 {
            out.extend((0..self.point).map(|i| self.digit(i)));
        } else {
            out.push('0');
        }
        let decimals = i32::try_from(self.digits.len()).unwrap_or(i32::MAX) - self.point;
        if decimals > 0 {
            out.push('.');
            out.extend((0..decimals).map(|i| self.digit(self.point + i)));
        }
        out
    }
}

/// `%v` of a float64: `strconv.FormatFloat(x, 'g', -1, 64)`, exponential
/// below 1e-4 and from 1e6 on (`1e+06`, `1.5e-05`).
pub fn float_g(x: f64) -> String {
    let shortest = Shortest::of(x);
    let exponent = shortest.point - 1;
    if !shortest.digits.is_empty() && !(-4..6).contains(&exponent) {
        shortest.exponential()
    } else {
        shortest.positional()
    }
}

/// `strconv.FormatFloat(x, 'f', -1, 64)`: never exponential.
pub fn float_f(x: f64) -> String {
    Shortest::of(x).positional()
}

/// A float64 as Go's `encoding/json` writes it: positional from 1e-6 to
/// below 1e21, else exponential with no leading zero in the exponent
/// (`1e+21`, `1e-7`).
pub fn float_json(x: f64) -> String {
    let magnitude = x.abs();
    if magnitude == 0.0 || (1e-6..1e21).contains(&magnitude) {
        return float_f(x);
    }
    let text = Shortest::of(x).exponential();
    match text.split_once("e-0") {
        Some((mantissa, digit)) => format!("{mantissa}e-{digit}"),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sprintf(format: &str, values: &[Value]) -> Result<String, FormatError> {
        GoFormat::parse(format).unwrap().format(values)
    }

    #[test]
    fn prints_like_go_s_sprintf() {
        assert_eq!(sprintf("%s-%d%%-%v", &[json!("a"), json!(1), json!(true)]).unwrap(), "a-1%-true");
        assert_eq!(sprintf("%v|%v|%v", &[Value::Null, json!(1.5), json!(1e6)]).unwrap(), "<nil>|1.5|1e+06");
        assert_eq!(sprintf("%v", &[json!({"b": [1, "x"], "a": {"c": null}})]).unwrap(), "map[a:map[c:<nil>] b:[1 x]]");
        assert_eq!(sprintf("%s", &[json!(["a", "b"])]).unwrap(), "[a b]");
        assert_eq!(sprintf("%d", &[json!([1, 2])]).unwrap(), "[1 2]");
        assert_eq!(sprintf("ünï%s", &[json!("ç")]).unwrap(), "ünïç");
    }

    #[test]
    fn refuses_what_go_would_print_as_an_error() {
        let error = sprintf("%s-%s", &[json!("a"), json!(5)]).unwrap_err();
        assert_eq!(error, FormatError::Verb { position: 2, verb: Verb::S, got: "an int64" });
        assert_eq!(error.to_string(), "verb 2 (%s) cannot print an int64, Go would print %!s(…); use %d or %v");
        let error = sprintf("%d", &[json!("a")]).unwrap_err();
        assert!(error.to_string().ends_with("use %s or %v"), "{error}");
        assert_eq!(
            sprintf("%d", &[json!(["a"])]).unwrap_err(),
            FormatError::Verb { position: 1, verb: Verb::D, got: "a string" }
        );
        assert_eq!(
            sprintf("%s", &[json!({"a": 1})]).unwrap_err(),
            FormatError::Verb { position: 1, verb: Verb::S, got: "an int64" }
        );
        assert_eq!(
            sprintf("%d", &[json!(1.5)]).unwrap_err().to_string(),
            "verb 1 (%d) cannot print a float64, Go would print %!d(…); use %v"
        );
        assert_eq!(
            sprintf("%s", &[Value::Null]).unwrap_err(),
            FormatError::Verb { position: 1, verb: Verb::S, got: "null" }
        );
        assert_eq!(sprintf("%s %s", &[json!("a")]).unwrap_err(), FormatError::Count { verbs: 2, values: 1 });
        assert_eq!(sprintf("plain", &[json!("a")]).unwrap_err(), FormatError::Count { verbs: 0, values: 1 });
    }

    #[test]
    fn refuses_verbs_and_modifiers_it_does_not_implement() {
        assert_eq!(
            GoFormat::parse("a-%x").unwrap_err(),
            "%x is not supported; use %s, %v or %d (%% for a percent sign)"
        );
        assert_eq!(
            GoFormat::parse("%05d").unwrap_err(),
            "%05d: flags, widths, precisions and argument indexes are not supported; use %s, %v or %d"
        );
        assert_eq!(GoFormat::parse("%[1]s").unwrap_err().split(':').next(), Some("%[1]s"));
        assert_eq!(GoFormat::parse("100%").unwrap_err(), "ends with a lone %; write %% for a percent sign");
        assert_eq!(GoFormat::parse("%%s%s").unwrap().verbs(), 1);
    }

    /// Go's outputs, from `fmt.Sprint`, `strconv.FormatFloat(x, 'f', -1, 64)`
    /// and `json.Marshal` of each float64.
    #[test]
    fn prints_floats_like_go() {
        let cases: [(f64, &str, &str, &str); 12] = [
            (0.0, "0", "0", "0"),
            (-0.0, "-0", "-0", "-0"),
            (1.5, "1.5", "1.5", "1.5"),
            (123456.0, "123456", "123456", "123456"),
            (1234567.0, "1.234567e+06", "1234567", "1234567"),
            (1e6, "1e+06", "1000000", "1000000"),
            (0.0001, "0.0001", "0.0001", "0.0001"),
            (0.00001, "1e-05", "0.00001", "0.00001"),
            (1e-7, "1e-07", "0.0000001", "1e-7"),
            (1e21, "1e+21", "1000000000000000000000", "1e+21"),
            (-2.5e-7, "-2.5e-07", "-0.00000025", "-2.5e-7"),
            (0.1 + 0.2, "0.30000000000000004", "0.30000000000000004", "0.30000000000000004"),
        ];
        for (x, g, f, json) in cases {
            assert_eq!(float_g(x), g, "%v of {x:e}");
            assert_eq!(float_f(x), f, "'f' of {x:e}");
            assert_eq!(float_json(x), json, "JSON of {x:e}");
        }
    }
}
