//! The published config schema agrees with the config parser's defaults.

use terraform::config::{CONFIG_SCHEMA, Config};

#[test]
fn schema_matches_the_defaults() {
    aiops_sdk::testing::assert_schema_matches_defaults(CONFIG_SCHEMA, Config::parse);
}
