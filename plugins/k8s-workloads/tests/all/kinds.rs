//! Every workload kind is judged: ReplicationController, bare ReplicaSet and PodTemplate
//! (`tests/fixtures/manifests/workload-kinds`), and a ReplicaSet its Deployment owns is
//! left to the Deployment.

use std::path::Path;

use aiops_sdk::testing::k8s_resources_from_dir;

use crate::common::{hits, run_resources};

#[test]
fn replication_controllers_bare_replica_sets_and_pod_templates_are_judged() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/manifests/workload-kinds");
    let run = run_resources("{}", k8s_resources_from_dir(&dir));
    assert!(run.logs.is_empty(), "{:?}", run.logs);
    let found = hits(&run);
    let expected: Vec<(String, String, String)> = [
        (
            "image-pull-policy-unset",
            "k8s/ReplicationController/redis-leader",
            "leader",
        ),
        (
            "image-tag-mutable",
            "k8s/ReplicationController/redis-leader",
            "leader",
        ),
        (
            "liveness-probe-missing",
            "k8s/PodTemplate/batch-runner",
            "runner",
        ),
        (
            "liveness-probe-missing",
            "k8s/ReplicaSet/frontend",
            "php-redis",
        ),
        (
            "liveness-probe-missing",
            "k8s/ReplicationController/redis-leader",
            "leader",
        ),
        (
            "readiness-probe-missing",
            "k8s/PodTemplate/batch-runner",
            "runner",
        ),
        (
            "readiness-probe-missing",
            "k8s/ReplicaSet/frontend",
            "php-redis",
        ),
        (
            "readiness-probe-missing",
            "k8s/ReplicationController/redis-leader",
            "leader",
        ),
        (
            "single-replica-without-pdb",
            "k8s/ReplicationController/redis-leader",
            "-",
        ),
    ]
    .iter()
    .map(|(r, id, c)| (r.to_string(), id.to_string(), c.to_string()))
    .collect();
    assert_eq!(found, expected);
    assert!(
        found
            .iter()
            .all(|(_, id, _)| !id.contains("web-6d4cf56db6")),
        "an owned ReplicaSet is judged through its Deployment"
    );
}
