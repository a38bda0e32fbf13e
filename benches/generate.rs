//! Requests of any size for the scaling benchmarks: a Crossplane v2 XR with
//! `resources` composed resources, each observed with a realistic body
//! (about a kilobyte: metadata, spec, status) and a connection secret of
//! `keys` keys, and an input that takes every key of every resource under a
//! name of its own. Values are 8 bytes, so even 10,000 resources × 4 keys
//! stay under a Secret's 1 MiB.

use serde_json::{Map, Value, json};

/// The request as protojson.
pub fn request_json(resources: usize, keys: usize) -> Value {
    let observed: Map<String, Value> = (0..resources).map(|i| (name(i), observed_resource(i, keys))).collect();
    let entries: Vec<Value> = (0..resources).map(|i| input_entry(i, keys)).collect();
    json!({
        "meta": {"tag": format!("scale-{resources}x{keys}")},
        "observed": {
            "composite": {"resource": {
                "apiVersion": "example.org/v1alpha1", "kind": "Fleet",
                "metadata": {"name": "fleet", "namespace": "apps", "uid": "6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"},
                "spec": {"crossplane": {"compositionRef": {"name": "fleets"}}},
            }},
            "resources": observed,
        },
        "input": {
            "apiVersion": "connection.fn.crossplane.io/v1beta1",
            "kind": "ConnectionDetails",
            "resources": entries,
        },
    })
}

fn name(i: usize) -> String {
    format!("db-{i:05}")
}

fn key(k: usize) -> String {
    format!("key-{k}")
}

fn observed_resource(i: usize, keys: usize) -> Value {
    // Standard base64 of 16 bytes of text.
    let details: Map<String, Value> = (0..keys).map(|k| (key(k), json!("dmFsdWUtMDA="))).collect();
    json!({
        "resource": {
            "apiVersion": "rds.aws.upbound.io/v1beta1", "kind": "Instance",
            "metadata": {
                "name": format!("fleet-{}", name(i)),
                "annotations": {"crossplane.io/composition-resource-name": name(i),
                                "crossplane.io/external-name": format!("fleet-{}", name(i))},
                "labels": {"crossplane.io/composite": "fleet"},
            },
            "spec": {
                "forProvider": {"region": "eu-west-1", "engine": "postgres", "engineVersion": "16.3",
                                "instanceClass": "db.t4g.micro", "allocatedStorage": 20, "username": "app",
                                "skipFinalSnapshot": true, "publiclyAccessible": false},
                "writeConnectionSecretToRef": {"name": format!("fleet-{}", name(i)), "namespace": "apps"},
                "providerConfigRef": {"name": "default"},
            },
            "status": {
                "atProvider": {"address": format!("fleet-{}.abcdefghijkl.eu-west-1.rds.amazonaws.com", name(i)),
                               "port": 5432, "arn": format!("arn:aws:rds:eu-west-1:123456789012:db:fleet-{}", name(i))},
                "conditions": [{"type": "Ready", "status": "True", "reason": "Available"},
                               {"type": "Synced", "status": "True", "reason": "ReconcileSuccess"}],
            },
        },
        "connectionDetails": details,
    })
}

fn input_entry(i: usize, keys: usize) -> Value {
    let details: Vec<Value> = (0..keys)
        .map(|k| json!({"name": format!("{}-{}", name(i), key(k)), "fromConnectionSecretKey": key(k)}))
        .collect();
    json!({"name": name(i), "connectionDetails": details})
}
