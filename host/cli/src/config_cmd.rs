//! `aiops config check FILE` (validate without starting) and `aiops config schema`
//! (the config file's JSON Schema, derived from the config types with `schemars`).

use std::process::ExitCode;

use crate::config::Config;

/// `aiops config …`.
#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// Validate a config file: exit 0 when `aiops serve` and `aiops cycle` would take it,
    /// else 2 with the error naming the file, line and key.
    Check {
        /// The file.
        file: std::path::PathBuf,
    },
    /// Print the config file's JSON Schema (draft 2020-12), made from the types the
    /// host reads the file into: for editors (`# yaml-language-server: $schema=…`) and
    /// CI checks of config files. Value checks the schema cannot say (a glob's syntax,
    /// one secret source per token) are `config check`'s.
    Schema,
}

/// Runs `aiops config …`.
pub fn config_cmd(command: &ConfigCommand) -> anyhow::Result<ExitCode> {
    match command {
        ConfigCommand::Check { file } => {
            Config::load(file)?;
            println!("{}: ok", file.display());
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Schema => {
            println!("{}", serde_json::to_string_pretty(&Config::schema())?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
