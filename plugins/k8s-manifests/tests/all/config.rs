//! The remediator's config: defaults, the published schema, and errors that name the key.

use aiops_sdk::knobs::PluginConfig;
use k8s_manifests::config::Config;

#[test]
fn schema_matches_the_defaults() {
    aiops_sdk::testing::assert_schema_matches_defaults(&Config::schema(), Config::parse);
}

#[test]
fn empty_config_has_no_probe_templates_and_if_not_present() {
    let config = Config::parse("").unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.image_pull_policy, "IfNotPresent");
    assert!(config.probe("livenessProbe").is_err());
}

#[test]
fn probe_templates_are_read_by_kind() {
    let config = Config::parse(r#"{"probes": {"startup": {"tcpSocket": {"port": 80}}}}"#).unwrap();
    assert_eq!(
        config.probe("startupProbe").unwrap()["tcpSocket"]["port"],
        80
    );
    assert!(config.probe("readinessProbe").is_err());
}

#[test]
fn invalid_config_is_an_error_naming_the_key() {
    let cases = [
        (r#"{"image_pull_policy": "Sometimes"}"#, "image_pull_policy"),
        (r#"{"probes": {"liveness": {}}}"#, "probes.liveness"),
        (r#"{"probes": {"liveness": 3}}"#, "probes.liveness"),
        (r#"{"probes": {"wellness": {"exec": {}}}}"#, "wellness"),
        (r#"{"probe": {}}"#, "probe"),
    ];
    for (config, key) in cases {
        let err = Config::parse(config).expect_err(config);
        assert!(err.starts_with("invalid plugin config"), "{err}");
        assert!(err.contains(key), "{config}: {err}");
    }
}
