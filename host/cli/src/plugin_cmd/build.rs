//! `aiops plugin build`: builds a plugin project to a component for its language,
//! checks it against this host's WIT worlds (it must load, as the host would load it)
//! and prints the `.wasm` path and size.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aiops_build::{BuildOptions, PluginCrate};
use aiops_runtime::{CompileCache, Loader, SandboxEngine};
use anyhow::Context as _;
use clap::Args;

use super::langs;
use super::project::{self, Lang, Tools};
use crate::cli::EXIT_INCOMPLETE;
use crate::config::Config;

/// Arguments of `aiops plugin build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The project (default: the current directory).
    pub dir: Option<PathBuf>,
    /// The project's language (default: from `Cargo.toml`, `pyproject.toml` or
    /// `package.json` in DIR).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
    /// Install a missing toolchain (a rustup target; componentize-py, componentize-js
    /// into a cache under the data directory) instead of saying what to install.
    #[arg(long)]
    pub install: bool,
}

/// Runs `aiops plugin build`.
pub fn run_build(config: &Config, args: &BuildArgs) -> anyhow::Result<ExitCode> {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let dir = dir
        .canonicalize()
        .with_context(|| format!("no project at {}", dir.display()))?;
    let lang = match args.lang {
        Some(lang) => lang,
        None => project::detect_lang(&dir).with_context(|| {
            format!(
                "{} is no plugin project: no Cargo.toml, pyproject.toml or package.json",
                dir.display()
            )
        })?,
    };
    let wasm = match lang {
        Lang::Rust => build_rust(&dir, args.install)?,
        lang => {
            let tools = Tools {
                install: args.install,
                dir: config.data_dir().join("toolchains"),
            };
            langs::build(lang, &dir, &tools)?
        }
    };
    let bytes = std::fs::read(&wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
    let loader = Loader::new(SandboxEngine::new()?, CompileCache::disabled())?
        .with_limits(config.plugins.limits);
    match loader.load_bytes(&bytes, &wasm.display().to_string()) {
        Ok(plugin) => {
            println!(
                "built {} {} [{}]: {} ({} bytes)",
                plugin.info.name,
                plugin.info.version,
                plugin.kind(),
                wasm.display(),
                bytes.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(why) => {
            eprintln!(
                "error: {} was built but this host would not load it: {why}",
                wasm.display()
            );
            Ok(ExitCode::from(EXIT_INCOMPLETE))
        }
    }
}

/// Builds the Rust crate in `dir` to a component and returns its path. A crate of the
/// aiops repository's `plugins/` builds in the workspace's wasm target dir (shared with
/// the built-ins); another crate in its workspace's `target/` (or `CARGO_TARGET_DIR`).
fn build_rust(dir: &Path, install: bool) -> anyhow::Result<PathBuf> {
    let manifest_path = dir.join("Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let name = aiops_build::package_name(&manifest)
        .with_context(|| format!("{}: no [package] name", manifest_path.display()))?;
    // The workspace cargo builds the crate in: the nearest `[workspace]` at or above it.
    let workspace = dir
        .ancestors()
        .find(|d| {
            std::fs::read_to_string(d.join("Cargo.toml")).is_ok_and(|m| project::has_workspace(&m))
        })
        .unwrap_or(dir)
        .to_path_buf();
    let target_dir = if project::aiops_workspace(&workspace).as_deref() == Some(&workspace) {
        workspace.join("target").join("wasm")
    } else {
        std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace.join("target"))
    };
    let krate = PluginCrate {
        name,
        wasi: aiops_build::declares_wasi(&manifest),
    };
    let options = BuildOptions {
        install_targets: install,
        quiet: false,
    };
    let built = aiops_build::try_build_components(&workspace, &[krate], &target_dir, options)?;
    Ok(built.into_iter().next().expect("one crate built").1)
}
