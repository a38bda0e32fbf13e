//! Filters whose output an argument sizes (`indent(2000000000)`,
//! `"%999999999s" | format`, `replace` with a long replacement, `join` with
//! a long separator, `batch(1000000000, x)`, …) make it in one step, which fuel
//! does not count. Each is wrapped: the size it would make is worked out
//! from its arguments first, and past [`MAX_OUTPUT_BYTES`] the filter fails,
//! naming itself, before anything is allocated. MiniJinja's own code then
//! does the work.

use minijinja::value::{Rest, Value, ValueOrKwargs};
use minijinja::{Environment, Error, ErrorKind, State, filters};

use super::MAX_OUTPUT_BYTES;

/// The filters wrapped here.
pub const FILTERS: [&str; 9] = ["indent", "replace", "join", "format", "batch", "slice", "list", "split", "lines"];

/// Roughly what one item of a list costs beside its text: a `Value` and the
/// allocation behind a string.
const ITEM_BYTES: usize = 48;

pub fn install(environment: &mut Environment<'static>) {
    wrap(environment, "indent", Value::from_function(filters::indent), indent_size);
    wrap(environment, "replace", Value::from_function(filters::replace), replace_size);
    wrap(environment, "join", Value::from_function(filters::join), join_size);
    wrap(environment, "format", Value::from_function(filters::format), format_size);
    wrap(environment, "batch", Value::from_function(filters::batch), grouped_size);
    wrap(environment, "slice", Value::from_function(filters::slice), grouped_size);
    wrap(environment, "list", Value::from_function(filters::list), list_size);
    wrap(environment, "split", Value::from_function(filters::split), split_size);
    wrap(environment, "lines", Value::from_function(filters::lines), lines_size);
}

/// Registers `inner` as filter `name`, refused when `size` of its
/// arguments passes the limit.
fn wrap(environment: &mut Environment<'static>, name: &'static str, inner: Value, size: fn(&Args) -> usize) {
    environment.add_filter(name, move |state: &mut State, args: Rest<ValueOrKwargs>| -> Result<Value, Error> {
        let args = args.into_values();
        let bytes = size(&Args(&args));
        if bytes > MAX_OUTPUT_BYTES {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("{name}: would make about {bytes} bytes, past the {MAX_OUTPUT_BYTES} a derived key may hold"),
            ));
        }
        inner.call(state, &args)
    });
}

/// A filter's arguments: the value first, then positional arguments, and
/// keyword arguments last when given.
struct Args<'a>(&'a [Value]);

impl Args<'_> {
    fn value(&self) -> Option<&Value> {
        self.0.first()
    }

    /// The argument at `position` (after the value), or the keyword `name`.
    fn get(&self, position: usize, name: &str) -> Option<Value> {
        let keywords = self.0.last().filter(|last| last.is_kwargs());
        let positional = &self.0[1.min(self.0.len())..self.0.len() - usize::from(keywords.is_some())];
        positional.get(position).cloned().or_else(|| keywords?.get_attr(name).ok().filter(|v| !v.is_undefined()))
    }

    fn number(&self, position: usize, name: &str) -> usize {
        self.get(position, name).and_then(|value| value.as_usize()).unwrap_or(0)
    }

    fn text_len(&self, position: usize, name: &str) -> usize {
        self.get(position, name).map_or(0, |value| text_len(&value))
    }
}

fn text_len(value: &Value) -> usize {
    value.as_str().map_or_else(|| value.as_bytes().map_or(value.to_string().len(), <[u8]>::len), str::len)
}

fn value_len(args: &Args) -> usize {
    args.value().map_or(0, text_len)
}

fn lines(args: &Args) -> usize {
    args.value().and_then(Value::as_str).map_or(1, |text| text.matches('\n').count() + 1)
}

/// Each line gains `width` spaces.
fn indent_size(args: &Args) -> usize {
    value_len(args).saturating_add(lines(args).saturating_mul(args.number(0, "width")))
}

/// Each match of `from` becomes `to`; an empty `from` matches between every
/// character.
fn replace_size(args: &Args) -> usize {
    let text = args.value().and_then(Value::as_str).unwrap_or_default();
    let from = args.get(0, "from").map(|value| value.to_string()).unwrap_or_default();
    let matches = if from.is_empty() { text.chars().count() + 1 } else { text.matches(from.as_str()).count() };
    text.len().saturating_add(matches.saturating_mul(args.text_len(1, "to")))
}

/// The items' text and a separator between each two.
fn join_size(args: &Args) -> usize {
    let Some(items) = args.value().and_then(|value| value.try_iter().ok()) else { return value_len(args) };
    let separator = args.text_len(0, "d");
    items.fold(0usize, |total, item| total.saturating_add(text_len(&item)).saturating_add(separator))
}

/// The format string, each argument, and every width or precision it asks
/// for (`%999999999s`).
fn format_size(args: &Args) -> usize {
    let format = args.value().map(Value::to_string).unwrap_or_default();
    let arguments: usize = args.0.iter().skip(1).map(text_len).fold(0, usize::saturating_add);
    format.len().saturating_add(arguments).saturating_add(widths(&format))
}

/// The sum of the numbers in `%…` conversions of a printf-style format.
fn widths(format: &str) -> usize {
    let mut total = 0usize;
    for conversion in format.split('%').skip(1) {
        let spec: String = conversion.chars().take_while(|c| !c.is_ascii_alphabetic() && *c != '%').collect();
        for number in spec.split(|c: char| !c.is_ascii_digit()).filter(|part| !part.is_empty()) {
            total = total.saturating_add(number.parse::<usize>().unwrap_or(usize::MAX));
        }
    }
    total
}

/// `batch(n, fill)` and `slice(n, fill)` make up to `n` more items.
fn grouped_size(args: &Args) -> usize {
    let items = args.value().and_then(Value::len).unwrap_or(0);
    items.saturating_add(args.number(0, "count")).saturating_mul(ITEM_BYTES)
}

/// A string becomes a list of its characters.
fn list_size(args: &Args) -> usize {
    let items = args.value().map_or(0, |value| value.as_str().map_or(value.len().unwrap_or(0), |text| text.len()));
    items.saturating_mul(ITEM_BYTES)
}

/// One item per separator (whitespace when none is given), each an
/// allocation.
fn split_size(args: &Args) -> usize {
    let text = args.value().and_then(Value::as_str).unwrap_or_default();
    let items = match args.get(0, "split").map(|value| value.to_string()).filter(|sep| !sep.is_empty()) {
        Some(separator) => text.matches(separator.as_str()).count() + 1,
        None => text.chars().filter(|c| c.is_whitespace()).count() + 1,
    };
    text.len().saturating_add(items.saturating_mul(ITEM_BYTES))
}

fn lines_size(args: &Args) -> usize {
    value_len(args).saturating_add(lines(args).saturating_mul(ITEM_BYTES))
}
