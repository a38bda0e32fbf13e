//! Derived keys: MiniJinja templates over the keys produced so far.
//!
//! Every produced key is `keys["name"]`; a key whose name is an identifier is
//! also a plain variable. Undefined variables are errors (strict mode), which
//! is how a reference to a pending key leaves the derived key pending.
//! Evaluation is bounded by fuel, and errors never carry values: MiniJinja's
//! `debug` feature, which would attach the template context, is off.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value};

use crate::names::KeyName;
use crate::secret::SecretBytes;

/// Fuel for one template: thousands of times what a connection string
/// needs, and a loop over a large range runs out quickly.
pub const FUEL: u64 = 50_000;

/// The result of one template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Derived {
    Value(SecretBytes),
    /// It refers to a key that has not been produced (yet).
    Pending,
    /// It failed; the message names the problem and line, never a value.
    Failed(String),
}

/// Checks that a template parses and does not repeat, for input validation.
pub fn check(template: &str) -> Result<(), String> {
    if let Some(line) = repetition_line(template) {
        return Err(format!(
            "uses the `*` operator at line {line}; it repeats a string or list to any size in one step, \
             which fuel does not count (MiniJinja even does it while compiling), and a derived key needs no \
             multiplication"
        ));
    }
    environment().template_from_str(template).map(|_| ()).map_err(|error| describe(&error))
}

/// The line of the first `*` (not `**`) inside a `{{ }}` or `{% %}` block
/// and outside a string literal. A scan of the text, stricter than MiniJinja's
/// grammar where they differ, never laxer.
fn repetition_line(template: &str) -> Option<usize> {
    let bytes = template.as_bytes();
    let mut in_block = false;
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let (byte, next) = (bytes[i], bytes.get(i + 1).copied());
        match (in_block, quote) {
            (false, _) if byte == b'{' && matches!(next, Some(b'{' | b'%')) => {
                in_block = true;
                i += 1;
            }
            (true, None) if matches!(byte, b'}' | b'%') && next == Some(b'}') => {
                in_block = false;
                i += 1;
            }
            (true, None) if matches!(byte, b'\'' | b'"') => quote = Some(byte),
            (true, Some(_)) if byte == b'\\' => i += 1,
            (true, Some(open)) if byte == open => quote = None,
            (true, None) if byte == b'*' && next == Some(b'*') => i += 1,
            (true, None) if byte == b'*' => return Some(1 + bytes[..i].iter().filter(|&&b| b == b'\n').count()),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The top-level names a template reads (not those it sets itself), sorted.
pub fn plain_variables(template: &str) -> Vec<String> {
    let environment = environment();
    let mut variables: Vec<String> = environment
        .template_from_str(template)
        .map(|parsed| parsed.undeclared_variables(false).into_iter().collect())
        .unwrap_or_default();
    variables.sort();
    variables
}

/// Names a template may read that are not keys: the `keys` map and
/// MiniJinja's global functions.
pub fn is_global(name: &str) -> bool {
    matches!(name, "keys" | "range" | "dict" | "namespace")
}

/// Renders `template` over the keys produced so far.
pub fn evaluate(template: &str, produced: &BTreeMap<KeyName, SecretBytes>) -> Derived {
    let keys: BTreeMap<String, Value> =
        produced.iter().map(|(key, value)| (key.to_string(), template_value(value))).collect();
    let mut context: BTreeMap<String, Value> =
        keys.iter().filter(|(key, _)| is_identifier(key)).map(|(k, v)| (k.clone(), v.clone())).collect();
    context.insert("keys".to_owned(), Value::from(keys));
    match environment().render_str(template, Value::from(context)) {
        Ok(text) => Derived::Value(SecretBytes::new(text.into_bytes())),
        Err(error) if error.kind() == ErrorKind::UndefinedError => Derived::Pending,
        Err(error) => Derived::Failed(describe(&error)),
    }
}

fn environment() -> Environment<'static> {
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    environment.set_fuel(Some(FUEL));
    // Replaces MiniJinja's urlencode, which leaves '/' alone as Jinja2 does;
    // in the user-info of a URL (`user:password@host`) it must be escaped.
    environment.add_filter("urlencode", urlencode);
    environment.add_filter("b64encode", b64encode);
    environment.add_filter("b64decode", b64decode);
    environment
}

/// Text where the bytes are UTF-8, bytes otherwise.
fn template_value(value: &SecretBytes) -> Value {
    match std::str::from_utf8(value.expose()) {
        Ok(text) => Value::from(text),
        Err(_) => Value::from_bytes(value.expose().to_vec()),
    }
}

/// Strict mode stops undefined values from being printed, not from being
/// passed to a filter; each filter refuses them, so a pending key keeps the
/// derived key pending instead of turning into an empty string.
fn defined(value: &Value) -> Result<&Value, Error> {
    if value.is_undefined() {
        Err(Error::new(ErrorKind::UndefinedError, "a filter was given an undefined value"))
    } else {
        Ok(value)
    }
}

/// Percent-encodes every byte outside RFC 3986's unreserved characters.
fn urlencode(value: &Value) -> Result<String, Error> {
    let value = defined(value)?;
    let text = value.to_string();
    let bytes = value.as_bytes().unwrap_or(text.as_bytes());
    let mut encoded = String::with_capacity(bytes.len());
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    Ok(encoded)
}

fn b64encode(value: &Value) -> Result<String, Error> {
    defined(value)?
        .as_bytes()
        .map(|bytes| BASE64.encode(bytes))
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "b64encode needs a string or bytes"))
}

fn b64decode(value: &Value) -> Result<Value, Error> {
    let text =
        defined(value)?.as_str().ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "b64decode needs a string"))?;
    let bytes = BASE64
        .decode(text)
        .map_err(|_| Error::new(ErrorKind::InvalidOperation, "b64decode was given text that is not base64"))?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => Value::from(text),
        Err(not_text) => Value::from_bytes(not_text.into_bytes()),
    })
}

/// The kind of error and where, without MiniJinja's detail, which can
/// quote the values involved.
fn describe(error: &Error) -> String {
    let kind = error.kind().to_string();
    match error.line() {
        Some(line) => format!("{kind} at line {line}"),
        None => kind,
    }
}

/// Names usable as plain template variables.
fn is_identifier(name: &str) -> bool {
    const RESERVED: [&str; 12] =
        ["true", "false", "none", "True", "False", "None", "and", "or", "not", "in", "is", "keys"];
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn produced(pairs: &[(&str, &[u8])]) -> BTreeMap<KeyName, SecretBytes> {
        pairs.iter().map(|(k, v)| (KeyName::new(k).unwrap(), SecretBytes::new(v.to_vec()))).collect()
    }

    fn text(derived: Derived) -> String {
        match derived {
            Derived::Value(value) => String::from_utf8(value.expose().to_vec()).unwrap(),
            other => panic!("expected a value, got {other:?}"),
        }
    }

    #[test]
    fn builds_a_postgres_url_with_urlencoded_credentials() {
        let keys = produced(&[("username", b"app user"), ("password", b"p@ss/w:rd"), ("endpoint", b"db.example.org")]);
        let url = evaluate(
            "postgresql://{{ username | urlencode }}:{{ password | urlencode }}@{{ endpoint }}:5432/app",
            &keys,
        );
        assert_eq!(text(url), "postgresql://app%20user:p%40ss%2Fw%3Ard@db.example.org:5432/app");
    }

    #[test]
    fn dotted_names_are_reached_through_keys() {
        let keys =
            produced(&[("attribute.secret", b"s3"), ("documentEndpoint", b"https://acct.documents.azure.com:443/")]);
        let connection =
            evaluate("AccountEndpoint={{ documentEndpoint }};AccountKey={{ keys[\"attribute.secret\"] }};", &keys);
        assert_eq!(text(connection), "AccountEndpoint=https://acct.documents.azure.com:443/;AccountKey=s3;");
    }

    #[test]
    fn urlencode_escapes_everything_but_unreserved_characters() {
        let keys = produced(&[("p", "a/b?c#d e~f_g.h-i:j@k%".as_bytes()), ("n", b"\xff")]);
        assert_eq!(text(evaluate("{{ p | urlencode }}", &keys)), "a%2Fb%3Fc%23d%20e~f_g.h-i%3Aj%40k%25");
        assert_eq!(text(evaluate("{{ n | urlencode }} {{ 5432 | urlencode }}", &keys)), "%FF 5432");
    }

    #[test]
    fn base64_filters_round_trip_binary_values() {
        let keys = produced(&[("cert", &[0, 255, 1])]);
        assert_eq!(text(evaluate("{{ cert | b64encode }}", &keys)), "AP8B");
        assert_eq!(text(evaluate("{{ 'aGVsbG8=' | b64decode }}", &keys)), "hello");
    }

    #[test]
    fn a_pending_key_leaves_the_derived_key_pending() {
        let keys = produced(&[("username", b"u")]);
        assert_eq!(evaluate("{{ username }}:{{ password }}", &keys), Derived::Pending);
        assert_eq!(evaluate("{{ keys['not.there'] }}", &keys), Derived::Pending);
        for filter in ["urlencode", "b64encode", "b64decode", "upper"] {
            let template = format!("{{{{ keys['password'] | {filter} }}}}");
            assert_eq!(evaluate(&template, &keys), Derived::Pending, "{filter}");
        }
    }

    #[test]
    fn runaway_templates_run_out_of_fuel() {
        let derived = evaluate("{% for i in range(100000) %}{{ i }}{% endfor %}", &produced(&[]));
        assert_eq!(derived, Derived::Failed("engine ran out of fuel at line 1".to_owned()));
    }

    #[test]
    fn errors_describe_without_values() {
        let keys = produced(&[("password", b"hunter2-secret")]);
        let Derived::Failed(message) = evaluate("{{ password | b64decode }}", &keys) else { panic!() };
        assert!(!message.contains("hunter2"), "{message}");
        assert_eq!(check("{{ unclosed").unwrap_err(), "syntax error at line 1");
    }

    #[test]
    fn repetition_is_refused_and_everything_else_that_looks_like_it_is_not() {
        for refused in ["{{ ['s'] * 60 }}", "{{ 'a' ~ 'b' }}\n{% set x = 2 * 3 %}", "{{ x *y }}"] {
            assert!(check(refused).unwrap_err().starts_with("uses the `*` operator"), "{refused}");
        }
        assert_eq!(repetition_line("{{ a }}\n\n{{ b * 2 }}"), Some(3));
        for accepted in ["a * b {{ x }}", "{{ '*' ~ \"*\" }}", "{{ 2 ** 3 }}", "{# * #}{{ 'it\\'s *' }}"] {
            assert_eq!(check(accepted), Ok(()), "{accepted}");
        }
    }
}
