//! Text edits on a YAML file: removing an entry with its lines, copying a
//! node's own text to a new indentation, and writing new entries in the
//! file's indentation style. Whatever no edit covers stays byte for byte.

use std::ops::Range;

use super::tree::{Entry, Kind, Node, column, line_end, line_start};

/// Replacements of byte ranges of one text. Ranges must not overlap;
/// insertions at one position keep the order they were added in.
#[derive(Debug, Default, Clone)]
pub struct Edits {
    edits: Vec<(Range<usize>, String)>,
}

impl Edits {
    pub fn replace(&mut self, range: Range<usize>, text: impl Into<String>) {
        self.edits.push((range, text.into()));
    }

    pub fn insert(&mut self, at: usize, text: impl Into<String>) {
        self.replace(at..at, text);
    }

    pub fn extend(&mut self, other: Edits) {
        self.edits.extend(other.edits);
    }

    /// `text[range]` with the edits inside `range` applied; edits outside it
    /// are left for another call.
    pub fn apply_within(&self, text: &str, range: Range<usize>) -> String {
        let mut inside: Vec<&(Range<usize>, String)> =
            self.edits.iter().filter(|(edit, _)| edit.start >= range.start && edit.end <= range.end).collect();
        inside.sort_by_key(|(edit, _)| edit.start);
        let mut out = String::with_capacity(range.len());
        let mut at = range.start;
        for (edit, replacement) in inside {
            if edit.start < at {
                continue;
            }
            out.push_str(&text[at..edit.start]);
            out.push_str(replacement);
            at = edit.end;
        }
        out.push_str(&text[at..range.end]);
        out
    }

    pub fn apply(&self, text: &str) -> String {
        self.apply_within(text, 0..text.len())
    }
}

/// The lines of comments directly above `at`'s line, indented as `at` is;
/// they belong to what follows them.
pub fn leading_comments(text: &str, at: usize) -> Range<usize> {
    let indent = column(text, at);
    let mut start = line_start(text, at);
    while start > 0 {
        let previous = line_start(text, start - 1);
        let line = &text[previous..start];
        let trimmed = line.trim_start_matches(' ');
        if !trimmed.starts_with('#') || line.len() - trimmed.len() != indent {
            break;
        }
        start = previous;
    }
    start..line_start(text, at)
}

/// A comment after the key on the key's own line (`connectionDetails: # …`).
pub fn key_line_comment(text: &str, entry: &Entry) -> Option<Range<usize>> {
    if entry.value.is_block_collection() || matches!(entry.value.kind, Kind::Scalar { block: true, .. }) {
        let key_line_end = text[entry.key_start..].find('\n').map_or(text.len(), |n| entry.key_start + n);
        let rest = &text[entry.key_start..key_line_end];
        let hash = rest.find(" #")?;
        return Some(entry.key_start + hash + 1..key_line_end);
    }
    None
}

/// Whether only indentation precedes `at` on its line.
fn starts_its_line(text: &str, at: usize) -> bool {
    text[line_start(text, at)..at].bytes().all(|byte| byte == b' ')
}

/// The range that removing entry `index` of a mapping deletes, so the rest
/// reads as if it had never been there: its whole lines (with the comments
/// above it) when it has lines of its own, else the text up to the next
/// entry or from the previous one.
pub fn entry_removal(text: &str, mapping: &Node, index: usize) -> Range<usize> {
    let entries = mapping.entries();
    let entry = &entries[index];
    let next = entries.get(index + 1);
    let flow = matches!(mapping.kind, Kind::Mapping { flow: true, .. });
    if !flow && starts_its_line(text, entry.key_start) {
        return leading_comments(text, entry.key_start).start..line_end(text, entry.value.end.max(entry.key_start));
    }
    match (next, index.checked_sub(1).map(|previous| &entries[previous])) {
        // `- connectionDetails: …` with more keys below: the next key moves
        // up behind the dash, at the column this one had.
        (Some(next), _) => entry.key_start..next.key_start,
        (None, Some(previous)) if flow => previous.value.end..entry.value.end,
        _ => entry.key_start..entry.value.end.max(entry.key_start),
    }
}

/// How the file indents: a mapping's entries below their key, and a
/// sequence's dashes below their key (0 for `key:\n- item`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub mapping: usize,
    pub sequence: usize,
    pub newline: &'static str,
}

impl Style {
    /// The style most nested block mappings and block sequences under a
    /// key show (the earliest wins a tie); two spaces where the file has
    /// none.
    pub fn of(text: &str, root: &Node) -> Self {
        let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let (mut mappings, mut sequences) = (Vec::new(), Vec::new());
        visit_entries(root, &mut |entry| {
            let value = &entry.value;
            let key_column = column(text, entry.key_start);
            let indent = column(text, value.start).checked_sub(key_column);
            match value.kind {
                Kind::Mapping { flow: false, .. } if starts_its_line(text, value.start) => {
                    mappings.extend(indent.filter(|&indent| indent > 0));
                }
                Kind::Sequence { flow: false, .. } => sequences.extend(indent),
                _ => {}
            }
        });
        Self { mapping: most_common(&mappings).unwrap_or(2), sequence: most_common(&sequences).unwrap_or(2), newline }
    }
}

/// The value seen most often; of equally frequent ones, the first seen.
fn most_common(values: &[usize]) -> Option<usize> {
    let count = |value: usize| values.iter().filter(|&&other| other == value).count();
    values.iter().copied().fold(None, |best, value| match best {
        Some(best) if count(best) >= count(value) => Some(best),
        _ => Some(value),
    })
}

fn visit_entries<'n>(node: &'n Node, visit: &mut impl FnMut(&'n Entry)) {
    for entry in node.entries() {
        visit(entry);
        visit_entries(&entry.value, visit);
    }
    for item in node.items() {
        visit_entries(item, visit);
    }
}

/// New YAML to write: scalars, mappings and sequences made here, and nodes
/// copied from the source text, comments and formatting included.
#[derive(Debug, Clone)]
pub enum Fragment<'n> {
    /// A string, quoted where YAML needs it.
    Text(String),
    Map(Vec<(String, Fragment<'n>)>),
    Seq(Vec<Fragment<'n>>),
    Source(Copied<'n>),
}

/// A node of the source text to write elsewhere, with the edits that fall
/// inside it and the comments that belong to its entry.
#[derive(Debug, Clone)]
pub struct Copied<'n> {
    pub node: &'n Node,
    /// Where the copied text begins: the node's line, or for a block value
    /// the line after its key, so that comments above its first item come
    /// along.
    pub from: usize,
    pub edits: Edits,
    /// Comment lines above the entry the node was the value of.
    pub leading: Option<Range<usize>>,
    /// A comment on that entry's key line.
    pub trailing: Option<Range<usize>>,
}

impl<'n> Fragment<'n> {
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    pub fn source(text: &str, node: &'n Node) -> Self {
        Self::Source(Copied {
            node,
            from: line_start(text, node.start),
            edits: Edits::default(),
            leading: None,
            trailing: None,
        })
    }

    /// The value of `entry`, with its comments.
    pub fn entry(text: &str, entry: &'n Entry) -> Self {
        let leading = leading_comments(text, entry.key_start);
        let after_key = line_end(text, entry.key_start);
        let value = &entry.value;
        let from = if value.is_block_collection() && after_key <= value.start {
            after_key
        } else {
            line_start(text, value.start)
        };
        Self::Source(Copied {
            node: value,
            from,
            edits: Edits::default(),
            leading: (!leading.is_empty()).then_some(leading),
            trailing: key_line_comment(text, entry),
        })
    }
}

/// Writes fragments as lines of the source file's style.
pub struct Writer<'t> {
    pub text: &'t str,
    pub style: Style,
    pub out: String,
}

impl<'t> Writer<'t> {
    pub fn new(text: &'t str, style: Style) -> Self {
        Self { text, style, out: String::new() }
    }

    /// `key: value` at `column`, as one or more whole lines.
    pub fn entry(&mut self, column: usize, key: &str, value: &Fragment<'_>) {
        if let Fragment::Source(Copied { leading: Some(leading), .. }) = value {
            self.lines(leading.clone(), column);
        }
        self.indent(column);
        self.out.push_str(&scalar(key));
        self.out.push(':');
        self.value(column, value);
    }

    /// `- item` with its dash at `column`.
    pub fn item(&mut self, column: usize, item: &Fragment<'_>) {
        let content = column + 2;
        match item {
            Fragment::Map(entries) if !entries.is_empty() => {
                let mark = self.out.len();
                for (key, value) in entries {
                    self.entry(content, key, value);
                }
                self.dash(mark, column);
            }
            Fragment::Source(copied) if copied.node.is_block_collection() => {
                let mark = self.out.len();
                self.block(copied, content);
                self.dash(mark, column);
            }
            _ => {
                self.indent(column);
                self.out.push('-');
                self.inline(column, item);
                self.newline();
            }
        }
    }

    /// Turns the indentation of the first line written from `mark` on that
    /// is not a comment into `- ` at `column`.
    fn dash(&mut self, mark: usize, column: usize) {
        let mut at = mark;
        for line in self.out[mark..].split_inclusive('\n') {
            let content = line.trim_start_matches(' ');
            if !content.trim().is_empty() && !content.starts_with('#') {
                if indentation(line) >= column + 2 {
                    self.out.replace_range(at + column..at + column + 2, "- ");
                }
                return;
            }
            at += line.len();
        }
    }

    /// What follows `key:` for an entry at `column`.
    fn value(&mut self, column: usize, value: &Fragment<'_>) {
        match value {
            Fragment::Map(entries) if !entries.is_empty() => {
                self.newline();
                for (key, value) in entries {
                    self.entry(column + self.style.mapping, key, value);
                }
            }
            Fragment::Seq(items) if !items.is_empty() => {
                self.newline();
                for item in items {
                    self.item(column + self.style.sequence, item);
                }
            }
            Fragment::Source(copied) if copied.node.is_block_collection() => {
                if let Some(trailing) = &copied.trailing {
                    self.out.push(' ');
                    self.out.push_str(&self.text[trailing.clone()]);
                }
                self.newline();
                let indent = match copied.node.kind {
                    Kind::Sequence { .. } => self.style.sequence,
                    _ => self.style.mapping,
                };
                self.block(copied, column + indent);
            }
            _ => {
                self.inline(column, value);
                self.newline();
            }
        }
    }

    /// A value on the current line, after a space.
    fn inline(&mut self, column: usize, value: &Fragment<'_>) {
        self.out.push(' ');
        match value {
            Fragment::Text(text) => self.out.push_str(&scalar(text)),
            Fragment::Map(_) => self.out.push_str("{}"),
            Fragment::Seq(_) => self.out.push_str("[]"),
            Fragment::Source(Copied { node, .. }) => match &node.kind {
                Kind::Scalar { value, block: true } => self.out.push_str(&scalar(value)),
                _ => {
                    // A flow collection or a scalar may run over lines; they
                    // move with it, keeping their place relative to its start.
                    let source_indent = indentation(&self.text[line_start(self.text, node.start)..node.start]);
                    let copied = &self.text[node.start..node.end];
                    match copied.split_once('\n') {
                        None => self.out.push_str(copied),
                        Some((first, rest)) => {
                            self.out.push_str(first);
                            self.out.push('\n');
                            self.out.push_str(&reindent(rest, column as isize - source_indent as isize));
                        }
                    }
                }
            },
        }
    }

    /// The lines of a block node, with the edits inside it, moved so that
    /// the node starts at `column`.
    fn block(&mut self, copied: &Copied<'_>, column: usize) {
        let node = copied.node;
        let region = copied.from..line_end(self.text, node.end);
        let mut lines = copied.edits.apply_within(self.text, region.clone());
        // A node that follows `- ` or `key: ` on its line starts a line of
        // its own here.
        let node_line = line_start(self.text, node.start);
        let prefix = node_line - region.start..node.start - region.start;
        lines.replace_range(prefix.clone(), &" ".repeat(prefix.len()));
        self.lines_text(&lines, column as isize - prefix.len() as isize);
    }

    /// Whole lines of the source (comments) moved so that their first
    /// starts at `column`.
    fn lines(&mut self, range: Range<usize>, column: usize) {
        let text = &self.text[range];
        let source_indent = text.lines().find(|line| !line.trim().is_empty()).map_or(0, indentation);
        self.lines_text(text, column as isize - source_indent as isize);
    }

    fn lines_text(&mut self, lines: &str, shift: isize) {
        self.out.push_str(&reindent(lines, shift));
        if !lines.ends_with('\n') {
            self.newline();
        }
    }

    fn indent(&mut self, column: usize) {
        self.out.extend(std::iter::repeat_n(' ', column));
    }

    fn newline(&mut self) {
        self.out.push_str(self.style.newline);
    }
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Every line that is not blank moved `shift` columns: right by adding
/// spaces, left by removing at most the spaces it has.
pub fn reindent(text: &str, shift: isize) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if line.trim().is_empty() {
            out.push_str(line);
        } else if shift >= 0 {
            out.extend(std::iter::repeat_n(' ', shift.unsigned_abs()));
            out.push_str(line);
        } else {
            out.push_str(&line[indentation(line).min(shift.unsigned_abs())..]);
        }
    }
    out
}

/// A string as a YAML scalar: plain where that reads back as the same
/// string, else quoted (double quotes, so any character can be escaped).
pub fn scalar(text: &str) -> String {
    if reads_back_as_string(text) {
        return text.to_owned();
    }
    serde_json::Value::String(text.to_owned()).to_string()
}

fn reads_back_as_string(text: &str) -> bool {
    let plain_safe = !text.is_empty()
        && !text.starts_with([
            ' ', '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`',
        ])
        && !text.ends_with([' ', ':'])
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.contains(['\n', '\r', '\t'])
        && text.chars().all(|c| !c.is_control());
    plain_safe
        && matches!(crate::render::documents::values(text).as_deref(), Ok([serde_json::Value::String(read)]) if read == text)
}

#[cfg(test)]
mod tests {
    use super::super::tree::parse;
    use super::*;

    #[test]
    fn scalars_are_plain_unless_yaml_would_read_them_otherwise() {
        assert_eq!(scalar("connection.fn.crossplane.io/v1beta1"), "connection.fn.crossplane.io/v1beta1");
        assert_eq!(scalar("$(xr-name)-connection-secret"), "$(xr-name)-connection-secret");
        assert_eq!(scalar("true"), "\"true\"");
        assert_eq!(scalar("5432"), "\"5432\"");
        assert_eq!(scalar("a: b"), "\"a: b\"");
        assert_eq!(scalar("%s-credentials"), "\"%s-credentials\"");
        assert_eq!(scalar(""), "\"\"");
        assert_eq!(scalar("two\nlines"), "\"two\\nlines\"");
    }

    #[test]
    fn removing_an_entry_takes_its_lines_and_the_comments_above_it() {
        let text = "a:\n  - name: x\n    # why\n    details:\n      - k # kept with it\n    base: {}\n  - details: [1]\n    name: y\n";
        let tree = parse(text).unwrap();
        let items = tree.documents[0].get("a").unwrap().items();
        let mut edits = Edits::default();
        edits.replace(entry_removal(text, &items[0], 1), "");
        edits.replace(entry_removal(text, &items[1], 0), "");
        assert_eq!(edits.apply(text), "a:\n  - name: x\n    base: {}\n  - name: y\n");
    }

    #[test]
    fn the_style_is_the_file_s() {
        let text = "spec:\n    a:\n        b: 1\n    list:\n    - x\n    other:\n    - y\n    indented:\n      - z\n";
        let tree = parse(text).unwrap();
        let style = Style::of(text, &tree.documents[0]);
        assert_eq!((style.mapping, style.sequence), (4, 0));
    }

    #[test]
    fn copied_nodes_move_with_their_comments_and_formatting() {
        let text = "r:\n  # the keys\n  details: # all of them\n  - fromConnectionSecretKey: \"a\"  # first\n    name: 'x'\n\n  - {value: b}\n";
        let tree = parse(text).unwrap();
        let root = &tree.documents[0];
        let entry = root.get("r").unwrap().entry("details").unwrap();
        let mut writer = Writer::new(text, Style { mapping: 2, sequence: 2, newline: "\n" });
        let fragment = Fragment::Map(vec![
            ("name".to_owned(), Fragment::text("db")),
            ("details".to_owned(), Fragment::entry(text, entry)),
        ]);
        writer.item(4, &fragment);
        assert_eq!(
            writer.out,
            "    - name: db\n      # the keys\n      details: # all of them\n        - fromConnectionSecretKey: \"a\"  # first\n          name: 'x'\n\n        - {value: b}\n"
        );
    }
}
