//! The published config schema agrees with the config parser's defaults.

use aiops_sdk::knobs::PluginConfig;
use azure_monitor::config::Config;

#[test]
fn schema_matches_the_defaults() {
    aiops_sdk::testing::assert_schema_matches_defaults(&Config::schema(), Config::parse);
}
