//! One request's decisions, before any protocol type is touched: which keys
//! the combined secret holds, where it goes, whether readiness is held, and
//! what to tell the user.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::aggregate::{self, ObservedResources};
use crate::allowlist;
use crate::composite::Composite;
use crate::diagnostics::Diagnostic;
use crate::input::{self, API_VERSION, KIND};
use crate::names::KeyName;
use crate::output::{self, Destination};
use crate::readiness::{self, Readiness};
use crate::secret::SecretBytes;

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub destination: Destination,
    /// The combined secret: produced keys that the allow-list keeps.
    pub keys: BTreeMap<KeyName, SecretBytes>,
    pub readiness: Option<Readiness>,
    /// Warnings about the input; never FATAL (those end planning).
    pub diagnostics: Vec<Diagnostic>,
}

/// Plans a request from its raw input and observed state. `Err` is the one
/// FATAL result the request gets.
pub fn plan(input: Option<&Value>, composite: &Value, resources: &ObservedResources) -> Result<Plan, Diagnostic> {
    let input = input.ok_or_else(|| {
        Diagnostic::fatal(
            "MissingInput",
            format!("the pipeline step gives no input; add one of apiVersion {API_VERSION}, kind {KIND}"),
        )
    })?;
    let input = input::parse(input).map_err(|errors| Diagnostic::fatal("InvalidInput", errors.to_string()))?;
    let composite = Composite::from_object(composite);
    let destination =
        output::destination(&input, &composite).map_err(|message| Diagnostic::fatal("InvalidInput", message))?;
    let aggregate = aggregate::aggregate(&input, resources);
    let mut diagnostics = aggregate::conflicts(&input);
    diagnostics.extend(allowlist::unproducible_keys(&input));
    Ok(Plan {
        destination,
        keys: allowlist::apply(&input.connection_secret_keys, &aggregate.produced),
        readiness: readiness::evaluate(&input, &aggregate.produced),
        diagnostics,
    })
}
