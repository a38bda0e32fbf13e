"""The lint refuses what `crossplane xpkg build` refuses: each case breaks
one rule of the package's real stream."""

import unittest
from pathlib import Path

import yaml

from xpkg_lint import LintError, lint_function_package, valid_constraint

PACKAGE = Path(__file__).resolve().parents[1]


def stream(*documents):
    return "".join("---\n" + yaml.safe_dump(doc) for doc in documents)


class Lint(unittest.TestCase):
    def setUp(self):
        self.meta = yaml.safe_load((PACKAGE / "crossplane.yaml").read_text())
        self.crd = yaml.safe_load((PACKAGE / "input/connection.fn.crossplane.io_connectiondetails.yaml").read_text())

    def refused(self, text, why):
        with self.assertRaisesRegex(LintError, why):
            lint_function_package(text)

    def test_the_meta_then_the_crd_pass(self):
        self.assertEqual(len(lint_function_package(stream(self.meta, self.crd))), 2)

    def test_no_meta_or_two_are_refused(self):
        self.refused(stream(self.crd), "not exactly one package meta type: 0")
        self.refused(stream(self.meta, self.meta, self.crd), "not exactly one package meta type: 2")

    def test_a_meta_that_is_no_function_is_refused(self):
        self.meta["kind"] = "Provider"
        self.refused(stream(self.meta, self.crd), "is not Function")

    def test_a_bad_crossplane_version_constraint_is_refused(self):
        self.meta["spec"]["crossplane"]["version"] = "latest"
        self.refused(stream(self.meta, self.crd), "poorly formatted: spec.crossplane.version 'latest'")

    def test_an_object_that_is_no_crd_is_refused(self):
        config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
        self.refused(stream(self.meta, config_map), r"document 2 \(ConfigMap x\): object is not a CRD")

    def test_a_crd_kubernetes_would_refuse_is_refused(self):
        self.crd["metadata"]["name"] = "connectiondetails.example.org"
        self.refused(stream(self.meta, self.crd), "must be spec.names.plural.spec.group")
        self.crd["metadata"]["name"] = "connectiondetails.connection.fn.crossplane.io"
        self.crd["spec"]["versions"][0]["storage"] = False
        self.refused(stream(self.meta, self.crd), "exactly one of spec.versions must have storage")

    def test_the_meta_comes_first(self):
        self.refused(stream(self.crd, self.meta), "must come first")


class Constraints(unittest.TestCase):
    """Masterminds semver v3's constraint syntax, which Crossplane parses."""

    def test_valid(self):
        for text in [">=v1.17.0-0", ">=v1.14.1-0", "^1.x", "~1.2.3", ">= 1.2, < 2.0", ">=1.2 <2", "1.2 - 2.3",
                     "1.x || >=2.5.0", "*", "v2"]:
            self.assertTrue(valid_constraint(text), text)

    def test_invalid(self):
        for text in ["", "latest", ">= bar", "v1.17+", "=> v1 ||", "1.2.3.4", "== 1.0"]:
            self.assertFalse(valid_constraint(text), text)


if __name__ == "__main__":
    unittest.main()
