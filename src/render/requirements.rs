//! Answers a function's requirements from the `--required-resources` files,
//! the way Crossplane would fetch them from the cluster.

use std::collections::BTreeMap;

use serde_json::Value;

use super::documents::Document;
use crate::protocol::v1::resource_selector::Match;
use crate::protocol::v1::{Resource, ResourceSelector, Resources};

/// Every selector's matches, under the selector's key.
pub fn answer(selectors: &BTreeMap<String, ResourceSelector>, documents: &[Document]) -> BTreeMap<String, Resources> {
    selectors
        .iter()
        .map(|(key, selector)| {
            let items = documents
                .iter()
                .filter(|document| matches(selector, &document.value))
                .map(|document| Resource { resource: Some(document.to_struct()), ..Default::default() })
                .collect();
            (key.clone(), Resources { items })
        })
        .collect()
}

fn matches(selector: &ResourceSelector, object: &Value) -> bool {
    let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
    let same_type =
        text("/apiVersion") == Some(selector.api_version.as_str()) && text("/kind") == Some(selector.kind.as_str());
    let same_namespace =
        selector.namespace.as_deref().is_none_or(|namespace| text("/metadata/namespace") == Some(namespace));
    let selected = match &selector.r#match {
        Some(Match::MatchName(name)) => text("/metadata/name") == Some(name.as_str()),
        Some(Match::MatchLabels(wanted)) => wanted.labels.iter().all(|(label, value)| {
            object.pointer("/metadata/labels").and_then(|labels| labels.get(label)).and_then(Value::as_str)
                == Some(value.as_str())
        }),
        None => false,
    };
    same_type && same_namespace && selected
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::v1::MatchLabels;
    use serde_json::json;

    fn document(value: Value) -> Document {
        Document { file: "required.yaml".to_owned(), index: 1, value, text: "".into() }
    }

    fn secret(namespace: &str, name: &str, labels: Value) -> Document {
        document(json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace, "labels": labels}}))
    }

    fn names(answers: &BTreeMap<String, Resources>, key: &str) -> Vec<String> {
        answers[key]
            .items
            .iter()
            .map(|item| {
                let object = crate::protocol::struct_to_json(item.resource.as_ref().unwrap());
                object["metadata"]["name"].as_str().unwrap().to_owned()
            })
            .collect()
    }

    #[test]
    fn matches_by_name_or_labels_type_and_namespace() {
        let documents = [
            secret("default", "server-admin-pw", json!({})),
            secret("other", "server-admin-pw", json!({})),
            secret("default", "labelled", json!({"app": "db", "tier": "x"})),
            document(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "server-admin-pw"}})),
        ];
        let by_name = ResourceSelector {
            api_version: "v1".into(),
            kind: "Secret".into(),
            r#match: Some(Match::MatchName("server-admin-pw".into())),
            namespace: Some("default".into()),
        };
        let by_labels = ResourceSelector {
            api_version: "v1".into(),
            kind: "Secret".into(),
            r#match: Some(Match::MatchLabels(MatchLabels { labels: [("app".into(), "db".into())].into() })),
            namespace: None,
        };
        let answers = answer(&BTreeMap::from([("a".into(), by_name), ("b".into(), by_labels)]), &documents);
        assert_eq!(names(&answers, "a"), ["server-admin-pw"]);
        assert_eq!(names(&answers, "b"), ["labelled"]);
    }
}
