//! Finds this function's input in a Composition: the input of its pipeline
//! step, or, for a legacy `spec.resources` Composition, an input built from
//! the resources' `connectionDetails`.

use serde_json::{Value, json};

use super::documents::{Document, RenderError};
use crate::input::{API_VERSION, KIND};

/// What the Composition tells the function and the publishing step.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionStep {
    /// The pipeline step's name; `None` for a legacy Composition.
    pub step: Option<String>,
    pub input: Option<Value>,
    /// `spec.writeConnectionSecretsToNamespace`.
    pub secrets_namespace: Option<String>,
}

/// The step of `composition` (a document already checked to be a
/// Composition) that runs `function_name`.
pub fn function_step(composition: &Document, function_name: &str) -> Result<FunctionStep, RenderError> {
    let value = &composition.value;
    let spec = value.get("spec").cloned().unwrap_or_default();
    check_mode(composition, spec.get("mode"))?;
    let secrets_namespace = spec.get("writeConnectionSecretsToNamespace").and_then(Value::as_str).map(str::to_owned);
    let step = if let Some(pipeline) = spec.get("pipeline") {
        pipeline_step(composition, pipeline, function_name)?
    } else if let Some(resources) = spec.get("resources") {
        legacy_input(composition, resources, secrets_namespace.as_deref())?
    } else {
        return Err(RenderError::in_file(
            &composition.file,
            "has neither spec.pipeline nor spec.resources, so there is no function input to render",
        ));
    };
    Ok(FunctionStep { secrets_namespace, ..step })
}

/// Crossplane's Composition CRD allows these modes, spelled exactly so.
const MODES: [&str; 2] = ["Pipeline", "Resources"];

fn check_mode(composition: &Document, mode: Option<&Value>) -> Result<(), RenderError> {
    let Some(mode) = mode else { return Ok(()) };
    let found = mode.as_str().map_or_else(|| mode.to_string(), |text| format!("{text:?}"));
    if mode.as_str().is_some_and(|text| MODES.contains(&text)) {
        return Ok(());
    }
    let hint = mode
        .as_str()
        .and_then(|text| MODES.iter().find(|allowed| allowed.eq_ignore_ascii_case(text)))
        .map(|allowed| format!("; did you mean {allowed:?}? Crossplane refuses any other spelling"))
        .unwrap_or_default();
    Err(RenderError::in_file(&composition.file, format!("spec.mode: must be Pipeline or Resources, not {found}{hint}")))
}

fn pipeline_step(composition: &Document, pipeline: &Value, function_name: &str) -> Result<FunctionStep, RenderError> {
    let steps = pipeline.as_array().map(Vec::as_slice).unwrap_or_default();
    let function_of = |step: &Value| step.pointer("/functionRef/name").and_then(Value::as_str).map(str::to_owned);
    let ours: Vec<&Value> = steps.iter().filter(|step| function_of(step).as_deref() == Some(function_name)).collect();
    match ours.as_slice() {
        [step] => Ok(FunctionStep {
            step: step.get("step").and_then(Value::as_str).map(str::to_owned),
            input: step.get("input").cloned(),
            secrets_namespace: None,
        }),
        [] => {
            let used: Vec<String> = steps.iter().filter_map(function_of).collect();
            Err(RenderError::in_file(
                &composition.file,
                format!(
                    "no pipeline step uses function {function_name:?} (the steps use: {}); \
                     name the function with --function-name",
                    if used.is_empty() { "none".to_owned() } else { used.join(", ") }
                ),
            ))
        }
        several => Err(RenderError::in_file(
            &composition.file,
            format!("{} pipeline steps use function {function_name:?}; render runs exactly one", several.len()),
        )),
    }
}

/// A legacy Composition's `resources[].connectionDetails` have the shape of
/// the function input's, so they carry over entry for entry: input errors
/// then point at the same indexes as in the Composition.
fn legacy_input(
    composition: &Document,
    resources: &Value,
    secrets_namespace: Option<&str>,
) -> Result<FunctionStep, RenderError> {
    let resources = resources.as_array().map(Vec::as_slice).unwrap_or_default();
    let mut entries = Vec::with_capacity(resources.len());
    for (index, resource) in resources.iter().enumerate() {
        let Some(name) = resource.get("name").and_then(Value::as_str) else {
            return Err(RenderError::in_file(
                &composition.file,
                format!("spec.resources[{index}] has no name; render matches observed resources by name"),
            ));
        };
        let details = resource.get("connectionDetails").cloned().unwrap_or_else(|| json!([]));
        entries.push(json!({"name": name, "connectionDetails": details}));
    }
    let mut input = json!({"apiVersion": API_VERSION, "kind": KIND, "mode": "Composite", "resources": entries});
    if let Some(namespace) = secrets_namespace {
        input["writeConnectionSecretsToNamespace"] = json!(namespace);
    }
    Ok(FunctionStep { step: None, input: Some(input), secrets_namespace: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn composition(spec: Value) -> Document {
        Document {
            file: "composition.yaml".to_owned(),
            index: 1,
            value: json!({"apiVersion": "apiextensions.crossplane.io/v1", "kind": "Composition", "spec": spec}),
            text: "".into(),
        }
    }

    #[test]
    fn finds_the_step_of_the_named_function() {
        let step = function_step(
            &composition(json!({"mode": "Pipeline", "writeConnectionSecretsToNamespace": "ns", "pipeline": [
                {"step": "patch", "functionRef": {"name": "function-patch-and-transform"}},
                {"step": "connection", "functionRef": {"name": "function-connection-details"}, "input": {"a": 1}},
            ]})),
            "function-connection-details",
        )
        .unwrap();
        assert_eq!(step.step.as_deref(), Some("connection"));
        assert_eq!(step.input, Some(json!({"a": 1})));
        assert_eq!(step.secrets_namespace.as_deref(), Some("ns"));
    }

    #[test]
    fn a_mode_in_the_wrong_case_is_refused_with_the_right_one() {
        let error = function_step(&composition(json!({"mode": "pipeline", "pipeline": []})), "f").unwrap_err();
        assert_eq!(
            error.to_string(),
            "composition.yaml: spec.mode: must be Pipeline or Resources, not \"pipeline\"; did you mean \"Pipeline\"? \
             Crossplane refuses any other spelling"
        );
    }

    #[test]
    fn a_pipeline_without_the_function_names_what_it_has() {
        let error = function_step(
            &composition(json!({"pipeline": [{"step": "p", "functionRef": {"name": "function-patch-and-transform"}}]})),
            "function-connection-details",
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "composition.yaml: no pipeline step uses function \"function-connection-details\" \
             (the steps use: function-patch-and-transform); name the function with --function-name"
        );
    }

    #[test]
    fn legacy_resources_become_an_input_in_composite_mode() {
        let step = function_step(
            &composition(json!({"writeConnectionSecretsToNamespace": "other-namespace", "resources": [
                {"name": "key", "base": {}, "connectionDetails": [{"fromConnectionSecretKey": "username"}]},
                {"name": "user", "base": {}},
            ]})),
            "ignored",
        )
        .unwrap();
        assert_eq!(step.step, None);
        assert_eq!(
            step.input.unwrap(),
            json!({
                "apiVersion": API_VERSION, "kind": KIND, "mode": "Composite",
                "writeConnectionSecretsToNamespace": "other-namespace",
                "resources": [
                    {"name": "key", "connectionDetails": [{"fromConnectionSecretKey": "username"}]},
                    {"name": "user", "connectionDetails": []},
                ],
            })
        );
    }
}
