//! RunFunctionRequest in, RunFunctionResponse out: the protocol around
//! [`plan`](crate::plan::plan).
//!
//! The response carries the request's desired state and context as the
//! request's bytes, so nothing an earlier pipeline step produced is lost or
//! even decoded; the plan's objects follow, and a reader merging the two
//! sees them written over it (see [`wire`]).

use std::collections::BTreeMap;

use prost::Message;
use prost_types::{Duration, Struct};
use serde_json::Value;

use crate::aggregate::{ObservedResource, ObservedResources};
use crate::diagnostics::{Diagnostic, Reason, Severity as DiagnosticSeverity};
use crate::explain::{self, Explanation};
use crate::fanout;
use crate::jsonwire;
use crate::keystatus::{self, CONDITION_TYPE, KeyStatus, Written};
use crate::names::KeyName;
use crate::output::{self, Destination};
use crate::plan::{self, Plan};
use crate::protocol::v1::resource_selector::Match;
use crate::protocol::v1::{
    Capability, Condition, Ready, Resource, ResourceSelector, ResponseMeta, Result as FunctionResult,
    RunFunctionRequest, RunFunctionResponse, Severity, State, Status, Target,
};
use crate::protocol::{LazyObject, json_to_struct, struct_to_json};
use crate::push;
use crate::readiness::{TTL_SECONDS, TTL_WAITING_SECONDS};
use crate::secret::SecretData;
use crate::secretref::{Fetched, SecretId, read_secret};
use crate::wire::{self, MalformedRequest, PassedDesired, RequestView, StateView};

/// Decodes a request, runs it, encodes the response. Only bytes that are not
/// a `RunFunctionRequest` fail; every other problem is a FATAL result.
pub fn run_function(request: &[u8]) -> Result<Vec<u8>, MalformedRequest> {
    let mut request = RequestView::decode(request)?;
    let passed = PassedDesired::read(std::mem::take(&mut request.desired))?;
    wire::check_context(&request.context)?;
    let input = input_json(&request)?;
    let response = respond_to(&request, input.as_ref(), &passed);
    Ok(wire::encode_response(&passed.chunks, &request.context, &response))
}

/// [`run_function`] for hosts that expect a response whatever they send
/// (function-wasm's guest ABI): bytes that are not a request get a FATAL
/// result saying what did not decode.
pub fn run_function_or_fatal(request: &[u8]) -> Vec<u8> {
    run_function(request).unwrap_or_else(|error| {
        fatal_response(Diagnostic::fatal(Reason::MalformedRequest, describe_malformed(&error))).encode_to_vec()
    })
}

/// Why bytes are not a request; names the field, never its contents.
pub fn describe_malformed(error: &MalformedRequest) -> String {
    format!("the request is not a protobuf RunFunctionRequest: {error}")
}

/// The step's input as JSON; `None` when the request carries none.
fn input_json(request: &RequestView) -> Result<Option<Value>, MalformedRequest> {
    if request.input.is_empty() {
        return Ok(None);
    }
    let object =
        jsonwire::decode_object(&request.input).map_err(|error| MalformedRequest::in_struct("input", &error))?;
    Ok(Some(Value::Object(object)))
}

/// What render explains about a request: every declared key's account.
/// `None` when there is nothing to explain, because the request has no
/// composite or its input is unusable (the response says why).
pub fn explain(request: &RunFunctionRequest) -> Option<Explanation> {
    let bytes = request.encode_to_vec();
    let view = RequestView::decode(bytes.as_slice()).ok()?;
    let input = input_json(&view).ok()?;
    let composite = LazyObject::from_chunks(&view.observed.as_ref()?.composite.as_ref()?.resource);
    let resources = view.observed.as_ref().map(observed_resources).unwrap_or_default();
    let fetch = |id: &SecretId| fetched_secret(&view, id);
    let gathered = plan::gather(input.as_ref(), composite.get(), &resources, &fetch).ok()?;
    let accounts = explain::account(&gathered.input, &resources, &gathered.existing, &gathered.aggregate);
    let fan_out = gathered.fan_out().unwrap_or_default();
    let earlier = PassedDesired::read(view.desired.clone()).ok()?.composite_details;
    Some(explain::explanation(&gathered.input, &accounts, &earlier, &gathered.destination, &fan_out))
}

/// [`run_function`] on typed messages, for `render`.
pub fn respond(request: &RunFunctionRequest) -> RunFunctionResponse {
    run_function(&request.encode_to_vec())
        .and_then(|response| Ok(RunFunctionResponse::decode(response.as_slice())?))
        .unwrap_or_else(|error| {
            fatal_response(Diagnostic::fatal(
                Reason::FunctionFailed,
                format!("the function's messages did not decode: {error}"),
            ))
        })
}

fn fatal_response(fatal: Diagnostic) -> RunFunctionResponse {
    RunFunctionResponse { results: vec![to_result(&fatal, Target::Composite)], ..Default::default() }
}

/// The response, but for the desired state and context that the request
/// passes on: its desired state holds what this step adds.
/// `passed` is what earlier steps desired: the XR's connection details they
/// set and the resources they composed.
fn respond_to(request: &RequestView, input: Option<&Value>, passed: &PassedDesired) -> RunFunctionResponse {
    let mut response = RunFunctionResponse {
        meta: Some(ResponseMeta {
            tag: request.meta.as_ref().map(|meta| meta.tag.clone()).unwrap_or_default(),
            ttl: Some(seconds(TTL_SECONDS)),
        }),
        desired: Some(State::default()),
        ..Default::default()
    };
    let observed = request.observed.as_ref();
    let composite = observed
        .and_then(|state| state.composite.as_ref())
        .map(|composite| LazyObject::from_chunks(&composite.resource))
        .filter(LazyObject::is_present);
    let Some(composite) = composite else {
        let missing = Diagnostic::fatal(Reason::MissingComposite, "the request has no observed composite resource");
        response.results.push(to_result(&missing, Target::Composite));
        return response;
    };
    let resources = observed.map(observed_resources).unwrap_or_default();
    let fetch = |id: &SecretId| fetched_secret(request, id);
    match plan::plan(input, composite.get(), &resources, &passed.composite_details, &passed.resources, &fetch) {
        Ok(plan) => apply(plan, request, &passed.composite_details, &mut response),
        Err(fatal) => response.results.push(to_result(&fatal, Target::Composite)),
    }
    response
}

fn observed_resources(state: &StateView) -> ObservedResources<'_> {
    state
        .resources
        .iter()
        .map(|(name, resource)| {
            let observed = ObservedResource {
                object: LazyObject::from_chunks(&resource.resource),
                connection_details: SecretData::borrowed(&resource.connection_details),
            };
            (name.as_str(), observed)
        })
        .collect()
}

/// What Crossplane answered for a Secret: under its requirement key in
/// `required_resources`, or in the deprecated `extra_resources` when it
/// predates the REQUIRED_RESOURCES capability. Both are read.
fn fetched_secret(request: &RequestView, id: &SecretId) -> Fetched {
    let key = id.requirement_key();
    let Some(answer) = request.required_resources.get(&key).or_else(|| request.extra_resources.get(&key)) else {
        return Fetched::NotYet;
    };
    match answer.items.first().and_then(|item| item.resource.as_ref()) {
        Some(secret) => read_secret(&struct_to_json(secret)),
        None => Fetched::Missing,
    }
}

fn apply(
    plan: Plan,
    request: &RequestView,
    earlier_details: &BTreeMap<String, Vec<u8>>,
    response: &mut RunFunctionResponse,
) {
    let waiting = plan.readiness.as_ref().is_some_and(|readiness| !readiness.is_ready());
    ask_for_secrets(&plan.requirements, request, response);
    let desired = response.desired.get_or_insert_default();
    let missing: Vec<&KeyName> = plan.readiness.iter().flat_map(|readiness| &readiness.missing).collect();
    compose_fan_out(&plan.fan_out, &missing, desired);
    compose_pushes(&plan.pushes, desired);
    let written = match &plan.destination {
        Destination::Composite => write_to_composite(&plan, earlier_details, desired, waiting),
        Destination::Secret(secret) => write_connection_secret(&plan, secret, desired, waiting),
    };
    for diagnostic in plan.diagnostics.iter().chain(&keystatus::warnings(&plan.unproduced)) {
        response.results.push(to_result(diagnostic, Target::Composite));
    }
    let (written, fatal) = match written {
        Ok(()) => (plan.written.clone(), false),
        Err(fatal) => {
            let why = format!("the keys are not written: {}", fatal.message);
            response.results.push(to_result(&fatal, Target::Composite));
            (Written::Not { reason: fatal.reason, why }, true)
        }
    };
    let status = keystatus::status(plan.declared, &plan.unproduced, plan.readiness.as_ref(), &written);
    // A FATAL result already says why, where only results are understood.
    report_status(&status, plan.readiness.is_some() && !fatal, !fatal, request, response);
    if waiting && let Some(meta) = response.meta.as_mut() {
        meta.ttl = Some(seconds(TTL_WAITING_SECONDS));
    }
}

/// Requirements are answered per call, so every response repeats them.
fn ask_for_secrets(ids: &[SecretId], request: &RequestView, response: &mut RunFunctionResponse) {
    if ids.is_empty() {
        return;
    }
    let selectors = ids.iter().map(|id| {
        let selector = ResourceSelector {
            api_version: "v1".to_owned(),
            kind: "Secret".to_owned(),
            r#match: Some(Match::MatchName(id.name.to_string())),
            namespace: Some(id.namespace.to_string()),
        };
        (id.requirement_key(), selector)
    });
    let requirements = response.requirements.get_or_insert_default();
    if has_capability(request, Capability::RequiredResources) {
        requirements.resources.extend(selectors);
    } else {
        requirements.extra_resources.extend(selectors);
    }
}

/// Each fan-out object, Ready unless it copies a required key that is
/// missing: a Secret has no status of its own to wait for. A Secret that
/// still lacks a key its type requires is not composed yet.
fn compose_fan_out(destinations: &[fanout::Destination], missing: &[&KeyName], desired: &mut State) {
    for destination in destinations.iter().filter(|destination| destination.held_back_for().is_empty()) {
        let holds_missing = destination.sources().iter().any(|source| missing.contains(source));
        let ready = if holds_missing { Ready::False } else { Ready::True };
        let resource = Resource {
            resource: Some(json_to_struct(&destination.to_object())),
            ready: ready.into(),
            ..Default::default()
        };
        desired.resources.insert(destination.resource_name(), resource);
    }
}

/// Each PushSecret, Ready as External Secrets last reported it.
fn compose_pushes(pushes: &[push::Push], desired: &mut State) {
    for push in pushes {
        let ready = if push.ready { Ready::True } else { Ready::False };
        let resource =
            Resource { resource: Some(json_to_struct(&push.to_object())), ready: ready.into(), ..Default::default() };
        desired.resources.insert(push.resource_name(), resource);
    }
}

/// Sets the keys over what earlier steps set (the reader merges the two),
/// and holds the XR unready while required keys are missing.
fn write_to_composite(
    plan: &Plan,
    earlier_details: &BTreeMap<String, Vec<u8>>,
    desired: &mut State,
    waiting: bool,
) -> Result<(), Diagnostic> {
    let kept = earlier_details.iter().filter(|(key, _)| !plan.keys.contains_key(key.as_str()));
    let ours = plan.keys.iter().map(|(key, value)| (key.as_str(), value.len()));
    let size = output::data_size(kept.map(|(key, value)| (key.as_str(), value.len())).chain(ours));
    output::check_size("the composite's connection secret", size)
        .map_err(|message| Diagnostic::fatal(Reason::SecretTooLarge, message))?;
    let composite = desired.composite.get_or_insert_with(empty_resource);
    composite.connection_details =
        plan.keys.iter().map(|(key, value)| (key.to_string(), value.expose().to_vec())).collect();
    if waiting {
        composite.ready = Ready::False.into();
    }
    Ok(())
}

/// Composes the connection Secret, Ready only once no required key is
/// missing. With no keys yet nothing is composed, so the XR itself is held
/// unready instead while keys are required.
fn write_connection_secret(
    plan: &Plan,
    secret: &output::ComposedSecret,
    desired: &mut State,
    waiting: bool,
) -> Result<(), Diagnostic> {
    if plan.keys.is_empty() {
        if waiting {
            desired.composite.get_or_insert_with(empty_resource).ready = Ready::False.into();
        }
        return Ok(());
    }
    let size = output::data_size(plan.keys.iter().map(|(key, value)| (key.as_str(), value.len())));
    output::check_size(&format!("Secret {}", secret.location), size)
        .map_err(|message| Diagnostic::fatal(Reason::SecretTooLarge, message))?;
    let object = output::connection_secret(secret, &plan.keys);
    let ready = if waiting { Ready::False } else { Ready::True };
    desired.resources.insert(
        secret.resource.clone(),
        Resource { resource: Some(json_to_struct(&object)), ready: ready.into(), ..Default::default() },
    );
    Ok(())
}

/// The condition where Crossplane understands conditions, else a NORMAL
/// result with the same text, on the composite and its claim. Results
/// become events at every reconcile, so without conditions only a missing
/// key, or readiness the input asks for, is reported that way.
fn report_status(
    status: &KeyStatus,
    holds_readiness: bool,
    as_result: bool,
    request: &RequestView,
    response: &mut RunFunctionResponse,
) {
    if has_capability(request, Capability::Conditions) {
        response.conditions.push(Condition {
            r#type: CONDITION_TYPE.to_owned(),
            status: if status.written { Status::ConditionTrue } else { Status::ConditionFalse }.into(),
            reason: status.reason.as_str().to_owned(),
            message: Some(status.message.clone()),
            target: Some(Target::CompositeAndClaim.into()),
        });
    } else if as_result && (!status.written || holds_readiness) {
        let result = Diagnostic::normal(status.reason, status.message.clone());
        response.results.push(to_result(&result, Target::CompositeAndClaim));
    }
}

fn has_capability(request: &RequestView, capability: Capability) -> bool {
    request.meta.as_ref().is_some_and(|meta| meta.capabilities.contains(&capability.into()))
}

pub(crate) fn to_result(diagnostic: &Diagnostic, target: Target) -> FunctionResult {
    let severity = match diagnostic.severity {
        DiagnosticSeverity::Fatal => Severity::Fatal,
        DiagnosticSeverity::Warning => Severity::Warning,
        DiagnosticSeverity::Normal => Severity::Normal,
    };
    FunctionResult {
        severity: severity.into(),
        message: diagnostic.message.clone(),
        reason: Some(diagnostic.reason.as_str().to_owned()),
        target: Some(target.into()),
    }
}

fn empty_resource() -> Resource {
    Resource { resource: Some(Struct::default()), ..Default::default() }
}

fn seconds(seconds: i64) -> Duration {
    Duration { seconds, nanos: 0 }
}
