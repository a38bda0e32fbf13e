//! Crossplane field paths: `spec.ports[0].port`,
//! `metadata.annotations[crossplane.io/external-name]`, `data["tls.crt"]`.
//!
//! Segments are separated by `.`. A `[...]` holds an array index (an unsigned
//! integer) or a field name that may contain dots and slashes, optionally
//! quoted with `'` or `"`.

use std::fmt;

use serde_json::Value;

/// The value under a fixed chain of object keys, such as `["spec",
/// "writeConnectionSecretToRef"]`: what `Value::pointer` answers, without
/// the two strings it allocates per step to unescape the pointer, which the
/// request path paid several times a call.
pub fn at<'v>(root: &'v Value, keys: &[&str]) -> Option<&'v Value> {
    keys.iter().try_fold(root, |value, key| value.get(key))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Field(String),
    Index(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath(Vec<Segment>);

/// What is wrong with a path, and at which character (0-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPathError {
    pub position: usize,
    pub problem: &'static str,
}

impl fmt::Display for FieldPathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at character {}", self.problem, self.position)
    }
}

impl std::error::Error for FieldPathError {}

impl FieldPath {
    pub fn parse(path: &str) -> Result<Self, FieldPathError> {
        Parser { path, position: 0 }.parse()
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// The value at this path, or `None` when any step is absent, null, or of
    /// a kind the step cannot enter (a field of an array, say).
    pub fn lookup<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        let found = self.0.iter().try_fold(root, |value, segment| match segment {
            Segment::Field(name) => value.as_object()?.get(name),
            Segment::Index(index) => value.as_array()?.get(*index),
        })?;
        (!found.is_null()).then_some(found)
    }

    /// The longest leading part of this path that `root` has, for saying
    /// where an absent path stops; `None` when not even the first step is
    /// there.
    pub fn deepest_present(&self, root: &Value) -> Option<FieldPath> {
        (1..self.0.len())
            .rev()
            .map(|length| FieldPath(self.0[..length].to_vec()))
            .find(|prefix| prefix.lookup(root).is_some())
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Field(name) => write_field(f, name, i == 0)?,
            }
        }
        Ok(())
    }
}

/// The plainest spelling that parses back to the same field: bare, else in
/// brackets, quoted when the name would otherwise end the brackets early or
/// read as a quote.
fn write_field(f: &mut fmt::Formatter<'_>, name: &str, first: bool) -> fmt::Result {
    if !name.contains(['.', '[', ']']) {
        return if first { f.write_str(name) } else { write!(f, ".{name}") };
    }
    if name.contains(['[', ']']) || name.starts_with(['\'', '"']) {
        let quote = if name.contains('\'') { '"' } else { '\'' };
        write!(f, "[{quote}{name}{quote}]")
    } else {
        write!(f, "[{name}]")
    }
}

struct Parser<'a> {
    path: &'a str,
    position: usize,
}

impl Parser<'_> {
    fn parse(mut self) -> Result<FieldPath, FieldPathError> {
        if self.path.is_empty() {
            return Err(self.error("empty path"));
        }
        let mut segments = Vec::new();
        loop {
            match self.peek() {
                Some('[') => segments.push(self.bracketed()?),
                Some('.') => return Err(self.error("empty field name")),
                Some(']') => return Err(self.error("']' without a matching '['")),
                _ => segments.push(Segment::Field(self.bare_field()?)),
            }
            match self.peek() {
                None => return Ok(FieldPath(segments)),
                Some('.') => {
                    self.position += 1;
                    if self.peek().is_none() {
                        return Err(self.error("path ends with '.'"));
                    }
                }
                Some('[') => {}
                Some(_) => return Err(self.error("expected '.' or '[' after ']'")),
            }
        }
    }

    fn bare_field(&mut self) -> Result<String, FieldPathError> {
        let rest = &self.path[self.position..];
        let len = rest.find(['.', '[', ']']).unwrap_or(rest.len());
        if len == 0 {
            return Err(self.error("empty field name"));
        }
        self.position += len;
        Ok(rest[..len].to_owned())
    }

    /// `[3]`, `[name.with.dots]`, `['quoted']` or `["quoted"]`.
    fn bracketed(&mut self) -> Result<Segment, FieldPathError> {
        let open = self.position;
        self.position += 1;
        let rest = &self.path[self.position..];
        let (content, consumed) = match rest.chars().next() {
            Some(quote @ ('\'' | '"')) => {
                let Some(close) = rest[1..].find(quote) else {
                    return Err(FieldPathError { position: open, problem: "unterminated quote" });
                };
                if !rest[1 + close + 1..].starts_with(']') {
                    return Err(FieldPathError {
                        position: self.position + close + 2,
                        problem: "expected ']' after closing quote",
                    });
                }
                (&rest[1..=close], close + 3)
            }
            _ => {
                let Some(close) = rest.find(']') else {
                    return Err(FieldPathError { position: open, problem: "'[' without a matching ']'" });
                };
                let content = &rest[..close];
                if content.is_empty() {
                    return Err(FieldPathError { position: open, problem: "empty brackets" });
                }
                if content.contains('[') {
                    return Err(FieldPathError { position: open, problem: "'[' inside brackets" });
                }
                if content.bytes().all(|b| b.is_ascii_digit()) {
                    let index = content
                        .parse()
                        .map_err(|_| FieldPathError { position: open, problem: "array index too large" })?;
                    self.position += close + 1;
                    return Ok(Segment::Index(index));
                }
                (content, close + 1)
            }
        };
        if content.is_empty() {
            return Err(FieldPathError { position: open, problem: "empty field name" });
        }
        self.position += consumed;
        Ok(Segment::Field(content.to_owned()))
    }

    fn peek(&self) -> Option<char> {
        self.path[self.position..].chars().next()
    }

    fn error(&self, problem: &'static str) -> FieldPathError {
        FieldPathError { position: self.position, problem }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(name: &str) -> Segment {
        Segment::Field(name.to_owned())
    }

    /// `at` answers what `Value::pointer` answers for keys that need no
    /// escaping, down to keys with a dot or a slash, which are one key here.
    #[test]
    fn at_follows_object_keys_as_a_pointer_would() {
        let object = json!({"spec": {"ref": {"name": "x"}, "list": [1], "a.b/c": true}});
        assert_eq!(at(&object, &["spec", "ref", "name"]), object.pointer("/spec/ref/name"));
        assert_eq!(at(&object, &["spec", "a.b/c"]), Some(&json!(true)));
        assert_eq!(at(&object, &[]), Some(&object));
        for absent in [&["spec", "missing"][..], &["spec", "ref", "name", "deeper"], &["spec", "list", "0"]] {
            assert_eq!(at(&object, absent), None, "{absent:?}");
        }
    }

    #[test]
    fn parses_crossplane_syntax() {
        let cases = [
            ("status.atProvider.address", vec![field("status"), field("atProvider"), field("address")]),
            ("spec.ports[0].port", vec![field("spec"), field("ports"), Segment::Index(0), field("port")]),
            (
                "metadata.annotations[crossplane.io/external-name]",
                vec![field("metadata"), field("annotations"), field("crossplane.io/external-name")],
            ),
            ("data[\"tls.crt\"]", vec![field("data"), field("tls.crt")]),
            ("data['tls.key']", vec![field("data"), field("tls.key")]),
            ("a[1][2]", vec![field("a"), Segment::Index(1), Segment::Index(2)]),
            ("[0]", vec![Segment::Index(0)]),
            ("a['0']", vec![field("a"), field("0")]),
        ];
        for (text, expected) in cases {
            assert_eq!(FieldPath::parse(text).unwrap().segments(), expected, "{text}");
        }
    }

    #[test]
    fn refuses_malformed_paths_with_a_position() {
        let cases = [
            ("", "empty path", 0),
            (".a", "empty field name", 0),
            ("a..b", "empty field name", 2),
            ("a.", "path ends with '.'", 2),
            ("a[0", "'[' without a matching ']'", 1),
            ("a[]", "empty brackets", 1),
            ("a['x]", "unterminated quote", 1),
            ("a['x'y]", "expected ']' after closing quote", 5),
            ("a[0]b", "expected '.' or '[' after ']'", 4),
            ("a]", "expected '.' or '[' after ']'", 1),
            ("a[99999999999999999999999]", "array index too large", 1),
            ("a['']", "empty field name", 1),
        ];
        for (text, problem, position) in cases {
            let err = FieldPath::parse(text).unwrap_err();
            assert_eq!((err.problem, err.position), (problem, position), "{text}");
        }
    }

    #[test]
    fn displays_canonically() {
        let cases = [
            ("a.b[0].c", "a.b[0].c"),
            ("metadata.annotations[crossplane.io/external-name]", "metadata.annotations[crossplane.io/external-name]"),
            ("data[\"it's\"]", "data.it's"),
            ("data[\"it's.x\"]", "data[it's.x]"),
            ("a[.\"']", "a[.\"']"),
            ("a['x]y']", "a['x]y']"),
            ("a['0']", "a.0"),
        ];
        for (text, canonical) in cases {
            assert_eq!(FieldPath::parse(text).unwrap().to_string(), canonical, "{text}");
        }
    }

    /// Every string of up to five symbols from an alphabet of the syntax's
    /// special characters: parsing never panics, and whatever parses
    /// survives a round trip through `Display`.
    #[test]
    fn every_short_string_parses_or_fails_cleanly_and_round_trips() {
        const ALPHABET: [&str; 8] = ["a", ".", "[", "]", "'", "\"", "0", "é"];
        let mut parsed = 0;
        for len in 0..=5u32 {
            for mut n in 0..ALPHABET.len().pow(len) {
                let mut text = String::new();
                for _ in 0..len {
                    text.push_str(ALPHABET[n % ALPHABET.len()]);
                    n /= ALPHABET.len();
                }
                if let Ok(path) = FieldPath::parse(&text) {
                    parsed += 1;
                    let shown = path.to_string();
                    assert_eq!(FieldPath::parse(&shown).as_ref(), Ok(&path), "{text:?} shown as {shown:?}");
                }
            }
        }
        assert!(parsed > 1000, "only {parsed} strings parsed; the alphabet no longer exercises the grammar");
    }

    #[test]
    fn looks_up_values_and_treats_absent_or_null_as_none() {
        let object = json!({
            "metadata": {"generation": 4, "annotations": {"crossplane.io/external-name": "db"}},
            "spec": {"ports": [{"port": 5432}], "nothing": null},
        });
        let get = |p: &str| FieldPath::parse(p).unwrap().lookup(&object).cloned();
        assert_eq!(get("metadata.generation"), Some(json!(4)));
        assert_eq!(get("metadata.annotations[crossplane.io/external-name]"), Some(json!("db")));
        assert_eq!(get("spec.ports[0].port"), Some(json!(5432)));
        assert_eq!(get("spec.ports[1].port"), None);
        assert_eq!(get("spec.ports.port"), None);
        assert_eq!(get("spec.nothing"), None);
        assert_eq!(get("metadata.generation.deeper"), None);
    }
}
