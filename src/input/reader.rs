//! The generic half of reading the input: descending a JSON value with the
//! field path in hand, and collecting every problem instead of stopping at
//! the first. What each field means lives in [`fields`](super::fields).

use serde_json::{Map, Value};

use super::InputError;
use crate::names::NameError;

/// For objects whose fields are not ours to check.
pub(super) const ANY_FIELDS: &[&str] = &[];

/// A field path into the input, built as the reader descends: a chain of
/// segments on the stack, written out only when a problem names it, so a
/// valid input of thousands of entries formats no path at all.
#[derive(Clone, Copy, Default)]
pub(super) struct Path<'p> {
    parent: Option<&'p Path<'p>>,
    segment: Segment<'p>,
}

#[derive(Clone, Copy, Default)]
enum Segment<'p> {
    #[default]
    Root,
    Field(&'p str),
    Index(usize),
    /// A map entry whose name may hold dots or slashes: `labels[app.kubernetes.io/name]`.
    Key(&'p str),
}

impl<'p> Path<'p> {
    pub(super) fn field(&'p self, name: &'p str) -> Path<'p> {
        Path { parent: Some(self), segment: Segment::Field(name) }
    }

    pub(super) fn index(&'p self, index: usize) -> Path<'p> {
        Path { parent: Some(self), segment: Segment::Index(index) }
    }

    pub(super) fn key(&'p self, name: &'p str) -> Path<'p> {
        Path { parent: Some(self), segment: Segment::Key(name) }
    }

    fn is_root(&self) -> bool {
        matches!(self.segment, Segment::Root)
    }
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(parent) = self.parent {
            parent.fmt(f)?;
        }
        match self.segment {
            Segment::Root => Ok(()),
            Segment::Field(name) if self.parent.is_none_or(Path::is_root) => f.write_str(name),
            Segment::Field(name) => write!(f, ".{name}"),
            Segment::Index(index) => write!(f, "[{index}]"),
            Segment::Key(name) => write!(f, "[{name}]"),
        }
    }
}

#[derive(Default)]
pub(super) struct Reader {
    pub(super) errors: Vec<InputError>,
}

impl Reader {
    pub(super) fn fail(&mut self, path: &Path, message: impl Into<String>) {
        self.errors.push(InputError { path: path.to_string(), message: message.into() });
    }

    /// An object whose fields are all among `known`; each other field is
    /// reported (as not supported yet where SPEC §4 defines it).
    pub(super) fn object<'v>(
        &mut self,
        value: &'v Value,
        path: &Path,
        known: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Value::Object(map) = value else {
            self.fail(path, format!("must be an object, not {}", kind_of(value)));
            return None;
        };
        if known != ANY_FIELDS {
            for field in map.keys().filter(|field| !known.contains(&field.as_str())) {
                self.fail(&path.field(field), format!("unknown field; expected one of {}", known.join(", ")));
            }
        }
        Some(map)
    }

    pub(super) fn string<'v>(&mut self, value: &'v Value, path: &Path) -> Option<&'v str> {
        match value {
            Value::String(s) => Some(s),
            other => {
                self.fail(path, format!("must be a string, not {}", kind_of(other)));
                None
            }
        }
    }

    pub(super) fn boolean(&mut self, value: &Value, path: &Path) -> Option<bool> {
        match value {
            Value::Bool(b) => Some(*b),
            other => {
                self.fail(path, format!("must be true or false, not {}", kind_of(other)));
                None
            }
        }
    }

    pub(super) fn array<'v>(&mut self, value: Option<&'v Value>, path: &Path) -> &'v [Value] {
        match value {
            None | Some(Value::Null) => &[],
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.fail(path, format!("must be a list, not {}", kind_of(other)));
                &[]
            }
        }
    }

    /// Parses each item of an optional list, keeping those that parse.
    pub(super) fn list<T>(
        &mut self,
        value: Option<&Value>,
        path: &Path,
        mut item: impl FnMut(&mut Self, &Value, &Path) -> Option<T>,
    ) -> Vec<T> {
        let items = self.array(value, path);
        items.iter().enumerate().filter_map(|(i, value)| item(self, value, &path.index(i))).collect()
    }

    pub(super) fn name<T>(&mut self, value: &Value, path: &Path, make: fn(&str) -> Result<T, NameError>) -> Option<T> {
        let text = self.string(value, path)?;
        make(text).map_err(|error| self.fail(path, error.to_string())).ok()
    }

    pub(super) fn required_name<T>(
        &mut self,
        map: &Map<String, Value>,
        path: &Path,
        field: &str,
        make: fn(&str) -> Result<T, NameError>,
    ) -> Option<T> {
        match map.get(field) {
            Some(value) => self.name(value, &path.field(field), make),
            None => {
                self.fail(&path.field(field), "is required");
                None
            }
        }
    }

    /// A string that must be there and not be empty; `what` says what it is for.
    pub(super) fn required_text<'v>(
        &mut self,
        map: &'v Map<String, Value>,
        path: &Path,
        field: &str,
        what: &str,
    ) -> Option<&'v str> {
        let path = path.field(field);
        let Some(value) = map.get(field) else {
            self.fail(&path, format!("is required: {what}"));
            return None;
        };
        match self.string(value, &path)? {
            "" => {
                self.fail(&path, "must not be empty");
                None
            }
            text => Some(text),
        }
    }

    pub(super) fn expect_constant(&mut self, map: &Map<String, Value>, path: &Path, field: &str, expected: &str) {
        let path = path.field(field);
        match map.get(field) {
            None => self.fail(&path, format!("is required; set it to {expected}")),
            Some(value) => {
                if self.string(value, &path).is_some_and(|found| found != expected) {
                    self.fail(&path, format!("must be {expected}"));
                }
            }
        }
    }
}

/// How a JSON value's kind reads in a message; the value itself is never shown.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
