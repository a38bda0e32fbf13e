//! A YAML text as a tree of nodes that know where they are in it, so that
//! `convert` can edit the text in place instead of writing it anew.
//!
//! The text is read by granit-parser, the parser serde-saphyr (and so every
//! other reader of this crate) uses, so the tree is exactly the structure
//! the rest of the crate sees. Positions are byte offsets into the text.

use granit_parser::{Event, Parser, ScalarStyle, Span, StructureStyle};

/// A parsed text: each document's root node.
#[derive(Debug)]
pub struct Tree {
    pub documents: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The first byte of the node's content: a block mapping's first key, a
    /// block sequence's first `-`, a flow collection's bracket, a scalar's
    /// first character (its quote, if quoted).
    pub start: usize,
    /// Just after the node's last byte of content, trailing blanks and line
    /// breaks excluded.
    pub end: usize,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `block` is a literal (`|`) or folded (`>`) scalar, whose `start` is
    /// its first content line, after the indicator's line.
    Scalar {
        value: String,
        block: bool,
    },
    Mapping {
        flow: bool,
        entries: Vec<Entry>,
    },
    Sequence {
        flow: bool,
        items: Vec<Node>,
    },
    Alias,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key's text; empty for a key that is not a scalar.
    pub key: String,
    pub key_start: usize,
    pub value: Node,
}

/// Where a text could not be read: the 1-based line, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub message: String,
}

impl Node {
    pub fn entries(&self) -> &[Entry] {
        match &self.kind {
            Kind::Mapping { entries, .. } => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.kind {
            Kind::Sequence { items, .. } => items,
            _ => &[],
        }
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries().iter().find(|entry| entry.key == key)
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    /// The value of a scalar that is not a block scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { value, block: false } => Some(value),
            _ => None,
        }
    }

    /// A mapping or sequence in block style (`key: value` lines, `- item`
    /// lines), as opposed to flow style (`{…}`, `[…]`).
    pub fn is_block_collection(&self) -> bool {
        matches!(self.kind, Kind::Mapping { flow: false, .. } | Kind::Sequence { flow: false, .. })
    }

    pub fn is_mapping(&self) -> bool {
        matches!(self.kind, Kind::Mapping { .. })
    }

    /// The node at `path` below this one: keys for mappings, indices for
    /// sequences.
    pub fn at(&self, path: &[Step<'_>]) -> Option<&Node> {
        path.iter().try_fold(self, |node, step| match step {
            Step::Key(key) => node.get(key),
            Step::Index(index) => node.items().get(*index),
        })
    }
}

/// One step of a path into a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'p> {
    Key(&'p str),
    Index(usize),
}

pub fn parse(text: &str) -> Result<Tree, SyntaxError> {
    let mut reader = Reader { parser: Parser::new_from_str(text), text };
    let mut documents = Vec::new();
    while let Some((event, _)) = reader.next()? {
        match event {
            Event::DocumentStart(..) => {
                let (event, span) = reader.expect_next()?;
                documents.push(reader.node(event, span)?);
            }
            Event::StreamEnd => break,
            _ => {}
        }
    }
    Ok(Tree { documents })
}

struct Reader<'t> {
    parser: Parser<'t, granit_parser::StrInput<'t>>,
    text: &'t str,
}

impl<'t> Reader<'t> {
    fn next(&mut self) -> Result<Option<(Event<'t>, Span)>, SyntaxError> {
        match self.parser.next_event() {
            None => Ok(None),
            Some(Ok(next)) => Ok(Some(next)),
            Some(Err(error)) => Err(SyntaxError { line: error.marker().line(), message: error.info() }),
        }
    }

    fn expect_next(&mut self) -> Result<(Event<'t>, Span), SyntaxError> {
        self.next()?
            .ok_or_else(|| SyntaxError { line: line_of(self.text, self.text.len()), message: "ends early".to_owned() })
    }

    fn node(&mut self, event: Event<'t>, span: Span) -> Result<Node, SyntaxError> {
        let start = offset(&span.start);
        match event {
            Event::Scalar(value, style, ..) => {
                let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
                let end = content_end(self.text, start, offset(&span.end));
                Ok(Node { start, end, kind: Kind::Scalar { value: value.into_owned(), block } })
            }
            Event::Alias(_) => Ok(Node { start, end: offset(&span.end), kind: Kind::Alias }),
            Event::MappingStart(style, ..) => self.mapping(start, style == StructureStyle::Flow),
            Event::SequenceStart(StructureStyle::Flow, ..) => self.sequence(start, true),
            // An indentless sequence (`key:` then `- item` at the key's
            // column) is reported at its first item; it starts at the dash.
            Event::SequenceStart(..) => self.sequence(dash_before(self.text, start), false),
            _ => Err(SyntaxError { line: span.start.line(), message: "expected a value".to_owned() }),
        }
    }

    fn mapping(&mut self, start: usize, flow: bool) -> Result<Node, SyntaxError> {
        let mut entries = Vec::new();
        let mut end = start;
        loop {
            let (event, span) = self.expect_next()?;
            if event == Event::MappingEnd {
                if flow {
                    end = offset(&span.end);
                }
                break;
            }
            let key_start = offset(&span.start);
            let key = self.node(event, span)?;
            let (event, span) = self.expect_next()?;
            let value = self.node(event, span)?;
            end = end.max(key.end).max(value.end);
            let key = match key.kind {
                Kind::Scalar { value, .. } => value,
                _ => String::new(),
            };
            entries.push(Entry { key, key_start, value });
        }
        Ok(Node { start, end, kind: Kind::Mapping { flow, entries } })
    }

    fn sequence(&mut self, start: usize, flow: bool) -> Result<Node, SyntaxError> {
        let mut items = Vec::new();
        let mut end = start;
        loop {
            let (event, span) = self.expect_next()?;
            if event == Event::SequenceEnd {
                if flow {
                    end = offset(&span.end);
                }
                break;
            }
            let item = self.node(event, span)?;
            end = end.max(item.end);
            items.push(item);
        }
        Ok(Node { start, end, kind: Kind::Sequence { flow, items } })
    }
}

/// The `-` before `at` on its line, if only blanks lie between.
fn dash_before(text: &str, at: usize) -> usize {
    let before = text[line_start(text, at)..at].trim_end_matches(' ');
    if before.ends_with('-') { line_start(text, at) + before.len() - 1 } else { at }
}

/// A string input always carries byte offsets.
fn offset(marker: &granit_parser::Marker) -> usize {
    marker.byte_offset().unwrap_or_else(|| marker.index())
}

/// A block scalar's span runs on to the next token; its content ends at
/// its last non-blank character.
fn content_end(text: &str, start: usize, end: usize) -> usize {
    let content = text.get(start..end).unwrap_or_default();
    start + content.trim_end().len()
}

/// The 1-based line of byte `at`.
pub fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())].iter().filter(|&&byte| byte == b'\n').count() + 1
}

/// The byte where the line holding `at` begins.
pub fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |newline| newline + 1)
}

/// The byte just after the line break ending the line holding `at` (the
/// text's end when its last line has none).
pub fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |newline| at + newline + 1)
}

/// The column (in bytes, so in spaces for indentation) of `at`.
pub fn column(text: &str, at: usize) -> usize {
    at - line_start(text, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# head\na: 1 # c\nb:\n  - x: \"q\"\n    y: |\n      lit\n\n    z: [1, {k: v}]\n  # between\n  - {p: 2}\nc:\n---\nd: e\n";

    #[test]
    fn nodes_know_where_they_are() {
        let tree = parse(TEXT).unwrap();
        assert_eq!(tree.documents.len(), 2);
        let root = &tree.documents[0];
        let b = root.get("b").unwrap();
        assert_eq!(
            &TEXT[b.start..b.end],
            "- x: \"q\"\n    y: |\n      lit\n\n    z: [1, {k: v}]\n  # between\n  - {p: 2}"
        );
        let first = &b.items()[0];
        assert_eq!(&TEXT[first.get("x").unwrap().start..first.get("x").unwrap().end], "\"q\"");
        assert_eq!(first.get("x").unwrap().as_str(), Some("q"));
        let literal = first.get("y").unwrap();
        assert_eq!(&TEXT[literal.start..literal.end], "lit", "a block scalar ends at its last content");
        assert_eq!(&TEXT[first.get("z").unwrap().start..first.get("z").unwrap().end], "[1, {k: v}]");
        assert_eq!(first.entry("y").map(|entry| column(TEXT, entry.key_start)), Some(4));
        assert_eq!(root.get("c").and_then(Node::as_str), Some("~"));
        assert_eq!(tree.documents[1].get("d").and_then(Node::as_str), Some("e"));
        assert_eq!(root.at(&[Step::Key("b"), Step::Index(1), Step::Key("p")]).and_then(Node::as_str), Some("2"));
    }

    #[test]
    fn an_indentless_sequence_starts_at_its_dash() {
        let text = "a:\n- name: r\n  p: 1\nb: 2\n";
        let a = parse(text).unwrap().documents.remove(0);
        let list = a.get("a").unwrap();
        assert_eq!(&text[list.start..list.end], "- name: r\n  p: 1");
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let error = parse("a: 1\nb: [\n").unwrap_err();
        assert_eq!(error, SyntaxError { line: 2, message: "unclosed bracket '['".to_owned() });
    }

    #[test]
    fn lines_and_columns() {
        let text = "ab\ncd\nef";
        assert_eq!((line_start(text, 4), line_end(text, 4), column(text, 4), line_of(text, 4)), (3, 6, 1, 2));
        assert_eq!(line_end(text, 7), 8, "the last line has no break");
    }
}
