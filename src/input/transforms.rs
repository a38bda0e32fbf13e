//! function-patch-and-transform's `transforms` of a
//! `writeConnectionSecretToRef` patch, read into [`Transform`]s: each field
//! as P&T's input types (v0.10, `input/v1beta1/resources_transforms.go`)
//! define it, and everything P&T's `validate.go` would refuse, refused
//! here with the field's path, so that no transform fails later for a
//! reason the input already shows.

use serde_json::{Map, Value};

use super::reader::{ANY_FIELDS, Path, Reader};
use crate::spelling;
use crate::transforms::{
    ConvertFormat, ConvertTransform, Fallback, GoFormat, GoType, MatchPattern, MatchTransform, MathTransform, Pattern,
    PatternTest, StringConversion, StringTransform, Transform, with_float_numbers,
};

/// A transform's `type`, which is also the name of the field it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TransformKind {
    Map,
    Match,
    Math,
    String,
    Convert,
}

const TRANSFORM_TYPES: [(&str, TransformKind); 5] = [
    ("map", TransformKind::Map),
    ("match", TransformKind::Match),
    ("math", TransformKind::Math),
    ("string", TransformKind::String),
    ("convert", TransformKind::Convert),
];
const TRANSFORM_FIELDS: &[&str] = &["type", "map", "match", "math", "string", "convert"];

/// `math.type`: the field it reads and the transform its integer makes.
type MathKind = (&'static str, fn(i64) -> MathTransform);
const MATH_TYPES: [(&str, MathKind); 3] = [
    ("Multiply", ("multiply", MathTransform::Multiply)),
    ("ClampMin", ("clampMin", MathTransform::ClampMin)),
    ("ClampMax", ("clampMax", MathTransform::ClampMax)),
];
const MATH_FIELDS: &[&str] = &["type", "multiply", "clampMin", "clampMax"];

/// `string.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StringKind {
    Format,
    Convert,
    TrimPrefix,
    TrimSuffix,
    Regexp,
    Join,
    Replace,
}

impl StringKind {
    /// The field this type reads.
    fn field(self) -> &'static str {
        match self {
            Self::Format => "fmt",
            Self::Convert => "convert",
            Self::TrimPrefix | Self::TrimSuffix => "trim",
            Self::Regexp => "regexp",
            Self::Join => "join",
            Self::Replace => "replace",
        }
    }
}

const STRING_TYPES: [(&str, StringKind); 7] = [
    ("Format", StringKind::Format),
    ("Convert", StringKind::Convert),
    ("TrimPrefix", StringKind::TrimPrefix),
    ("TrimSuffix", StringKind::TrimSuffix),
    ("Regexp", StringKind::Regexp),
    ("Join", StringKind::Join),
    ("Replace", StringKind::Replace),
];
const STRING_FIELDS: &[&str] = &["type", "fmt", "convert", "trim", "regexp", "join", "replace"];

/// `match.patterns[].type`, which is also the name of the field it reads.
const PATTERN_TYPES: [(&str, bool); 2] = [("literal", false), ("regexp", true)];
const PATTERN_FIELDS: &[&str] = &["type", "literal", "regexp", "result"];

const FALLBACK_TO: [(&str, bool); 2] = [("Value", false), ("Input", true)];

impl Reader {
    pub(super) fn transforms(&mut self, value: Option<&Value>, path: &Path) -> Vec<Transform> {
        self.list(value, path, Self::transform)
    }

    fn transform(&mut self, value: &Value, path: &Path) -> Option<Transform> {
        let map = self.object(value, path, TRANSFORM_FIELDS)?;
        let (field, kind) = self.transform_type(map, path)?;
        let settings = self.settings(map, path, field, &TRANSFORM_FIELDS[1..])?;
        let settings_path = path.field(field);
        match kind {
            TransformKind::Map => self.map_transform(settings, &settings_path),
            TransformKind::Match => self.match_transform(settings, &settings_path).map(Transform::Match),
            TransformKind::Math => self.math_transform(settings, &settings_path).map(Transform::Math),
            TransformKind::String => self.string_transform(settings, &settings_path).map(Transform::String),
            TransformKind::Convert => self.convert_transform(settings, &settings_path).map(Transform::Convert),
        }
    }

    /// `type`, required as in P&T, where a missing one is "not supported".
    fn transform_type(&mut self, map: &Map<String, Value>, path: &Path) -> Option<(&'static str, TransformKind)> {
        match map.get("type") {
            Some(value) => self.keyword(value, &path.field("type"), &TRANSFORM_TYPES),
            None => {
                let hint = match TRANSFORM_FIELDS[1..].iter().find(|field| map.contains_key(**field)) {
                    Some(field) => format!("set it to {field} for the {field} settings"),
                    None => "one of map, match, math, string, convert".to_owned(),
                };
                self.fail(&path.field("type"), format!("is required: {hint}"));
                None
            }
        }
    }

    /// The field `used` that a type reads, which must be there; every
    /// other field of `fields` is refused, as it would do nothing.
    fn settings<'v>(
        &mut self,
        map: &'v Map<String, Value>,
        path: &Path,
        used: &str,
        fields: &[&str],
    ) -> Option<&'v Value> {
        for unused in fields.iter().filter(|field| **field != used && map.contains_key(**field)) {
            self.fail(&path.field(unused), format!("does nothing here, as the type reads {used}; remove it"));
        }
        let value = map.get(used);
        if value.is_none() {
            self.fail(&path.field(used), "is required by this type");
        }
        value
    }

    fn map_transform(&mut self, value: &Value, path: &Path) -> Option<Transform> {
        let map = self.object(value, path, ANY_FIELDS)?;
        if map.is_empty() {
            self.fail(path, "needs at least one entry");
            return None;
        }
        let mut failed = false;
        for (key, entry) in map {
            if entry.is_null() {
                self.fail(&path.key(key), "must not be null: P&T cannot read a null entry");
                failed = true;
            }
        }
        if failed {
            return None;
        }
        let entries = map.iter().map(|(key, entry)| (key.clone(), with_float_numbers(entry.clone()))).collect();
        Some(Transform::Map(entries))
    }

    fn match_transform(&mut self, value: &Value, path: &Path) -> Option<MatchTransform> {
        let map = self.object(value, path, &["patterns", "fallbackValue", "fallbackTo"])?;
        let patterns = self.required_list(map.get("patterns"), &path.field("patterns"), "pattern", Self::match_pattern);
        let to_input = match map.get("fallbackTo") {
            Some(value) => self.keyword(value, &path.field("fallbackTo"), &FALLBACK_TO)?.1,
            None => false,
        };
        // A null fallbackValue is no fallbackValue, in P&T as here.
        let fallback_value = map.get("fallbackValue").filter(|value| !value.is_null());
        let fallback = match (to_input, fallback_value) {
            (true, Some(_)) => {
                self.fail(&path.field("fallbackValue"), "cannot be set with fallbackTo: Input; remove one of them");
                return None;
            }
            (true, None) => Fallback::Input,
            (false, value) => Fallback::Value(value.cloned().map(with_float_numbers).unwrap_or(Value::Null)),
        };
        Some(MatchTransform { patterns, fallback })
    }

    fn match_pattern(&mut self, value: &Value, path: &Path) -> Option<MatchPattern> {
        let map = self.object(value, path, PATTERN_FIELDS)?;
        // P&T's validation reads a missing type as literal, its default.
        let (field, is_regexp) = match map.get("type") {
            Some(kind) => self.keyword(kind, &path.field("type"), &PATTERN_TYPES)?,
            None => PATTERN_TYPES[0],
        };
        let setting = self.settings(map, path, field, &["literal", "regexp"])?;
        let setting_path = path.field(field);
        let text = self.string(setting, &setting_path)?;
        let test = if is_regexp {
            PatternTest::Regexp(self.pattern(text, &setting_path)?)
        } else {
            PatternTest::Literal(text.to_owned())
        };
        let result = map.get("result").cloned().map(with_float_numbers).unwrap_or(Value::Null);
        Some(MatchPattern { test, result })
    }

    fn math_transform(&mut self, value: &Value, path: &Path) -> Option<MathTransform> {
        let map = self.object(value, path, MATH_FIELDS)?;
        let (_, (field, make)) = self.required_keyword(map, path, "type", &MATH_TYPES)?;
        let setting = self.settings(map, path, field, &MATH_FIELDS[1..])?;
        self.integer(setting, &path.field(field)).map(make)
    }

    fn string_transform(&mut self, value: &Value, path: &Path) -> Option<StringTransform> {
        let map = self.object(value, path, STRING_FIELDS)?;
        let (_, kind) = self.required_keyword(map, path, "type", &STRING_TYPES)?;
        let setting = self.settings(map, path, kind.field(), &STRING_FIELDS[1..])?;
        let setting_path = path.field(kind.field());
        match kind {
            StringKind::Format => self.format(setting, &setting_path).map(StringTransform::Format),
            StringKind::Convert => {
                self.keyword(setting, &setting_path, &StringConversion::ALL).map(|(_, to)| StringTransform::Convert(to))
            }
            StringKind::TrimPrefix => {
                self.string(setting, &setting_path).map(|text| StringTransform::TrimPrefix(text.to_owned()))
            }
            StringKind::TrimSuffix => {
                self.string(setting, &setting_path).map(|text| StringTransform::TrimSuffix(text.to_owned()))
            }
            StringKind::Regexp => self.regexp(setting, &setting_path),
            StringKind::Join => {
                let join = self.object(setting, &setting_path, &["separator"])?;
                let separator = self.required_string(join, &setting_path, "separator")?;
                Some(StringTransform::Join { separator: separator.to_owned() })
            }
            StringKind::Replace => {
                let replace = self.object(setting, &setting_path, &["search", "replace"])?;
                let search = self.required_text(replace, &setting_path, "search", "the text to replace");
                let replacement = self.required_string(replace, &setting_path, "replace");
                Some(StringTransform::Replace { search: search?.to_owned(), replace: replacement?.to_owned() })
            }
        }
    }

    /// A Format transform's `fmt`, which prints its one value once.
    fn format(&mut self, value: &Value, path: &Path) -> Option<GoFormat> {
        let format = self.go_format(value, path)?;
        if format.verbs() != 1 {
            let verbs = format.verbs();
            self.fail(path, format!("has {verbs} verbs; it formats one value, so use one %s, %v or %d"));
            return None;
        }
        Some(format)
    }

    pub(super) fn go_format(&mut self, value: &Value, path: &Path) -> Option<GoFormat> {
        let text = self.string(value, path)?;
        GoFormat::parse(text).map_err(|problem| self.fail(path, problem)).ok()
    }

    fn regexp(&mut self, value: &Value, path: &Path) -> Option<StringTransform> {
        let map = self.object(value, path, &["match", "group"])?;
        let text = self.required_text(map, path, "match", "a regular expression")?;
        let pattern = self.pattern(text, &path.field("match"))?;
        let group = match map.get("group") {
            None => 0,
            Some(value) => {
                let group_path = path.field("group");
                let group = self.integer(value, &group_path)?;
                let groups = pattern.groups();
                match usize::try_from(group) {
                    Ok(group) if group <= groups => group,
                    _ => {
                        self.fail(
                            &group_path,
                            format!("must be 0 (the whole match) to {groups}, the expression's capture groups"),
                        );
                        return None;
                    }
                }
            }
        };
        Some(StringTransform::Regexp { pattern, group })
    }

    fn pattern(&mut self, text: &str, path: &Path) -> Option<Pattern> {
        Pattern::new(text).map_err(|problem| self.fail(path, format!("is not a regular expression: {problem}"))).ok()
    }

    fn convert_transform(&mut self, value: &Value, path: &Path) -> Option<ConvertTransform> {
        let map = self.object(value, path, &["toType", "format"])?;
        let (_, to) = self.required_keyword(map, path, "toType", &GoType::ALL)?;
        let format = match map.get("format") {
            Some(value) => self.keyword(value, &path.field("format"), &ConvertFormat::ALL)?.1,
            None => ConvertFormat::None,
        };
        let problem = match (to, format) {
            (GoType::Object | GoType::Array, ConvertFormat::None | ConvertFormat::Quantity) => {
                "must be json: only a JSON string converts to an object or array"
            }
            (GoType::Float64, ConvertFormat::Quantity) | (GoType::Object | GoType::Array, ConvertFormat::Json) => "",
            (_, ConvertFormat::Quantity) => "quantity converts to float64 only",
            (_, ConvertFormat::Json) => "json converts to object or array only",
            (_, ConvertFormat::None) => "",
        };
        if !problem.is_empty() {
            self.fail(&path.field("format"), problem);
            return None;
        }
        Some(ConvertTransform { to, format })
    }

    /// The option named by `value`; any other name is refused with the
    /// closest one. The name shown is a setting of the input, never a secret.
    fn keyword<T: Copy>(
        &mut self,
        value: &Value,
        path: &Path,
        options: &[(&'static str, T)],
    ) -> Option<(&'static str, T)> {
        let text = self.string(value, path)?;
        if let Some(found) = options.iter().find(|(name, _)| *name == text) {
            return Some(*found);
        }
        let names = || options.iter().map(|(name, _)| *name);
        let hint = match spelling::closest(text, names()) {
            Some(close) => format!("did you mean {close:?}?"),
            None => format!("use one of {}", names().collect::<Vec<_>>().join(", ")),
        };
        self.fail(path, format!("unknown value {text:?}; {hint}"));
        None
    }

    fn required_keyword<T: Copy>(
        &mut self,
        map: &Map<String, Value>,
        path: &Path,
        field: &str,
        options: &[(&'static str, T)],
    ) -> Option<(&'static str, T)> {
        let field_path = path.field(field);
        match map.get(field) {
            Some(value) => self.keyword(value, &field_path, options),
            None => {
                let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
                self.fail(&field_path, format!("is required: one of {}", names.join(", ")));
                None
            }
        }
    }

    /// A string that must be there, and may be empty.
    fn required_string<'v>(&mut self, map: &'v Map<String, Value>, path: &Path, field: &str) -> Option<&'v str> {
        let field_path = path.field(field);
        match map.get(field) {
            Some(value) => self.string(value, &field_path),
            None => {
                self.fail(&field_path, "is required (it may be empty)");
                None
            }
        }
    }

    /// A list of at least one `what`, each item parsed.
    pub(super) fn required_list<T>(
        &mut self,
        value: Option<&Value>,
        path: &Path,
        what: &str,
        item: impl FnMut(&mut Self, &Value, &Path) -> Option<T>,
    ) -> Vec<T> {
        if value.is_none_or(|list| list.as_array().is_some_and(Vec::is_empty)) {
            self.fail(path, format!("needs at least one {what}"));
        }
        self.list(value, path, item)
    }

    fn integer(&mut self, value: &Value, path: &Path) -> Option<i64> {
        let integer = value.as_i64();
        if integer.is_none() {
            self.fail(path, "must be an integer");
        }
        integer
    }
}
