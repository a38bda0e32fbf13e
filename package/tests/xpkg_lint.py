"""The checks `crossplane xpkg build` makes of a Function package's YAML
stream before it writes an image, and those the API server makes of the CRDs
Crossplane then installs.

From crossplane-runtime (v2) pkg/xpkg: build.go parses the stream and
requires exactly one package metadata object (meta.pkg.crossplane.io); for a
Function, lint.go's NewFunctionLinter requires that object to be a
meta.pkg.crossplane.io/v1 Function whose spec.crossplane.version, when set,
parses as a Masterminds semver constraint (PackageValidSemver), and every
other object to be a CustomResourceDefinition (IsCRD). The CRD checks follow
Kubernetes' validation of apiextensions.k8s.io/v1 objects: the name is
<plural>.<group>, at least one version, exactly one stored, each with a
schema.
"""

import re

import yaml

META_GROUP = "meta.pkg.crossplane.io"
FUNCTION_API = META_GROUP + "/v1"
CRD_API = "apiextensions.k8s.io/v1"

# Masterminds semver v3 (constraints.go): an operator, possibly empty, then a
# version whose parts may be wildcards; constraints joined by spaces or
# commas make an AND group, groups joined by || an OR.
_OPERATOR = r"(?:=|!=|>=|=>|<=|=<|~>|~|\^|>|<|)"
_VERSION = (
    r"v?(?:[0-9]+|[xX*])(?:\.(?:[0-9]+|[xX*]))?(?:\.(?:[0-9]+|[xX*]))?"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
_CONSTRAINT = rf"\s*{_OPERATOR}\s*{_VERSION}\s*"
_AND_GROUP = re.compile(rf"^{_CONSTRAINT}(?:(?:\s+|,\s*){_CONSTRAINT})*$")
# "1.2 - 1.4" means ">= 1.2, <= 1.4".
_HYPHEN_RANGE = re.compile(rf"\s*({_VERSION})\s+-\s+({_VERSION})\s*")


class LintError(Exception):
    """What makes the package one `crossplane xpkg build` refuses."""


def valid_constraint(text):
    """Whether `text` parses as a Masterminds semver constraint."""
    ranges_rewritten = _HYPHEN_RANGE.sub(lambda match: f" >={match[1]}, <={match[2]} ", text)
    return all(_AND_GROUP.match(group) for group in ranges_rewritten.split("||"))


def lint_function_package(stream):
    """The objects of a Function package's YAML stream, meta first; raises
    LintError naming the document and what is wrong."""
    documents = [doc for doc in yaml.safe_load_all(stream) if doc is not None]
    for number, doc in enumerate(documents, 1):
        if not isinstance(doc, dict) or "apiVersion" not in doc or "kind" not in doc:
            raise LintError(f"document {number}: not a Kubernetes object (apiVersion and kind)")
    metas = [doc for doc in documents if doc["apiVersion"].split("/")[0] == META_GROUP]
    if len(metas) != 1:
        raise LintError(f"not exactly one package meta type: {len(metas)} {META_GROUP} objects")
    if documents[0] is not metas[0]:
        raise LintError("the package meta object must come first, as crossplane xpkg build writes it")
    lint_meta(metas[0])
    for number, doc in enumerate(documents, 1):
        if doc is not metas[0]:
            lint_crd(number, doc)
    return documents


def lint_meta(meta):
    if (meta["apiVersion"], meta["kind"]) != (FUNCTION_API, "Function"):
        raise LintError(f"package meta type is not Function: {meta['apiVersion']} {meta['kind']}")
    if not (meta.get("metadata") or {}).get("name"):
        raise LintError("the Function has no metadata.name")
    constraint = ((meta.get("spec") or {}).get("crossplane") or {}).get("version")
    if constraint is not None and not (isinstance(constraint, str) and valid_constraint(constraint)):
        raise LintError(f"package version constraints are poorly formatted: spec.crossplane.version {constraint!r}")


def lint_crd(number, crd):
    where = f"document {number} ({crd['kind']} {(crd.get('metadata') or {}).get('name')})"
    if (crd["apiVersion"], crd["kind"]) != (CRD_API, "CustomResourceDefinition"):
        raise LintError(f"{where}: object is not a CRD")
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    for field in ("plural", "kind"):
        if not names.get(field):
            raise LintError(f"{where}: spec.names.{field} is required")
    expected = f"{names['plural']}.{spec.get('group')}"
    if crd["metadata"].get("name") != expected:
        raise LintError(f"{where}: metadata.name must be spec.names.plural.spec.group, {expected}")
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        raise LintError(f"{where}: spec.scope must be Namespaced or Cluster")
    versions = spec.get("versions") or []
    if not versions:
        raise LintError(f"{where}: spec.versions must list at least one version")
    if sum(1 for version in versions if version.get("storage") is True) != 1:
        raise LintError(f"{where}: exactly one of spec.versions must have storage: true")
    for index, version in enumerate(versions):
        if not version.get("name") or not isinstance(version.get("served"), bool):
            raise LintError(f"{where}: spec.versions[{index}] needs a name and served")
        schema = (version.get("schema") or {}).get("openAPIV3Schema") or {}
        if schema.get("type") != "object":
            raise LintError(f"{where}: spec.versions[{index}].schema.openAPIV3Schema must be of type object")
