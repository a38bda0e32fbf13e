//! What render reports beside the objects — results, conditions, readiness
//! and each object's key accounts — typed until written as
//! `render.crossplane.io/v1beta1` documents.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::explain::{KeyAccount, KeyState};
use crate::protocol::v1::{Condition, Ready, Result as FunctionResult, RunFunctionResponse, Severity, Status};

pub const RENDER_API_VERSION: &str = "render.crossplane.io/v1beta1";

/// A result of the function (with its step) or of render itself (without).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultReport {
    pub step: Option<String>,
    pub severity: Severity,
    pub reason: Option<String>,
    pub message: String,
}

impl ResultReport {
    pub fn new(step: Option<&str>, result: &FunctionResult) -> Self {
        Self {
            step: step.map(str::to_owned),
            severity: result.severity(),
            reason: result.reason.clone(),
            message: result.message.clone(),
        }
    }

    /// `WARNING`, as tables show it.
    pub fn severity_word(&self) -> &'static str {
        self.severity.as_str_name().trim_start_matches("SEVERITY_")
    }

    fn to_json(&self) -> Map<String, Value> {
        let mut document = header("Result");
        if let Some(step) = &self.step {
            document.insert("step".to_owned(), json!(step));
        }
        document.insert("severity".to_owned(), json!(self.severity.as_str_name()));
        if let Some(reason) = &self.reason {
            document.insert("reason".to_owned(), json!(reason));
        }
        document.insert("message".to_owned(), json!(self.message));
        document
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionReport {
    pub condition_type: String,
    /// `True`, `False` or `Unknown`.
    pub status: &'static str,
    pub reason: String,
    pub message: Option<String>,
}

impl ConditionReport {
    pub fn new(condition: &Condition) -> Self {
        let status = match condition.status() {
            Status::ConditionTrue => "True",
            Status::ConditionFalse => "False",
            Status::ConditionUnknown | Status::ConditionUnspecified => "Unknown",
        };
        Self {
            condition_type: condition.r#type.clone(),
            status,
            reason: condition.reason.clone(),
            message: condition.message.clone(),
        }
    }

    fn to_json(&self) -> Map<String, Value> {
        let mut document = header("Condition");
        document.insert("type".to_owned(), json!(self.condition_type));
        document.insert("status".to_owned(), json!(self.status));
        document.insert("reason".to_owned(), json!(self.reason));
        if let Some(message) = &self.message {
            document.insert("message".to_owned(), json!(message));
        }
        document
    }
}

/// What the pipeline sets for the XR's and each composed resource's
/// readiness, and when Crossplane calls again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadinessReport {
    pub composite: &'static str,
    pub composed: BTreeMap<String, &'static str>,
    pub ttl: Option<String>,
}

impl ReadinessReport {
    pub fn new(response: &RunFunctionResponse) -> Self {
        let word = |value: Ready| match value {
            Ready::True => "True",
            Ready::False => "False",
            Ready::Unspecified => "Unspecified",
        };
        let desired = response.desired.clone().unwrap_or_default();
        Self {
            composite: word(desired.composite.map_or(Ready::Unspecified, |composite| composite.ready())),
            composed: desired.resources.iter().map(|(name, resource)| (name.clone(), word(resource.ready()))).collect(),
            ttl: response.meta.as_ref().and_then(|meta| meta.ttl).map(|ttl| format!("{}s", ttl.seconds)),
        }
    }

    fn to_json(&self) -> Map<String, Value> {
        let mut document = header("Readiness");
        document.insert("composite".to_owned(), json!(self.composite));
        document.insert("composedResources".to_owned(), json!(self.composed));
        if let Some(ttl) = &self.ttl {
            document.insert("ttl".to_owned(), json!(ttl));
        }
        document
    }
}

/// One written object's keys: where each came from, or why it is missing
/// or dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplanationReport {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// `false` for a combined Secret not composed yet, for want of keys.
    pub composed: bool,
    pub keys: Vec<KeyAccount>,
}

impl ExplanationReport {
    fn to_json(&self) -> Map<String, Value> {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .map(|account| {
                let mut key = Map::from_iter([
                    ("key".to_owned(), json!(account.key.as_str())),
                    ("status".to_owned(), json!(account.state.name())),
                    ("source".to_owned(), json!(account.source)),
                ]);
                match &account.state {
                    KeyState::Present { bytes } => key.insert("bytes".to_owned(), json!(bytes)),
                    other => key.insert("reason".to_owned(), json!(other.reason())),
                };
                Value::Object(key)
            })
            .collect();
        let mut document = header("Explanation");
        document
            .insert("object".to_owned(), json!({"kind": self.kind, "namespace": self.namespace, "name": self.name}));
        document.insert("keys".to_owned(), Value::Array(keys));
        if !self.composed {
            document.insert("composed".to_owned(), json!(false));
        }
        document
    }
}

/// Everything render reports, in output order after the objects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub explanations: Vec<ExplanationReport>,
    pub results: Vec<ResultReport>,
    pub conditions: Vec<ConditionReport>,
    pub readiness: Option<ReadinessReport>,
    /// The context the function returned, when asked for (`crossplane
    /// render --include-context`).
    pub context: Option<Value>,
}

impl Report {
    pub fn documents(&self) -> impl Iterator<Item = Map<String, Value>> + '_ {
        let explanations = self.explanations.iter().map(ExplanationReport::to_json);
        let results = self.results.iter().map(ResultReport::to_json);
        let conditions = self.conditions.iter().map(ConditionReport::to_json);
        let readiness = self.readiness.iter().map(ReadinessReport::to_json);
        let context = self.context.iter().map(|fields| {
            let mut document = header("Context");
            document.insert("fields".to_owned(), fields.clone());
            document
        });
        explanations.chain(results).chain(conditions).chain(readiness).chain(context)
    }
}

fn header(kind: &str) -> Map<String, Value> {
    Map::from_iter([("apiVersion".to_owned(), json!(RENDER_API_VERSION)), ("kind".to_owned(), json!(kind))])
}
