//! Every workload kind is judged: ReplicationController, bare ReplicaSet and PodTemplate
//! (`tests/fixtures/manifests/workload-kinds`), and a ReplicaSet its Deployment owns is
//! left to the Deployment.

use std::path::Path;

use aiops_sdk::testing::k8s_resources_from_dir;

use crate::common::{row, rows, run_resources};

#[test]
fn replication_controllers_bare_replica_sets_and_pod_templates_are_judged() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/manifests/workload-kinds");
    let run = run_resources("{}", k8s_resources_from_dir(&dir));
    assert!(run.logs.is_empty(), "{:?}", run.logs);
    assert_eq!(
        run.summary(),
        rows(vec![
            row(
                "cpu-request-missing",
                "k8s/ReplicationController/redis-leader",
                "leader"
            ),
            row(
                "memory-request-missing",
                "k8s/ReplicationController/redis-leader",
                "leader"
            ),
            row(
                "cpu-limit-missing",
                "k8s/ReplicationController/redis-leader",
                "leader"
            ),
            row(
                "memory-limit-missing",
                "k8s/ReplicationController/redis-leader",
                "leader"
            ),
            row("cpu-limit-missing", "k8s/ReplicaSet/frontend", "php-redis"),
            row(
                "memory-limit-missing",
                "k8s/ReplicaSet/frontend",
                "php-redis"
            ),
            row(
                "memory-limit-missing",
                "k8s/PodTemplate/batch-runner",
                "runner"
            ),
        ])
    );
    assert!(
        run.findings
            .iter()
            .all(|f| f.resource_id != "k8s/ReplicaSet/shop/web-6d4cf56db6"),
        "an owned ReplicaSet is judged through its Deployment"
    );
}
