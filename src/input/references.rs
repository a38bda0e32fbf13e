//! Checks across fields: a key that readiness, fan-out or a template names
//! must be produced by some entry.

use std::collections::BTreeSet;

use super::reader::{Path, Reader};
use super::{Input, RequiredKeys};
use crate::derive;
use crate::spelling;

impl Reader {
    /// Keys that readiness, fan-out or templates name must be produced by
    /// some entry: otherwise readiness is never reached, a destination never
    /// filled, a derived key never computed.
    pub(super) fn references_are_declared(&mut self, input: &Input, root: &Path) {
        let declared: BTreeSet<&str> = input.declared_keys().map(|(key, _)| key.as_str()).collect();
        let check = |reader: &mut Self, path: &Path, key: &str, consequence: &str| {
            if !declared.contains(key) {
                let hint = spelling::closest(key, declared.iter().copied())
                    .map(|close| format!("; did you mean {close:?}?"))
                    .unwrap_or_default();
                reader.fail(path, format!("no entry produces {key:?}, so {consequence}{hint}"));
            }
        };
        if let RequiredKeys::Keys(required) = &input.required_keys {
            let readiness = root.field("readiness");
            let path = readiness.field("requiredKeys");
            for (i, key) in required.iter().enumerate() {
                check(self, &path.index(i), key.as_str(), "readiness would never be reached");
            }
        }
        for (field, items) in [("secrets", &input.secrets), ("configMaps", &input.config_maps)] {
            let list = root.field(field);
            for (i, item) in items.iter().enumerate() {
                let item_path = list.index(i);
                check(self, &item_path.field("key"), item.key.as_str(), "it would never be copied");
            }
        }
        let derived_path = root.field("derived");
        for (i, derived) in input.derived.iter().enumerate() {
            let item_path = derived_path.index(i);
            let path = item_path.field("template");
            for variable in derive::plain_variables(&derived.template) {
                if !declared.contains(variable.as_str()) && !derive::is_global(&variable) {
                    check(self, &path, &variable, "the template could never be rendered");
                }
            }
        }
    }
}
