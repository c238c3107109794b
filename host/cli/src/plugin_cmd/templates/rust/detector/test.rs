//! The detector's logic natively (plain `cargo test`, no wasm) on the fixtures; the
//! built component is tested on the same fixtures by `aiops plugin test`.

use std::path::Path;

use aiops_sdk::testing::{Harness, assert_info_is_well_formed, k8s_resources_from_dir};
use aiops_sdk::Detector;
use {{crate}}::{{type}};

fn fixtures() -> Vec<aiops_sdk::Resource> {
    k8s_resources_from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"))
}

#[test]
fn flags_the_workloads_with_too_few_replicas() {
    let run = Harness::<{{type}}>::new().detect(fixtures()).unwrap();
    let flagged: Vec<&str> = run.findings.iter().map(|f| f.resource_id.as_str()).collect();
    assert_eq!(
        flagged,
        ["k8s/Deployment/shop/web", "k8s/StatefulSet/shop/queue"]
    );
}

#[test]
fn min_replicas_comes_from_the_config() {
    let run = Harness::<{{type}}>::new()
        .config(r#"{"min_replicas": 4}"#)
        .detect(fixtures())
        .unwrap();
    assert_eq!(run.findings.len(), 3);
}

#[test]
fn info_is_well_formed() {
    assert_info_is_well_formed(&{{type}}::info());
}
