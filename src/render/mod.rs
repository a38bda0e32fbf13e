//! `render`: an XR, its Composition and the observed world (as YAML texts)
//! to the Secrets and ConfigMaps the function would leave in the cluster.
//!
//! Everything from parsing the files to formatting the output happens here,
//! inside the component, so the CLI and the browser playground render with
//! the same code; the host only reads files and writes the result.

pub mod documents;
pub mod format;

mod composition;
mod functions;
mod objects;
mod observed;
mod publish;
mod report;
mod requirements;

use serde_json::Value;

use crate::diagnostics::{Diagnostic, Reason};
use crate::explain::{self as key_accounts, Explanation};
use crate::function::{explain, respond, to_result};
use crate::protocol::v1::{
    Capability, RequestMeta, Requirements, Resource, RunFunctionRequest, RunFunctionResponse, Severity, State, Target,
};
use crate::protocol::{json_to_struct, struct_to_json};
pub use documents::{File, RenderError};

pub use format::Format;
use report::{ConditionReport, ExplanationReport, ReadinessReport, Report, ResultReport};

/// The function name `--function-name` defaults to.
pub const DEFAULT_FUNCTION_NAME: &str = "function-connection-details";
/// Crossplane calls a function at most this often per reconcile while its
/// requirements keep changing.
pub const MAX_REQUIREMENT_ROUNDS: usize = 5;

#[derive(Debug, Clone, Default)]
pub struct RenderRequest {
    pub composite: Option<File>,
    pub composition: Option<File>,
    pub observed_resources: Vec<File>,
    pub secrets: Vec<File>,
    pub required_resources: Vec<File>,
    pub xrd: Option<File>,
    pub claim: Option<File>,
    pub function_name: String,
    /// `crossplane render`'s FUNCTIONS: the Function objects of the
    /// pipeline, checked to hold this function's step's; none run.
    pub functions: Vec<File>,
    /// The context the pipeline starts with, as `crossplane render`'s
    /// `--context-files` and `--context-values` give it; a later entry for
    /// a key wins.
    pub context: Vec<ContextEntry>,
    /// Also print the context the function returns, as `crossplane
    /// render --include-context` does.
    pub include_context: bool,
}

/// One key of the pipeline's context and its value: a JSON or YAML text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextEntry {
    pub key: String,
    pub value: File,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub output: String,
    /// Whether any result is FATAL (the CLI exits 1).
    pub fatal: bool,
}

pub fn render(request: &RenderRequest, format: Format) -> Result<Rendered, RenderError> {
    let run = Run::new(request)?;
    let published = publish::publish(
        &run.composite.value,
        run.claim.as_ref().map(|c| &c.value),
        run.xrd.as_ref().map(|x| &x.value),
        &run.response,
        run.connection_secrets,
    );
    let response = &run.response;
    let mut results: Vec<ResultReport> =
        response.results.iter().map(|r| ResultReport::new(run.step.step.as_deref(), r)).collect();
    let render_diagnostics = published.diagnostics.iter().chain(run.settled.as_ref().err());
    results.extend(
        render_diagnostics.map(|diagnostic| ResultReport::new(None, &to_result(diagnostic, Target::Composite))),
    );
    let fatal = results.iter().any(|result| result.severity == Severity::Fatal);
    let explanations = explain(&run.last_request)
        .map(|explanation| explain_documents(&explanation, &published, run.xrd.as_ref().map(|x| &x.value)))
        .unwrap_or_default();
    let context = request.include_context.then(|| response.context.as_ref().map(struct_to_json)).flatten();
    let output = format::Output {
        objects: published.objects,
        report: Report {
            explanations,
            results,
            conditions: response.conditions.iter().map(ConditionReport::new).collect(),
            readiness: Some(ReadinessReport::new(response)),
            context,
        },
    };
    Ok(Rendered { output: format::format(&output, format)?, fatal })
}

/// The RunFunctionRequest Crossplane sends this function's step for these
/// inputs, encoded: the last of the calls render makes, whose required
/// resources answer the function's requirements.
pub fn function_request(request: &RenderRequest) -> Result<Vec<u8>, RenderError> {
    use prost::Message;
    Ok(Run::new(request)?.last_request.encode_to_vec())
}

/// The inputs read and checked, and the function run on them as Crossplane
/// would run it.
struct Run {
    composite: documents::Document,
    step: composition::FunctionStep,
    xrd: Option<documents::Document>,
    claim: Option<documents::Document>,
    connection_secrets: Vec<objects::Object>,
    last_request: RunFunctionRequest,
    response: RunFunctionResponse,
    /// `Err` when the function's requirements never settled.
    settled: Result<(), Diagnostic>,
}

impl Run {
    fn new(request: &RenderRequest) -> Result<Self, RenderError> {
        let missing = |what: &str| RenderError { file: None, line: None, message: format!("no {what} file given") };
        let composite_file = request.composite.as_ref().ok_or_else(|| missing("XR"))?;
        let composition_file = request.composition.as_ref().ok_or_else(|| missing("Composition"))?;
        let mut composite = documents::single(composite_file, "XR")?;
        let composition = composition_of(composition_file, &composite)?;
        for field in ["apiVersion", "kind"] {
            if !composite.value.get(field).is_some_and(Value::is_string) {
                return Err(RenderError::in_file(&composite.file, format!("the XR has no {field}")));
            }
        }
        let function_name =
            if request.function_name.is_empty() { DEFAULT_FUNCTION_NAME } else { request.function_name.as_str() };
        let step = composition::function_step(&composition, function_name)?;
        if !request.functions.is_empty() {
            functions::check(&documents::all(&request.functions)?, function_name, step.step.as_deref())?;
        }
        publish::configure_composite(&mut composite, step.secrets_namespace.as_deref())?;
        let secrets = documents::all(&request.secrets)?;
        let observed = observed::observed(&documents::all(&request.observed_resources)?, &secrets)?;
        let required: Vec<documents::Document> =
            documents::all(&request.required_resources)?.iter().map(observed::as_stored).collect::<Result<_, _>>()?;
        let xrd = request
            .xrd
            .as_ref()
            .map(|file| documents::single_of_kind(file, "CompositeResourceDefinition"))
            .transpose()?;
        let claim = request.claim.as_ref().map(|file| documents::single(file, "claim")).transpose()?;

        let first_request = RunFunctionRequest {
            meta: Some(RequestMeta { tag: String::new(), capabilities: capabilities(&composite.value) }),
            observed: Some(State {
                composite: Some(Resource { resource: Some(composite.to_struct()), ..Default::default() }),
                resources: observed.resources,
            }),
            input: step.input.as_ref().and_then(Value::as_object).map(json_to_struct),
            context: initial_context(&request.context)?,
            ..Default::default()
        };
        let mut last_request = first_request.clone();
        let (response, settled) = run_with_requirements(first_request, &required, |request| {
            last_request = request.clone();
            respond(request)
        });
        Ok(Self {
            composite,
            step,
            xrd,
            claim,
            connection_secrets: observed.connection_secrets,
            last_request,
            response,
            settled,
        })
    }
}

/// The Composition, telling XR and Composition given the other way round
/// apart from a wrong file.
fn composition_of(file: &File, composite: &documents::Document) -> Result<documents::Document, RenderError> {
    documents::single_of_kind(file, "Composition").map_err(|error| {
        let xr_is_a_composition = composite.value.get("kind").and_then(Value::as_str) == Some("Composition");
        if !xr_is_a_composition {
            return error;
        }
        RenderError::in_file(
            &composite.file,
            format!(
                "is the Composition, given where the XR goes, and {} is not a Composition: the XR comes first, \
                 then the Composition (render XR COMPOSITION)",
                file.name
            ),
        )
    })
}

/// The context the pipeline starts with; none when no entry is given.
fn initial_context(entries: &[ContextEntry]) -> Result<Option<prost_types::Struct>, RenderError> {
    if entries.is_empty() {
        return Ok(None);
    }
    let mut fields = serde_json::Map::new();
    for entry in entries {
        fields.insert(entry.key.clone(), documents::value(&entry.value)?);
    }
    Ok(Some(json_to_struct(&fields)))
}

/// One `Explanation` document per object the function writes keys to, in
/// the order of the objects: the combined secret's keys (for a legacy XR,
/// Crossplane's XR and claim secrets, after the XRD's allow-list), and each
/// fan-out object's.
fn explain_documents(
    explanation: &Explanation,
    published: &publish::Published,
    xrd: Option<&Value>,
) -> Vec<ExplanationReport> {
    let xrd_allowed = publish::xrd_allowed_keys(xrd);
    let legacy = key_accounts::apply_allow_list(&explanation.combined, &xrd_allowed, "the XRD's connectionSecretKeys");
    let mut documents: Vec<ExplanationReport> = published
        .objects
        .iter()
        .filter_map(|object| {
            let identity = (object.namespace.clone(), object.name.clone());
            let is_secret = object.kind() == "Secret";
            let keys = if is_secret && explanation.composed_secret.as_ref() == Some(&identity) {
                explanation.combined.as_slice()
            } else if is_secret && published.legacy_secrets.contains(&identity) {
                legacy.as_slice()
            } else {
                let fanned = explanation
                    .fan_out
                    .iter()
                    .find(|o| o.kind == object.kind() && o.namespace == object.namespace && o.name == object.name);
                fanned?.keys.as_slice()
            };
            Some(ExplanationReport {
                kind: object.kind().to_owned(),
                namespace: object.namespace.clone(),
                name: object.name.clone(),
                composed: true,
                keys: keys.to_vec(),
            })
        })
        .collect();
    // A combined Secret with no key yet is not composed; its keys are what
    // the user asks about most.
    if let Some((namespace, name)) = &explanation.composed_secret
        && !documents.iter().any(|document| document.namespace == *namespace && document.name == *name)
    {
        documents.push(ExplanationReport {
            kind: "Secret".to_owned(),
            namespace: namespace.clone(),
            name: name.clone(),
            composed: false,
            keys: explanation.combined.clone(),
        });
    }
    documents
}

/// What Crossplane v2 announces; Crossplane before v2 (and so legacy XRs
/// here) announces nothing, and functions fall back to older fields.
fn capabilities(composite: &Value) -> Vec<i32> {
    if !crate::composite::Composite::from_object(composite).modern {
        return Vec::new();
    }
    [
        Capability::Capabilities,
        Capability::RequiredResources,
        Capability::Credentials,
        Capability::Conditions,
        Capability::RequiredSchemas,
    ]
    .into_iter()
    .map(i32::from)
    .collect()
}

/// Calls the function, answering its requirements from `required` like
/// Crossplane: again and again while they change, at most
/// [`MAX_REQUIREMENT_ROUNDS`] times. `Err` says they never settled.
fn run_with_requirements(
    mut request: RunFunctionRequest,
    required: &[documents::Document],
    mut function: impl FnMut(&RunFunctionRequest) -> RunFunctionResponse,
) -> (RunFunctionResponse, Result<(), Diagnostic>) {
    let mut previous: Option<Requirements> = None;
    let mut response = RunFunctionResponse::default();
    for _ in 0..MAX_REQUIREMENT_ROUNDS {
        response = function(&request);
        let requirements = response.requirements.clone().unwrap_or_default();
        let asks_nothing = requirements.resources.is_empty() && requirements.extra_resources.is_empty();
        if asks_nothing || previous.as_ref() == Some(&requirements) {
            return (response, Ok(()));
        }
        request.required_resources = requirements::answer(&requirements.resources, required);
        request.extra_resources = requirements::answer(&requirements.extra_resources, required);
        previous = Some(requirements);
    }
    let unsettled = Diagnostic::fatal(
        Reason::RequirementsUnsettled,
        format!("the function's requirements were still changing after {MAX_REQUIREMENT_ROUNDS} calls"),
    );
    (response, Err(unsettled))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::v1::ResourceSelector;
    use crate::protocol::v1::resource_selector::Match;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn secret_document(name: &str) -> documents::Document {
        documents::Document {
            file: "required.yaml".to_owned(),
            index: 1,
            value: json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "default"}}),
            text: "".into(),
        }
    }

    fn asking_for(name: &str) -> Requirements {
        let selector = ResourceSelector {
            api_version: "v1".into(),
            kind: "Secret".into(),
            r#match: Some(Match::MatchName(name.into())),
            namespace: Some("default".into()),
        };
        Requirements { resources: BTreeMap::from([("pw".to_owned(), selector)]), ..Default::default() }
    }

    #[test]
    fn answers_requirements_until_they_settle() {
        let mut calls = Vec::new();
        let (_, settled) =
            run_with_requirements(RunFunctionRequest::default(), &[secret_document("admin")], |request| {
                calls.push(request.required_resources.get("pw").map_or(0, |found| found.items.len()));
                RunFunctionResponse { requirements: Some(asking_for("admin")), ..Default::default() }
            });
        assert_eq!(settled, Ok(()));
        assert_eq!(calls, [0, 1], "called once without, once with the answer, then settled");
    }

    #[test]
    fn requirements_that_keep_changing_are_fatal_after_five_rounds() {
        let mut round = 0;
        let (_, settled) = run_with_requirements(RunFunctionRequest::default(), &[], |_| {
            round += 1;
            RunFunctionResponse { requirements: Some(asking_for(&format!("s{round}"))), ..Default::default() }
        });
        assert_eq!(round, MAX_REQUIREMENT_ROUNDS);
        let error = settled.unwrap_err();
        assert_eq!(error.message, "the function's requirements were still changing after 5 calls");
    }

    #[test]
    fn a_function_without_requirements_is_called_once() {
        let mut calls = 0;
        let (_, settled) = run_with_requirements(RunFunctionRequest::default(), &[], |_| {
            calls += 1;
            RunFunctionResponse::default()
        });
        assert_eq!((calls, settled), (1, Ok(())));
    }
}
