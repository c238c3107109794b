//! Input the detector must survive: malformed raw objects and other kinds.

use crate::common;

use aiops_sdk::LogLevel;
use azure_monitor::AzureMonitor;
use common::*;

#[test]
fn malformed_raw_is_skipped_with_a_warning_and_the_others_are_judged() {
    let mut not_json = vm("shop", "broken", "Standard_D2s_v5", vec![]);
    not_json.raw = "{not json".into();
    let mut no_id = vm("shop", "no-id", "Standard_D2s_v5", vec![]);
    no_id.raw = r#"{"name": "no-id"}"#.into();
    let mut empty_id = vm("shop", "empty-id", "Standard_D2s_v5", vec![]);
    empty_id.raw = r#"{"id": " ", "name": "empty-id"}"#.into();
    // An alert that cannot be read covers nothing: `web-1` stays uncovered.
    let web = vm("shop", "web-1", "Standard_D2s_v5", vec![]);
    let mut bad_alert = watching("bad", &[&web]);
    bad_alert.raw = bad_alert
        .raw
        .replace("\"enabled\":true", "\"enabled\":\"yes\"");
    let run = run(vec![not_json, no_id, empty_id, bad_alert, web]);

    assert_eq!(
        hits(&run),
        [(
            "azure.monitor.no-metric-alert".to_string(),
            "azure/shop/vm/web-1".to_string()
        )]
    );
    let warned: Vec<_> = run
        .logs
        .iter()
        .filter(|l| l.level == LogLevel::Warn)
        .map(|l| l.fields[0].1.as_str())
        .collect();
    assert_eq!(
        warned,
        [
            "azure/shop/vm/broken",
            "azure/shop/vm/no-id",
            "azure/shop/vm/empty-id",
            "azure/monitoring/metric-alert/bad"
        ]
    );
    assert!(
        run.logs[1].fields[1].1.contains("`id`"),
        "{:?}",
        run.logs[1]
    );
    assert!(
        run.logs[3].fields[1].1.contains("expected a boolean"),
        "{:?}",
        run.logs[3]
    );
}

#[test]
fn survives_broken_input_and_never_judges_other_kinds() {
    let web = vm("shop", "web-1", "Standard_D2s_v5", vec![]);
    let alert = watching("cpu", &[&web]);
    aiops_sdk::testing::assert_robust::<AzureMonitor>(&[web, alert]);
}
