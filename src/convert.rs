//! `convert`: a Composition whose connection details Crossplane v2 no
//! longer publishes, rewritten so that this function publishes them.
//!
//! A legacy Composition (`spec.resources`) becomes a Pipeline: its resources
//! go, unchanged but for their `connectionDetails`, into a
//! function-patch-and-transform step, and this function's step follows. A
//! Pipeline whose function-patch-and-transform step carries
//! `connectionDetails` (or P&T's `writeConnectionSecretToRef`) keeps every
//! step and gains (or updates) this function's step, which takes over the
//! Secret P&T composed under the same key, name and namespace. Every other
//! field stays as it was.

use serde_json::{Map, Value, json};

use crate::input::{API_VERSION, KIND};
use crate::render::documents::{self, File, RenderError};

/// function-patch-and-transform's input.
const PT_API_VERSION: &str = "pt.fn.crossplane.io/v1beta1";
const PT_KIND: &str = "Resources";
const PT_FUNCTION: &str = "function-patch-and-transform";
/// The step `convert` adds, unless the Composition already runs the function.
const STEP_NAME: &str = "connection-details";
/// The key P&T v0.10+ composes a v2 XR's connection Secret under.
const PT_SECRET_RESOURCE: &str = "$(xr-name)-connection-secret";

#[derive(Debug, Clone, Default)]
pub struct ConvertRequest {
    pub composition: Option<File>,
    pub xrd: Option<File>,
    /// This function's name in `functionRef`; empty means the default.
    pub function_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    /// The Composition as YAML: converted, or the file as it was when
    /// there was nothing to convert.
    pub output: String,
    /// What changed and what the user should know, one sentence each.
    pub notes: Vec<String>,
    pub changed: bool,
}

pub fn convert(request: &ConvertRequest) -> Result<Converted, RenderError> {
    let file = request.composition.as_ref().ok_or_else(|| RenderError {
        file: None,
        line: None,
        message: "no Composition file given".to_owned(),
    })?;
    let mut composition = documents::single_of_kind(file, "Composition")?;
    let xrd =
        request.xrd.as_ref().map(|xrd| documents::single_of_kind(xrd, "CompositeResourceDefinition")).transpose()?;
    let function_name = if request.function_name.is_empty() {
        crate::render::DEFAULT_FUNCTION_NAME
    } else {
        request.function_name.as_str()
    };
    let context = Context::new(xrd.as_ref().map(|xrd| &xrd.value), &composition.value);
    let Some(spec) = composition.value.get_mut("spec").and_then(Value::as_object_mut) else {
        return Err(RenderError::in_file(&file.name, "the Composition has no spec"));
    };
    let mut notes = Vec::new();
    let moved = if spec.contains_key("resources") {
        legacy_to_pipeline(spec, &mut notes)
    } else if spec.contains_key("pipeline") {
        take_from_pipeline(spec, &mut notes)
    } else {
        return Err(RenderError::in_file(&file.name, "has neither spec.resources nor spec.pipeline"));
    };
    if moved.is_empty() {
        notes.push(format!(
            "{}: nothing to convert: no resource has connectionDetails and no function-patch-and-transform step \
             writes a connection Secret",
            file.name
        ));
        return Ok(Converted { output: file.text.clone(), notes, changed: false });
    }
    let input = context.input(&moved, &mut notes);
    place_step(spec, function_name, input, &mut notes);
    notes.push("comments are not kept, and keys are written in alphabetical order".to_owned());
    let output = serde_saphyr::to_string(&composition.value).map_err(|error| RenderError {
        file: None,
        line: None,
        message: format!("cannot write YAML: {error}"),
    })?;
    let newline = if output.ends_with('\n') { "" } else { "\n" };
    Ok(Converted { output: format!("---\n{output}{newline}"), notes, changed: true })
}

/// What came out of the Composition's resources for this function.
#[derive(Debug, Default)]
struct Moved {
    /// `{name, connectionDetails}` per resource that had any.
    resources: Vec<Value>,
    /// P&T's `writeConnectionSecretToRef`, patches included.
    secret_ref: Option<Value>,
    /// Whether P&T composed the Secret (a Pipeline), so its key must stay.
    from_pipeline: bool,
}

impl Moved {
    fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.secret_ref.is_none()
    }
}

/// Facts from outside the resources that shape the input.
struct Context {
    /// The XRD's `connectionSecretKeys`.
    allow_list: Vec<Value>,
    /// The Composition's `writeConnectionSecretsToNamespace`.
    secrets_namespace: Option<Value>,
    /// Whether the XRs are Crossplane v2 ones, when the XRD says.
    modern: Option<bool>,
}

impl Context {
    fn new(xrd: Option<&Value>, composition: &Value) -> Self {
        let allow_list = xrd
            .and_then(|xrd| xrd.pointer("/spec/connectionSecretKeys"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let modern = xrd.map(|xrd| {
            let v2 = xrd.get("apiVersion").and_then(Value::as_str) == Some("apiextensions.crossplane.io/v2");
            v2 && xrd.pointer("/spec/scope").and_then(Value::as_str) != Some("LegacyCluster")
        });
        let secrets_namespace = composition.pointer("/spec/writeConnectionSecretsToNamespace").cloned();
        Self { allow_list, secrets_namespace, modern }
    }

    fn input(&self, moved: &Moved, notes: &mut Vec<String>) -> Map<String, Value> {
        let mut input = Map::from_iter([
            ("apiVersion".to_owned(), json!(API_VERSION)),
            ("kind".to_owned(), json!(KIND)),
            ("resources".to_owned(), Value::Array(moved.resources.clone())),
        ]);
        if !self.allow_list.is_empty() {
            input.insert("connectionSecretKeys".to_owned(), Value::Array(self.allow_list.clone()));
            notes.push("the XRD's connectionSecretKeys became the input's allow-list".to_owned());
        }
        if let Some(namespace) = &self.secrets_namespace {
            input.insert("writeConnectionSecretsToNamespace".to_owned(), namespace.clone());
        }
        if let Some(reference) = &moved.secret_ref {
            input.insert("writeConnectionSecretToRef".to_owned(), reference.clone());
        }
        // A legacy XR's secret is Crossplane's to write (mode Composite), so
        // only a v2 XR's composed Secret has a key to keep.
        let legacy = self.modern == Some(false) || (self.modern.is_none() && self.secrets_namespace.is_some());
        if moved.from_pipeline && !legacy {
            input.insert("connectionSecretResourceName".to_owned(), json!(PT_SECRET_RESOURCE));
            notes.push(format!(
                "for a Crossplane v2 XR the combined Secret keeps function-patch-and-transform's resource name \
                 {PT_SECRET_RESOURCE}, Secret name <xr-name>-connection (or the writeConnectionSecretToRef) and \
                 namespace, so Crossplane neither deletes nor recreates it"
            ));
        }
        input
    }
}

/// `spec.resources` → a function-patch-and-transform step; the resources'
/// connection details come out.
fn legacy_to_pipeline(spec: &mut Map<String, Value>, notes: &mut Vec<String>) -> Moved {
    let mut resources = match spec.remove("resources") {
        Some(Value::Array(resources)) => resources,
        _ => Vec::new(),
    };
    let moved = take_details(&mut resources);
    let mut pt_input = Map::from_iter([
        ("apiVersion".to_owned(), json!(PT_API_VERSION)),
        ("kind".to_owned(), json!(PT_KIND)),
        ("resources".to_owned(), Value::Array(resources)),
    ]);
    if let Some(patch_sets) = spec.remove("patchSets") {
        pt_input.insert("patchSets".to_owned(), patch_sets);
    }
    spec.insert("mode".to_owned(), json!("Pipeline"));
    spec.insert(
        "pipeline".to_owned(),
        json!([{"step": "patch-and-transform", "functionRef": {"name": PT_FUNCTION}, "input": pt_input}]),
    );
    notes.push(format!(
        "spec.resources moved, bases and patches unchanged, into a {PT_FUNCTION} step; mode is Pipeline"
    ));
    Moved { resources: moved, secret_ref: None, from_pipeline: false }
}

/// Every P&T step gives up its resources' connection details and its
/// `writeConnectionSecretToRef`.
fn take_from_pipeline(spec: &mut Map<String, Value>, notes: &mut Vec<String>) -> Moved {
    let mut moved = Moved { from_pipeline: true, ..Moved::default() };
    let steps = spec.get_mut("pipeline").and_then(Value::as_array_mut).into_iter().flatten();
    for step in steps.filter(|step| is_patch_and_transform(step)) {
        let name = step.get("step").and_then(Value::as_str).unwrap_or("<unnamed>").to_owned();
        let Some(input) = step.get_mut("input").and_then(Value::as_object_mut) else { continue };
        if let Some(Value::Array(resources)) = input.get_mut("resources") {
            let taken = take_details(resources);
            if !taken.is_empty() {
                let names: Vec<&str> = taken.iter().filter_map(|entry| entry["name"].as_str()).collect();
                notes.push(format!("moved the connectionDetails of {} out of step {name}", names.join(", ")));
            }
            moved.resources.extend(taken);
        }
        if let Some(reference) = input.remove("writeConnectionSecretToRef") {
            notes.push(format!("moved step {name}'s writeConnectionSecretToRef to this function's input"));
            moved.secret_ref = Some(reference);
        }
    }
    moved
}

fn is_patch_and_transform(step: &Value) -> bool {
    step.pointer("/input/apiVersion").and_then(Value::as_str) == Some(PT_API_VERSION)
        && step.pointer("/input/kind").and_then(Value::as_str) == Some(PT_KIND)
}

/// Removes each resource's `connectionDetails`, returning them as input
/// entries; their shape is the input's, so they carry over as they are.
fn take_details(resources: &mut [Value]) -> Vec<Value> {
    resources
        .iter_mut()
        .filter_map(|resource| {
            let object = resource.as_object_mut()?;
            let details = object.remove("connectionDetails")?;
            let name = object.get("name").cloned().unwrap_or_else(|| json!(""));
            Some(json!({"name": name, "connectionDetails": details}))
        })
        .collect()
}

/// Adds this function's step after the last P&T step, or updates the one
/// the Composition already has: its resources gain the moved entries, the
/// rest of its input stays.
fn place_step(spec: &mut Map<String, Value>, function_name: &str, input: Map<String, Value>, notes: &mut Vec<String>) {
    let Some(Value::Array(pipeline)) = spec.get_mut("pipeline") else { return };
    let ours = pipeline
        .iter_mut()
        .find(|step| step.pointer("/functionRef/name").and_then(Value::as_str) == Some(function_name));
    if let Some(step) = ours {
        let existing = step.as_object_mut().map(|step| step.entry("input").or_insert_with(|| json!({})));
        if let Some(Value::Object(existing)) = existing {
            for (field, value) in input {
                match (existing.get_mut(&field), value) {
                    (Some(Value::Array(entries)), Value::Array(more)) if field == "resources" => entries.extend(more),
                    (Some(_), _) => {}
                    (None, value) => {
                        existing.insert(field, value);
                    }
                }
            }
        }
        notes.push(format!("updated the existing {function_name} step"));
        return;
    }
    let position = pipeline.iter().rposition(is_patch_and_transform).map_or(pipeline.len(), |index| index + 1);
    pipeline.insert(position, json!({"step": STEP_NAME, "functionRef": {"name": function_name}, "input": input}));
    notes.push(format!("added step {STEP_NAME} running {function_name}"));
}
