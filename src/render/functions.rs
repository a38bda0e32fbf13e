//! `crossplane render`'s FUNCTIONS argument: the Function objects a
//! pipeline runs. render runs this function itself, so it reads the file
//! only to check it lists the function of this step, as `crossplane render`
//! would need.

use serde_json::Value;

use super::documents::{Document, RenderError};
use crate::spelling;

/// The API group of Crossplane's package objects.
const PACKAGE_GROUP: &str = "pkg.crossplane.io/";

/// Every document is a Function, and one is named `function_name`.
pub fn check(functions: &[Document], function_name: &str, step: Option<&str>) -> Result<(), RenderError> {
    let Some(first) = functions.first() else {
        return Err(RenderError {
            file: None,
            line: None,
            message: "FUNCTIONS holds no document; it lists the Functions of the pipeline (pkg.crossplane.io Function)"
                .to_owned(),
        });
    };
    let mut names = Vec::with_capacity(functions.len());
    for document in functions {
        let kind = document.value.get("kind").and_then(Value::as_str);
        let api_version = document.value.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        if kind != Some("Function") || !api_version.starts_with(PACKAGE_GROUP) {
            return Err(RenderError::in_file(
                &document.file,
                format!(
                    "{} is not a Function ({PACKAGE_GROUP}v1 or v1beta1); FUNCTIONS lists the Functions of the \
                     pipeline",
                    document.describe()
                ),
            ));
        }
        names.extend(document.value.pointer("/metadata/name").and_then(Value::as_str));
    }
    if names.contains(&function_name) {
        return Ok(());
    }
    // Function names mostly start with "function-"; compare what follows.
    let tail = |name: &str| name.strip_prefix("function-").unwrap_or(name).to_owned();
    let tails: Vec<String> = names.iter().map(|name| tail(name)).collect();
    let hint = spelling::closest(&tail(function_name), tails.iter().map(String::as_str))
        .and_then(|close| names.iter().find(|name| tail(name) == close))
        .map(|close| format!("; did you mean {close:?}? Then give --function-name {close}"))
        .unwrap_or_default();
    let step = step.map(|step| format!(" (the functionRef of step {step})")).unwrap_or_default();
    Err(RenderError::in_file(
        &first.file,
        format!(
            "lists no Function named {function_name:?}{step}; it lists {}{hint}",
            if names.is_empty() { "none with a name".to_owned() } else { names.join(", ") }
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn function(name: &str) -> Document {
        Document {
            file: "functions.yaml".to_owned(),
            index: 1,
            value: json!({"apiVersion": "pkg.crossplane.io/v1beta1", "kind": "Function", "metadata": {"name": name}}),
            text: "".into(),
        }
    }

    #[test]
    fn the_step_s_function_must_be_listed() {
        let listed = [function("function-patch-and-transform"), function("function-connection-details")];
        assert_eq!(check(&listed, "function-connection-details", Some("c")), Ok(()));
        let error = check(&listed[..1], "function-connection-details", Some("c")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "functions.yaml: lists no Function named \"function-connection-details\" (the functionRef of step c); \
             it lists function-patch-and-transform",
            "no suggestion for a Function whose name shares only the prefix"
        );
        let close = check(&[function("function-connection-detail")], "function-connection-details", None);
        assert!(close.unwrap_err().message.ends_with(
            "did you mean \"function-connection-detail\"? Then give --function-name function-connection-detail"
        ));
    }

    #[test]
    fn every_document_must_be_a_function() {
        let mut provider = function("provider-aws");
        provider.value["kind"] = json!("Provider");
        let error = check(&[provider], "f", None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "functions.yaml: document 1 (Provider provider-aws) is not a Function \
             (pkg.crossplane.io/v1 or v1beta1); FUNCTIONS lists the Functions of the pipeline"
        );
    }
}
