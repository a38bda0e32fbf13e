//! One request's decisions, before any protocol type is touched: which keys
//! the combined secret holds, where it goes, whether readiness is held, and
//! what to tell the user.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::aggregate::{self, Aggregate, ObservedResources};
use crate::allowlist;
use crate::collisions::{self, Composed, EarlierResources, Surroundings};
use crate::composite::Composite;
use crate::diagnostics::{Diagnostic, Reason};
use crate::earlier::{self, EarlierDetails};
use crate::explain::{self, KeyAccount};
use crate::fanout;
use crate::input::{self, API_VERSION, Input, KIND};
use crate::keystatus::Written;
use crate::names::KeyName;
use crate::names::Namespace;
use crate::output::{self, Destination};
use crate::patches;
use crate::push;
use crate::readiness::{self, Readiness};
use crate::secret::SecretBytes;
use crate::secretref::{ExistingSecrets, Fetched, SecretId};
use crate::sensitivity;

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub destination: Destination,
    /// The combined secret: produced keys that the allow-list keeps, over
    /// the keys of an earlier step's Secret it takes over.
    pub keys: BTreeMap<KeyName, SecretBytes>,
    pub readiness: Option<Readiness>,
    /// Secrets to ask Crossplane for, for `fromSecretKeyRef`.
    pub requirements: Vec<SecretId>,
    /// Fan-out Secrets and ConfigMaps.
    pub fan_out: Vec<fanout::Destination>,
    /// External Secrets PushSecrets.
    pub pushes: Vec<push::Push>,
    /// Warnings and notes; never FATAL (those end planning).
    pub diagnostics: Vec<Diagnostic>,
    /// How many distinct keys the input declares.
    pub declared: usize,
    /// The accounts of the declared keys not produced.
    pub unproduced: Vec<KeyAccount>,
    /// Where the combined keys go, or why they go nowhere.
    pub written: Written,
}

/// What every use of a request shares: the input read (its Secret ref
/// patched from the XR), the destination chosen, the referenced Secrets
/// looked up, and the keys gathered.
pub struct Gathered {
    pub input: Input,
    pub composite: Composite,
    pub destination: Destination,
    pub existing: ExistingSecrets,
    pub aggregate: Aggregate,
}

/// Gathers a request's keys from its raw input and observed state; `fetch`
/// tells what Crossplane answered for a Secret the input references. `Err`
/// is the one FATAL result the request gets.
pub fn gather(
    input: Option<&Value>,
    composite: &Value,
    resources: &ObservedResources<'_>,
    fetch: &dyn Fn(&SecretId) -> Fetched,
) -> Result<Gathered, Diagnostic> {
    let input = input.ok_or_else(|| {
        Diagnostic::fatal(
            Reason::MissingInput,
            format!("the pipeline step gives no input; add one of apiVersion {API_VERSION}, kind {KIND}"),
        )
    })?;
    let mut input =
        input::parse(input).map_err(|errors| Diagnostic::fatal(Reason::InvalidInput, errors.to_string()))?;
    if let Some(reference) = &input.write_connection_secret_to_ref {
        input.write_connection_secret_to_ref = Some(patches::apply(reference, composite).map_err(invalid_input)?);
    }
    let composite = Composite::from_object(composite);
    let destination = output::destination(&input, &composite).map_err(invalid_input)?;
    let composite_namespace = composite.namespace.as_deref().and_then(|ns| Namespace::new(ns).ok());
    let existing = ExistingSecrets::fetch(&input, composite_namespace, fetch)
        .map_err(|errors| invalid_input(errors.join("; ")))?;
    let aggregate = aggregate::aggregate(&input, resources, &existing);
    Ok(Gathered { input, composite, destination, existing, aggregate })
}

impl Gathered {
    /// The fan-out objects, in the combined secret's namespace unless an
    /// item names its own.
    pub fn fan_out(&self) -> Result<Vec<fanout::Destination>, Diagnostic> {
        let namespace = output::secret_location(&self.input, &self.composite).ok().map(|location| location.namespace);
        fanout::destinations(&self.input, &self.aggregate.produced, namespace.as_ref(), &self.composite)
    }
}

/// Plans a request: [`gather`], then the fan-out, the pushes, the
/// collisions with what `earlier` steps composed and what else exists,
/// readiness and what to tell the user.
pub fn plan(
    input: Option<&Value>,
    composite: &Value,
    resources: &ObservedResources<'_>,
    earlier_details: &EarlierDetails,
    earlier_resources: &EarlierResources,
    fetch: &dyn Fn(&SecretId) -> Fetched,
) -> Result<Plan, Diagnostic> {
    let gathered = gather(input, composite, resources, fetch)?;
    if !gathered.aggregate.failed.is_empty() {
        let failed = &gathered.aggregate.failed;
        let messages: Vec<String> = (gathered.input.derived.iter().enumerate())
            .filter_map(|(index, derived)| {
                let problem = failed.get(&derived.name)?;
                Some(format!("derived[{index}] {}: the template failed: {problem}", derived.name))
            })
            .collect();
        return Err(Diagnostic::fatal(Reason::TemplateFailed, messages.join("; ")));
    }
    let (routing_errors, routing_warnings) = sensitivity::check_config_maps(&gathered.input, resources);
    if !routing_errors.is_empty() {
        return Err(invalid_input(routing_errors.join("; ")));
    }
    let mut fan_out = gathered.fan_out()?;
    let Gathered { input, composite: xr, destination, existing, aggregate } = gathered;
    let pushes =
        push::pushes(&input, push::Xr { composite: &xr, object: composite }, &destination, &fan_out, resources)
            .map_err(invalid_input)?;
    let mut keys = allowlist::apply(&input.connection_secret_keys, &aggregate.produced);
    let mut diagnostics = routing_warnings;
    if let Destination::Secret(_) = &destination {
        diagnostics.extend(earlier::fold_into(&mut keys, earlier_details, &input.connection_secret_keys));
    }
    let composed = Composed { destination: &destination, keys: &mut keys, fan_out: &mut fan_out, pushes: &pushes };
    let around = Surroundings { composite: &xr, observed: resources, existing: &existing, earlier: earlier_resources };
    let taken_over = collisions::settle(&input, composed, &around)?;
    let (pushes, waiting_pushes) = push::with_their_secrets(pushes, &keys, &fan_out);
    diagnostics.extend(aggregate::conflicts(&input));
    diagnostics.extend(earlier::conflicts(&input, earlier_details));
    diagnostics.extend(unused_secret_settings(&input, &destination));
    diagnostics.extend(allowlist::unproducible_keys(&input, earlier_details));
    diagnostics.extend(existing.problems(&input));
    diagnostics.extend(taken_over.into_iter().chain(waiting_pushes));
    let written = written_to(&destination, &xr);
    if let Written::Not { reason, why } = &written {
        diagnostics.push(Diagnostic::warning(*reason, why.clone()));
    }
    let declared: BTreeSet<&KeyName> = input.declared_keys().map(|(key, _)| key).collect();
    Ok(Plan {
        declared: declared.len(),
        unproduced: explain::unproduced(&input, resources, &existing, &aggregate),
        written,
        destination,
        keys,
        readiness: readiness::evaluate(&input, &aggregate.produced),
        requirements: existing.ids().cloned().collect(),
        fan_out,
        pushes,
        diagnostics,
    })
}

/// Where the combined keys end up: a composed Secret, or the composite's
/// connection details, which Crossplane publishes for a legacy XR only.
fn written_to(destination: &Destination, composite: &Composite) -> Written {
    match destination {
        Destination::Secret(secret) => Written::To(format!("Secret {}", secret.location)),
        Destination::Composite if !composite.modern => Written::To("the composite's connection secret".to_owned()),
        Destination::Composite => Written::Not {
            reason: Reason::ConnectionDetailsIgnored,
            why: "the keys go to desired.composite.connectionDetails (mode Composite), which Crossplane ignores \
                  for a Crossplane v2 XR (it is namespaced or has spec.crossplane), so no Secret gets them; use \
                  mode Secret or Auto to compose one"
                .to_owned(),
        },
    }
}

/// In mode Composite Crossplane writes the XR's Secret itself, so what the
/// input says about the composed Secret cannot apply; say so rather than
/// drop it in silence.
fn unused_secret_settings(input: &input::Input, destination: &Destination) -> Vec<Diagnostic> {
    if *destination != Destination::Composite {
        return Vec::new();
    }
    let unused = [
        ("connectionSecretMetadata", !input.connection_secret_metadata.is_empty()),
        ("connectionSecretResourceName", input.connection_secret_resource_name.is_some()),
    ];
    unused
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(field, _)| {
            Diagnostic::warning(
                Reason::SettingNotApplied,
                format!(
                    "{field} is not applied: the connection details go to desired.composite (mode Composite, \
                     or Auto for a legacy XR), and Crossplane writes that Secret itself; use mode Secret to \
                     compose it"
                ),
            )
        })
        .collect()
}

pub(crate) fn invalid_input(message: String) -> Diagnostic {
    Diagnostic::fatal(Reason::InvalidInput, format!("invalid function input ({API_VERSION} {KIND}): {message}"))
}
