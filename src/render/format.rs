//! `-o yaml`, `-o json` and `-o table`. The table never shows a value: it
//! lists objects like `kubectl get secrets -A` and describes each like
//! `kubectl describe`, with a byte count per key.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{Map, Value};

use super::documents::RenderError;
use super::objects::{Body, Object};
use crate::push;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
    Table,
}

/// What render produced: the objects as they would exist in the cluster,
/// then `render.crossplane.io/v1beta1` Result, Condition and Readiness
/// documents.
#[derive(Debug, Default)]
pub struct Output {
    pub objects: Vec<Object>,
    /// `Explanation` documents: each written object's keys, where they come
    /// from, and why any is missing or dropped.
    pub explanations: Vec<Map<String, Value>>,
    pub results: Vec<Map<String, Value>>,
    pub conditions: Vec<Map<String, Value>>,
    /// The `Readiness` document, last.
    pub readiness: Option<Map<String, Value>>,
}

impl Output {
    /// Every document in output order; the objects are written here, and
    /// only here, in the API server's form.
    fn documents(&self) -> Vec<Map<String, Value>> {
        let objects = self.objects.iter().map(Object::to_json);
        let rest = self.explanations.iter().chain(&self.results).chain(&self.conditions).chain(&self.readiness);
        objects.chain(rest.cloned()).collect()
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
    for object in secrets.iter().chain(&config_maps) {
        separate(&mut text);
        describe(&mut text, object);
        if let Some(explanation) = explanation_of(&output.explanations, object) {
            explain_keys(&mut text, explanation);
        }
    }
    for explanation in output.explanations.iter().filter(|e| e.get("composed") == Some(&Value::Bool(false))) {
        separate(&mut text);
        let about = explanation.get("object");
        let text_of = |field: &str| about.and_then(|o| o.get(field)).and_then(Value::as_str).unwrap_or_default();
        let _ = writeln!(
            text,
            "{} {}/{} is not composed yet: none of its keys is present.",
            text_of("kind"),
            text_of("namespace"),
            text_of("name")
        );
        explain_keys(&mut text, explanation);
    }
    if !output.results.is_empty() {
        separate(&mut text);
        results_table(&mut text, &output.results);
    }
    if !output.conditions.is_empty() {
        separate(&mut text);
        let rows = output.conditions.iter().map(|condition| {
            ["type", "status", "reason", "message"].iter().map(|f| field(condition, f).to_owned()).collect()
        });
        columns(&mut text, &["CONDITION", "STATUS", "REASON", "MESSAGE"], rows.collect());
    }
    if let Some(readiness) = &output.readiness {
        separate(&mut text);
        readiness_table(&mut text, readiness);
    }
    text
}

/// The Explanation document of `object`, matched by kind, namespace and name.
fn explanation_of<'a>(explanations: &'a [Map<String, Value>], object: &Object) -> Option<&'a Map<String, Value>> {
    explanations.iter().find(|explanation| {
        let about = explanation.get("object");
        let text = |field: &str| about.and_then(|o| o.get(field)).and_then(Value::as_str).unwrap_or_default();
        text("kind") == object.kind() && text("namespace") == object.namespace && text("name") == object.name
    })
}

/// Every declared key of an object: present with its source, or missing or
/// dropped with the reason.
fn explain_keys(text: &mut String, explanation: &Map<String, Value>) {
    let keys = explanation.get("keys").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    if keys.is_empty() {
        return;
    }
    let _ = writeln!(text, "\nKeys\n====");
    let rows = keys
        .iter()
        .filter_map(Value::as_object)
        .map(|key| {
            let why = match key.get("reason").and_then(Value::as_str) {
                Some(reason) => format!("{}; {reason}", field(key, "source")),
                None => field(key, "source").to_owned(),
            };
            vec![field(key, "key").to_owned(), field(key, "status").to_owned(), why]
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
fn results_table(text: &mut String, results: &[Map<String, Value>]) {
    let with_step = results.iter().any(|result| !field(result, "step").is_empty());
    let rows = results.iter().map(|result| {
        let severity = field(result, "severity").trim_start_matches("SEVERITY_").to_owned();
        let mut row = vec![severity];
        if with_step {
            row.push(field(result, "step").to_owned());
        }
        row.push(field(result, "message").to_owned());
        row
    });
    let headers: &[&str] = if with_step { &["RESULT", "STEP", "MESSAGE"] } else { &["RESULT", "MESSAGE"] };
    columns(text, headers, rows.collect());
}

fn readiness_table(text: &mut String, readiness: &Map<String, Value>) {
    let mut rows = vec![vec!["composite resource".to_owned(), field(readiness, "composite").to_owned()]];
    if let Some(Value::Object(composed)) = readiness.get("composedResources") {
        rows.extend(
            composed.iter().map(|(name, ready)| vec![name.clone(), ready.as_str().unwrap_or_default().to_owned()]),
        );
    }
    columns(text, &["READY", "AS SET BY THE PIPELINE"], rows);
    if let Some(ttl) = readiness.get("ttl").and_then(Value::as_str) {
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

fn field<'a>(object: &'a Map<String, Value>, name: &str) -> &'a str {
    object.get(name).and_then(Value::as_str).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        let Value::Object(object) = value else { unreachable!() };
        object
    }

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
        let without = object(json!({"severity": "SEVERITY_WARNING", "message": "m"}));
        let mut text = String::new();
        results_table(&mut text, std::slice::from_ref(&without));
        assert_eq!(text, "RESULT    MESSAGE\nWARNING   m\n");

        let with = object(json!({"severity": "SEVERITY_NORMAL", "step": "connection-details", "message": "n"}));
        let mut text = String::new();
        results_table(&mut text, &[without, with]);
        assert_eq!(
            text,
            "RESULT    STEP                 MESSAGE\nWARNING                        m\nNORMAL    connection-details   n\n"
        );
    }
}
