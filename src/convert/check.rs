//! What `convert` wrote, read back and checked as the function will check
//! it in the cluster: every problem of the new step's input is reported at
//! the field path and line of the source it came from, so the user fixes
//! the file they have, not the one convert would write.

use std::fmt;

use serde_json::Value;

use super::tree::{self, Node, line_of, line_start};
use super::{Origin, Xrd};
use crate::render::documents::{File, RenderError};

/// One step of a field path: `spec`, `[3]`, `labels[app.kubernetes.io/name]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Field(String),
    Index(usize),
}

/// `spec.resources[3].connectionDetails[0].name`
pub struct FieldPath<'p>(pub &'p [Segment]);

impl fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Field(name) if name.contains(['.', '/', '[', ']']) => write!(f, "[{name}]")?,
                Segment::Field(name) if position == 0 => f.write_str(name)?,
                Segment::Field(name) => write!(f, ".{name}")?,
            }
        }
        Ok(())
    }
}

/// The segments of a path as the input reader writes it.
pub fn segments(path: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(inside) = rest.strip_prefix('[') {
            let (key, after) = inside.split_once(']').unwrap_or((inside, ""));
            segments.push(key.parse().map_or_else(|_| Segment::Field(key.to_owned()), Segment::Index));
            rest = after;
        } else {
            let name = rest.trim_start_matches('.');
            let end = name.find(['.', '[']).unwrap_or(name.len());
            segments.push(Segment::Field(name[..end].to_owned()));
            rest = &name[end..];
        }
    }
    segments
}

/// Where the parts of one converted step's input come from.
#[derive(Debug, Default, Clone)]
pub struct Origins {
    /// Each item of the input's `resources`, in order.
    pub resources: Vec<Origin>,
    /// Top-level fields convert wrote.
    pub fields: Vec<(String, Origin)>,
    /// The input of the step that already ran the function, for what it
    /// already held.
    pub existing_input: Option<Vec<Segment>>,
}

/// This function's step in one converted Composition.
#[derive(Debug, Clone)]
pub struct Step {
    /// Its document in the file.
    pub document: usize,
    /// Its index in `spec.pipeline` of the converted Composition.
    pub index: usize,
    pub origins: Origins,
}

pub struct Checked {
    /// `file:line: path: message`, one per problem; empty when the function
    /// would take every input.
    pub problems: Vec<String>,
    /// What render would warn about, where it comes from.
    pub warnings: Vec<String>,
    /// The output with a comment above each refused step naming its
    /// problems, for `--force`.
    pub marked: String,
}

pub fn check(
    file: &File,
    source: &tree::Tree,
    xrd: Option<&Xrd>,
    output: &str,
    steps: &[Step],
) -> Result<Checked, RenderError> {
    let converted = tree::parse(output).map_err(|error| RenderError {
        file: Some(file.name.clone()),
        line: None,
        message: format!(
            "convert wrote YAML it cannot read back (line {}: {}); nothing was written. This is a bug in convert: \
             please report it with the Composition",
            error.line, error.message
        ),
    })?;
    let locate = Locator { file, source, xrd };
    let mut checked = Checked { problems: Vec::new(), warnings: Vec::new(), marked: String::new() };
    let mut marks = Vec::new();
    for step in steps {
        let item = converted.documents.get(step.document).and_then(|document| {
            document.at(&[tree::Step::Key("spec"), tree::Step::Key("pipeline"), tree::Step::Index(step.index)])
        });
        let input = item.and_then(|item| item.get("input"));
        let (Some(item), Some(input)) = (item, input) else {
            return Err(RenderError::in_file(&file.name, "convert lost the step it wrote; this is a bug in convert"));
        };
        let value: Value = crate::render::documents::values(&node_text(output, input))
            .ok()
            .and_then(|mut values| values.pop())
            .ok_or_else(|| {
                RenderError::in_file(&file.name, "convert wrote an input it cannot read back; this is a bug")
            })?;
        match crate::input::parse(&value) {
            Ok(parsed) => {
                for warning in crate::allowlist::unproducible_keys(&parsed, &crate::earlier::EarlierDetails::new()) {
                    let at = locate.origin(step, &[Segment::Field("connectionSecretKeys".into())]);
                    checked.warnings.push(format!("warning: {at}: {}", warning.message));
                }
            }
            Err(errors) => {
                let problems: Vec<String> = errors
                    .0
                    .iter()
                    .map(|error| format!("{}: {}", locate.origin(step, &segments(&error.path)), error.message))
                    .collect();
                marks.push((line_start(output, item.start), super::dash_column(output, item), problems.clone()));
                checked.problems.extend(problems);
            }
        }
    }
    checked.marked = mark(output, &marks);
    Ok(checked)
}

/// The text of a node as a document of its own: its lines, with whatever
/// precedes it on its first line blanked.
fn node_text(text: &str, node: &Node) -> String {
    let first = line_start(text, node.start);
    let mut lines = text[first..node.end].to_owned();
    lines.replace_range(..node.start - first, &" ".repeat(node.start - first));
    lines
}

/// Comment lines above each refused step.
fn mark(output: &str, marks: &[(usize, usize, Vec<String>)]) -> String {
    let mut edits = super::edit::Edits::default();
    for (at, column, problems) in marks {
        let indent = " ".repeat(*column);
        let mut comment = format!(
            "{indent}# function-connection-details convert: the function refuses this step's input (written with --force):\n"
        );
        for problem in problems {
            comment.push_str(&format!("{indent}#   {problem}\n"));
        }
        edits.insert(*at, comment);
    }
    edits.apply(output)
}

/// Turns a path into the converted input into the file, line and field path
/// it came from.
struct Locator<'l> {
    file: &'l File,
    source: &'l tree::Tree,
    xrd: Option<&'l Xrd>,
}

impl Locator<'_> {
    fn origin(&self, step: &Step, path: &[Segment]) -> String {
        let origins = &step.origins;
        let (origin, rest) = match path {
            [Segment::Field(resources), Segment::Index(index), rest @ ..] if resources == "resources" => {
                match origins.resources.get(*index) {
                    Some(origin) => (Some(origin.clone()), rest),
                    None => (None, path),
                }
            }
            [Segment::Field(field), rest @ ..] => match origins.fields.iter().find(|(name, _)| name == field) {
                Some((_, origin)) => (Some(origin.clone()), rest),
                None => (None, path),
            },
            _ => (None, path),
        };
        let origin = origin.or_else(|| origins.existing_input.clone().map(Origin::Composition));
        match origin {
            Some(Origin::Composition(prefix)) => {
                self.describe(self.file, self.source.documents.get(step.document), &[&prefix[..], rest].concat())
            }
            Some(Origin::Xrd(prefix)) => match self.xrd {
                Some(xrd) => {
                    let root = xrd.tree.documents.iter().find(|document| document.is_mapping());
                    self.describe(&xrd.file, root, &[&prefix[..], rest].concat())
                }
                None => FieldPath(path).to_string(),
            },
            None => format!("{}: the new step's input.{}", self.file.name, FieldPath(path)),
        }
    }

    /// `file:line: path`, the line being that of the deepest part of the
    /// path the file has.
    fn describe(&self, file: &File, root: Option<&Node>, path: &[Segment]) -> String {
        let mut at = root.map_or(0, |root| root.start);
        let mut node = root;
        for segment in path {
            let Some(current) = node else { break };
            node = match segment {
                Segment::Field(name) => current.entry(name).map(|entry| {
                    at = entry.key_start;
                    &entry.value
                }),
                Segment::Index(index) => current.items().get(*index).inspect(|item| at = item.start),
            };
        }
        format!("{}:{}: {}", file.name, line_of(&file.text, at), FieldPath(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_and_write_back() {
        for path in
            ["resources[1].connectionDetails[0].name", "secrets[0].to.metadata.labels[app.kubernetes.io/name]", "mode"]
        {
            assert_eq!(FieldPath(&segments(path)).to_string(), path);
        }
    }
}
