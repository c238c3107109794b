//! `aiops plugin …`, the plugin author's tools: `new` writes a ready project, `build`
//! makes it a component and checks that this host loads it, `test` runs it in the
//! sandbox on fixtures against their `expected.json`, and `inspect` tells what a
//! compiled plugin is, what it imports, and whether this host would load it.

pub mod build;
pub mod expected;
pub mod inspect;
pub mod langs;
pub mod new;
pub mod project;
pub mod rust_template;
pub mod test;

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Config;

pub use build::BuildArgs;
pub use inspect::InspectArgs;
pub use new::NewArgs;
pub use test::TestArgs;

/// `aiops plugin …`.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Write a new plugin project: one example rule, fixtures, expected findings and a
    /// passing test.
    New(NewArgs),
    /// Build a plugin project to a component, check that this host loads it, and print
    /// its path and size (exit 3 when it would not load).
    Build(BuildArgs),
    /// Run a compiled plugin in the sandbox on fixtures and compare its output with
    /// their `expected.json` (exit 1 on a difference, shown as a diff).
    Test(TestArgs),
    /// Show a compiled plugin's info, imports, size and compile time, and whether this
    /// host would load it (exit 3 when it would not).
    Inspect(InspectArgs),
}

/// Runs `aiops plugin …`.
pub fn run_plugin(config: &Config, command: &PluginCommand) -> anyhow::Result<ExitCode> {
    match command {
        PluginCommand::New(args) => new::run_new(args),
        PluginCommand::Build(args) => build::run_build(config, args),
        PluginCommand::Test(args) => test::run_test(config, args),
        PluginCommand::Inspect(args) => inspect::run_inspect(config, args),
    }
}
