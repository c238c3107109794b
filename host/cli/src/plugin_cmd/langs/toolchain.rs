//! Finding the Python and JavaScript toolchains in the cache (or on `PATH`), and
//! installing the pinned versions there with the script `.ci/run` uses too.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

use super::super::project::{Lang, Tools};

/// The install script shared with `.ci/run` (`sdk/tools/install-plugin-tools.sh`).
const INSTALL_SCRIPT: &str = include_str!("../../../../../sdk/tools/install-plugin-tools.sh");

/// A toolchain one language needs.
struct Toolchain {
    /// The executable, as installed in the cache (relative to `Tools::dir`) and on `PATH`.
    cached: &'static str,
    program: &'static str,
    /// The argument of the install script (`python` or `js`).
    part: &'static str,
    /// What to install, for the error message.
    what: &'static str,
}

fn toolchain(lang: Lang) -> anyhow::Result<Toolchain> {
    Ok(match lang {
        Lang::Python => Toolchain {
            cached: "python/bin/componentize-py",
            program: "componentize-py",
            part: "python",
            what: "componentize-py 0.25.1 from PyPI (`pip install componentize-py==0.25.1`)",
        },
        Lang::Js => Toolchain {
            cached: "js/node_modules/.bin/componentize-qjs",
            program: "componentize-qjs",
            part: "js",
            what: "componentize-qjs 0.4.5 from npm (`npm install -g componentize-qjs@0.4.5`)",
        },
        Lang::Rust => anyhow::bail!("Rust projects build with cargo, not a cached toolchain"),
    })
}

/// The directory toolchains are cached in when the caller has no better one:
/// `$AIOPS_PLUGIN_TOOLS`, else `${XDG_CACHE_HOME:-$HOME/.cache}/aiops/plugin-tools`.
pub fn default_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("AIOPS_PLUGIN_TOOLS") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache.join("aiops/plugin-tools")
}

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The executable building `lang` projects: from `tools.dir`, else [`default_dir`], else
/// `PATH`; installed
/// into `tools.dir` when missing and `tools.install` is set, else an error saying what
/// to install.
pub fn find(lang: Lang, tools: &Tools) -> anyhow::Result<PathBuf> {
    find_in(lang, &tools.dir, tools.install, true)
}

/// [`find`] in `dir`, looking in [`default_dir`] and on `PATH` too when `fallbacks`.
fn find_in(lang: Lang, dir: &Path, install: bool, fallbacks: bool) -> anyhow::Result<PathBuf> {
    let chain = toolchain(lang)?;
    let cached = dir.join(chain.cached);
    if cached.is_file() {
        return Ok(cached);
    }
    if fallbacks {
        // The cache `.ci/run` and a developer's earlier installs fill.
        let shared = default_dir().join(chain.cached);
        if shared.is_file() {
            return Ok(shared);
        }
        if let Some(found) = on_path(chain.program) {
            return Ok(found);
        }
    }
    if !install {
        anyhow::bail!(
            "`{}` not found (in {} or on PATH): install {}, or run `aiops plugin build --install` to install it into {}",
            chain.program,
            dir.display(),
            chain.what,
            dir.display(),
        );
    }
    self::install(dir, chain.part)?;
    anyhow::ensure!(
        cached.is_file(),
        "installing {} into {} did not produce {}",
        chain.what,
        dir.display(),
        cached.display()
    );
    Ok(cached)
}

/// Runs the install script for `part` into `dir`.
fn install(dir: &Path, part: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let script = dir.join(".install-plugin-tools.sh");
    std::fs::write(&script, INSTALL_SCRIPT)
        .with_context(|| format!("cannot write {}", script.display()))?;
    tracing::info!(dir = %dir.display(), part, "installing the plugin toolchain");
    let status = Command::new("bash")
        .arg(&script)
        .arg(dir)
        .arg(part)
        .status()
        .context("cannot run bash to install the plugin toolchain")?;
    anyhow::ensure!(
        status.success(),
        "installing the {part} plugin toolchain into {} failed ({status})",
        dir.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_toolchain_says_what_to_install_and_how() {
        let dir = Path::new("/nonexistent/aiops-tools");
        for (lang, what) in [
            (Lang::Python, "componentize-py 0.25.1"),
            (Lang::Js, "componentize-qjs 0.4.5"),
        ] {
            let err = find_in(lang, dir, false, false).unwrap_err().to_string();
            assert!(err.contains(what), "{err}");
            assert!(err.contains("aiops plugin build --install"), "{err}");
            assert!(err.contains("/nonexistent/aiops-tools"), "{err}");
        }
    }

    #[test]
    fn a_cached_toolchain_is_found_in_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("python/bin/componentize-py");
        std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
        std::fs::write(&exe, "").unwrap();
        assert_eq!(
            find_in(Lang::Python, dir.path(), false, false).unwrap(),
            exe
        );
    }
}
