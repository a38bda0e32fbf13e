//! YAML files → JSON values, with errors that name the file and line.

use std::fmt;
use std::rc::Rc;

use serde_json::Value;

/// One input file: the name it is known by (for messages) and its text,
/// which may hold several `---`-separated documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub name: String,
    pub text: String,
}

/// Why render could not use its inputs. Names the file and, where known,
/// the line; never quotes file content, which may be a Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    pub file: Option<String>,
    pub line: Option<u64>,
    pub message: String,
}

impl RenderError {
    pub fn in_file(file: &str, message: impl Into<String>) -> Self {
        Self { file: Some(file.to_owned()), line: None, message: message.into() }
    }
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{file}:{line}: {}", self.message),
            (Some(file), None) => write!(f, "{file}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for RenderError {}

/// A parsed document and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub file: String,
    /// 1-based position among the file's non-empty documents.
    pub index: usize,
    pub value: Value,
    /// The file's text, shared by its documents, to find the line of a
    /// field when a message needs it.
    pub text: Rc<str>,
}

impl Document {
    /// The document as a protobuf Struct (documents are always mappings).
    pub fn to_struct(&self) -> prost_types::Struct {
        match &self.value {
            Value::Object(object) => crate::protocol::json_to_struct(object),
            _ => prost_types::Struct::default(),
        }
    }

    /// `document 2 (Secret docs/key1)`, for messages, which name the file
    /// themselves.
    pub fn describe(&self) -> String {
        let kind = self.value.get("kind").and_then(Value::as_str).unwrap_or("object");
        let name = self.value.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("<unnamed>");
        let namespaced = match self.value.pointer("/metadata/namespace").and_then(Value::as_str) {
            Some(namespace) => format!("{namespace}/{name}"),
            None => name.to_owned(),
        };
        format!("document {} ({kind} {namespaced})", self.index)
    }

    /// A problem with this document: its file, and the line of the deepest
    /// of `path`'s fields it has.
    pub fn error(&self, path: &[&str], message: impl Into<String>) -> RenderError {
        RenderError { file: Some(self.file.clone()), line: self.line_of(path), message: message.into() }
    }

    fn line_of(&self, path: &[&str]) -> Option<u64> {
        let tree = crate::convert::tree::parse(&self.text).ok()?;
        let root = tree.documents.iter().filter(|document| document.is_mapping()).nth(self.index - 1)?;
        let mut at = root.start;
        let mut node = root;
        for key in path {
            let Some(entry) = node.entry(key) else { break };
            at = entry.key_start;
            node = &entry.value;
        }
        Some(crate::convert::tree::line_of(&self.text, at) as u64)
    }
}

/// Every non-empty document of a file; each must be a mapping.
pub fn parse(file: &File) -> Result<Vec<Document>, RenderError> {
    let values: Vec<Value> = values(&file.text).map_err(|error| yaml_error(file, &error))?;
    let text: Rc<str> = Rc::from(file.text.as_str());
    values
        .into_iter()
        .filter(|value| !value.is_null())
        .enumerate()
        .map(|(i, value)| {
            let index = i + 1;
            if value.is_object() {
                Ok(Document { file: file.name.clone(), index, value, text: text.clone() })
            } else {
                Err(RenderError::in_file(&file.name, format!("document {index} is not a mapping")))
            }
        })
        .collect()
}

/// The one document of a file that must hold exactly one.
pub fn single(file: &File, what: &str) -> Result<Document, RenderError> {
    let mut documents = parse(file)?;
    match documents.len() {
        1 => Ok(documents.remove(0)),
        0 => Err(RenderError::in_file(&file.name, format!("holds no document; expected the {what}"))),
        n => Err(RenderError::in_file(&file.name, format!("holds {n} documents; expected only the {what}"))),
    }
}

/// The one document of `file`, which must be of `kind`.
pub fn single_of_kind(file: &File, kind: &str) -> Result<Document, RenderError> {
    let document = single(file, kind)?;
    match document.value.get("kind").and_then(Value::as_str) {
        Some(found) if found == kind => Ok(document),
        Some(found) => Err(RenderError::in_file(&file.name, format!("has kind {found}; expected kind {kind}"))),
        None => Err(RenderError::in_file(&file.name, format!("has no kind; expected kind {kind}"))),
    }
}

/// A file holding one YAML value of any type (a context value).
pub fn value(file: &File) -> Result<Value, RenderError> {
    let mut values = values(&file.text).map_err(|error| yaml_error(file, &error))?;
    match values.len() {
        1 => Ok(values.remove(0)),
        n => Err(RenderError::in_file(&file.name, format!("holds {n} documents; expected one value"))),
    }
}

/// Every document of a YAML text as JSON values. Every reader of YAML in
/// the crate comes through here, so the component carries one instance of
/// the deserializer.
pub fn values(text: &str) -> Result<Vec<Value>, serde_saphyr::Error> {
    let mut options = serde_saphyr::options::Options::default();
    // The snippet would echo lines of the file, which may hold secret data.
    options.with_snippet = false;
    serde_saphyr::from_multiple_with_options(text, options)
}

/// A YAML error at its file and line. The parser places a tab that starts
/// a line (which YAML forbids in indentation) at the end of the line before;
/// the line meant is the tab's.
fn yaml_error(file: &File, error: &serde_saphyr::Error) -> RenderError {
    let problem = yaml_problem(&error.to_string()).to_owned();
    let mut line = error.location().map(|location| location.line());
    if problem.contains("tab")
        && let Some(reported) = line
    {
        let tab_line = file.text.lines().enumerate().skip(reported.saturating_sub(1) as usize).find(|(_, text)| {
            text.trim_start_matches(' ').starts_with('\t') || text.contains(": \t") || text.contains("-\t")
        });
        line = tab_line.map(|(index, _)| index as u64 + 1).or(line);
    }
    RenderError { file: Some(file.name.clone()), line, message: format!("invalid YAML: {problem}") }
}

/// Every document of every file, in order.
pub fn all(files: &[File]) -> Result<Vec<Document>, RenderError> {
    let mut documents = Vec::new();
    for file in files {
        documents.extend(parse(file)?);
    }
    Ok(documents)
}

/// The parser's description without its trailing position, which the error
/// carries separately.
fn yaml_problem(message: &str) -> &str {
    message.rsplit_once(" at line ").map_or(message, |(problem, _)| problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> File {
        File { name: "in.yaml".to_owned(), text: text.to_owned() }
    }

    #[test]
    fn multi_document_files_skip_empty_documents() {
        let documents = parse(&file("a: 1\n---\n---\nkind: Secret\nmetadata: {name: s, namespace: docs}\n")).unwrap();
        assert_eq!(documents.len(), 2);
        assert_eq!(documents[1].describe(), "document 2 (Secret docs/s)");
        assert_eq!(documents[1].error(&["metadata", "name"], "m").to_string(), "in.yaml:5: m");
    }

    #[test]
    fn syntax_errors_name_file_and_line_without_content() {
        let error = parse(&file("kind: Secret\ndata:\n  password: c2VjcmV0\n  bad: : x\n")).unwrap_err();
        assert_eq!(error.to_string(), "in.yaml:4: invalid YAML: mapping values are not allowed in this context");
    }

    #[test]
    fn a_tab_is_reported_on_its_own_line() {
        let error = parse(&file("kind: Secret\ndata:\n  a: b\n\tc: d\n")).unwrap_err();
        assert_eq!(error.line, Some(4), "{error}");
        assert!(error.message.contains("tab"), "{error}");
    }

    #[test]
    fn a_file_of_another_kind_says_which() {
        let error = single_of_kind(&file("kind: XDatabase\n"), "Composition").unwrap_err();
        assert_eq!(error.to_string(), "in.yaml: has kind XDatabase; expected kind Composition");
        let error = single_of_kind(&file("a: 1\n"), "Composition").unwrap_err();
        assert_eq!(error.to_string(), "in.yaml: has no kind; expected kind Composition");
    }

    #[test]
    fn documents_must_be_mappings_and_single_means_one() {
        assert_eq!(parse(&file("- a\n")).unwrap_err().to_string(), "in.yaml: document 1 is not a mapping");
        assert_eq!(single(&file(""), "XR").unwrap_err().to_string(), "in.yaml: holds no document; expected the XR");
        let two = single(&file("a: 1\n---\nb: 2\n"), "XR").unwrap_err().to_string();
        assert_eq!(two, "in.yaml: holds 2 documents; expected only the XR");
    }
}
