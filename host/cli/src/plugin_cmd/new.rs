//! `aiops plugin new`: a ready plugin project — one example rule (or fix), fixture
//! resources, the expected findings and a passing test — in Rust here, in Python or
//! JavaScript through [`super::langs`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use super::langs;
use super::project::{self, Lang, PluginKind};
use super::rust_template::{self, Sdk};

/// Arguments of `aiops plugin new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The plugin's name (kebab-case): the package, the rule-id prefix, the file name.
    pub name: String,
    /// The world the plugin implements.
    #[arg(long, value_enum, default_value = "detector")]
    pub kind: PluginKind,
    /// The language of the project.
    #[arg(long, value_enum, default_value = "rust")]
    pub lang: Lang,
    /// The project's directory (created). Default: `plugins/NAME` inside the aiops
    /// repository, `./NAME` elsewhere.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// The `sdk/` of the aiops checkout this binary was built from, if it is still there
/// (`AIOPS_SDK_DIR` overrides).
fn known_sdk() -> Option<PathBuf> {
    let dir = std::env::var_os("AIOPS_SDK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sdk"));
    dir.join("Cargo.toml")
        .is_file()
        .then(|| dir.canonicalize().ok())
        .flatten()
}

/// Where a project in `dir` gets the SDK: the workspace when `dir` is a direct child of
/// an aiops repository's `plugins/`, otherwise the known SDK path or a version.
fn sdk_for(dir: &Path) -> Sdk {
    let parent = dir.parent();
    if let Some(root) = parent.and_then(project::aiops_workspace)
        && parent == Some(root.join("plugins").as_path())
    {
        return Sdk::Workspace(root);
    }
    known_sdk().map_or(Sdk::Version, Sdk::Path)
}

/// An absolute form of `path` (its parent canonicalised, since it does not exist yet).
fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    let path = std::path::absolute(path)?;
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) if parent.exists() => Ok(parent.canonicalize()?.join(name)),
        _ => Ok(path),
    }
}

/// Runs `aiops plugin new`.
pub fn run_new(args: &NewArgs) -> anyhow::Result<ExitCode> {
    project::check_name(&args.name)?;
    let dir = match &args.dir {
        Some(dir) => absolute(dir)?,
        None => {
            let cwd = std::env::current_dir()?;
            match project::aiops_workspace(&cwd) {
                Some(root) => root.join("plugins").join(&args.name),
                None => cwd.join(&args.name),
            }
        }
    };
    if dir.exists()
        && std::fs::read_dir(&dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .next()
            .is_some()
    {
        anyhow::bail!(
            "{} already exists and is not empty; choose another --dir",
            dir.display()
        );
    }
    match args.lang {
        Lang::Rust => rust_template::scaffold(&dir, &args.name, args.kind, &sdk_for(&dir))?,
        lang => langs::scaffold(lang, &dir, &args.name, args.kind)?,
    }
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| dir.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| dir.clone());
    println!(
        "created {} `{}` ({}) in {}",
        match args.kind {
            PluginKind::Detector => "detector",
            PluginKind::Remediator => "remediator",
        },
        args.name,
        match args.lang {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::Js => "js",
        },
        shown.display()
    );
    println!("next:");
    println!("  aiops plugin build {}", shown.display());
    println!(
        "  aiops plugin test <the .wasm it prints> --fixtures {}",
        shown.join("fixtures").display()
    );
    Ok(ExitCode::SUCCESS)
}
