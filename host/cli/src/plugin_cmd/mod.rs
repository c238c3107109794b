//! `aiops plugin …`, the plugin author's tools: `inspect` tells what a compiled plugin
//! is, what it imports, and whether this host would load it (and if not, why).

pub mod inspect;
pub mod langs;
pub mod project;

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Config;

pub use inspect::InspectArgs;

/// `aiops plugin …`.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Show a compiled plugin's info, imports, size and compile time, and whether this
    /// host would load it (exit 3 when it would not).
    Inspect(InspectArgs),
}

/// Runs `aiops plugin …`.
pub fn run_plugin(config: &Config, command: &PluginCommand) -> anyhow::Result<ExitCode> {
    match command {
        PluginCommand::Inspect(args) => inspect::run_inspect(config, args),
    }
}
