//! Conformance with Crossplane and function-patch-and-transform (issue 20):
//! every case of their connection-detail tests that has a counterpart here,
//! run through the real component (and through `render` where publishing
//! is the point), each citing the repository, tag, file and case, and
//! expecting the outcome their test asserts. Where this function differs on
//! purpose the case expects our behaviour and says why; README.md lists
//! each difference ("Where this differs from Crossplane and P&T").
//!
//! Sources (the test files are the same throughout each release series):
//! - crossplane/crossplane v1.20.11: internal/controller/apiextensions/
//!   composite/{connection,api,composition_pt}_test.go and
//!   claim/connection_test.go
//! - crossplane-contrib/function-patch-and-transform v0.10.8:
//!   connection_test.go, validate_test.go, fn_test.go
//!
//! Cases without a counterpart, left out: those that mock an API server
//! error or a no-op apply (TestSecretConnectionDetailsFetcher/SecretGetFailed,
//! TestConnectionDetailsFetcherChain/FetcherError, TestPublishConnection/
//! ApplyError and SuccessfulNoOp, TestConfigure/UpdateFailed, TestPTCompose's
//! other error cases, TestPropagateConnection's GetManagedSecretError,
//! ManagedResourceDoesNotControlSecret, ApplyClaimSecretError and
//! SuccessfulNoOp), since the function reads no API server and render writes
//! to none; TestConfigure/NotCompatible, as render takes the Composition it
//! is given; P&T's TestValidateReadinessCheck and the TestRunFunction cases
//! about composed resources' patches, bases and environment, which this
//! function does not do.
//!
//! Some cases wait for a fix of issue 20 item 2 ([`Fix`]); each fix has an
//! ignored test below that runs its cases. Once the fix lands, remove its
//! variant: the compiler then points at every case to un-mark.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use function_connection_details::runtime::{self, File, OutputFormat, RenderRequest};
use serde_json::{Value, json};

use crate::harness::{RUNTIME, Request, input};

// ---- where each case comes from ---------------------------------------

#[derive(Debug, Clone, Copy)]
enum Project {
    Crossplane,
    PatchAndTransform,
}

impl Project {
    fn repository(self) -> &'static str {
        match self {
            Self::Crossplane => "crossplane/crossplane",
            Self::PatchAndTransform => "crossplane-contrib/function-patch-and-transform",
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Self::Crossplane => "v1.20.11",
            Self::PatchAndTransform => "v0.10.8",
        }
    }
}

const XP_CONNECTION: &str = "internal/controller/apiextensions/composite/connection_test.go";
const XP_API: &str = "internal/controller/apiextensions/composite/api_test.go";
const XP_PT: &str = "internal/controller/apiextensions/composite/composition_pt_test.go";
const XP_CLAIM: &str = "internal/controller/apiextensions/claim/connection_test.go";
const PT_CONNECTION: &str = "connection_test.go";
const PT_VALIDATE: &str = "validate_test.go";
const PT_FN: &str = "fn_test.go";

#[derive(Debug, Clone, Copy)]
struct Cite {
    project: Project,
    file: &'static str,
    test: &'static str,
    case: &'static str,
}

impl fmt::Display for Cite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { project, file, test, case } = self;
        write!(f, "{} {} {file} {test}/{case}", project.repository(), project.tag())
    }
}

fn xp(file: &'static str, test: &'static str, case: &'static str) -> Cite {
    Cite { project: Project::Crossplane, file, test, case }
}

fn pt(file: &'static str, test: &'static str, case: &'static str) -> Cite {
    Cite { project: Project::PatchAndTransform, file, test, case }
}

/// The fixes of issue 20 item 2 that cases wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fix {
    /// A v2 XR's Secret holds the keys earlier steps put in
    /// `desired.composite.connectionDetails`.
    EarlierStepsKeys,
    /// `writeConnectionSecretToRef.patches[].transforms`, as P&T applies them.
    RefPatchTransforms,
    /// Every problem of an input in its one FATAL result.
    EveryProblem,
    /// A claim gets a Secret only when its XR has a connection secret.
    ClaimNeedsXrSecret,
    /// A namespaced XR is a v2 XR, with or without `spec.crossplane`.
    NamespacedXrIsV2,
}

// ---- a case -------------------------------------------------------------

struct Case {
    cite: Cite,
    /// The outcome their test asserts, and how it shows here.
    asserts: &'static str,
    run: Run,
    expect: Vec<Expect>,
    waits_for: Option<Fix>,
}

fn case(cite: Cite, asserts: &'static str, run: Run, expect: Vec<Expect>) -> Case {
    Case { cite, asserts, run, expect, waits_for: None }
}

impl Case {
    fn waits_for(self, fix: Fix) -> Self {
        Self { waits_for: Some(fix), ..self }
    }
}

/// What a case runs through the real component.
enum Run {
    /// One `run-function` call.
    Function(Request),
    /// `render`, for what Crossplane publishes.
    Render(Files),
}

impl From<Request> for Run {
    fn from(request: Request) -> Self {
        Self::Function(request)
    }
}

impl From<Files> for Run {
    fn from(files: Files) -> Self {
        Self::Render(files)
    }
}

/// What came back, in the terms the cases speak.
#[derive(Debug, Default)]
struct Outcome {
    /// `desired.composite.connectionDetails` (function runs).
    composite: BTreeMap<String, Vec<u8>>,
    /// The Secrets composed (function runs) or published (render), by
    /// `namespace/name`.
    secrets: BTreeMap<String, Written>,
    /// `desired.resources`, by key (function runs).
    desired: BTreeMap<String, Value>,
    /// (severity without its prefix, message); render's refusal of its
    /// files shows as `UNUSABLE`.
    results: Vec<(String, String)>,
}

#[derive(Debug, Default)]
struct Written {
    /// Its key in `desired.resources`.
    resource: Option<String>,
    ready: bool,
    data: BTreeMap<String, Vec<u8>>,
}

impl Run {
    fn outcome(&self) -> Outcome {
        match self {
            Self::Function(request) => function_outcome(request),
            Self::Render(files) => files.outcome(),
        }
    }
}

fn function_outcome(request: &Request) -> Outcome {
    let response = request.run();
    let resources = response.0["desired"]["resources"].as_object().cloned().unwrap_or_default();
    let secrets = resources
        .iter()
        .filter(|(_, composed)| composed["resource"]["kind"] == "Secret")
        .map(|(key, composed)| {
            let object = &composed["resource"];
            let written = Written {
                resource: Some(key.clone()),
                ready: composed["ready"] == "READY_TRUE",
                data: response.secret_data(key),
            };
            (format!("{}/{}", text(&object["metadata"]["namespace"]), text(&object["metadata"]["name"])), written)
        })
        .collect();
    Outcome {
        composite: response.composite_details(),
        secrets,
        desired: resources.into_iter().map(|(key, composed)| (key, composed["resource"].clone())).collect(),
        results: response.results(),
    }
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

fn decode(data: &Value) -> BTreeMap<String, Vec<u8>> {
    let entries = data.as_object().into_iter().flatten();
    entries.map(|(key, value)| (key.clone(), BASE64.decode(text(value)).expect("data is base64"))).collect()
}

/// One expectation of a case.
enum Expect {
    /// `desired.composite.connectionDetails` holds exactly these.
    Composite(&'static [(&'static str, &'static str)]),
    /// This Secret (`namespace/name`) is written holding exactly these.
    Secret(&'static str, &'static [(&'static str, &'static str)]),
    /// The Secrets written are exactly these (`namespace/name`).
    Secrets(&'static [&'static str]),
    /// The Secret is composed under this key of `desired.resources`.
    KeyedAs(&'static str, &'static str),
    /// The composed Secret is Ready.
    Ready(&'static str),
    /// `desired.resources` holds this object under this key.
    Desired(&'static str, Value),
    /// Exactly one result, FATAL, naming each fragment.
    Fatal(&'static [&'static str]),
    /// A WARNING naming each fragment, and no FATAL.
    Warning(&'static [&'static str]),
    /// No error: no FATAL or WARNING result. (Where their test expects no
    /// error, this function may still give the NORMAL account of a missing
    /// key; see README, "Where this differs".)
    NoResults,
}

impl Expect {
    /// What is wrong with `outcome`, if anything.
    fn problem(&self, outcome: &Outcome) -> Option<String> {
        let fatal: Vec<&String> = outcome.results.iter().filter(|(s, _)| s == "FATAL").map(|(_, m)| m).collect();
        match self {
            Self::Composite(pairs) => {
                differs("desired.composite.connectionDetails", &expected_data(pairs), &outcome.composite)
            }
            Self::Secret(at, pairs) => match outcome.secrets.get(*at) {
                Some(written) => differs(&format!("Secret {at}"), &expected_data(pairs), &written.data),
                None => Some(format!("no Secret {at}; written: {:?}", outcome.secrets.keys().collect::<Vec<_>>())),
            },
            Self::Secrets(names) => {
                let written: Vec<&str> = outcome.secrets.keys().map(String::as_str).collect();
                let mut expected = names.to_vec();
                expected.sort_unstable();
                (written != expected).then(|| format!("Secrets written {written:?}, expected {expected:?}"))
            }
            Self::KeyedAs(at, key) => {
                let resource = outcome.secrets.get(*at).and_then(|written| written.resource.as_deref());
                (resource != Some(key)).then(|| format!("Secret {at} is keyed {resource:?}, expected {key:?}"))
            }
            Self::Ready(at) => {
                let ready = outcome.secrets.get(*at).is_some_and(|written| written.ready);
                (!ready).then(|| format!("Secret {at} is not composed Ready"))
            }
            Self::Desired(key, object) => (outcome.desired.get(*key) != Some(object))
                .then(|| format!("desired.resources[{key}] is {:?}, expected {object}", outcome.desired.get(*key))),
            Self::Fatal(fragments) => match (outcome.results.as_slice(), fatal.as_slice()) {
                ([_], [message]) => missing_fragments("the FATAL result", message, fragments),
                _ => Some(format!("expected exactly one result, FATAL; got {:?}", outcome.results)),
            },
            Self::Warning(fragments) => {
                let warnings = outcome.results.iter().filter(|(s, _)| s == "WARNING").map(|(_, m)| m);
                let naming = warnings.clone().find(|m| missing_fragments("", m, fragments).is_none());
                match (naming, fatal.is_empty()) {
                    (Some(_), true) => None,
                    _ => {
                        Some(format!("expected a WARNING naming {fragments:?} and no FATAL; got {:?}", outcome.results))
                    }
                }
            }
            Self::NoResults => {
                let errors: Vec<&(String, String)> =
                    outcome.results.iter().filter(|(severity, _)| severity != "NORMAL").collect();
                (!errors.is_empty()).then(|| format!("expected no FATAL or WARNING; got {errors:?}"))
            }
        }
    }
}

fn expected_data(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    pairs.iter().map(|(key, value)| ((*key).to_owned(), value.as_bytes().to_vec())).collect()
}

fn differs(what: &str, expected: &BTreeMap<String, Vec<u8>>, actual: &BTreeMap<String, Vec<u8>>) -> Option<String> {
    let shown = |data: &BTreeMap<String, Vec<u8>>| -> Vec<(String, String)> {
        data.iter().map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned())).collect()
    };
    (expected != actual).then(|| format!("{what} holds {:?}, expected {:?}", shown(actual), shown(expected)))
}

fn missing_fragments(what: &str, message: &str, fragments: &[&str]) -> Option<String> {
    let missing: Vec<&&str> = fragments.iter().filter(|fragment| !message.contains(**fragment)).collect();
    (!missing.is_empty()).then(|| format!("{what} does not name {missing:?}: {message}"))
}

/// Runs the cases that wait for `fix` (`None`: those that wait for nothing)
/// and reports every one that fails, with its source.
fn assert_cases(fix: Option<Fix>) {
    let cases: Vec<Case> = cases().into_iter().filter(|case| case.waits_for == fix).collect();
    assert!(!cases.is_empty(), "no case waits for {fix:?}");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let outcome = case.run.outcome();
            let problems: Vec<String> = case.expect.iter().filter_map(|expect| expect.problem(&outcome)).collect();
            (!problems.is_empty())
                .then(|| format!("{}\n  their test: {}\n  {}", case.cite, case.asserts, problems.join("\n  ")))
        })
        .collect();
    assert!(failures.is_empty(), "{} of {} cases fail:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn every_case_behaves_as_their_test_asserts() {
    assert_cases(None);
}

#[test]
fn waiting_for_earlier_steps_keys_in_a_v2_secret() {
    assert_cases(Some(Fix::EarlierStepsKeys));
}

#[test]
fn waiting_for_secret_ref_patch_transforms() {
    assert_cases(Some(Fix::RefPatchTransforms));
}

#[test]
fn waiting_for_every_problem_in_one_fatal() {
    assert_cases(Some(Fix::EveryProblem));
}

#[test]
fn waiting_for_claim_secret_only_with_an_xr_secret() {
    assert_cases(Some(Fix::ClaimNeedsXrSecret));
}

#[test]
fn waiting_for_namespaced_xr_is_v2() {
    assert_cases(Some(Fix::NamespacedXrIsV2));
}

#[test]
fn the_suite_holds_at_least_fifty_cases_each_with_an_expectation() {
    let cases = cases();
    assert!(cases.len() >= 50, "{} cases", cases.len());
    let empty: Vec<String> = cases
        .iter()
        .filter(|case| case.expect.is_empty() || case.asserts.is_empty())
        .map(|case| case.cite.to_string())
        .collect();
    assert!(empty.is_empty(), "cases without an expectation: {empty:?}");
}

// ---- render's files ---------------------------------------------------

/// The files of one render, as JSON (which is YAML).
struct Files {
    xr: Value,
    composition: Value,
    observed: Vec<Value>,
    secrets: Vec<Value>,
    xrd: Option<Value>,
    claim: Option<Value>,
}

impl Files {
    fn new(xr: Value, composition: Value) -> Self {
        Self { xr, composition, observed: Vec::new(), secrets: Vec::new(), xrd: None, claim: None }
    }

    /// An observed composed resource whose connection Secret is
    /// `namespace/name`, given with `data` unless `data` is `None`.
    fn composed(mut self, resource: &str, secret: (&str, &str), data: Option<&[(&str, &str)]>) -> Self {
        let (namespace, name) = secret;
        self.observed.push(json!({
            "apiVersion": "example.org/v1", "kind": "CD",
            "metadata": {"name": resource, "annotations": {"crossplane.io/composition-resource-name": resource}},
            "spec": {"writeConnectionSecretToRef": {"name": name, "namespace": namespace}},
        }));
        if let Some(data) = data {
            let encoded: serde_json::Map<String, Value> =
                data.iter().map(|(key, value)| ((*key).to_owned(), json!(BASE64.encode(value)))).collect();
            self.secrets.push(json!({
                "apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": name, "namespace": namespace}, "data": encoded,
            }));
        }
        self
    }

    /// An observed composed resource that writes no connection Secret.
    fn composed_without_secret(mut self, resource: &str) -> Self {
        self.observed.push(json!({
            "apiVersion": "example.org/v1", "kind": "CD",
            "metadata": {"name": resource, "annotations": {"crossplane.io/composition-resource-name": resource}},
        }));
        self
    }

    fn xrd(self, connection_secret_keys: &[&str]) -> Self {
        let xrd = json!({
            "apiVersion": "apiextensions.crossplane.io/v1", "kind": "CompositeResourceDefinition",
            "metadata": {"name": "xrs.example.org"},
            "spec": {"group": "example.org", "names": {"kind": "XR", "plural": "xrs"},
                     "connectionSecretKeys": connection_secret_keys},
        });
        Self { xrd: Some(xrd), ..self }
    }

    fn claim(self, claim: Value) -> Self {
        Self { claim: Some(claim), ..self }
    }

    fn request(&self) -> RenderRequest {
        let file = |name: &str, value: &Value| File { name: name.to_owned(), text: value.to_string() };
        RenderRequest {
            composite: file("xr.yaml", &self.xr),
            composition: file("composition.yaml", &self.composition),
            observed_resources: self.observed.iter().map(|object| file("observed.yaml", object)).collect(),
            secrets: self.secrets.iter().map(|secret| file("secrets.yaml", secret)).collect(),
            required_resources: Vec::new(),
            xrd: self.xrd.as_ref().map(|xrd| file("xrd.yaml", xrd)),
            claim: self.claim.as_ref().map(|claim| file("claim.yaml", claim)),
            function_name: String::new(),
            options: None,
        }
    }

    /// The Secrets render publishes (those given as files left out), and
    /// its results.
    fn outcome(&self) -> Outcome {
        let rendered = runtime::block_on(RUNTIME.render(&self.request(), OutputFormat::Json)).expect("render runs");
        let rendered = match rendered {
            Ok(rendered) => rendered,
            Err(unusable) => {
                return Outcome { results: vec![("UNUSABLE".to_owned(), unusable.message)], ..Outcome::default() };
            }
        };
        let documents: Vec<Value> = serde_json::from_str(&rendered.output).expect("-o json is a JSON array");
        let location = |object: &Value| {
            format!("{}/{}", text(&object["metadata"]["namespace"]), text(&object["metadata"]["name"]))
        };
        let given: Vec<String> = self.secrets.iter().map(location).collect();
        let secrets = documents
            .iter()
            .filter(|document| document["kind"] == "Secret" && !given.contains(&location(document)))
            .map(|secret| {
                let resource = secret["metadata"]["annotations"]["crossplane.io/composition-resource-name"].as_str();
                let written =
                    Written { resource: resource.map(str::to_owned), ready: false, data: decode(&secret["data"]) };
                (location(secret), written)
            })
            .collect();
        let results = documents
            .iter()
            .filter(|document| document["kind"] == "Result")
            .map(|result| {
                (
                    text(&result["severity"]).trim_start_matches("SEVERITY_").to_owned(),
                    text(&result["message"]).to_owned(),
                )
            })
            .collect();
        Outcome { secrets, results, ..Outcome::default() }
    }
}

/// A Pipeline Composition whose one step runs this function with `input`.
fn pipeline(secrets_namespace: Option<&str>, fields: Value) -> Value {
    let mut spec = json!({
        "compositeTypeRef": {"apiVersion": "example.org/v1", "kind": "XR"},
        "mode": "Pipeline",
        "pipeline": [{"step": "connection-details", "functionRef": {"name": "function-connection-details"},
                      "input": input(fields)}],
    });
    if let Some(namespace) = secrets_namespace {
        spec["writeConnectionSecretsToNamespace"] = json!(namespace);
    }
    composition(spec)
}

/// A legacy Composition with `spec.resources`.
fn legacy_composition(secrets_namespace: &str, resources: Value) -> Value {
    composition(json!({
        "compositeTypeRef": {"apiVersion": "example.org/v1", "kind": "XR"},
        "writeConnectionSecretsToNamespace": secrets_namespace,
        "resources": resources,
    }))
}

fn composition(spec: Value) -> Value {
    json!({"apiVersion": "apiextensions.crossplane.io/v1", "kind": "Composition",
           "metadata": {"name": "xrs.example.org"}, "spec": spec})
}

/// A legacy (cluster-scoped, v1) XR with this `spec`.
fn legacy_xr(uid: &str, spec: Value) -> Value {
    json!({"apiVersion": "example.org/v1", "kind": "XR", "metadata": {"name": "cool-xr", "uid": uid}, "spec": spec})
}

fn claim(namespace: &str, spec: Value) -> Value {
    json!({"apiVersion": "example.org/v1", "kind": "Claim",
           "metadata": {"name": "cool-claim", "namespace": namespace}, "spec": spec})
}

// ---- function requests ------------------------------------------------

/// An input whose one resource, `cool-resource`, has these details.
fn cool_resource_details(details: Value) -> Value {
    json!({"resources": [{"name": "cool-resource", "connectionDetails": details}]})
}

/// `request` with `cool-resource` observed as `object`, its connection
/// secret holding `data`.
fn observe(request: Request, name: &str, object: Value, data: &[(&str, &str)]) -> Request {
    let data: Vec<(&str, &[u8])> = data.iter().map(|(key, value)| (*key, value.as_bytes())).collect();
    request.observed(name, object, &data)
}

/// A legacy XR's request for `fields`, with `cool-resource` observed as
/// Crossplane's and P&T's fakes are: `test`, generation 4, the Secret
/// `foo: a`, `bar: b`.
fn fake_composed(fields: Value) -> Request {
    let object = json!({"apiVersion": "example.org/v1", "kind": "CD", "metadata": {"name": "test", "generation": 4}});
    observe(Request::legacy(input(fields)), "cool-resource", object, &[("foo", "a"), ("bar", "b")])
}

/// P&T's composed resource with the one key `very: secret`, and an input
/// that takes it plus `fields`.
fn very_secret(composite: Value, fields: Value) -> Request {
    let mut all = cool_resource_details(json!([{"fromConnectionSecretKey": "very"}]));
    all.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
    let object =
        json!({"apiVersion": "example.org/v1", "kind": "CD", "metadata": {"name": "cool-42", "namespace": "default"}});
    observe(Request::with_composite(input(all), composite), "cool-resource", object, &[("very", "secret")])
}

/// A v2 XR named `xr`: namespaced when `namespace` is given, with `spec`
/// merged into `spec.crossplane`.
fn v2_xr(namespace: Option<&str>, spec: Value) -> Value {
    let mut xr = json!({"apiVersion": "example.org/v1", "kind": "XR",
                        "metadata": {"name": "xr", "uid": "test-uid-456"},
                        "spec": {"crossplane": {"compositionRef": {"name": "my-comp"}}}});
    if let Some(namespace) = namespace {
        xr["metadata"]["namespace"] = json!(namespace);
    }
    xr["spec"].as_object_mut().unwrap().extend(spec.as_object().unwrap().clone());
    xr
}

/// A request for a v2 XR in `apps` with this spec whose Secret ref is
/// patched by `patch`.
fn patched_ref(spec: Value, patch: Value) -> Request {
    very_secret(v2_xr(Some("apps"), spec), json!({"writeConnectionSecretToRef": {"patches": [patch]}}))
}

/// A request whose one entry is `detail`, `cool-resource` observed with
/// `key: k-value` and `status.coolness: very`.
fn one_detail(detail: Value) -> Request {
    let object = json!({"apiVersion": "example.org/v1", "kind": "CD", "metadata": {"name": "cool-resource"},
                        "status": {"coolness": "very", "coolfield": "from-field"}});
    let data = [("key", "k-value"), ("coolkey", "from-key")];
    observe(Request::legacy(input(cool_resource_details(json!([detail])))), "cool-resource", object, &data)
}

/// A CombineFromComposite patch of the Secret's name with this `combine`,
/// on an XR whose `spec.a` is `alpha` and `spec.b` is `beta`.
fn combine(combine: Value) -> Request {
    patched_ref(
        json!({"a": "alpha", "b": "beta"}),
        json!({"type": "CombineFromComposite", "toFieldPath": "name", "combine": combine}),
    )
}

/// A FromCompositeFieldPath patch of the Secret's name from `from` with
/// these transforms, on an XR whose `spec.size` is "2" and `spec.env` "foo".
fn transformed(from: &str, transforms: Value) -> Request {
    patched_ref(
        json!({"size": "2", "env": "foo"}),
        json!({"type": "FromCompositeFieldPath", "fromFieldPath": from, "toFieldPath": "name",
               "transforms": transforms}),
    )
}

// ---- the cases ----------------------------------------------------------

fn cases() -> Vec<Case> {
    let mut cases = crossplane_fetch_and_extract();
    cases.extend(crossplane_publish());
    cases.extend(patch_and_transform_connection());
    cases.extend(patch_and_transform_validate());
    cases.extend(patch_and_transform_transforms());
    cases.extend(patch_and_transform_run_function());
    cases
}

/// Crossplane reads a composed resource's connection Secret and extracts
/// the keys its Composition names.
fn crossplane_fetch_and_extract() -> Vec<Case> {
    use Expect::*;
    let fetch = |case| xp(XP_CONNECTION, "TestSecretConnectionDetailsFetcher", case);
    let chain = |case| xp(XP_CONNECTION, "TestConnectionDetailsFetcherChain", case);
    let extract = |case| xp(XP_CONNECTION, "TestExtractConnectionDetails", case);
    let template = |case| xp(XP_CONNECTION, "TestExtractConfigsFromTemplate", case);
    let kind = |case| xp(XP_CONNECTION, "TestConnectionDetailType", case);
    let foo_and_bar = || {
        let xr = legacy_xr(
            "0a1b2c3d",
            json!({"writeConnectionSecretToRef": {"name": "xr-conn", "namespace": "crossplane-system"}}),
        );
        let details = json!([{"fromConnectionSecretKey": "foo"}, {"fromConnectionSecretKey": "bar"}]);
        Files::new(xr, pipeline(None, cool_resource_details(details)))
    };
    let cool_key_template = |details: Option<Value>| {
        let mut resource = json!({"name": "cool-resource", "base": {"apiVersion": "example.org/v1", "kind": "CD"}});
        if let Some(details) = details {
            resource["connectionDetails"] = details;
        }
        Files::new(legacy_xr("5b8d7c52", json!({})), legacy_composition("crossplane-system", json!([resource])))
            .composed("cool-resource", ("docs", "cool-secret"), Some(&[("cool-key", "cool-value")]))
    };
    let xr_secret = "crossplane-system/5b8d7c52";
    vec![
        case(
            fetch("DoesNotPublish"),
            "a composed resource that writes no connection secret gives no details and no error",
            foo_and_bar().composed_without_secret("cool-resource").into(),
            vec![Secret("crossplane-system/xr-conn", &[]), NoResults],
        ),
        case(
            fetch("SecretNotPublishedYet"),
            "a connection secret not written yet gives no details and no error",
            foo_and_bar().composed("cool-resource", ("bar", "foo"), None).into(),
            vec![Secret("crossplane-system/xr-conn", &[]), NoResults],
        ),
        case(
            fetch("Success"),
            "every key of the composed resource's connection secret is read",
            foo_and_bar().composed("cool-resource", ("bar", "foo"), Some(&[("foo", "a"), ("bar", "b")])).into(),
            vec![Secret("crossplane-system/xr-conn", &[("bar", "b"), ("foo", "a")]), NoResults],
        ),
        case(
            chain("EmptyChain"),
            "no source gives empty connection details",
            Request::legacy(input(json!({"resources": []}))).into(),
            vec![Composite(&[]), Secrets(&[]), NoResults],
        ),
        case(
            chain("SingleFetcherChain"),
            "one source gives only its details",
            observe(
                Request::legacy(input(json!({"resources": [{"name": "one", "connectionDetails": [
                {"fromConnectionSecretKey": "a"}]}]}))),
                "one",
                json!({}),
                &[("a", "b")],
            )
            .into(),
            vec![Composite(&[("a", "b")]), NoResults],
        ),
        case(
            chain("MultipleFetcherChain"),
            "several sources give all their details, the later winning a duplicate; \
             here a WARNING also names both sources",
            {
                let fields = json!({"resources": [
                    {"name": "first", "connectionDetails": [{"fromConnectionSecretKey": "a"},
                        {"fromConnectionSecretKey": "b"}, {"fromConnectionSecretKey": "c"}]},
                    {"name": "second", "connectionDetails": [{"fromConnectionSecretKey": "a"}]},
                ]});
                let request =
                    observe(Request::legacy(input(fields)), "first", json!({}), &[("a", "a"), ("b", "b"), ("c", "c")]);
                observe(request, "second", json!({}), &[("a", "A")]).into()
            },
            vec![
                Composite(&[("a", "A"), ("b", "b"), ("c", "c")]),
                Warning(&["\"a\"", "resources[0] first", "resources[1] second", "later entry wins"]),
            ],
        ),
        case(
            extract("MissingNameError"),
            "a connection detail without a name is an error",
            fake_composed(cool_resource_details(json!([{}]))).into(),
            vec![Fatal(&["resources[0].connectionDetails[0].name"])],
        )
        .waits_for(Fix::EveryProblem),
        case(
            extract("MissingValueError"),
            "a FromValue detail without a value is an error",
            fake_composed(cool_resource_details(json!([{"name": "cool-detail", "type": "FromValue"}]))).into(),
            vec![Fatal(&["resources[0].connectionDetails[0].value"])],
        ),
        case(
            extract("MissingConnectionSecretKeyError"),
            "a FromConnectionSecretKey detail without a key is an error",
            fake_composed(cool_resource_details(json!([{"name": "cool-detail", "type": "FromConnectionSecretKey"}])))
                .into(),
            vec![Fatal(&["resources[0].connectionDetails[0].fromConnectionSecretKey"])],
        ),
        case(
            extract("MissingFieldPathError"),
            "a FromFieldPath detail without a field path is an error",
            fake_composed(cool_resource_details(json!([{"name": "cool-detail", "type": "FromFieldPath"}]))).into(),
            vec![Fatal(&["resources[0].connectionDetails[0].fromFieldPath"])],
        ),
        case(
            extract("FetchConfigSuccess"),
            "only the selected keys, renamed; a key the secret lacks is left out; values and field paths \
             (metadata.name, and metadata.generation as 4) read",
            fake_composed(cool_resource_details(json!([
                {"type": "FromConnectionSecretKey", "name": "bar", "fromConnectionSecretKey": "bar"},
                {"type": "FromConnectionSecretKey", "name": "none", "fromConnectionSecretKey": "none"},
                {"type": "FromConnectionSecretKey", "name": "convfoo", "fromConnectionSecretKey": "foo"},
                {"type": "FromValue", "name": "fixed", "value": "value"},
                {"type": "FromFieldPath", "name": "name", "fromFieldPath": "metadata.name"},
                {"type": "FromFieldPath", "name": "generation", "fromFieldPath": "metadata.generation"},
            ])))
            .into(),
            vec![
                Composite(&[("bar", "b"), ("convfoo", "a"), ("fixed", "value"), ("generation", "4"), ("name", "test")]),
                NoResults,
            ],
        ),
        case(
            template("NilTemplate"),
            "a template without connection details extracts nothing (render of a legacy Composition)",
            cool_key_template(None).into(),
            vec![Secret(xr_secret, &[]), NoResults],
        ),
        case(
            template("ExplicitName"),
            "a detail's explicit name is used (render of a legacy Composition)",
            cool_key_template(Some(json!([{"name": "cool-detail", "type": "FromConnectionSecretKey",
                                           "fromConnectionSecretKey": "cool-key"}])))
            .into(),
            vec![Secret(xr_secret, &[("cool-detail", "cool-value")]), NoResults],
        ),
        case(
            template("InferredName"),
            "a FromConnectionSecretKey detail without a name is named by its key (render of a legacy Composition)",
            cool_key_template(Some(
                json!([{"type": "FromConnectionSecretKey", "fromConnectionSecretKey": "cool-key"}]),
            ))
            .into(),
            vec![Secret(xr_secret, &[("cool-key", "cool-value")]), NoResults],
        ),
        case(
            kind("FromValueExplicit"),
            "an explicit type FromValue is used",
            one_detail(json!({"type": "FromValue", "name": "coolsecret", "value": "coolvalue"})).into(),
            vec![Composite(&[("coolsecret", "coolvalue")]), NoResults],
        ),
        case(
            kind("FromValueInferred"),
            "without a type, a value trumps a key and a field path",
            one_detail(json!({"name": "coolsecret", "value": "coolvalue", "fromConnectionSecretKey": "coolkey",
                              "fromFieldPath": "status.coolfield"}))
            .into(),
            vec![Composite(&[("coolsecret", "coolvalue")]), NoResults],
        ),
        case(
            kind("FromConnectionSecretKeyInferred"),
            "without a type or value, a connection secret key trumps a field path",
            one_detail(json!({"name": "coolsecret", "fromConnectionSecretKey": "coolkey",
                              "fromFieldPath": "status.coolfield"}))
            .into(),
            vec![Composite(&[("coolsecret", "from-key")]), NoResults],
        ),
        case(
            kind("FromFieldPathInferred"),
            "with only a field path, the type is FromFieldPath",
            one_detail(json!({"name": "coolsecret", "fromFieldPath": "status.coolfield"})).into(),
            vec![Composite(&[("coolsecret", "from-field")]), NoResults],
        ),
        case(
            kind("DefaultToFromConnectionSecretKey"),
            "with only a name, Crossplane assumes FromConnectionSecretKey and fails for the missing key; \
             here the FATAL says which source fields could be given",
            one_detail(json!({"name": "coolsecret"})).into(),
            vec![Fatal(&["resources[0].connectionDetails[0]", "fromConnectionSecretKey"])],
        ),
    ]
}

/// Crossplane publishes a legacy XR's details to its Secret and its claim's.
fn crossplane_publish() -> Vec<Case> {
    use Expect::*;
    let publish = |case| xp(XP_API, "TestPublishConnection", case);
    let configure = |case| xp(XP_API, "TestConfigure", case);
    let compose = |case| xp(XP_PT, "TestPTCompose", case);
    let propagate = |case| xp(XP_CLAIM, "TestPropagateConnection", case);
    // Byte values as in the cases: {42} is '*', {41} is ')', {1} is U+0001.
    let cool_and_onlyme = |xr_spec: Value, secrets_namespace: Option<&str>| {
        let details = json!([{"fromConnectionSecretKey": "cool"}, {"fromConnectionSecretKey": "onlyme"}]);
        Files::new(legacy_xr("0a1b2c3d", xr_spec), pipeline(secrets_namespace, cool_resource_details(details)))
            .composed("cool-resource", ("docs", "cool-resource"), Some(&[("cool", "*"), ("onlyme", ")")]))
    };
    let owner = || json!({"writeConnectionSecretToRef": {"name": "coolsecret", "namespace": "coolnamespace"}});
    let uid_foo = |xr_spec: Value, secrets_namespace: Option<&str>| {
        let details = json!([{"fromConnectionSecretKey": "cool"}]);
        Files::new(legacy_xr("foo", xr_spec), pipeline(secrets_namespace, cool_resource_details(details))).composed(
            "cool-resource",
            ("docs", "cool-resource"),
            Some(&[("cool", "*")]),
        )
    };
    let claimed = |xr_spec: Value, claim_spec: Value| {
        let details = json!([{"fromConnectionSecretKey": "cool"}]);
        Files::new(legacy_xr("0a1b2c3d", xr_spec), pipeline(None, cool_resource_details(details)))
            .composed("cool-resource", ("docs", "cool-resource"), Some(&[("cool", "\u{1}")]))
            .claim(claim("coolnamespace", claim_spec))
    };
    let managed_secret =
        || json!({"writeConnectionSecretToRef": {"name": "coolmanagedsecret", "namespace": "coolnamespace"}});
    let composed = || json!({"apiVersion": "test.crossplane.io/v1", "kind": "ComposedResource"});
    vec![
        case(
            publish("ResourceDoesNotPublishSecret"),
            "an XR without a connection secret reference publishes nothing",
            cool_and_onlyme(json!({}), None).into(),
            vec![Secrets(&[])],
        ),
        case(
            publish("SuccessfulPublish"),
            "the XR's Secret holds only the keys the filter (the XRD's connectionSecretKeys) allows",
            cool_and_onlyme(owner(), None).xrd(&["onlyme"]).into(),
            vec![Secrets(&["coolnamespace/coolsecret"]), Secret("coolnamespace/coolsecret", &[("onlyme", ")")])],
        ),
        case(
            publish("SuccessfulPublishAllWithEmptyList"),
            "an empty filter publishes every key",
            cool_and_onlyme(owner(), None).xrd(&[]).into(),
            vec![Secret("coolnamespace/coolsecret", &[("cool", "*"), ("onlyme", ")")]), NoResults],
        ),
        case(
            configure("AlreadyFilled"),
            "an XR that names its connection secret keeps it (here the Composition names another namespace)",
            uid_foo(json!({"writeConnectionSecretToRef": {"name": "foo", "namespace": "bar"}}), Some("elsewhere"))
                .into(),
            vec![Secrets(&["bar/foo"]), Secret("bar/foo", &[("cool", "*")])],
        ),
        case(
            configure("ConnectionSecretRefMissing"),
            "an XR without one gets its UID in the Composition's writeConnectionSecretsToNamespace",
            uid_foo(json!({}), Some("bar")).into(),
            vec![Secrets(&["bar/foo"]), Secret("bar/foo", &[("cool", "*")])],
        ),
        case(
            configure("NilWriteConnectionSecretsToNamespace"),
            "without writeConnectionSecretsToNamespace the XR gets no connection secret",
            uid_foo(json!({}), None).into(),
            vec![Secrets(&[])],
        ),
        case(
            compose("Success"),
            "the composed resource's extracted details become the XR's",
            observe(
                Request::legacy(input(cool_resource_details(json!([{"fromConnectionSecretKey": "a"}])))),
                "cool-resource",
                composed(),
                &[("a", "b")],
            )
            .into(),
            vec![Composite(&[("a", "b")]), NoResults],
        ),
        case(
            compose("PartialSuccess"),
            "a resource that could not be composed does not keep the others' details from the XR",
            {
                let fields = json!({"resources": [
                    {"name": "cool-resource", "connectionDetails": [{"fromConnectionSecretKey": "a"}]},
                    {"name": "uncool-resource", "connectionDetails": [{"fromConnectionSecretKey": "x"}]},
                ]});
                observe(Request::legacy(input(fields)), "cool-resource", composed(), &[("a", "b")]).into()
            },
            vec![Composite(&[("a", "b")]), NoResults],
        ),
        case(
            compose("ExtractConnectionDetailsError"),
            "a detail that cannot be extracted fails the whole composition: no key is written",
            {
                let fields = json!({"resources": [
                    {"name": "cool-resource", "connectionDetails": [{"fromConnectionSecretKey": "a"}]},
                    {"name": "uncool-resource", "connectionDetails": [{"name": "broken", "type": "FromValue"}]},
                ]});
                observe(Request::legacy(input(fields)), "cool-resource", composed(), &[("a", "b")]).into()
            },
            vec![Composite(&[]), Fatal(&["resources[1].connectionDetails[0].value"])],
        ),
        case(
            propagate("ClaimDoesNotWantConnectionSecret"),
            "a claim without writeConnectionSecretToRef gets no Secret",
            claimed(managed_secret(), json!({})).into(),
            vec![Secrets(&["coolnamespace/coolmanagedsecret"])],
        ),
        case(
            propagate("ManagedDoesNotExposeConnectionSecret"),
            "an XR without a connection secret propagates none to its claim",
            claimed(json!({}), json!({"writeConnectionSecretToRef": {"name": "coolclaimsecret"}})).into(),
            vec![Secrets(&[])],
        )
        .waits_for(Fix::ClaimNeedsXrSecret),
        case(
            propagate("SuccessfulPublish"),
            "the claim's Secret, in the claim's namespace, holds the XR Secret's data",
            claimed(managed_secret(), json!({"writeConnectionSecretToRef": {"name": "coolclaimsecret"}})).into(),
            vec![
                Secret("coolnamespace/coolclaimsecret", &[("cool", "\u{1}")]),
                Secret("coolnamespace/coolmanagedsecret", &[("cool", "\u{1}")]),
            ],
        ),
    ]
}

/// P&T extracts details and composes a v2 XR's Secret where its ref says.
fn patch_and_transform_connection() -> Vec<Case> {
    use Expect::*;
    let extract = |case| pt(PT_CONNECTION, "TestExtractConnectionDetails", case);
    let reference = |case| pt(PT_CONNECTION, "TestGetConnectionSecretRef", case);
    let supports = |case| pt(PT_CONNECTION, "TestSupportsConnectionDetails", case);
    let cluster_xr_with_ref =
        || v2_xr(None, json!({"writeConnectionSecretToRef": {"name": "xr-secret", "namespace": "xr-namespace"}}));
    let custom_ref =
        || json!({"writeConnectionSecretToRef": {"name": "my-custom-secret", "namespace": "custom-namespace"}});
    let uid_and_env = |namespace: Option<&str>| {
        let xr = v2_xr(namespace, json!({"parameters": {"env": "prod"}}));
        very_secret(
            xr,
            json!({"writeConnectionSecretToRef": {"patches": [
                {"type": "FromCompositeFieldPath", "fromFieldPath": "metadata.uid", "toFieldPath": "name",
                 "transforms": [{"type": "string", "string": {"type": "Format", "fmt": "%s-cool-creds"}}]},
                {"type": "FromCompositeFieldPath", "fromFieldPath": "spec.parameters.env", "toFieldPath": "namespace"},
            ]}}),
        )
    };
    let static_base = |namespace: Option<&str>| {
        let xr = v2_xr(namespace, json!({"targetNamespace": "custom-ns"}));
        very_secret(
            xr,
            json!({"writeConnectionSecretToRef": {"name": "base-secret-name",
                "namespace": "base-secret-namespace", "patches": [
                {"type": "FromCompositeFieldPath", "fromFieldPath": "spec.targetNamespace", "toFieldPath": "namespace"},
            ]}}),
        )
    };
    let legacy_xr_in = |namespace: Option<&str>| {
        let mut xr = json!({"apiVersion": "example.org/v1", "kind": "XR", "metadata": {"name": "xr", "uid": "test-uid"},
                            "spec": {"writeConnectionSecretToRef": {"name": "my-secret"}}});
        if let Some(namespace) = namespace {
            xr["metadata"]["namespace"] = json!(namespace);
        }
        very_secret(xr, json!({}))
    };
    vec![
        case(
            extract("MissingNameError"),
            "a FromValue detail without a name is an error naming name",
            fake_composed(cool_resource_details(json!([{"type": "FromValue"}]))).into(),
            vec![Fatal(&["resources[0].connectionDetails[0].name"])],
        )
        .waits_for(Fix::EveryProblem),
        case(
            extract("FetchConfigSuccess"),
            "selected and renamed keys, a value, and field paths including the resource's \
             writeConnectionSecretToRef (P&T's fake holds it at Ref.name; a real resource at \
             spec.writeConnectionSecretToRef.name)",
            {
                let fields = cool_resource_details(json!([
                    {"type": "FromConnectionSecretKey", "name": "bar", "fromConnectionSecretKey": "bar"},
                    {"type": "FromConnectionSecretKey", "name": "none", "fromConnectionSecretKey": "none"},
                    {"type": "FromConnectionSecretKey", "name": "convfoo", "fromConnectionSecretKey": "foo"},
                    {"type": "FromValue", "name": "fixed", "value": "value"},
                    {"type": "FromFieldPath", "name": "name", "fromFieldPath": "metadata.name"},
                    {"type": "FromFieldPath", "name": "generation", "fromFieldPath": "metadata.generation"},
                    {"type": "FromFieldPath", "name": "secretName", "fromFieldPath": "spec.writeConnectionSecretToRef.name"},
                    {"type": "FromFieldPath", "name": "secretNamespace",
                     "fromFieldPath": "spec.writeConnectionSecretToRef.namespace"},
                ]));
                let object = json!({"apiVersion": "example.org/v1", "kind": "CD",
                    "metadata": {"name": "test", "generation": 4},
                    "spec": {"writeConnectionSecretToRef": {"name": "cool-secret", "namespace": "cool-namespace"}}});
                observe(Request::legacy(input(fields)), "cool-resource", object, &[("foo", "a"), ("bar", "b")]).into()
            },
            vec![
                Composite(&[
                    ("bar", "b"),
                    ("convfoo", "a"),
                    ("fixed", "value"),
                    ("generation", "4"),
                    ("name", "test"),
                    ("secretName", "cool-secret"),
                    ("secretNamespace", "cool-namespace"),
                ]),
                NoResults,
            ],
        ),
        case(
            reference("XRRefProvidedNoInput"),
            "the XR's spec.writeConnectionSecretToRef names the Secret",
            very_secret(cluster_xr_with_ref(), json!({})).into(),
            vec![Secrets(&["xr-namespace/xr-secret"]), Secret("xr-namespace/xr-secret", &[("very", "secret")])],
        ),
        case(
            reference("InputProvidedNoXRRef"),
            "without one, the input's writeConnectionSecretToRef names it",
            very_secret(v2_xr(None, json!({})), custom_ref()).into(),
            vec![Secrets(&["custom-namespace/my-custom-secret"])],
        ),
        case(
            reference("XRRefAndInputProvided"),
            "the XR's reference wins over the input's",
            very_secret(cluster_xr_with_ref(), custom_ref()).into(),
            vec![Secrets(&["xr-namespace/xr-secret"])],
        ),
        case(
            reference("GenerateDefault"),
            "with neither, the Secret is <xr-name>-connection in the XR's namespace",
            very_secret(v2_xr(Some("xr-namespace"), json!({})), json!({})).into(),
            vec![Secrets(&["xr-namespace/xr-connection"])],
        ),
        case(
            reference("PatchFromCompositeFieldPath"),
            "patches from the XR set the name (through a string Format transform) and the namespace, \
             test-uid-456-cool-creds in prod; here the XR is namespaced (production), and a namespaced \
             XR's Secret in another namespace is an input error",
            uid_and_env(Some("production")).into(),
            vec![Fatal(&["writeConnectionSecretToRef.namespace", "prod is not the composite's namespace production"])],
        )
        .waits_for(Fix::RefPatchTransforms),
        case(
            reference("PatchFromCompositeFieldPath"),
            "the same patches on a cluster-scoped XR: test-uid-456-cool-creds in prod",
            uid_and_env(None).into(),
            vec![Secrets(&["prod/test-uid-456-cool-creds"])],
        )
        .waits_for(Fix::RefPatchTransforms),
        case(
            reference("CombineFromComposite"),
            "a combine patch builds the name from two fields; the namespace stays the XR's",
            {
                let xr = json!({"apiVersion": "example.org/v1", "kind": "XR",
                    "metadata": {"name": "db-instance", "namespace": "default"},
                    "spec": {"crossplane": {}, "parameters": {"appName": "myapp", "env": "staging"}}});
                very_secret(
                    xr,
                    json!({"writeConnectionSecretToRef": {"patches": [{
                    "type": "CombineFromComposite", "toFieldPath": "name",
                    "combine": {"strategy": "string", "variables": [
                        {"fromFieldPath": "spec.parameters.appName"}, {"fromFieldPath": "spec.parameters.env"}],
                        "string": {"fmt": "%s-%s-cool-creds"}}}]}}),
                )
                .into()
            },
            vec![Secrets(&["default/myapp-staging-cool-creds"])],
        ),
        case(
            reference("PatchesWithStaticBase"),
            "a patch overrides the static namespace and the static name stays, base-secret-name in \
             custom-ns; here the XR is namespaced (default), and a namespaced XR's Secret in another \
             namespace is an input error",
            static_base(Some("default")).into(),
            vec![Fatal(&[
                "writeConnectionSecretToRef.namespace",
                "custom-ns is not the composite's namespace default",
            ])],
        ),
        case(
            reference("PatchesWithStaticBase"),
            "the same on a cluster-scoped XR: base-secret-name in custom-ns",
            static_base(None).into(),
            vec![Secrets(&["custom-ns/base-secret-name"])],
        ),
        case(
            reference("UnsupportedPatchType"),
            "a patch type a Secret reference cannot take (CombineToEnvironment) is an error",
            very_secret(
                v2_xr(Some("default"), json!({})),
                json!({"writeConnectionSecretToRef": {"patches": [{"type": "CombineToEnvironment"}]}}),
            )
            .into(),
            vec![Fatal(&["writeConnectionSecretToRef.patches[0]"]), Secrets(&[])],
        ),
        case(
            supports("V1LegacyXRWithoutCrossplaneField"),
            "an XR without spec.crossplane is legacy: its details go to desired.composite",
            legacy_xr_in(None).into(),
            vec![Composite(&[("very", "secret")]), Secrets(&[])],
        ),
        case(
            supports("V1LegacyXRWithoutCrossplaneField"),
            "P&T calls any XR without spec.crossplane legacy; only a v2 XR can be namespaced, so here a \
             namespaced one gets its Secret composed",
            legacy_xr_in(Some("apps")).into(),
            vec![Composite(&[]), Secrets(&["apps/my-secret"])],
        )
        .waits_for(Fix::NamespacedXrIsV2),
        case(
            supports("V2ModernXRWithCrossplaneField"),
            "an XR with spec.crossplane is v2: its details go to a composed Secret",
            very_secret(v2_xr(Some("apps"), json!({})), json!({})).into(),
            vec![Composite(&[]), Secrets(&["apps/xr-connection"]), Secret("apps/xr-connection", &[("very", "secret")])],
        ),
        case(
            supports("V2XRWithWriteConnectionSecretToRefInSchema"),
            "spec.crossplane decides even when the XR also has writeConnectionSecretToRef, which then names \
             the composed Secret",
            very_secret(v2_xr(Some("apps"), json!({"writeConnectionSecretToRef": {"name": "my-secret"}})), json!({}))
                .into(),
            vec![Composite(&[]), Secrets(&["apps/my-secret"])],
        ),
        case(
            supports("V2XRWithWriteConnectionSecretToRefInSchema"),
            "their XR is cluster-scoped and its reference names no namespace, so P&T composes a Secret \
             without one; here that is an input error asking for a namespace",
            very_secret(v2_xr(None, json!({"writeConnectionSecretToRef": {"name": "my-secret"}})), json!({})).into(),
            vec![Fatal(&[
                "cluster-scoped",
                "writeConnectionSecretToRef.namespace",
                "writeConnectionSecretsToNamespace",
            ])],
        ),
    ]
}

/// P&T's input validation: connection details and the patches a Secret
/// reference takes.
fn patch_and_transform_validate() -> Vec<Case> {
    use Expect::*;
    let detail = |case| pt(PT_VALIDATE, "TestValidateConnectionDetail", case);
    let patch = |case| pt(PT_VALIDATE, "TestValidatePatch", case);
    let combine_case = |case| pt(PT_VALIDATE, "TestValidateCombine", case);
    let for_provider_foo = || json!({"forProvider": {"foo": "foo-secret"}});
    vec![
        case(
            detail("InvalidType"),
            "an unknown type is an error naming type",
            one_detail(json!({"type": "wat"})).into(),
            vec![Fatal(&["resources[0].connectionDetails[0].type"])],
        ),
        case(
            detail("EmptyName"),
            "an empty name is an error naming name",
            one_detail(json!({"type": "FromValue", "name": ""})).into(),
            vec![Fatal(&["resources[0].connectionDetails[0].name"])],
        )
        .waits_for(Fix::EveryProblem),
        case(
            detail("InvalidValue"),
            "FromValue without a value is an error naming value",
            one_detail(json!({"type": "FromValue", "name": "cool"})).into(),
            vec![Fatal(&["resources[0].connectionDetails[0].value"])],
        ),
        case(
            detail("InvalidFromConnectionSecretKey"),
            "FromConnectionSecretKey without a key is an error naming fromConnectionSecretKey",
            one_detail(json!({"type": "FromConnectionSecretKey", "name": "cool"})).into(),
            vec![Fatal(&["resources[0].connectionDetails[0].fromConnectionSecretKey"])],
        ),
        case(
            detail("InvalidFromFieldPath"),
            "FromFieldPath without a path is an error naming fromFieldPath",
            one_detail(json!({"type": "FromFieldPath", "name": "cool"})).into(),
            vec![Fatal(&["resources[0].connectionDetails[0].fromFieldPath"])],
        ),
        case(
            detail("ValidValue"),
            "a FromValue detail with a value is valid",
            one_detail(json!({"type": "FromValue", "name": "cool", "value": "cooler"})).into(),
            vec![Composite(&[("cool", "cooler")]), NoResults],
        ),
        case(
            detail("ValidFromConnectionSecretKey"),
            "a FromConnectionSecretKey detail with a key is valid",
            one_detail(json!({"type": "FromConnectionSecretKey", "name": "cool", "fromConnectionSecretKey": "key"}))
                .into(),
            vec![Composite(&[("cool", "k-value")]), NoResults],
        ),
        case(
            detail("ValidFromFieldPath"),
            "a FromFieldPath detail with a path is valid",
            one_detail(json!({"type": "FromFieldPath", "name": "cool", "fromFieldPath": "status.coolness"})).into(),
            vec![Composite(&[("cool", "very")]), NoResults],
        ),
        case(
            patch("ValidFromCompositeFieldPath"),
            "a FromCompositeFieldPath patch with fromFieldPath is valid (here it names the Secret)",
            patched_ref(
                for_provider_foo(),
                json!({"type": "FromCompositeFieldPath", "fromFieldPath": "spec.forProvider.foo",
                                      "toFieldPath": "name"}),
            )
            .into(),
            vec![Secrets(&["apps/foo-secret"]), NoResults],
        ),
        case(
            patch("FromCompositeFieldPathWithInvalidTransforms"),
            "a math transform without its settings is an error naming transforms[0].math",
            patched_ref(
                for_provider_foo(),
                json!({"type": "FromCompositeFieldPath", "fromFieldPath": "spec.forProvider.foo",
                                      "toFieldPath": "name", "transforms": [{"type": "math"}]}),
            )
            .into(),
            vec![Fatal(&["writeConnectionSecretToRef.patches[0].transforms[0].math"])],
        )
        .waits_for(Fix::RefPatchTransforms),
        case(
            patch("InvalidFromCompositeFieldPathMissingFromFieldPath"),
            "FromCompositeFieldPath without fromFieldPath is an error naming fromFieldPath",
            patched_ref(for_provider_foo(), json!({"type": "FromCompositeFieldPath", "toFieldPath": "name"})).into(),
            vec![Fatal(&["writeConnectionSecretToRef.patches[0].fromFieldPath"])],
        ),
        case(
            patch("InvalidFromCompositeFieldPathMissingToFieldPath"),
            "a ToCompositeFieldPath patch without paths is an error; a Secret reference takes no \
             ToCompositeFieldPath patch at all, and the error names the patch",
            patched_ref(for_provider_foo(), json!({"type": "ToCompositeFieldPath"})).into(),
            vec![Fatal(&["writeConnectionSecretToRef.patches[0]"])],
        ),
        case(
            patch("Invalidv1beta1.PatchSetMissingv1beta1.PatchSetName"),
            "a PatchSet patch without a name is an error; a Secret reference takes no PatchSet patch, and \
             the error names the patch",
            patched_ref(for_provider_foo(), json!({"type": "PatchSet", "toFieldPath": "name"})).into(),
            vec![Fatal(&["writeConnectionSecretToRef.patches[0].type"])],
        ),
        case(
            patch("InvalidCombineMissingCombine"),
            "a combine patch without combine is an error naming combine (their case is CombineToComposite; \
             a Secret reference takes CombineFromComposite)",
            patched_ref(for_provider_foo(), json!({"type": "CombineFromComposite", "toFieldPath": "name"})).into(),
            vec![Fatal(&["writeConnectionSecretToRef.patches[0].combine"])],
        ),
        case(
            patch("InvalidCombineMissingToFieldPath"),
            "a combine patch without toFieldPath is an error naming toFieldPath",
            patched_ref(
                for_provider_foo(),
                json!({"type": "CombineFromComposite",
                "combine": {"variables": [{"fromFieldPath": "spec.forProvider.foo"}]}}),
            )
            .into(),
            vec![Fatal(&["writeConnectionSecretToRef.patches[0].toFieldPath"])],
        ),
        case(
            combine_case("MissingStrategy"),
            "a combine without a strategy is an error naming strategy",
            combine(json!({})).into(),
            vec![Fatal(&["writeConnectionSecretToRef.patches[0].combine.strategy"])],
        ),
        case(
            combine_case("InvalidStrategy"),
            "an unknown strategy is an error naming strategy",
            combine(json!({"strategy": "Smoosh"})).into(),
            vec![Fatal(&["writeConnectionSecretToRef.patches[0].combine.strategy"])],
        ),
        case(
            combine_case("ValidStringCombine"),
            "a string combine with variables and a format is valid",
            combine(
                json!({"strategy": "string", "variables": [{"fromFieldPath": "spec.a"}, {"fromFieldPath": "spec.b"}],
                           "string": {"fmt": "%s-%s"}}),
            )
            .into(),
            vec![Secrets(&["apps/alpha-beta"]), NoResults],
        ),
        case(
            combine_case("MissingVariables"),
            "a combine without variables is an error naming variables",
            combine(json!({"strategy": "string", "string": {"fmt": "%s-%s"}})).into(),
            vec![Fatal(&["writeConnectionSecretToRef.patches[0].combine.variables"])],
        ),
        case(
            combine_case("VariableMissingFromFieldPath"),
            "a variable without fromFieldPath is an error naming variables[1].fromFieldPath",
            combine(json!({"strategy": "string", "variables": [{"fromFieldPath": "spec.a"}, {"fromFieldPath": ""}],
                           "string": {"fmt": "%s-%s"}}))
            .into(),
            vec![Fatal(&["writeConnectionSecretToRef.patches[0].combine.variables[1].fromFieldPath"])],
        ),
        case(
            combine_case("MissingStringConfig"),
            "a string combine without string is an error naming string",
            combine(
                json!({"strategy": "string", "variables": [{"fromFieldPath": "spec.a"}, {"fromFieldPath": "spec.b"}]}),
            )
            .into(),
            vec![Fatal(&["writeConnectionSecretToRef.patches[0].combine.string"])],
        ),
    ]
}

/// P&T's transforms, on the patches of a Secret reference: what
/// TestValidateTransform holds valid gives the name P&T would give; what it
/// holds invalid is an input error naming the field.
fn patch_and_transform_transforms() -> Vec<Case> {
    use Expect::*;
    let transform = |case| pt(PT_VALIDATE, "TestValidateTransform", case);
    let invalid = |name, asserts, field: &'static [&'static str], transforms: Value| {
        case(transform(name), asserts, transformed("spec.env", transforms).into(), vec![Fatal(field)])
            .waits_for(Fix::RefPatchTransforms)
    };
    let to_int = json!({"type": "convert", "convert": {"format": "none", "toType": "int"}});
    let db_number = json!({"type": "string", "string": {"type": "Format", "fmt": "db-%d"}});
    vec![
        case(
            transform("ValidMathMultiply"),
            "Multiply is valid: with ValidConvert's convert (format none, to int) first, \"2\" × 2 \
             formatted db-%d names the Secret db-4",
            transformed(
                "spec.size",
                json!([to_int, {"type": "math", "math": {"type": "Multiply", "multiply": 2}}, db_number]),
            )
            .into(),
            vec![Secrets(&["apps/db-4"]), NoResults],
        )
        .waits_for(Fix::RefPatchTransforms),
        case(
            transform("ValidMathClampMin"),
            "ClampMin is valid: 2 clamped to at least 10 names the Secret db-10",
            transformed(
                "spec.size",
                json!([to_int, {"type": "math", "math": {"type": "ClampMin", "clampMin": 10}}, db_number]),
            )
            .into(),
            vec![Secrets(&["apps/db-10"]), NoResults],
        )
        .waits_for(Fix::RefPatchTransforms),
        invalid(
            "InvalidMathWrongSpec",
            "Multiply with only clampMin set is an error naming math.multiply",
            &["patches[0].transforms[0].math.multiply"],
            json!([{"type": "math", "math": {"type": "Multiply", "clampMin": 10}}]),
        ),
        invalid(
            "InvalidMathNotDefinedAtAll",
            "type math without math is an error naming math",
            &["patches[0].transforms[0].math"],
            json!([{"type": "math"}]),
        ),
        case(
            transform("ValidMap"),
            "a map with pairs is valid: foo maps to bar",
            transformed("spec.env", json!([{"type": "map", "map": {"foo": "bar"}}])).into(),
            vec![Secrets(&["apps/bar"]), NoResults],
        )
        .waits_for(Fix::RefPatchTransforms),
        invalid(
            "InvalidMapNoMap",
            "type map without map is an error naming map",
            &["patches[0].transforms[0].map"],
            json!([{"type": "map"}]),
        ),
        invalid(
            "InvalidMapNoPairs",
            "a map without pairs is an error naming map (its pairs are inline)",
            &["patches[0].transforms[0].map"],
            json!([{"type": "map", "map": {}}]),
        ),
        invalid(
            "InvalidMatchNoMatch",
            "type match without match is an error naming match",
            &["patches[0].transforms[0].match"],
            json!([{"type": "match"}]),
        ),
        invalid(
            "InvalidMatchEmptyTransform",
            "a match without patterns is an error naming match.patterns",
            &["patches[0].transforms[0].match.patterns"],
            json!([{"type": "match", "match": {}}]),
        ),
        case(
            transform("ValidMatchTransformRegexp"),
            "a regexp pattern is valid (given a result, which their case leaves out): .* matches foo",
            transformed(
                "spec.env",
                json!([{"type": "match", "match": {"patterns": [
                {"type": "regexp", "regexp": ".*", "result": "matched"}]}}]),
            )
            .into(),
            vec![Secrets(&["apps/matched"]), NoResults],
        )
        .waits_for(Fix::RefPatchTransforms),
        invalid(
            "InvalidMatchTransformRegexp",
            "a pattern whose regexp does not compile is an error naming it",
            &["patches[0].transforms[0].match.patterns[0].regexp"],
            json!([{"type": "match", "match": {"patterns": [{"type": "regexp", "regexp": "?"}]}}]),
        ),
        case(
            transform("ValidMatchTransformString"),
            "literal patterns are valid (given results): foo matches the first",
            transformed(
                "spec.env",
                json!([{"type": "match", "match": {"patterns": [
                {"type": "literal", "literal": "foo", "result": "from-foo"},
                {"literal": "bar", "result": "from-bar"}]}}]),
            )
            .into(),
            vec![Secrets(&["apps/from-foo"]), NoResults],
        )
        .waits_for(Fix::RefPatchTransforms),
        invalid(
            "InvalidStringNoString",
            "type string without string is an error naming string",
            &["patches[0].transforms[0].string"],
            json!([{"type": "string"}]),
        ),
        case(
            transform("ValidString"),
            "a string Format transform is valid (their format is foo; here %s-foo, since Go appends \
             %!(EXTRA ...) to a format without a verb)",
            transformed("spec.env", json!([{"type": "string", "string": {"type": "Format", "fmt": "%s-foo"}}])).into(),
            vec![Secrets(&["apps/foo-foo"]), NoResults],
        )
        .waits_for(Fix::RefPatchTransforms),
        invalid(
            "InvalidConvertMissingConvert",
            "type convert without convert is an error naming convert",
            &["patches[0].transforms[0].convert"],
            json!([{"type": "convert"}]),
        ),
        invalid(
            "InvalidConvertUnknownFormat",
            "an unknown convert format is an error naming convert.format",
            &["patches[0].transforms[0].convert.format"],
            json!([{"type": "convert", "convert": {"format": "foo", "toType": "string"}}]),
        ),
        invalid(
            "InvalidConvertUnknownToType",
            "an unknown toType is an error naming convert.toType",
            &["patches[0].transforms[0].convert.toType"],
            json!([{"type": "convert", "convert": {"toType": "foo"}}]),
        ),
    ]
}

/// P&T's whole function, where it overlaps: input, pass-through, and the
/// XR's details.
fn patch_and_transform_run_function() -> Vec<Case> {
    use Expect::*;
    let run = |case| pt(PT_FN, "TestRunFunction", case);
    let existing = || {
        json!({"composite": {"resource": {"apiVersion": "example.org/v1", "kind": "XR"},
                                           "connectionDetails": {"existing": BASE64.encode("supersecretvalue")}}})
    };
    let v2 = || {
        json!({"apiVersion": "example.org/v1", "kind": "XR",
                       "metadata": {"namespace": "default", "name": "cool-xr-42"},
                       "spec": {"foo": "bar", "crossplane": {}}})
    };
    vec![
        case(
            run("NoInput"),
            "a request without input is FATAL",
            {
                let mut request = Request::legacy(json!({}));
                request.0.as_object_mut().unwrap().remove("input");
                request.into()
            },
            vec![Fatal(&["gives no input"])],
        ),
        case(
            run("DesiredResourcesArePassedThrough"),
            "desired resources of earlier steps pass through untouched",
            very_secret(legacy_xr("0a1b2c3d", json!({})), json!({}))
                .desired(json!({"resources": {"existing-resource": {"resource":
                    {"apiVersion": "example.org/v1", "kind": "ExistingCD"}}}}))
                .into(),
            vec![Desired("existing-resource", json!({"apiVersion": "example.org/v1", "kind": "ExistingCD"}))],
        ),
        case(
            run("ExtractCompositeConnectionDetails"),
            "a legacy XR's details join those earlier steps desired",
            very_secret(legacy_xr("0a1b2c3d", json!({})), json!({})).desired(existing()).into(),
            vec![Composite(&[("existing", "supersecretvalue"), ("very", "secret")]), NoResults],
        ),
        case(
            run("ExtractCompositeConnectionDetailsV2XR"),
            "a v2 XR's composed Secret, named by the input, holds the earlier steps' keys and its own, \
             Ready, under P&T's key <xr-name>-connection-secret (which connectionSecretResourceName takes over)",
            very_secret(
                v2(),
                json!({"writeConnectionSecretToRef": {"name": "cool-conn-secret"},
                                     "connectionSecretResourceName": "$(xr-name)-connection-secret"}),
            )
            .desired(existing())
            .into(),
            vec![
                Secret("default/cool-conn-secret", &[("existing", "supersecretvalue"), ("very", "secret")]),
                KeyedAs("default/cool-conn-secret", "cool-xr-42-connection-secret"),
                Ready("default/cool-conn-secret"),
            ],
        )
        .waits_for(Fix::EarlierStepsKeys),
    ]
}
