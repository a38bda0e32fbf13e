//! `-o yaml`, `-o json` and `-o table`. The table never shows a value: it
//! lists objects like `kubectl get secrets -A` and describes each like
//! `kubectl describe`, with a byte count per key.

use std::fmt::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};

use super::documents::RenderError;
use super::observed::namespaced_name;

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
    pub objects: Vec<Map<String, Value>>,
    /// `Explanation` documents: each written object's keys, where they come
    /// from, and why any is missing or dropped.
    pub explanations: Vec<Map<String, Value>>,
    pub results: Vec<Map<String, Value>>,
    pub conditions: Vec<Map<String, Value>>,
    /// The `Readiness` document, last.
    pub readiness: Option<Map<String, Value>>,
}

impl Output {
    fn documents(&self) -> impl Iterator<Item = &Map<String, Value>> {
        self.objects
            .iter()
            .chain(&self.explanations)
            .chain(&self.results)
            .chain(&self.conditions)
            .chain(&self.readiness)
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
    for document in output.documents() {
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
    let documents: Vec<&Map<String, Value>> = output.documents().collect();
    serde_json::to_string_pretty(&documents).map(|text| text + "\n").map_err(|error| RenderError {
        file: None,
        line: None,
        message: format!("cannot write JSON: {error}"),
    })
}

fn table(output: &Output) -> String {
    let mut text = String::new();
    let secrets: Vec<&Map<String, Value>> = output.objects.iter().filter(|o| kind(o) == "Secret").collect();
    let config_maps: Vec<&Map<String, Value>> = output.objects.iter().filter(|o| kind(o) == "ConfigMap").collect();
    if !secrets.is_empty() {
        let rows = secrets.iter().map(|secret| {
            let (namespace, name) = namespaced_name(secret.get("metadata"));
            let secret_type = secret.get("type").and_then(Value::as_str).unwrap_or("Opaque").to_owned();
            vec![namespace, name, secret_type, data_sizes(secret).len().to_string()]
        });
        columns(&mut text, &["NAMESPACE", "NAME", "TYPE", "DATA"], rows.collect());
    }
    if !config_maps.is_empty() {
        separate(&mut text);
        let rows = config_maps.iter().map(|config_map| {
            let (namespace, name) = namespaced_name(config_map.get("metadata"));
            vec![namespace, name, data_sizes(config_map).len().to_string()]
        });
        columns(&mut text, &["NAMESPACE", "NAME", "DATA"], rows.collect());
    }
    let pushes: Vec<&Map<String, Value>> = output.objects.iter().filter(|o| kind(o) == "PushSecret").collect();
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
fn explanation_of<'a>(
    explanations: &'a [Map<String, Value>],
    object: &Map<String, Value>,
) -> Option<&'a Map<String, Value>> {
    let (namespace, name) = namespaced_name(object.get("metadata"));
    explanations.iter().find(|explanation| {
        let about = explanation.get("object");
        let text = |field: &str| about.and_then(|o| o.get(field)).and_then(Value::as_str).unwrap_or_default();
        text("kind") == kind(object) && text("namespace") == namespace && text("name") == name
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
fn push_row(push: &Map<String, Value>) -> Vec<String> {
    let (namespace, name) = namespaced_name(push.get("metadata"));
    let spec = push.get("spec");
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

fn describe(text: &mut String, object: &Map<String, Value>) {
    let (namespace, name) = namespaced_name(object.get("metadata"));
    let _ = writeln!(text, "Name:         {name}");
    let _ = writeln!(text, "Namespace:    {namespace}");
    describe_map(text, "Labels:", object, "labels", "=");
    describe_map(text, "Annotations:", object, "annotations", ": ");
    let _ = writeln!(text, "Kind:         {}", kind(object));
    if let Some(secret_type) = object.get("type").and_then(Value::as_str) {
        let _ = writeln!(text, "Type:         {secret_type}");
    }
    let _ = writeln!(text, "\nData\n====");
    let sizes = data_sizes(object);
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
fn describe_map(text: &mut String, heading: &str, object: &Map<String, Value>, field: &str, separator: &str) {
    let entries = object.get("metadata").and_then(|m| m.get(field)).and_then(Value::as_object);
    let mut lines = entries
        .into_iter()
        .flatten()
        .map(|(key, value)| format!("{key}{separator}{}", value.as_str().unwrap_or_default()));
    let _ = writeln!(text, "{heading:<14}{}", lines.next().unwrap_or_else(|| "<none>".to_owned()));
    for line in lines {
        let _ = writeln!(text, "{:<14}{line}", "");
    }
}

/// Each key with the size of its value: decoded for a Secret's base64
/// `data`, as written for a ConfigMap.
fn data_sizes(object: &Map<String, Value>) -> Vec<(&str, usize)> {
    let base64_encoded = kind(object) == "Secret";
    object
        .get("data")
        .and_then(Value::as_object)
        .map(|data| {
            data.iter()
                .map(|(key, value)| {
                    let text = value.as_str().unwrap_or_default();
                    let size =
                        if base64_encoded { BASE64.decode(text).map_or(0, |bytes| bytes.len()) } else { text.len() };
                    (key.as_str(), size)
                })
                .collect()
        })
        .unwrap_or_default()
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

fn kind(object: &Map<String, Value>) -> &str {
    field(object, "kind")
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
        let secret = object(json!({
            "kind": "Secret",
            "metadata": {"name": "s", "namespace": "ns"},
            "data": {"attribute.secret": "YWJj", "username": "YQ=="},
        }));
        let mut text = String::new();
        describe(&mut text, &secret);
        assert!(text.contains("\nattribute.secret:  3 bytes\nusername:          1 bytes\n"), "{text}");
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
