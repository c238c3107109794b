//! The published info and config schema: well formed, and agreeing with the parser's defaults.

use aiops_sdk::Remediator;
use aiops_sdk::knobs::PluginConfig;
use terraform::Terraform;
use terraform::config::Config;

#[test]
fn schema_matches_the_defaults() {
    aiops_sdk::testing::assert_schema_matches_defaults(&Config::schema(), Config::parse);
}

#[test]
fn info_is_well_formed_and_publishes_the_schema() {
    let info = Terraform::info();
    aiops_sdk::testing::assert_info_is_well_formed(&info);
    assert_eq!(info.config_schema, Config::schema());
}
