//! `convert`: a Composition whose connection details Crossplane v2 no
//! longer publishes, edited so that this function publishes them.
//!
//! A legacy Composition (`spec.resources`) becomes a Pipeline: its resources
//! go, unchanged but for their `connectionDetails`, into a
//! function-patch-and-transform step, and this function's step follows. A
//! Pipeline whose function-patch-and-transform step carries
//! `connectionDetails` (or P&T's `writeConnectionSecretToRef`) keeps every
//! step and gains (or updates) this function's step, which takes over the
//! Secret P&T composed under the same key, name and namespace.
//!
//! The file is edited, not written anew ([`edit`]): everything convert does
//! not move stays byte for byte — comments, key order, quoting, blank
//! lines, other documents — and what it moves keeps its own text. What it
//! writes is then read back and checked ([`check`]) as the function will
//! check it in the cluster.

mod check;
mod edit;
pub(crate) mod tree;

use serde_json::Value;

use crate::input::{API_VERSION, KIND};
use crate::render::documents::{self, File, RenderError};
use edit::{Edits, Fragment, Style, Writer};
use tree::{Entry, Node, column, line_end, line_start};

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
    /// Write the result even when the function would refuse its input,
    /// marked with a comment naming each problem.
    pub force: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    /// The file as converted; as it was when there was nothing to convert;
    /// empty when the result would not run and `force` was not given.
    pub output: String,
    /// What changed and what the user should know, one sentence each.
    pub notes: Vec<String>,
    pub changed: bool,
    /// Why the converted Composition would not run, one line each, naming
    /// the file, line and field path in the source; empty when it would.
    pub problems: Vec<String>,
}

pub fn convert(request: &ConvertRequest) -> Result<Converted, RenderError> {
    let file = request.composition.as_ref().ok_or_else(|| RenderError {
        file: None,
        line: None,
        message: "no Composition file given".to_owned(),
    })?;
    // Syntax errors read as every other command reports them.
    documents::parse(file)?;
    let source = parse_tree(file)?;
    let xrd = request.xrd.as_ref().map(Xrd::read).transpose()?;
    let function_name = if request.function_name.is_empty() {
        crate::render::DEFAULT_FUNCTION_NAME
    } else {
        request.function_name.as_str()
    };
    let compositions: Vec<usize> = (0..source.documents.len())
        .filter(|&index| source.documents[index].get("kind").and_then(Node::as_str) == Some("Composition"))
        .collect();
    if compositions.is_empty() {
        return Err(RenderError::in_file(&file.name, not_a_composition(&source)));
    }
    let mut edits = Edits::default();
    let mut notes = Vec::new();
    let mut steps = Vec::new();
    for &index in &compositions {
        let document = &source.documents[index];
        let mut converter =
            Converter { file, document, xrd: xrd.as_ref(), function_name, edits: &mut edits, notes: Vec::new() };
        let converted = converter.convert()?;
        let name = document.at(&[tree::Step::Key("metadata"), tree::Step::Key("name")]).and_then(Node::as_str);
        // A file of several Compositions says which each note is about.
        match name.filter(|_| compositions.len() > 1) {
            Some(name) => notes.extend(converter.notes.into_iter().map(|note| format!("Composition {name}: {note}"))),
            None => notes.extend(converter.notes),
        }
        if let Some((index_in_pipeline, origins)) = converted {
            steps.push(check::Step { document: index, index: index_in_pipeline, origins });
        }
    }
    if steps.is_empty() {
        notes.push(format!(
            "{}: nothing to convert: no resource has connectionDetails and no function-patch-and-transform step \
             writes a connection Secret",
            file.name
        ));
        return Ok(Converted { output: file.text.clone(), notes, changed: false, problems: Vec::new() });
    }
    let output = edits.apply(&file.text);
    let checked = check::check(file, &source, xrd.as_ref(), &output, &steps)?;
    notes.extend(checked.warnings);
    let output = match (checked.problems.is_empty(), request.force) {
        (true, _) => output,
        (false, true) => checked.marked,
        (false, false) => String::new(),
    };
    Ok(Converted { output, notes, changed: true, problems: checked.problems })
}

fn parse_tree(file: &File) -> Result<tree::Tree, RenderError> {
    tree::parse(&file.text).map_err(|error| RenderError {
        file: Some(file.name.clone()),
        line: Some(error.line as u64),
        message: format!("invalid YAML: {}", error.message),
    })
}

/// What a file that holds no Composition holds instead, and what was meant.
fn not_a_composition(source: &tree::Tree) -> String {
    let kinds: Vec<&str> = source.documents.iter().filter_map(|document| document.get("kind")?.as_str()).collect();
    match kinds.as_slice() {
        [] => "holds no Composition (kind: Composition)".to_owned(),
        ["CompositeResourceDefinition"] => {
            "is a CompositeResourceDefinition, not a Composition; give it with --xrd and the Composition first"
                .to_owned()
        }
        kinds => format!("holds no Composition (kind: Composition), only {}", kinds.join(", ")),
    }
}

/// The CompositeResourceDefinition's facts that shape the input.
pub(crate) struct Xrd {
    file: File,
    tree: tree::Tree,
    /// `spec.connectionSecretKeys`.
    allow_list: Vec<String>,
    /// Whether its XRs are Crossplane v2 ones.
    modern: bool,
}

impl Xrd {
    fn read(file: &File) -> Result<Self, RenderError> {
        let document = documents::single_of_kind(file, "CompositeResourceDefinition")?;
        let allow_list = document
            .value
            .pointer("/spec/connectionSecretKeys")
            .and_then(Value::as_array)
            .map(|keys| keys.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        let v2 = document.value.get("apiVersion").and_then(Value::as_str) == Some("apiextensions.crossplane.io/v2");
        let modern = v2 && document.value.pointer("/spec/scope").and_then(Value::as_str) != Some("LegacyCluster");
        Ok(Self { file: file.clone(), tree: parse_tree(file)?, allow_list, modern })
    }
}

/// Where a part of this function's input comes from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A field path in the Composition document.
    Composition(Vec<check::Segment>),
    /// A field path in the XRD.
    Xrd(Vec<check::Segment>),
}

use check::Segment::{Field, Index};

fn field(name: &str) -> check::Segment {
    Field(name.to_owned())
}

/// The connection details one resource gives up.
struct MovedResource<'t> {
    name: Option<&'t Node>,
    details: &'t Entry,
    origin: Vec<check::Segment>,
}

/// Everything that leaves function-patch-and-transform (or spec.resources).
#[derive(Default)]
struct Moved<'t> {
    resources: Vec<MovedResource<'t>>,
    /// P&T's `writeConnectionSecretToRef`, patches included.
    secret_ref: Option<(&'t Entry, Vec<check::Segment>)>,
    /// Whether P&T composed the Secret (a Pipeline), so its key must stay.
    from_pipeline: bool,
}

impl Moved<'_> {
    fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.secret_ref.is_none()
    }
}

struct Converter<'c, 't> {
    file: &'t File,
    document: &'t Node,
    xrd: Option<&'t Xrd>,
    function_name: &'t str,
    edits: &'c mut Edits,
    notes: Vec<String>,
}

impl<'t> Converter<'_, 't> {
    fn text(&self) -> &'t str {
        &self.file.text
    }

    fn fail(&self, at: usize, message: impl Into<String>) -> RenderError {
        RenderError {
            file: Some(self.file.name.clone()),
            line: Some(tree::line_of(self.text(), at) as u64),
            message: message.into(),
        }
    }

    /// Edits one Composition; `None` when it has nothing to convert, else
    /// the index of this function's step in the converted pipeline and
    /// where its input comes from.
    fn convert(&mut self) -> Result<Option<(usize, check::Origins)>, RenderError> {
        let Some(spec) = self.document.get("spec").filter(|spec| spec.is_mapping()) else {
            return Err(self.fail(self.document.start, "the Composition has no spec"));
        };
        if !spec.is_block_collection() {
            return Err(self.fail(spec.start, "spec is written in flow style ({…}); convert edits block-style YAML"));
        }
        if spec.get("resources").is_some() {
            self.legacy(spec)
        } else if spec.get("pipeline").is_some() {
            self.pipeline(spec)
        } else {
            Err(self.fail(spec.start, "has neither spec.resources nor spec.pipeline"))
        }
    }

    /// `spec.resources` → a function-patch-and-transform step, then this
    /// function's step, written where `resources` was.
    fn legacy(&mut self, spec: &'t Node) -> Result<Option<(usize, check::Origins)>, RenderError> {
        let text = self.text();
        let resources_entry = spec.entry("resources").expect("checked by the caller");
        let resources = &resources_entry.value;
        let mut inner = Edits::default();
        let moved = Moved {
            resources: self.take_details(resources, &[field("spec"), field("resources")], &mut inner),
            ..Moved::default()
        };
        if moved.is_empty() {
            return Ok(None);
        }
        if !resources.is_block_collection() {
            return Err(self.fail(
                resources.start,
                "spec.resources is written in flow style ([…]); convert edits block-style YAML",
            ));
        }
        let mut pt_resources = Fragment::entry(text, resources_entry);
        if let Fragment::Source(copied) = &mut pt_resources {
            copied.edits = inner;
        }
        let mut pt_input = vec![
            ("apiVersion".to_owned(), Fragment::text(PT_API_VERSION)),
            ("kind".to_owned(), Fragment::text(PT_KIND)),
            ("resources".to_owned(), pt_resources),
        ];
        if let Some(patch_sets) = spec.entries().iter().position(|entry| entry.key == "patchSets") {
            pt_input.push(("patchSets".to_owned(), Fragment::entry(text, &spec.entries()[patch_sets])));
            self.edits.replace(edit::entry_removal(text, spec, patch_sets), "");
        }
        let pt_step = Fragment::Map(vec![
            ("step".to_owned(), Fragment::text("patch-and-transform")),
            ("functionRef".to_owned(), Fragment::Map(vec![("name".to_owned(), Fragment::text(PT_FUNCTION))])),
            ("input".to_owned(), Fragment::Map(pt_input)),
        ]);
        let context = Context::new(self.xrd, spec);
        let (input, origins) = context.input(self.text(), &moved, &mut self.notes);
        let our_step = new_step(STEP_NAME.to_owned(), self.function_name, input);
        let style = Style::of(text, self.document);
        let key_column = column(text, resources_entry.key_start);
        let mut writer = Writer::new(text, style);
        match spec.get("mode") {
            Some(mode) => self.edits.replace(mode.start..mode.end, "Pipeline"),
            None => writer.entry(key_column, "mode", &Fragment::text("Pipeline")),
        }
        writer.entry(key_column, "pipeline", &Fragment::Seq(vec![pt_step, our_step]));
        let index = spec.entries().iter().position(|entry| entry.key == "resources").expect("it is there");
        let replaced = edit::entry_removal(text, spec, index);
        // The comments above `resources:` stay above what replaces it.
        let kept = edit::leading_comments(text, resources_entry.key_start);
        self.edits.replace(kept.end..replaced.end, writer.out);
        self.notes.push(format!(
            "spec.resources moved, bases and patches unchanged, into a {PT_FUNCTION} step; mode is Pipeline"
        ));
        self.notes.push(format!("added step {STEP_NAME} running {}", self.function_name));
        Ok(Some((1, origins)))
    }

    /// Every P&T step gives up its resources' connection details and its
    /// `writeConnectionSecretToRef` to this function's step.
    fn pipeline(&mut self, spec: &'t Node) -> Result<Option<(usize, check::Origins)>, RenderError> {
        let text = self.text();
        let pipeline = spec.get("pipeline").expect("checked by the caller");
        let mut moved = Moved { from_pipeline: true, ..Moved::default() };
        let mut last_pt = None;
        for (index, step) in pipeline.items().iter().enumerate().filter(|(_, step)| is_patch_and_transform(step)) {
            last_pt = Some(index);
            let name = step.get("step").and_then(Node::as_str).unwrap_or("<unnamed>");
            let Some(input) = step.get("input") else { continue };
            let at = [field("spec"), field("pipeline"), Index(index), field("input")];
            if let Some(resources) = input.get("resources") {
                let mut own = Edits::default();
                let taken = self.take_details(resources, &[&at[..], &[field("resources")]].concat(), &mut own);
                self.edits.extend(own);
                if !taken.is_empty() {
                    let names: Vec<&str> = taken.iter().filter_map(|moved| moved.name?.as_str()).collect();
                    self.notes.push(format!("moved the connectionDetails of {} out of step {name}", names.join(", ")));
                }
                moved.resources.extend(taken);
            }
            if let Some(position) = input.entries().iter().position(|entry| entry.key == "writeConnectionSecretToRef") {
                self.edits.replace(edit::entry_removal(text, input, position), "");
                self.notes.push(format!("moved step {name}'s writeConnectionSecretToRef to this function's input"));
                let origin = [&at[..], &[field("writeConnectionSecretToRef")]].concat();
                moved.secret_ref = Some((&input.entries()[position], origin));
            }
        }
        if moved.is_empty() {
            return Ok(None);
        }
        if !pipeline.is_block_collection() {
            return Err(self
                .fail(pipeline.start, "spec.pipeline is written in flow style ([…]); convert edits block-style YAML"));
        }
        let context = Context::new(self.xrd, spec);
        let (input, origins) = context.input(text, &moved, &mut self.notes);
        let ours = pipeline.items().iter().position(|step| {
            step.at(&[tree::Step::Key("functionRef"), tree::Step::Key("name")]).and_then(Node::as_str)
                == Some(self.function_name)
        });
        match ours {
            Some(index) => {
                let input_path = vec![field("spec"), field("pipeline"), Index(index), field("input")];
                let origins = self.update_step(&pipeline.items()[index], input, origins, input_path)?;
                self.notes.push(format!("updated the existing {} step", self.function_name));
                Ok(Some((index, origins)))
            }
            None => {
                let after = last_pt.expect("something moved, so a P&T step exists");
                let names = pipeline.items().iter().filter_map(|step| step.get("step")?.as_str()).collect::<Vec<_>>();
                let step_name = unique_step_name(&names);
                let item = &pipeline.items()[after];
                let dash = dash_column(text, item);
                let mut writer = Writer::new(text, Style::of(text, self.document));
                writer.item(dash, &new_step(step_name.clone(), self.function_name, input));
                self.edits.insert(line_end(text, item.end), with_line_break(text, item.end, writer.out));
                self.notes.push(format!("added step {step_name} running {}", self.function_name));
                Ok(Some((after + 1, origins)))
            }
        }
    }

    /// Removes each resource's `connectionDetails`, returning them as input
    /// entries; their shape is the input's, so they carry over as they are.
    fn take_details(&self, resources: &'t Node, at: &[check::Segment], edits: &mut Edits) -> Vec<MovedResource<'t>> {
        let text = self.text();
        resources
            .items()
            .iter()
            .enumerate()
            .filter_map(|(index, resource)| {
                let position = resource.entries().iter().position(|entry| entry.key == "connectionDetails")?;
                edits.replace(edit::entry_removal(text, resource, position), "");
                Some(MovedResource {
                    name: resource.get("name"),
                    details: &resource.entries()[position],
                    origin: [at, &[Index(index)]].concat(),
                })
            })
            .collect()
    }

    /// Adds what moved to the step that already runs this function: its
    /// resources gain the moved entries; fields it lacks are added; fields
    /// it has stay. Returns where the resulting input's parts come from.
    fn update_step(
        &mut self,
        step: &'t Node,
        input: Vec<Part<'t>>,
        moved: check::Origins,
        input_path: Vec<check::Segment>,
    ) -> Result<check::Origins, RenderError> {
        let text = self.text();
        let style = Style::of(text, self.document);
        let mut origins = check::Origins { existing_input: Some(input_path.clone()), ..check::Origins::default() };
        let Some(existing) = step.get("input") else {
            let mut writer = Writer::new(text, style);
            let key_column = column(text, step.entries()[0].key_start);
            writer.entry(
                key_column,
                "input",
                &Fragment::Map(input.into_iter().map(|part| (part.key, part.value)).collect()),
            );
            self.edits.insert(line_end(text, step.end), with_line_break(text, step.end, writer.out));
            return Ok(moved);
        };
        if !existing.is_mapping() || !existing.is_block_collection() {
            return Err(self.fail(
                existing.start,
                "the existing step's input is not a block-style mapping; convert edits block-style YAML",
            ));
        }
        let key_column = column(text, existing.entries()[0].key_start);
        let mut added = Writer::new(text, style);
        for part in input {
            match (existing.get(&part.key), part.value) {
                (Some(resources), Fragment::Seq(items)) if part.key == "resources" => {
                    let Some(last) = resources.items().last().filter(|_| resources.is_block_collection()) else {
                        return Err(self.fail(resources.start, "the existing step's resources are not a block-style list; convert appends to block-style lists"));
                    };
                    let mut writer = Writer::new(text, style);
                    for item in &items {
                        writer.item(dash_column(text, last), item);
                    }
                    self.edits.insert(line_end(text, last.end), with_line_break(text, last.end, writer.out));
                    let existing_items = (0..resources.items().len()).map(|index| {
                        Origin::Composition([&input_path[..], &[field("resources"), Index(index)]].concat())
                    });
                    origins.resources = existing_items.chain(moved.resources.iter().cloned()).collect();
                }
                (Some(_), _) => {}
                (None, value) => {
                    if part.key == "resources" {
                        origins.resources = moved.resources.clone();
                    }
                    if let Some((_, origin)) = moved.fields.iter().find(|(name, _)| *name == part.key) {
                        origins.fields.push((part.key.clone(), origin.clone()));
                    }
                    added.entry(key_column, &part.key, &value);
                }
            }
        }
        if !added.out.is_empty() {
            self.edits.insert(line_end(text, existing.end), with_line_break(text, existing.end, added.out));
        }
        Ok(origins)
    }
}

/// New text inserted after the last line of the file needs the line break
/// that line may lack.
fn with_line_break(text: &str, at: usize, inserted: String) -> String {
    if line_end(text, at) == text.len() && !text.ends_with('\n') { format!("\n{inserted}") } else { inserted }
}

/// The column of the `-` that introduces a block sequence item.
pub(crate) fn dash_column(text: &str, item: &Node) -> usize {
    let before = &text[line_start(text, item.start)..item.start];
    match before.trim_end_matches(' ').strip_suffix('-') {
        Some(indent) => indent.len(),
        None => column(text, item.start).saturating_sub(2),
    }
}

fn is_patch_and_transform(step: &Node) -> bool {
    step.at(&[tree::Step::Key("input"), tree::Step::Key("apiVersion")]).and_then(Node::as_str) == Some(PT_API_VERSION)
        && step.at(&[tree::Step::Key("input"), tree::Step::Key("kind")]).and_then(Node::as_str) == Some(PT_KIND)
}

/// `connection-details`, or `connection-details-2`… when a step already has
/// that name: step names are unique in a pipeline.
fn unique_step_name(taken: &[&str]) -> String {
    (1..)
        .map(|n| if n == 1 { STEP_NAME.to_owned() } else { format!("{STEP_NAME}-{n}") })
        .find(|name| !taken.contains(&name.as_str()))
        .expect("some suffix is free")
}

fn new_step<'n>(step: String, function_name: &str, input: Vec<Part<'n>>) -> Fragment<'n> {
    Fragment::Map(vec![
        ("step".to_owned(), Fragment::Text(step)),
        ("functionRef".to_owned(), Fragment::Map(vec![("name".to_owned(), Fragment::text(function_name))])),
        ("input".to_owned(), Fragment::Map(input.into_iter().map(|part| (part.key, part.value)).collect())),
    ])
}

/// One top-level field of this function's input, and where it comes from.
pub(crate) struct Part<'n> {
    key: String,
    value: Fragment<'n>,
    origin: Option<Origin>,
}

/// Facts from outside the resources that shape the input.
struct Context<'t> {
    xrd: Option<&'t Xrd>,
    /// The Composition's `writeConnectionSecretsToNamespace`.
    secrets_namespace: Option<&'t Node>,
}

impl<'t> Context<'t> {
    fn new(xrd: Option<&'t Xrd>, spec: &'t Node) -> Self {
        Self { xrd, secrets_namespace: spec.get("writeConnectionSecretsToNamespace") }
    }

    /// The input's fields, and the origins of its resources and fields.
    fn input(&self, text: &str, moved: &Moved<'t>, notes: &mut Vec<String>) -> (Vec<Part<'t>>, check::Origins) {
        let resources = moved
            .resources
            .iter()
            .map(|resource| {
                // A resource without a name moves without one, for the check
                // to say that the input requires it.
                let name = resource.name.map(|name| ("name".to_owned(), Fragment::source(text, name)));
                let details = ("connectionDetails".to_owned(), Fragment::entry(text, resource.details));
                Fragment::Map(name.into_iter().chain([details]).collect())
            })
            .collect();
        let mut parts = vec![
            Part { key: "apiVersion".to_owned(), value: Fragment::text(API_VERSION), origin: None },
            Part { key: "kind".to_owned(), value: Fragment::text(KIND), origin: None },
            Part { key: "resources".to_owned(), value: Fragment::Seq(resources), origin: None },
        ];
        if let Some(xrd) = self.xrd.filter(|xrd| !xrd.allow_list.is_empty()) {
            let keys = xrd.allow_list.iter().map(|key| Fragment::text(key.as_str())).collect();
            let origin = Origin::Xrd(vec![field("spec"), field("connectionSecretKeys")]);
            parts.push(Part {
                key: "connectionSecretKeys".to_owned(),
                value: Fragment::Seq(keys),
                origin: Some(origin),
            });
            notes.push("the XRD's connectionSecretKeys became the input's allow-list".to_owned());
        }
        if let Some(namespace) = self.secrets_namespace {
            let origin = Origin::Composition(vec![field("spec"), field("writeConnectionSecretsToNamespace")]);
            parts.push(Part {
                key: "writeConnectionSecretsToNamespace".to_owned(),
                value: Fragment::source(text, namespace),
                origin: Some(origin),
            });
        }
        if let Some((entry, origin)) = &moved.secret_ref {
            parts.push(Part {
                key: "writeConnectionSecretToRef".to_owned(),
                value: Fragment::entry(text, entry),
                origin: Some(Origin::Composition(origin.clone())),
            });
        }
        // A legacy XR's secret is Crossplane's to write (mode Composite), so
        // only a v2 XR's composed Secret has a key to keep.
        let modern = self.xrd.map(|xrd| xrd.modern);
        let legacy = modern == Some(false) || (modern.is_none() && self.secrets_namespace.is_some());
        if moved.from_pipeline && !legacy {
            parts.push(Part {
                key: "connectionSecretResourceName".to_owned(),
                value: Fragment::text(PT_SECRET_RESOURCE),
                origin: None,
            });
            notes.push(format!(
                "for a Crossplane v2 XR the combined Secret keeps function-patch-and-transform's resource name \
                 {PT_SECRET_RESOURCE}, Secret name <xr-name>-connection (or the writeConnectionSecretToRef) and \
                 namespace, so Crossplane neither deletes nor recreates it"
            ));
        }
        let origins = check::Origins {
            resources: moved.resources.iter().map(|resource| Origin::Composition(resource.origin.clone())).collect(),
            fields: parts.iter().filter_map(|part| Some((part.key.clone(), part.origin.clone()?))).collect(),
            existing_input: None,
        };
        (parts, origins)
    }
}
