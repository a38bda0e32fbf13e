//! Derived keys: MiniJinja templates over the keys produced so far.
//!
//! Every produced key is `keys["name"]`; a key whose name is an identifier is
//! also a plain variable. Undefined variables are errors (strict mode), which
//! is how a reference to a pending key leaves the derived key pending.
//! Evaluation is bounded by fuel, and errors never carry values: MiniJinja's
//! `debug` feature, which would attach the template context, is off.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value};

use crate::names::KeyName;
use crate::secret::SecretBytes;

mod bounds;

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

/// The most one template may write, and the most any one filter may make
/// from its input in one step: a Secret holds at most 1 MiB in all, and
/// fuel counts steps, not bytes.
pub const MAX_OUTPUT_BYTES: usize = 1 << 20;

/// Statements a derived key may use. The others make output that no limit
/// sees (`{% set x %}…{% endset %}`, `{% filter %}` capture it; `macro`,
/// `call` and recursive loops can double it at each step), and a
/// connection string needs none of them.
const STATEMENTS: [&str; 11] =
    ["if", "elif", "else", "endif", "for", "endfor", "set", "with", "endwith", "raw", "endraw"];

/// Checks that a template parses and uses only what a derived key may, for
/// input validation.
pub fn check(template: &str) -> Result<(), String> {
    let blocks = blocks(template);
    if let Some(line) = repetition_line(&blocks) {
        return Err(format!(
            "uses the `*` operator at line {line}; it repeats a string or list to any size in one step, \
             which fuel does not count (MiniJinja even does it while compiling), and a derived key needs no \
             multiplication"
        ));
    }
    if let Some(problem) = unsupported_statement(&blocks) {
        return Err(problem);
    }
    environment().template_from_str(template).map(|_| ()).map_err(|error| describe(&error, template))
}

/// The code of one `{{ }}` or `{% %}` block, string literals blanked (so a
/// `*` or a keyword in a string is not code), and the line it starts on.
struct Block {
    statement: bool,
    code: String,
    line: usize,
}

/// Every block of `template`, found by a scan of the text that is stricter
/// than MiniJinja's grammar where they differ, never laxer.
fn blocks(template: &str) -> Vec<Block> {
    let bytes = template.as_bytes();
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    let mut quote: Option<u8> = None;
    let mut line = 1;
    let mut i = 0;
    while i < bytes.len() {
        let (byte, next) = (bytes[i], bytes.get(i + 1).copied());
        if byte == b'\n' {
            line += 1;
        }
        match (&mut current, quote) {
            (None, _) if byte == b'{' && matches!(next, Some(b'{' | b'%')) => {
                current = Some(Block { statement: next == Some(b'%'), code: String::new(), line });
                i += 1;
            }
            (Some(_), None) if matches!(byte, b'}' | b'%') && next == Some(b'}') => {
                blocks.extend(current.take());
                i += 1;
            }
            (Some(block), None) if matches!(byte, b'\'' | b'"') => {
                quote = Some(byte);
                block.code.push(' ');
            }
            (Some(_), Some(_)) if byte == b'\\' => i += 1,
            (Some(block), Some(open)) if byte == open => {
                quote = None;
                block.code.push(' ');
            }
            (Some(block), None) => block.code.push(char::from(byte)),
            _ => {}
        }
        i += 1;
    }
    blocks
}

/// The line of the first `*` (not `**`) in code.
fn repetition_line(blocks: &[Block]) -> Option<usize> {
    blocks.iter().find(|block| block.code.replace("**", "  ").contains('*')).map(|block| block.line)
}

/// The first statement outside [`STATEMENTS`], a block `set` or a recursive
/// loop, described.
fn unsupported_statement(blocks: &[Block]) -> Option<String> {
    blocks.iter().filter(|block| block.statement).find_map(|block| {
        let code = block.code.trim_start_matches(['-', '+']).trim();
        let keyword: String = code.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let words = || code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
        let line = block.line;
        if !STATEMENTS.contains(&keyword.as_str()) {
            Some(format!(
                "uses {{% {keyword} %}} at line {line}; a derived key may use {{% if %}}, {{% for %}}, \
                 {{% set x = … %}}, {{% with %}} and {{% raw %}}, which keep its output within what a Secret holds"
            ))
        } else if keyword == "set" && !code.contains('=') {
            Some(format!(
                "uses a block {{% set %}} at line {line}; write {{% set name = expression %}} instead, as a \
                 captured block's size is not bounded"
            ))
        } else if keyword == "for" && words().any(|word| word == "recursive") {
            Some(format!(
                "uses a recursive loop at line {line}; a derived key needs none, and each level could double its \
                 output"
            ))
        } else {
            None
        }
    })
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

/// The key names a template reads through `keys`, when every use is
/// `keys['name']`, `keys["name"]` or `keys.name`; `None` when some use could
/// reach any key (`keys[name]`, `for k in keys`).
pub fn literal_keys_read(template: &str) -> Option<Vec<String>> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut read = Vec::new();
    for (at, _) in template.match_indices("keys") {
        let before = template[..at].chars().next_back();
        let after = &template[at + 4..];
        if before.is_some_and(is_name) || after.starts_with(is_name) {
            continue;
        }
        let after = after.trim_start();
        if let Some(attribute) = after.strip_prefix('.') {
            read.push(attribute.chars().take_while(|c| is_name(*c)).collect());
            continue;
        }
        let inside = after.strip_prefix('[')?.trim_start();
        let quote = inside.chars().next().filter(|c| matches!(c, '\'' | '"'))?;
        let literal = &inside[1..];
        let end = literal.find(quote)?;
        literal[end + 1..].trim_start().starts_with(']').then_some(())?;
        read.push(literal[..end].to_owned());
    }
    Some(read)
}

/// Names a template may read that are not keys: the `keys` map and
/// MiniJinja's global functions.
pub fn is_global(name: &str) -> bool {
    matches!(name, "keys" | "range" | "dict" | "namespace")
}

/// Renders `template` over the keys produced so far. `pending` are the
/// declared keys not produced (yet): a template that reads something
/// undefined waits when it reads one of them, and fails otherwise, as
/// nothing will ever define it (an attribute of a string, an item out of
/// range, a key that no entry or earlier derived key declares).
pub fn evaluate(template: &str, produced: &BTreeMap<KeyName, SecretBytes>, pending: &BTreeSet<KeyName>) -> Derived {
    let keys: BTreeMap<String, Value> =
        produced.iter().map(|(key, value)| (key.to_string(), template_value(value))).collect();
    let mut context: BTreeMap<String, Value> =
        keys.iter().filter(|(key, _)| is_identifier(key)).map(|(k, v)| (k.clone(), v.clone())).collect();
    context.insert("keys".to_owned(), Value::from(keys));
    let environment = environment();
    let mut output = BoundedOutput::default();
    let rendered = environment
        .template_from_str(template)
        .and_then(|parsed| parsed.render_captured_to(Value::from(context), &mut output).map(|_| ()));
    match rendered {
        Ok(()) => Derived::Value(SecretBytes::new(output.bytes)),
        Err(_) if output.overflowed => {
            Derived::Failed(format!("its output passes {MAX_OUTPUT_BYTES} bytes, the most a derived key may hold"))
        }
        Err(error) if error.kind() == ErrorKind::UndefinedError && reads_pending(template, pending) => Derived::Pending,
        Err(error) if error.kind() == ErrorKind::UndefinedError => Derived::Failed(format!(
            "it reads something that is not defined and never will be: an attribute of a key (keys are text), \
             an item out of range, or a key no entry or earlier derived key declares{}",
            at_line(&error)
        )),
        Err(error) => Derived::Failed(describe(&error, template)),
    }
}

/// Whether `template` may be reading a pending key: one of its variables
/// is pending, or it reads a pending one through `keys` (any, when the name
/// is not written out).
fn reads_pending(template: &str, pending: &BTreeSet<KeyName>) -> bool {
    let is_pending = |name: &str| pending.iter().any(|key| key.as_str() == name);
    plain_variables(template).iter().any(|name| match name.as_str() {
        "keys" => {
            literal_keys_read(template).map_or(!pending.is_empty(), |read| read.iter().any(|key| is_pending(key)))
        }
        name => is_pending(name),
    })
}

/// The template's output, refused past [`MAX_OUTPUT_BYTES`].
#[derive(Default)]
struct BoundedOutput {
    bytes: Vec<u8>,
    overflowed: bool,
}

impl std::io::Write for BoundedOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_OUTPUT_BYTES {
            self.overflowed = true;
            return Err(std::io::Error::other("the output limit is reached"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
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
    // namespace() is the one mutable value: in a loop it could double a
    // string each turn.
    environment.remove_global("namespace");
    bounds::install(&mut environment);
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
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "b64encode: is not text or bytes"))
}

fn b64decode(value: &Value) -> Result<Value, Error> {
    let text =
        defined(value)?.as_str().ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "b64decode: is not text"))?;
    let bytes = BASE64.decode(text).map_err(|_| Error::new(ErrorKind::InvalidOperation, "b64decode: is not base64"))?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => Value::from(text),
        Err(not_text) => Value::from_bytes(not_text.into_bytes()),
    })
}

/// Filters a template can use: MiniJinja's built-ins and this function's.
pub const FILTERS: [&str; 50] = [
    "abs",
    "attr",
    "b64decode",
    "b64encode",
    "batch",
    "bool",
    "capitalize",
    "chain",
    "count",
    "d",
    "default",
    "dictsort",
    "e",
    "escape",
    "first",
    "float",
    "format",
    "groupby",
    "indent",
    "int",
    "items",
    "join",
    "last",
    "length",
    "lines",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "pprint",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "safe",
    "select",
    "selectattr",
    "slice",
    "sort",
    "split",
    "string",
    "sum",
    "title",
    "trim",
    "unique",
    "upper",
    "urlencode",
    "zip",
];
/// Functions a template can call.
const FUNCTIONS: [&str; 2] = ["range", "dict"];

/// What failed and where, without MiniJinja's detail where it could quote
/// a value: the filter or name it concerns, the operand as the template
/// writes it, the line.
fn describe(error: &Error, template: &str) -> String {
    let line = at_line(error);
    let detail = error.detail().unwrap_or_default();
    match error.kind() {
        ErrorKind::UnknownFilter => unknown("filter", detail, FILTERS.iter().copied(), &line),
        ErrorKind::UnknownFunction => unknown("function", detail, FUNCTIONS.iter().copied(), &line),
        ErrorKind::UnknownTest => format!("{}{line}", unknown_name(detail).unwrap_or("a test")),
        // A syntax error quotes the template, never a value.
        ErrorKind::SyntaxError if !detail.is_empty() => format!("syntax error{line}: {detail}"),
        kind => match own_filter_problem(detail) {
            Some((filter, problem)) => {
                let operand = error.line().and_then(|number| operand_of(template, number, filter));
                format!("{filter}: {} {problem}{line}", operand.unwrap_or("its input"))
            }
            None if kind == ErrorKind::OutOfFuel => format!("{kind}{line}"),
            None => format!("{kind}{line}{}", in_line(template, error.line())),
        },
    }
}

/// ` at line N`, when MiniJinja knows it.
fn at_line(error: &Error) -> String {
    error.line().map(|line| format!(" at line {line}")).unwrap_or_default()
}

/// `unknown filter "b64decod"; did you mean "b64decode"?`
fn unknown<'a>(what: &str, detail: &str, known: impl IntoIterator<Item = &'a str>, line: &str) -> String {
    let Some(name) = unknown_name(detail) else { return format!("unknown {what}{line}") };
    let hint =
        crate::spelling::closest(name, known).map(|close| format!("; did you mean {close:?}?")).unwrap_or_default();
    format!("unknown {what} {name:?}{line}{hint}")
}

/// The name in MiniJinja's `filter b64decod is unknown`.
fn unknown_name(detail: &str) -> Option<&str> {
    detail.strip_suffix(" is unknown")?.rsplit(' ').next().filter(|name| !name.is_empty())
}

/// This function's filters word their errors `<filter>: <problem>`, with
/// no value in them.
fn own_filter_problem(detail: &str) -> Option<(&'static str, &str)> {
    ["b64decode", "b64encode", "urlencode"]
        .into_iter()
        .chain(bounds::FILTERS)
        .find_map(|filter| Some((filter, detail.strip_prefix(filter)?.strip_prefix(": ")?)))
}

/// What a template feeds `filter` on line `number`, as written (`DB_PASSWORD`
/// in `{{ DB_PASSWORD | b64decode }}`): template text, never a value.
fn operand_of<'t>(template: &'t str, number: usize, filter: &str) -> Option<&'t str> {
    let line = template.lines().nth(number.checked_sub(1)?)?;
    let pipe = line.match_indices('|').find(|(at, _)| line[at + 1..].trim_start().starts_with(filter))?.0;
    let before = &line[..pipe];
    let start = before.rfind(['{', '(', ',', '|', '~']).map_or(0, |at| at + 1);
    let operand = before[start..].trim();
    (!operand.is_empty() && operand.len() <= 60).then_some(operand)
}

/// `, in "{{ a + 1 }}"`: the failing line of the template, shortened.
fn in_line(template: &str, line: Option<usize>) -> String {
    let Some(text) = line.and_then(|number| template.lines().nth(number.checked_sub(1)?)) else {
        return String::new();
    };
    let text = text.trim();
    let shown: String = text.chars().take(80).collect();
    let ellipsis = if shown.len() < text.len() { "…" } else { "" };
    format!(", in {shown:?}{ellipsis}")
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

    /// Evaluates with no key declared but not produced.
    fn eval(template: &str, keys: &BTreeMap<KeyName, SecretBytes>) -> Derived {
        evaluate(template, keys, &BTreeSet::new())
    }

    fn pending(names: &[&str]) -> BTreeSet<KeyName> {
        names.iter().map(|name| KeyName::new(name).unwrap()).collect()
    }

    fn failure(derived: Derived) -> String {
        match derived {
            Derived::Failed(problem) => problem,
            other => panic!("expected a failure, got {other:?}"),
        }
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
        let url =
            eval("postgresql://{{ username | urlencode }}:{{ password | urlencode }}@{{ endpoint }}:5432/app", &keys);
        assert_eq!(text(url), "postgresql://app%20user:p%40ss%2Fw%3Ard@db.example.org:5432/app");
    }

    #[test]
    fn dotted_names_are_reached_through_keys() {
        let keys =
            produced(&[("attribute.secret", b"s3"), ("documentEndpoint", b"https://acct.documents.azure.com:443/")]);
        let connection =
            eval("AccountEndpoint={{ documentEndpoint }};AccountKey={{ keys[\"attribute.secret\"] }};", &keys);
        assert_eq!(text(connection), "AccountEndpoint=https://acct.documents.azure.com:443/;AccountKey=s3;");
    }

    #[test]
    fn urlencode_escapes_everything_but_unreserved_characters() {
        let keys = produced(&[("p", "a/b?c#d e~f_g.h-i:j@k%".as_bytes()), ("n", b"\xff")]);
        assert_eq!(text(eval("{{ p | urlencode }}", &keys)), "a%2Fb%3Fc%23d%20e~f_g.h-i%3Aj%40k%25");
        assert_eq!(text(eval("{{ n | urlencode }} {{ 5432 | urlencode }}", &keys)), "%FF 5432");
    }

    #[test]
    fn base64_filters_round_trip_binary_values() {
        let keys = produced(&[("cert", &[0, 255, 1])]);
        assert_eq!(text(eval("{{ cert | b64encode }}", &keys)), "AP8B");
        assert_eq!(text(eval("{{ 'aGVsbG8=' | b64decode }}", &keys)), "hello");
    }

    #[test]
    fn a_pending_key_leaves_the_derived_key_pending() {
        let keys = produced(&[("username", b"u")]);
        let waiting = pending(&["password", "not.there"]);
        assert_eq!(evaluate("{{ username }}:{{ password }}", &keys, &waiting), Derived::Pending);
        assert_eq!(evaluate("{{ keys['not.there'] }}", &keys, &waiting), Derived::Pending);
        for filter in ["urlencode", "b64encode", "b64decode", "upper"] {
            let template = format!("{{{{ keys['password'] | {filter} }}}}");
            assert_eq!(evaluate(&template, &keys, &waiting), Derived::Pending, "{filter}");
        }
    }

    #[test]
    fn what_can_never_be_defined_fails_instead_of_waiting_forever() {
        let keys = produced(&[("x", b"text")]);
        for template in ["{{ x.foo.bar }}", "{{ x[99] }}", "{{ keys['nothing'] }}"] {
            let problem = failure(evaluate(template, &keys, &pending(&["other"])));
            assert!(
                problem.starts_with("it reads something that is not defined and never will be"),
                "{template}: {problem}"
            );
            assert!(problem.ends_with(" at line 1"), "{problem}");
        }
    }

    #[test]
    fn failures_name_the_filter_the_operand_and_the_line() {
        let keys = produced(&[("DB_PASSWORD", b"not base64!")]);
        assert_eq!(
            failure(eval("{{ DB_PASSWORD | b64decode }}", &keys)),
            "b64decode: DB_PASSWORD is not base64 at line 1"
        );
        assert_eq!(
            failure(eval("a\n{{ keys['DB_PASSWORD']|b64decode }}", &keys)),
            "b64decode: keys['DB_PASSWORD'] is not base64 at line 2"
        );
        assert_eq!(
            failure(eval("{{ DB_PASSWORD | b64decod }}", &keys)),
            "unknown filter \"b64decod\" at line 1; did you mean \"b64decode\"?"
        );
        assert_eq!(
            failure(eval("{{ rnage(3) }}", &keys)),
            "unknown function \"rnage\" at line 1; did you mean \"range\"?"
        );
        assert_eq!(
            failure(eval("{{ DB_PASSWORD + 1 }}", &keys)),
            "invalid operation at line 1, in \"{{ DB_PASSWORD + 1 }}\""
        );
    }

    #[test]
    fn literal_reads_of_keys_are_listed_and_any_other_use_is_not() {
        assert_eq!(
            literal_keys_read("{{ keys['a.b'] }}{{ keys[ \"c\" ] }}{{ keys.d }}{{ mykeys }}"),
            Some(vec!["a.b".to_owned(), "c".to_owned(), "d".to_owned()])
        );
        assert_eq!(literal_keys_read("{{ keys[name] }}"), None);
        assert_eq!(literal_keys_read("{% for k in keys %}{% endfor %}"), None);
    }

    #[test]
    fn every_filter_listed_for_suggestions_exists() {
        for filter in FILTERS {
            let outcome = eval(&format!("{{{{ 'a' | {filter} }}}}"), &produced(&[]));
            if let Derived::Failed(problem) = outcome {
                assert!(!problem.starts_with("unknown filter"), "{filter}: {problem}");
            }
        }
    }

    #[test]
    fn filters_sized_by_an_argument_fail_before_allocating_naming_themselves() {
        let keys = produced(&[("p", b"line\nline")]);
        for (template, filter) in [
            ("{{ p | indent(2000000000) }}", "indent"),
            ("{{ p | indent(width=2000000000) }}", "indent"),
            ("{{ '%999999999s' | format(p) }}", "format"),
            ("{{ p | replace('l', 'x' ~ keys['big']) }}", "replace"),
            ("{{ range(100000) | join(keys['big']) }}", "join"),
            ("{{ [1] | batch(100000000, 'x') }}", "batch"),
            ("{{ [1] | slice(100000000, 'x') }}", "slice"),
        ] {
            let mut keys = keys.clone();
            keys.insert(KeyName::new("big").unwrap(), SecretBytes::new(vec![b'x'; 600_000]));
            let problem = failure(eval(template, &keys));
            assert!(problem.starts_with(&format!("{filter}: ")), "{template}: {problem}");
            assert!(problem.contains("past the 1048576 a derived key may hold"), "{problem}");
        }
        assert_eq!(text(eval("{{ p | indent(2) }}", &keys)), "line\n  line");
        assert_eq!(text(eval("{{ '%5s|' | format('ab') }}", &keys)), "   ab|");
    }

    #[test]
    fn the_output_is_bounded() {
        let keys = produced(&[("big", &[b'x'; 65536])]);
        let problem = failure(eval("{% for i in range(100) %}{{ big }}{% endfor %}", &keys));
        assert_eq!(problem, "its output passes 1048576 bytes, the most a derived key may hold");
    }

    #[test]
    fn statements_that_grow_output_unseen_are_refused() {
        for (template, start) in [
            ("{% macro f(x) %}{{ x }}{% endmacro %}", "uses {% macro %} at line 1"),
            ("{%- call f() %}{% endcall %}", "uses {% call %} at line 1"),
            ("{% filter upper %}a{% endfilter %}", "uses {% filter %} at line 1"),
            ("\n{% set x %}a{% endset %}", "uses a block {% set %} at line 2"),
            ("{% for x in [1] recursive %}{{ loop([x]) }}{% endfor %}", "uses a recursive loop at line 1"),
        ] {
            let problem = check(template).unwrap_err();
            assert!(problem.starts_with(start), "{template}: {problem}");
        }
        for accepted in
            ["{% if a %}{% set b = a ~ 'x' %}{{ b }}{% else %}n{% endif %}", "{% for c in 'ab' %}{{ c }}{% endfor %}"]
        {
            assert_eq!(check(accepted), Ok(()), "{accepted}");
        }
        let problem = failure(eval("{% set ns = namespace(a='') %}{{ ns.a }}", &produced(&[])));
        assert!(problem.starts_with("unknown function \"namespace\""), "{problem}");
    }

    #[test]
    fn runaway_templates_run_out_of_fuel() {
        let derived = eval("{% for i in range(100000) %}{{ i }}{% endfor %}", &produced(&[]));
        assert_eq!(derived, Derived::Failed("engine ran out of fuel at line 1".to_owned()));
    }

    #[test]
    fn errors_describe_without_values() {
        let keys = produced(&[("password", b"hunter2-secret")]);
        let Derived::Failed(message) = eval("{{ password | b64decode }}", &keys) else { panic!() };
        assert!(!message.contains("hunter2"), "{message}");
        assert!(check("{{ unclosed").unwrap_err().starts_with("syntax error at line 1: "));
    }

    #[test]
    fn repetition_is_refused_and_everything_else_that_looks_like_it_is_not() {
        for refused in ["{{ ['s'] * 60 }}", "{{ 'a' ~ 'b' }}\n{% set x = 2 * 3 %}", "{{ x *y }}"] {
            assert!(check(refused).unwrap_err().starts_with("uses the `*` operator"), "{refused}");
        }
        assert_eq!(repetition_line(&blocks("{{ a }}\n\n{{ b * 2 }}")), Some(3));
        for accepted in ["a * b {{ x }}", "{{ '*' ~ \"*\" }}", "{{ 2 ** 3 }}", "{# * #}{{ 'it\\'s *' }}"] {
            assert_eq!(check(accepted), Ok(()), "{accepted}");
        }
    }
}
