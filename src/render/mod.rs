//! `render`: an XR, its Composition and the observed world (as YAML texts)
//! to the Secrets and ConfigMaps the function would leave in the cluster.
//!
//! Everything from parsing the files to formatting the output happens here,
//! inside the component, so the CLI and the browser playground render with
//! the same code; the host only reads files and writes the result.

pub mod documents;
pub mod format;

mod composition;
mod objects;
mod observed;
mod publish;
mod requirements;

use serde_json::{Map, Value, json};

use crate::diagnostics::{Diagnostic, Reason};
use crate::explain::{self as key_accounts, Explanation, KeyAccount};
use crate::function::{explain, respond, to_result};
use crate::protocol::json_to_struct;
use crate::protocol::v1::{
    Capability, Condition, Ready, RequestMeta, Requirements, Resource, RunFunctionRequest, RunFunctionResponse,
    Severity, State, Status, Target,
};
pub use documents::{File, RenderError};
pub use format::Format;

/// The function name `--function-name` defaults to.
pub const DEFAULT_FUNCTION_NAME: &str = "function-connection-details";
/// Crossplane calls a function at most this often per reconcile while its
/// requirements keep changing.
pub const MAX_REQUIREMENT_ROUNDS: usize = 5;
const RENDER_API_VERSION: &str = "render.crossplane.io/v1beta1";

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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub output: String,
    /// Whether any result is FATAL (the CLI exits 1).
    pub fatal: bool,
}

pub fn render(request: &RenderRequest, format: Format) -> Result<Rendered, RenderError> {
    let missing = |what: &str| RenderError { file: None, line: None, message: format!("no {what} file given") };
    let composite_file = request.composite.as_ref().ok_or_else(|| missing("XR"))?;
    let composition_file = request.composition.as_ref().ok_or_else(|| missing("Composition"))?;
    let mut composite = documents::single(composite_file, "XR")?;
    for field in ["apiVersion", "kind"] {
        if !composite.value.get(field).is_some_and(Value::is_string) {
            return Err(RenderError::in_file(&composite.file, format!("the XR has no {field}")));
        }
    }
    let composition = documents::single_of_kind(composition_file, "Composition")?;
    let function_name =
        if request.function_name.is_empty() { DEFAULT_FUNCTION_NAME } else { request.function_name.as_str() };
    let step = composition::function_step(&composition, function_name)?;
    publish::configure_composite(&mut composite, step.secrets_namespace.as_deref())?;
    let secrets = documents::all(&request.secrets)?;
    let observed = observed::observed(&documents::all(&request.observed_resources)?, &secrets)?;
    let required: Vec<documents::Document> =
        documents::all(&request.required_resources)?.iter().map(observed::as_stored).collect::<Result<_, _>>()?;
    let xrd =
        request.xrd.as_ref().map(|file| documents::single_of_kind(file, "CompositeResourceDefinition")).transpose()?;
    let claim = request.claim.as_ref().map(|file| documents::single(file, "claim")).transpose()?;

    let first_request = RunFunctionRequest {
        meta: Some(RequestMeta { tag: String::new(), capabilities: capabilities(&composite.value) }),
        observed: Some(State {
            composite: Some(Resource { resource: Some(composite.to_struct()), ..Default::default() }),
            resources: observed.resources,
        }),
        input: step.input.as_ref().and_then(Value::as_object).map(json_to_struct),
        ..Default::default()
    };
    let mut last_request = None;
    let (response, settled) = run_with_requirements(first_request, &required, |request| {
        last_request = Some(request.clone());
        respond(request)
    });
    let explanation = last_request.as_ref().and_then(explain);

    let published = publish::publish(
        &composite.value,
        claim.as_ref().map(|c| &c.value),
        xrd.as_ref().map(|x| &x.value),
        &response,
        observed.connection_secrets,
    );
    let mut results: Vec<Map<String, Value>> =
        response.results.iter().map(|r| result_document(step.step.as_deref(), r)).collect();
    let render_diagnostics = published.diagnostics.iter().chain(settled.as_ref().err());
    results.extend(render_diagnostics.map(render_result_document));
    let fatal =
        results.iter().any(|r| r.get("severity").and_then(Value::as_str) == Some(Severity::Fatal.as_str_name()));
    let explanations = explanation
        .map(|explanation| explain_documents(&explanation, &published, xrd.as_ref().map(|x| &x.value)))
        .unwrap_or_default();
    let output = format::Output {
        explanations,
        objects: published.objects,
        results,
        conditions: response.conditions.iter().map(condition_document).collect(),
        readiness: Some(readiness_document(&response)),
    };
    Ok(Rendered { output: format::format(&output, format)?, fatal })
}

/// One `Explanation` document per object the function writes keys to, in
/// the order of the objects: the combined secret's keys (for a legacy XR,
/// Crossplane's XR and claim secrets, after the XRD's allow-list), and each
/// fan-out object's.
fn explain_documents(
    explanation: &Explanation,
    published: &publish::Published,
    xrd: Option<&Value>,
) -> Vec<Map<String, Value>> {
    let xrd_allowed: Vec<&str> = xrd
        .and_then(|xrd| xrd.pointer("/spec/connectionSecretKeys"))
        .and_then(Value::as_array)
        .map(|keys| keys.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let legacy = key_accounts::apply_allow_list(&explanation.combined, &xrd_allowed, "the XRD's connectionSecretKeys");
    let mut documents: Vec<Map<String, Value>> = published
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
            Some(explanation_document(object.kind(), &object.namespace, &object.name, keys))
        })
        .collect();
    // A combined Secret with no key yet is not composed; its keys are what
    // the user asks about most.
    if let Some((namespace, name)) = &explanation.composed_secret {
        let rendered = |document: &Map<String, Value>| {
            document.get("object").is_some_and(|o| o["namespace"] == *namespace && o["name"] == *name)
        };
        if !documents.iter().any(rendered) {
            let mut document = explanation_document("Secret", namespace, name, &explanation.combined);
            document.insert("composed".to_owned(), json!(false));
            documents.push(document);
        }
    }
    documents
}

fn explanation_document(kind: &str, namespace: &str, name: &str, keys: &[KeyAccount]) -> Map<String, Value> {
    let keys: Vec<Value> = keys
        .iter()
        .map(|account| {
            let mut key = Map::from_iter([
                ("key".to_owned(), json!(account.key.as_str())),
                ("status".to_owned(), json!(account.state.name())),
                ("source".to_owned(), json!(account.source)),
            ]);
            match &account.state {
                key_accounts::KeyState::Present { bytes } => key.insert("bytes".to_owned(), json!(bytes)),
                other => key.insert("reason".to_owned(), json!(other.reason())),
            };
            Value::Object(key)
        })
        .collect();
    Map::from_iter([
        ("apiVersion".to_owned(), json!(RENDER_API_VERSION)),
        ("kind".to_owned(), json!("Explanation")),
        ("object".to_owned(), json!({"kind": kind, "namespace": namespace, "name": name})),
        ("keys".to_owned(), Value::Array(keys)),
    ])
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

fn result_document(step: Option<&str>, result: &crate::protocol::v1::Result) -> Map<String, Value> {
    let mut document =
        Map::from_iter([("apiVersion".to_owned(), json!(RENDER_API_VERSION)), ("kind".to_owned(), json!("Result"))]);
    if let Some(step) = step {
        document.insert("step".to_owned(), json!(step));
    }
    document.insert("severity".to_owned(), json!(result.severity().as_str_name()));
    if let Some(reason) = &result.reason {
        document.insert("reason".to_owned(), json!(reason));
    }
    document.insert("message".to_owned(), json!(result.message));
    document
}

/// Render's own findings, as results of no pipeline step.
fn render_result_document(diagnostic: &Diagnostic) -> Map<String, Value> {
    result_document(None, &to_result(diagnostic, Target::Composite))
}

/// What the pipeline says about readiness: whether it forces the XR's
/// readiness, each composed resource's, and when Crossplane calls again.
fn readiness_document(response: &RunFunctionResponse) -> Map<String, Value> {
    let ready = |value: Ready| match value {
        Ready::True => "True",
        Ready::False => "False",
        Ready::Unspecified => "Unspecified",
    };
    let desired = response.desired.clone().unwrap_or_default();
    let composite = desired.composite.map_or(Ready::Unspecified, |composite| composite.ready());
    let composed: Map<String, Value> =
        desired.resources.iter().map(|(name, resource)| (name.clone(), json!(ready(resource.ready())))).collect();
    let ttl = response.meta.as_ref().and_then(|meta| meta.ttl).map(|ttl| format!("{}s", ttl.seconds));
    let mut document = Map::from_iter([
        ("apiVersion".to_owned(), json!(RENDER_API_VERSION)),
        ("kind".to_owned(), json!("Readiness")),
        ("composite".to_owned(), json!(ready(composite))),
        ("composedResources".to_owned(), Value::Object(composed)),
    ]);
    if let Some(ttl) = ttl {
        document.insert("ttl".to_owned(), json!(ttl));
    }
    document
}

fn condition_document(condition: &Condition) -> Map<String, Value> {
    let status = match condition.status() {
        Status::ConditionTrue => "True",
        Status::ConditionFalse => "False",
        Status::ConditionUnknown | Status::ConditionUnspecified => "Unknown",
    };
    let mut document = Map::from_iter([
        ("apiVersion".to_owned(), json!(RENDER_API_VERSION)),
        ("kind".to_owned(), json!("Condition")),
        ("type".to_owned(), json!(condition.r#type)),
        ("status".to_owned(), json!(status)),
        ("reason".to_owned(), json!(condition.reason)),
    ]);
    if let Some(message) = &condition.message {
        document.insert("message".to_owned(), json!(message));
    }
    document
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::v1::ResourceSelector;
    use crate::protocol::v1::resource_selector::Match;
    use std::collections::BTreeMap;

    fn secret_document(name: &str) -> documents::Document {
        documents::Document {
            file: "required.yaml".to_owned(),
            index: 1,
            value: json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "default"}}),
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
