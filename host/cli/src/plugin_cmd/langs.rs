//! The Python and JavaScript plugin projects: their templates and their builds.
//!
//! Integration seam: the signatures below are what `plugin new` and `plugin build` call
//! for `--lang python|js`; the bodies come with the Python and JavaScript SDKs.

use std::path::{Path, PathBuf};

use super::project::{Lang, PluginKind, Tools};

/// Writes a new `lang` project named `name` into `dir` (which does not exist yet or is
/// empty): one example rule, fixtures, `expected.json` and a passing test.
pub fn scaffold(lang: Lang, dir: &Path, name: &str, kind: PluginKind) -> anyhow::Result<()> {
    let _ = (dir, name, kind);
    anyhow::bail!("`--lang {lang:?}` projects are not in this build yet")
}

/// Builds the `lang` project in `project` to a component and returns the `.wasm`'s path.
pub fn build(lang: Lang, project: &Path, tools: &Tools) -> anyhow::Result<PathBuf> {
    let _ = (project, tools);
    anyhow::bail!("`--lang {lang:?}` builds are not in this build yet")
}
