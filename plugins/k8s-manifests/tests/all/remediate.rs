//! k8s-manifests through the SDK harness, one test per kind of edit and per refusal.

use aiops_sdk::testing::{
    Harness, edited, finding_with_change, k8s_resources_from_yaml, source_files,
};
use aiops_sdk::{Finding, Outcome, Resource};
use k8s_manifests::K8sManifests;

const CART: &str = "\
# The cart service.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
  namespace: shop
spec:
  replicas: 1             # prod runs 2
  template:
    spec:
      initContainers:
        # migrations
        - name: migrate
          image: cart:5
      containers:
        - name: cart
          image: cart:5   # pinned
          resources:
            requests:
              cpu: 250m
              memory: 512Mi
            limits:
              cpu: \"2\"          # copied
              memory: 256Mi
---
apiVersion: v1
kind: Service
metadata:
  name: cart
  namespace: shop
spec:
  ports:
    - port: 8080
";

fn cart() -> Resource {
    k8s_resources_from_yaml(CART).remove(0)
}

fn run(finding: Finding, files: &[(&str, &str)]) -> Outcome {
    Harness::<K8sManifests>::new().remediate(finding, cart(), source_files(files))
}

fn run_with(config: &str, finding: Finding, files: &[(&str, &str)]) -> Outcome {
    Harness::<K8sManifests>::new()
        .config(config)
        .remediate(finding, cart(), source_files(files))
}

fn change(path: &str, current: Option<&str>, proposed: &str) -> Finding {
    finding_with_change(
        "k8s.resources.x",
        &cart(),
        Some("cart"),
        path,
        current,
        proposed,
    )
}

fn cannot(outcome: Outcome) -> String {
    match outcome {
        Outcome::CannotFix(why) => why,
        Outcome::Edits(e) => panic!("expected cannot-fix, got edits {e:?}"),
    }
}

/// `text` with exactly one line replaced.
fn replaced(text: &str, old: &str, new: &str) -> String {
    assert_eq!(text.matches(old).count(), 1, "`{old}` must be unique");
    text.replace(old, new)
}

#[test]
fn changes_a_limit_keeping_quotes_comments_and_the_other_document() {
    let out = run(
        change(
            "/spec/template/spec/containers/0/resources/limits/cpu",
            Some("\"2\""),
            "\"1\"",
        ),
        &[("k8s/cart.yaml", CART)],
    );
    let want = replaced(
        CART,
        "cpu: \"2\"          # copied",
        "cpu: \"1\"          # copied",
    );
    assert_eq!(edited(&out, "k8s/cart.yaml"), Some(want.as_str()));
}

#[test]
fn adds_requests_to_a_container_without_resources() {
    let out = run(
        change(
            "/spec/template/spec/initContainers/0/resources/requests/cpu",
            None,
            "\"100m\"",
        ),
        &[("k8s/cart.yaml", CART)],
    );
    let want = replaced(
        CART,
        "          image: cart:5\n      containers:",
        "          image: cart:5\n          resources:\n            requests:\n              cpu: 100m\n      containers:",
    );
    assert_eq!(edited(&out, "k8s/cart.yaml"), Some(want.as_str()));
}

#[test]
fn adds_a_limit_next_to_existing_ones() {
    let text = CART.replace("              memory: 256Mi\n", "");
    let out = run(
        change(
            "/spec/template/spec/containers/0/resources/limits/memory",
            None,
            "\"512Mi\"",
        ),
        &[("k8s/cart.yaml", &text)],
    );
    assert_eq!(
        edited(&out, "k8s/cart.yaml"),
        Some(CART.replace("256Mi", "512Mi").as_str())
    );
}

#[test]
fn changes_replicas() {
    let out = run(
        change("/spec/replicas", Some("1"), "2"),
        &[("k8s/cart.yaml", CART)],
    );
    let want = replaced(CART, "replicas: 1  ", "replicas: 2  ");
    assert_eq!(edited(&out, "k8s/cart.yaml"), Some(want.as_str()));
}

#[test]
fn sets_image_pull_policy_from_the_hint_or_the_config() {
    let out = run(
        change(
            "/spec/template/spec/containers/0/imagePullPolicy",
            None,
            "\"Always\"",
        ),
        &[("k8s/cart.yaml", CART)],
    );
    let want = replaced(
        CART,
        "              memory: 256Mi\n",
        "              memory: 256Mi\n          imagePullPolicy: Always\n",
    );
    assert_eq!(edited(&out, "k8s/cart.yaml"), Some(want.as_str()));

    let mut no_hint = change("/x", None, "1");
    no_hint.rule = "k8s.workloads.image-pull-policy-missing".into();
    no_hint.remediation = None;
    let out = run(no_hint, &[("k8s/cart.yaml", CART)]);
    let want = replaced(
        CART,
        "              memory: 256Mi\n",
        "              memory: 256Mi\n          imagePullPolicy: IfNotPresent\n",
    );
    assert_eq!(edited(&out, "k8s/cart.yaml"), Some(want.as_str()));
}

#[test]
fn adds_probes_from_the_configured_template() {
    let config = r#"{"probes": {"liveness": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10}}}"#;
    let mut finding = change("/x", None, "1");
    finding.rule = "k8s.workloads.liveness-probe-missing".into();
    finding.remediation = None;
    let out = run_with(config, finding.clone(), &[("k8s/cart.yaml", CART)]);
    let want = replaced(
        CART,
        "              memory: 256Mi\n",
        "              memory: 256Mi\n          livenessProbe:\n            httpGet:\n              path: /healthz\n              port: 8080\n            periodSeconds: 10\n",
    );
    assert_eq!(edited(&out, "k8s/cart.yaml"), Some(want.as_str()));

    let why = cannot(run(finding, &[("k8s/cart.yaml", CART)]));
    assert!(why.contains("probes.liveness"), "{why}");

    // A detector's proposed probe is used when no template is configured...
    let path = "/spec/template/spec/containers/0/readinessProbe";
    let proposed = r#"{"tcpSocket":{"port":8080}}"#;
    let out = run(change(path, None, proposed), &[("k8s/cart.yaml", CART)]);
    let want = replaced(
        CART,
        "              memory: 256Mi\n",
        "              memory: 256Mi\n          readinessProbe:\n            tcpSocket:\n              port: 8080\n",
    );
    assert_eq!(edited(&out, "k8s/cart.yaml"), Some(want.as_str()));
    // ...and the configured template wins over it.
    let config = r#"{"probes": {"readiness": {"httpGet": {"path": "/ready", "port": 8080}}}}"#;
    let out = run_with(
        config,
        change(path, None, proposed),
        &[("k8s/cart.yaml", CART)],
    );
    assert!(
        edited(&out, "k8s/cart.yaml")
            .unwrap()
            .contains("readinessProbe:\n            httpGet:\n              path: /ready\n")
    );
}

#[test]
fn edits_the_kustomize_patch_that_sets_the_value_seen() {
    let kustomization = "resources:\n  - ../../base\npatches:\n  - path: patches/cart.yaml\n";
    let patch = "# prod\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cart\nspec:\n  template:\n    spec:\n      containers:\n        - name: cart\n          resources:\n            limits:\n              memory: 1Gi   # sale\n";
    let files = [
        ("k8s/base/cart.yaml", CART),
        ("k8s/overlays/prod/kustomization.yaml", kustomization),
        ("k8s/overlays/prod/patches/cart.yaml", patch),
    ];
    let path = "/spec/template/spec/containers/0/resources/limits/memory";
    // The cluster runs the overlay: the detector saw the patch's 1Gi.
    let out = run(change(path, Some("\"1Gi\""), "\"768Mi\""), &files);
    let Outcome::Edits(edits) = &out else {
        panic!("{out:?}")
    };
    assert_eq!(edits.len(), 1, "only the patch changes");
    assert_eq!(
        edited(&out, "k8s/overlays/prod/patches/cart.yaml"),
        Some(patch.replace("1Gi", "768Mi").as_str())
    );
    // The base was scanned: it saw 256Mi, so the base changes.
    let out = run(change(path, Some("\"256Mi\""), "\"512Mi\""), &files);
    assert_eq!(
        edited(&out, "k8s/base/cart.yaml"),
        Some(CART.replace("memory: 256Mi", "memory: 512Mi").as_str())
    );
    assert_eq!(edited(&out, "k8s/overlays/prod/patches/cart.yaml"), None);
}

#[test]
fn a_source_already_at_the_proposed_value_gives_no_edit() {
    let out = run(
        change(
            "/spec/template/spec/containers/0/resources/limits/memory",
            Some("\"256Mi\""),
            "\"512Mi\"",
        ),
        &[(
            "k8s/cart.yaml",
            &CART.replace("memory: 256Mi", "memory: 512Mi"),
        )],
    );
    assert_eq!(out, Outcome::Edits(vec![]));
}

#[test]
fn refuses_a_source_that_disagrees_with_what_the_detector_saw() {
    let why = cannot(run(
        change(
            "/spec/template/spec/containers/0/resources/limits/memory",
            Some("\"300Mi\""),
            "\"512Mi\"",
        ),
        &[("k8s/cart.yaml", CART)],
    ));
    assert!(
        why.contains("sets `spec.template.spec.containers[cart].resources.limits.memory` to 256Mi")
            && why.contains("saw 300Mi"),
        "{why}"
    );
}

#[test]
fn quantities_are_compared_exactly() {
    let out = run(
        change(
            "/spec/template/spec/containers/0/resources/limits/memory",
            Some("\"0.25Gi\""),
            "\"512Mi\"",
        ),
        &[("k8s/cart.yaml", CART)],
    );
    assert!(edited(&out, "k8s/cart.yaml").is_some());
}

#[test]
fn refuses_anchors_and_aliases_on_the_path() {
    let text = CART.replace(
        "          resources:\n            requests:",
        "          resources: &res\n            requests:",
    );
    let why = cannot(run(
        change(
            "/spec/template/spec/containers/0/resources/limits/cpu",
            Some("\"2\""),
            "\"1\"",
        ),
        &[("k8s/cart.yaml", &text)],
    ));
    assert!(why.contains("anchor"), "{why}");
}

#[test]
fn refuses_nested_values_in_flow_style() {
    let text = CART.replace(
        "        - name: migrate\n          image: cart:5\n",
        "        - {name: migrate, image: \"cart:5\"}\n",
    );
    let why = cannot(run(
        change(
            "/spec/template/spec/initContainers/0/resources/requests/cpu",
            None,
            "\"100m\"",
        ),
        &[("k8s/cart.yaml", &text)],
    ));
    assert!(why.contains("flow-style"), "{why}");
}

#[test]
fn refuses_templates_json_and_double_definitions() {
    let finding = || change("/spec/replicas", Some("1"), "2");
    let helm = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n";
    let why = cannot(run(
        finding(),
        &[("charts/cart/templates/deploy.yaml", helm)],
    ));
    assert!(why.contains("template"), "{why}");
    let why = cannot(run(
        finding(),
        &[("k8s/cart.json", "{\"kind\": \"Deployment\"}")],
    ));
    assert!(why.contains("JSON"), "{why}");
    let why = cannot(run(finding(), &[("a.yaml", CART), ("b.yaml", CART)]));
    assert!(
        why.contains("defined more than once (a.yaml (document 1), b.yaml (document 1))"),
        "{why}"
    );
    let why = cannot(run(
        finding(),
        &[("other.yaml", "kind: Deployment\nmetadata:\n  name: web\n")],
    ));
    assert!(
        why.contains("no document in the files handed over defines Deployment shop/cart"),
        "{why}"
    );
}

#[test]
fn refuses_values_set_by_inline_or_json6902_patches() {
    let kustomization = "resources: [../base]\npatches:\n  - target: {kind: Deployment, name: cart}\n    patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 3\n";
    let why = cannot(run(
        change("/spec/replicas", Some("3"), "2"),
        &[
            ("k8s/base/cart.yaml", CART),
            ("k8s/prod/kustomization.yaml", kustomization),
        ],
    ));
    assert!(
        why.contains("an inline patch in k8s/prod/kustomization.yaml"),
        "{why}"
    );
}

#[test]
fn info_lists_the_rules_it_fixes() {
    let info = <K8sManifests as aiops_sdk::Remediator>::info();
    assert_eq!(info.name, "k8s-manifests");
    assert!(
        info.fixes_rule("k8s.resources.limit-below-request")
            .is_some()
    );
    assert!(
        info.fixes_rule("k8s.workloads.hpa-min-equals-max")
            .is_some()
    );
    // A remediator declares what it fixes, not rules.
    aiops_sdk::testing::assert_info_is_well_formed(&info);
    assert!(info.kinds.contains(&"CronJob".to_string()));
}

#[test]
fn reads_a_kustomization_file_named_kustomization() {
    let kustomization = "resources:\n  - ../../base\npatches:\n  - path: patches/cart.yaml\n";
    let patch =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cart\nspec:\n  replicas: 3\n";
    let out = run(
        change("/spec/replicas", Some("3"), "4"),
        &[
            ("k8s/base/cart.yaml", CART),
            ("k8s/overlays/prod/Kustomization", kustomization),
            ("k8s/overlays/prod/patches/cart.yaml", patch),
        ],
    );
    assert_eq!(
        edited(&out, "k8s/overlays/prod/patches/cart.yaml"),
        Some(patch.replace("replicas: 3", "replicas: 4").as_str())
    );
    assert_eq!(edited(&out, "k8s/base/cart.yaml"), None);
}

#[test]
fn a_patch_path_climbing_above_the_repository_root_is_refused_not_clamped() {
    // `../../../cart.yaml` from `k8s/prod/` leaves the repository: it is not the
    // repository's own `cart.yaml`, which stays the base and is edited.
    let kustomization = "resources: [../base]\npatches:\n  - path: ../../../cart.yaml\n";
    let out = run(
        change("/spec/replicas", Some("1"), "2"),
        &[
            ("cart.yaml", CART),
            ("k8s/prod/kustomization.yaml", kustomization),
        ],
    );
    assert_eq!(
        edited(&out, "cart.yaml"),
        Some(CART.replacen("replicas: 1", "replicas: 2", 1).as_str())
    );
}
