//! The plugin's info and config: defaults, overrides and errors that name the key.

use crate::common;

use aiops_sdk::knobs::PluginConfig;
use aiops_sdk::testing::change;
use aiops_sdk::testing::k8s_resources_from_yaml;
use aiops_sdk::{Detector, Quantity, Severity};
use common::*;
use k8s_resources::K8sResources;
use k8s_resources::config::Config;

#[test]
fn info_declares_the_workload_kinds_the_six_rules_and_a_schema() {
    let info = K8sResources::info();
    assert_eq!(info.name, "k8s-resources");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.kinds, aiops_sdk::k8s::WORKLOAD_KINDS.map(String::from));
    let rules: Vec<_> = info
        .rules
        .iter()
        .map(|r| (r.id.as_str(), r.default_severity))
        .collect();
    assert_eq!(
        rules,
        vec![
            ("k8s.resources.cpu-request-missing", Severity::Medium),
            ("k8s.resources.memory-request-missing", Severity::Medium),
            ("k8s.resources.cpu-limit-missing", Severity::Low),
            ("k8s.resources.memory-limit-missing", Severity::Medium),
            ("k8s.resources.limit-below-request", Severity::High),
            ("k8s.resources.limit-request-ratio", Severity::Low),
        ]
    );
    aiops_sdk::testing::assert_info_is_well_formed(&info);
    let keys = aiops_sdk::testing::schema_keys(&info);
    assert_eq!(
        keys,
        [
            "default_limits",
            "default_requests",
            "exclude_namespaces",
            "max_limit_request_ratio"
        ]
    );
}

#[test]
fn empty_config_has_the_documented_defaults() {
    let config = Config::parse("{}").unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.max_limit_request_ratio, 4.0);
    assert_eq!(
        config.default_requests["cpu"],
        Quantity::parse("100m").unwrap()
    );
    assert_eq!(
        config.default_requests["memory"],
        Quantity::parse("128Mi").unwrap()
    );
    assert_eq!(
        config.default_limits["memory"],
        Quantity::parse("256Mi").unwrap()
    );
    assert!(!config.default_limits.contains_key("cpu"));
    assert_eq!(config.exclude_namespaces, ["kube-system"]);
    let empty = run_with("", &deployment(GOOD));
    assert!(empty.findings.is_empty());
}

#[test]
fn configured_defaults_merge_over_the_built_in_ones() {
    let config = Config::parse(
        r#"{"default_requests": {"cpu": 0.25, "memory": null}, "default_limits": {"cpu": "1"}}"#,
    )
    .unwrap();
    assert_eq!(config.default_requests.len(), 1);
    assert_eq!(
        config.default_requests["cpu"],
        Quantity::parse("250m").unwrap()
    );
    assert_eq!(config.default_limits["cpu"], Quantity::parse("1").unwrap());
    assert_eq!(
        config.default_limits["memory"],
        Quantity::parse("256Mi").unwrap()
    );

    let run = run_with(
        r#"{"default_requests": {"memory": null}}"#,
        &deployment("{}"),
    );
    assert_eq!(run.findings.len(), 4);
    assert!(run.only("memory-request-missing").remediation.is_none());
    assert_eq!(change(run.only("cpu-request-missing")).2, "\"100m\"");
}

#[test]
fn proposed_default_limit_fits_the_proposed_default_request() {
    // Ratio 1.5: the default 256Mi limit would be 2x the default 128Mi request.
    let run = run_with(r#"{"max_limit_request_ratio": 1.5}"#, &deployment("{}"));
    assert_eq!(change(run.only("memory-request-missing")).2, "\"128Mi\"");
    assert_eq!(change(run.only("memory-limit-missing")).2, "\"192Mi\"");
}

#[test]
fn invalid_config_is_an_error_naming_the_key() {
    let cases = [
        (
            r#"{"max_limit_request_ratio": "four"}"#,
            "`max_limit_request_ratio`",
        ),
        (
            r#"{"max_limit_request_ratio": 0.5}"#,
            "`max_limit_request_ratio` must be",
        ),
        (
            r#"{"default_requests": {"cpu": "lots"}}"#,
            "`default_requests.cpu`",
        ),
        (
            r#"{"default_limits": {"memory": "-1Gi"}}"#,
            "`default_limits.memory`",
        ),
        (r#"{"default_limits": ["256Mi"]}"#, "`default_limits`"),
        (
            r#"{"exclude_namespaces": "kube-system"}"#,
            "exclude_namespaces",
        ),
        (r#"{"max_ratio": 2}"#, "max_ratio"),
    ];
    let resources = k8s_resources_from_yaml(&deployment("{}"));
    aiops_sdk::testing::assert_config_errors::<K8sResources>(&resources, &cases);
}

#[test]
fn schema_matches_the_defaults() {
    aiops_sdk::testing::assert_schema_matches_defaults(&Config::schema(), Config::parse);
}
