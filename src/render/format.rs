//! `--format yaml`, `json` and `table`. The table never shows a value: it
//! lists objects like `kubectl get secrets -A` and describes each like
//! `kubectl describe`, with a byte count per key.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{Map, Value};

use super::documents::RenderError;
use super::objects::{Body, Object};
use super::report::{ExplanationReport, ReadinessReport, Report, ResultReport};
use crate::push;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
    Table,
}

/// What render produced: the objects as they would exist in the cluster,
/// then what it reports about them (`render.crossplane.io/v1beta1`
/// Explanation, Result, Condition and Readiness documents).
#[derive(Debug, Default)]
pub struct Output {
    pub objects: Vec<Object>,
    pub report: Report,
}

impl Output {
    /// Every document in output order, written here and only here.
    fn documents(&self) -> Vec<Map<String, Value>> {
        self.objects.iter().map(Object::to_json).chain(self.report.documents()).collect()
    }
}

pub fn format(output: &Output, format: Format) -> Result<String, RenderError> {
    match format {
        Format::Yaml => yaml(output),
        Format::Json => json(output),
        Format::Table => Ok(table(output)),
    }
}

fn yaml(output: &Output) -> Result<String, RenderError> {
    let mut text = String::new();
    for document in &output.documents() {
        let yaml = serde_saphyr::to_string(document).map_err(|error| RenderError {
            file: None,
            line: None,
            message: format!("cannot write YAML: {error}"),
        })?;
        text.push_str("---\n");
        text.push_str(&yaml);
    }
    Ok(text)
}

fn json(output: &Output) -> Result<String, RenderError> {
    let documents = output.documents();
    serde_json::to_string_pretty(&documents).map(|text| text + "\n").map_err(|error| RenderError {
        file: None,
        line: None,
        message: format!("cannot write JSON: {error}"),
    })
}

fn table(output: &Output) -> String {
    let mut text = String::new();
    let of_kind = |kind: &str| -> Vec<&Object> { output.objects.iter().filter(|o| o.kind() == kind).collect() };
    let (secrets, config_maps, pushes) = (of_kind("Secret"), of_kind("ConfigMap"), of_kind(push::KIND));
    if !secrets.is_empty() {
        let rows = secrets.iter().map(|secret| {
            let secret_type = match &secret.body {
                Body::Secret { secret_type, .. } => secret_type.clone(),
                _ => String::new(),
            };
            vec![secret.namespace.clone(), secret.name.clone(), secret_type, secret.data_sizes().len().to_string()]
        });
        columns(&mut text, &["NAMESPACE", "NAME", "TYPE", "DATA"], rows.collect());
    }
    if !config_maps.is_empty() {
        separate(&mut text);
        let rows = config_maps.iter().map(|config_map| {
            vec![config_map.namespace.clone(), config_map.name.clone(), config_map.data_sizes().len().to_string()]
        });
        columns(&mut text, &["NAMESPACE", "NAME", "DATA"], rows.collect());
    }
    if !pushes.is_empty() {
        separate(&mut text);
        columns(
            &mut text,
            &["NAMESPACE", "PUSHSECRET", "SECRET", "STORE", "KEYS"],
            pushes.iter().map(|p| push_row(p)).collect(),
        );
    }
    let report = &output.report;
    for object in secrets.iter().chain(&config_maps) {
        separate(&mut text);
        describe(&mut text, object);
        if let Some(explanation) = explanation_of(&report.explanations, object) {
            explain_keys(&mut text, explanation);
        }
    }
    for explanation in report.explanations.iter().filter(|explanation| !explanation.composed) {
        separate(&mut text);
        let (kind, namespace, name) = (&explanation.kind, &explanation.namespace, &explanation.name);
        let _ = writeln!(text, "{kind} {namespace}/{name} is not composed yet: none of its keys is present.");
        explain_keys(&mut text, explanation);
    }
    if !report.results.is_empty() {
        separate(&mut text);
        results_table(&mut text, &report.results);
    }
    if !report.conditions.is_empty() {
        separate(&mut text);
        let rows = report.conditions.iter().map(|condition| {
            let message = condition.message.clone().unwrap_or_default();
            vec![condition.condition_type.clone(), condition.status.to_owned(), condition.reason.clone(), message]
        });
        columns(&mut text, &["CONDITION", "STATUS", "REASON", "MESSAGE"], rows.collect());
    }
    if let Some(readiness) = &report.readiness {
        separate(&mut text);
        readiness_table(&mut text, readiness);
    }
    if let Some(context) = report.context.as_ref().and_then(Value::as_object) {
        separate(&mut text);
        // Keys only: a table shows no value.
        columns(&mut text, &["CONTEXT KEY"], context.keys().map(|key| vec![key.clone()]).collect());
    }
    text
}

/// The explanation of `object`, matched by kind, namespace and name.
fn explanation_of<'a>(explanations: &'a [ExplanationReport], object: &Object) -> Option<&'a ExplanationReport> {
    explanations.iter().find(|explanation| {
        explanation.kind == object.kind()
            && explanation.namespace == object.namespace
            && explanation.name == object.name
    })
}

/// Every declared key of an object: present with its source, or missing or
/// dropped with the reason.
fn explain_keys(text: &mut String, explanation: &ExplanationReport) {
    if explanation.keys.is_empty() {
        return;
    }
    let _ = writeln!(text, "\nKeys\n====");
    let rows = explanation
        .keys
        .iter()
        .map(|account| {
            let why = match account.state.reason() {
                Some(reason) => format!("{}; {reason}", account.source),
                None => account.source.clone(),
            };
            vec![account.key.to_string(), account.state.name().to_owned(), why]
        })
        .collect();
    columns(text, &["KEY", "STATUS", "FROM"], rows);
}

/// Which Secret a PushSecret pushes, where to, and how many keys.
fn push_row(push: &Object) -> Vec<String> {
    let Body::Other { fields, .. } = &push.body else { return Vec::new() };
    let (namespace, name) = (push.namespace.clone(), push.name.clone());
    let spec = fields.get("spec");
    let text = |pointer: &str| spec.and_then(|s| s.pointer(pointer)).and_then(Value::as_str).unwrap_or_default();
    let store = format!("{}/{}", text("/secretStoreRefs/0/kind"), text("/secretStoreRefs/0/name"));
    let keys = spec.and_then(|s| s.get("data")).and_then(Value::as_array).map_or(0, Vec::len);
    vec![namespace, name, text("/selector/secret/name").to_owned(), store, keys.to_string()]
}

/// A STEP column only when some result names its step, as kubectl leaves
/// out columns that say nothing.
fn results_table(text: &mut String, results: &[ResultReport]) {
    let with_step = results.iter().any(|result| result.step.is_some());
    let rows = results.iter().map(|result| {
        let mut row = vec![result.severity_word().to_owned()];
        if with_step {
            row.push(result.step.clone().unwrap_or_default());
        }
        row.push(result.message.clone());
        row
    });
    let headers: &[&str] = if with_step { &["RESULT", "STEP", "MESSAGE"] } else { &["RESULT", "MESSAGE"] };
    columns(text, headers, rows.collect());
}

fn readiness_table(text: &mut String, readiness: &ReadinessReport) {
    let mut rows = vec![vec!["composite resource".to_owned(), readiness.composite.to_owned()]];
    rows.extend(readiness.composed.iter().map(|(name, ready)| vec![name.clone(), (*ready).to_owned()]));
    columns(text, &["READY", "AS SET BY THE PIPELINE"], rows);
    if let Some(ttl) = &readiness.ttl {
        let _ = writeln!(text, "\nCrossplane calls again within {ttl}.");
    }
}

fn describe(text: &mut String, object: &Object) {
    let _ = writeln!(text, "Name:         {}", object.name);
    let _ = writeln!(text, "Namespace:    {}", object.namespace);
    describe_map(text, "Labels:", &object.labels, "=");
    describe_map(text, "Annotations:", &object.annotations, ": ");
    let _ = writeln!(text, "Kind:         {}", object.kind());
    if let Body::Secret { secret_type, .. } = &object.body {
        let _ = writeln!(text, "Type:         {secret_type}");
    }
    let _ = writeln!(text, "\nData\n====");
    let sizes = object.data_sizes();
    // kubectl describe sets the counts in one column, two spaces after the
    // longest `key:`.
    let width = sizes.iter().map(|(key, _)| key.chars().count() + 1).max().unwrap_or_default();
    for (key, size) in sizes {
        let label = format!("{key}:");
        let _ = writeln!(text, "{label:<width$}  {size} bytes");
    }
}

/// `Labels:` or `Annotations:` as kubectl describe prints them: one entry a
/// line in the value column, `<none>` for none.
fn describe_map(text: &mut String, heading: &str, entries: &BTreeMap<String, String>, separator: &str) {
    let mut lines = entries.iter().map(|(key, value)| format!("{key}{separator}{value}"));
    let _ = writeln!(text, "{heading:<14}{}", lines.next().unwrap_or_else(|| "<none>".to_owned()));
    for line in lines {
        let _ = writeln!(text, "{:<14}{line}", "");
    }
}

fn columns(text: &mut String, headers: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header_row: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header_row).chain(&rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}   ", width = widths[i]);
            }
        }
        let _ = writeln!(text, "{}", line.trim_end());
    }
}

fn separate(text: &mut String) {
    if !text.is_empty() {
        text.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::protocol::v1::Severity;

    #[test]
    fn describe_sets_byte_counts_in_one_column() {
        let data: [(&str, &[u8]); 2] = [("attribute.secret", b"abc"), ("username", b"a")];
        let secret = Object::secret("ns", "s", "Opaque", data);
        let mut text = String::new();
        describe(&mut text, &secret);
        assert!(text.contains("\nattribute.secret:  3 bytes\nusername:          1 bytes\n"), "{text}");
    }

    #[test]
    fn objects_become_base64_only_when_written() {
        let data: [(&str, &[u8]); 1] = [("password", b"\x00\xffpw")];
        let output = Output { objects: vec![Object::secret("ns", "s", "Opaque", data)], ..Output::default() };
        let documents = output.documents();
        assert_eq!(documents[0]["data"], json!({"password": "AP9wdw=="}));
        assert_eq!(Object::from_composed(&documents[0]).as_ref(), Some(&output.objects[0]), "read back unchanged");
    }

    #[test]
    fn the_step_column_appears_only_when_a_result_names_a_step() {
        let report = |step: Option<&str>, severity, message: &str| ResultReport {
            step: step.map(str::to_owned),
            severity,
            reason: None,
            message: message.to_owned(),
        };
        let without = report(None, Severity::Warning, "m");
        let mut text = String::new();
        results_table(&mut text, std::slice::from_ref(&without));
        assert_eq!(text, "RESULT    MESSAGE\nWARNING   m\n");

        let with = report(Some("connection-details"), Severity::Normal, "n");
        let mut text = String::new();
        results_table(&mut text, &[without, with]);
        assert_eq!(
            text,
            "RESULT    STEP                 MESSAGE\nWARNING                        m\nNORMAL    connection-details   n\n"
        );
    }
}
