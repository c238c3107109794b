//! Loading a plugin: compile (through the cache), check what it imports and exports,
//! pre-link it, and ask it who it is. Every failure is a [`LoadError`] naming the cause.

use std::path::Path;
use std::sync::Arc;

use wasmtime::component::{Component, Linker};

use super::cache::{CompileCache, content_hash};
use super::engine::SandboxEngine;
use super::error::LoadError;
use super::limits::PluginLimits;
use super::plugin::{LoadedPlugin, PluginKind, PluginPre};
use super::sandbox::{self, PluginState};

/// Import namespaces a plugin may use. WASI interfaces are linked against a context
/// that grants nothing; anything else (e.g. `wasi:http`) is refused at load time.
const ALLOWED_IMPORTS: [&str; 9] = [
    "aiops:plugin/log@0.1.",
    "aiops:plugin/config@0.1.",
    "aiops:plugin/types@0.1.",
    "wasi:cli/",
    "wasi:io/",
    "wasi:clocks/",
    "wasi:random/",
    "wasi:filesystem/",
    "wasi:sockets/",
];

/// Turns component bytes into [`LoadedPlugin`]s. Cheap to clone; shared by threads.
#[derive(Clone)]
pub struct Loader {
    engine: SandboxEngine,
    linker: Arc<Linker<PluginState>>,
    cache: CompileCache,
    /// Limits `info()` runs under at load.
    limits: PluginLimits,
}

impl Loader {
    /// A loader on `engine` caching compiled components in `cache`.
    pub fn new(engine: SandboxEngine, cache: CompileCache) -> anyhow::Result<Self> {
        let linker = sandbox::build_linker(&engine)
            .map_err(|e| anyhow::anyhow!("linking host imports: {e:#}"))?;
        Ok(Loader {
            engine,
            linker: Arc::new(linker),
            cache,
            limits: PluginLimits::default(),
        })
    }

    /// Runs each plugin's `info()` at load under `limits` (the configured ones).
    pub fn with_limits(mut self, limits: PluginLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The engine plugins run on.
    pub fn engine(&self) -> &SandboxEngine {
        &self.engine
    }

    /// Whether loading `bytes` would compile them (not in the compile cache yet).
    pub fn would_compile(&self, bytes: &[u8]) -> bool {
        self.cache.would_compile(&self.engine, &content_hash(bytes))
    }

    /// Loads a plugin file.
    pub fn load_file(&self, path: &Path) -> Result<LoadedPlugin, LoadError> {
        let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        self.load_bytes(&bytes, &path.display().to_string())
    }

    /// Loads a plugin from bytes; `origin` says where they came from.
    pub fn load_bytes(&self, bytes: &[u8], origin: &str) -> Result<LoadedPlugin, LoadError> {
        let hash = content_hash(bytes);
        let component = self.cache.load(&self.engine, bytes, &hash)?;
        check_imports(&self.engine, &component)?;
        let pre = self.prelink(&component)?;
        let plugin = LoadedPlugin::load(
            self.engine.clone(),
            pre,
            hash,
            origin.to_string(),
            self.limits,
        )?;
        validate_info(&plugin)?;
        Ok(plugin)
    }

    fn prelink(&self, component: &Component) -> Result<PluginPre, LoadError> {
        let engine = self.engine.engine();
        let exports: Vec<String> = component
            .component_type()
            .exports(engine)
            .map(|(name, _)| name.to_string())
            .collect();
        let instance_pre = self
            .linker
            .instantiate_pre(component)
            .map_err(|e| LoadError::Invalid(format!("cannot link: {e:#}")))?;
        let exports_world = |kind: &PluginKind| {
            exports
                .iter()
                .any(|e| e.starts_with(kind.interface_prefix()))
        };
        let Some(kind) = PluginKind::ALL.into_iter().find(exports_world) else {
            return Err(LoadError::WrongWorld(if exports.is_empty() {
                "none".to_string()
            } else {
                exports.join(", ")
            }));
        };
        PluginPre::new(instance_pre, kind)
            .map_err(|e| LoadError::WrongWorld(format!("{} ({e})", exports.join(", "))))
    }
}

/// Whether aiops grants import `name` to plugins.
pub(crate) fn is_granted(name: &str) -> bool {
    ALLOWED_IMPORTS
        .iter()
        .any(|allowed| name.starts_with(allowed))
}

/// Refuses a component that imports anything outside [`ALLOWED_IMPORTS`].
fn check_imports(engine: &SandboxEngine, component: &Component) -> Result<(), LoadError> {
    let component_type = component.component_type();
    for (name, _) in component_type.imports(engine.engine()) {
        if !is_granted(name) {
            return Err(LoadError::ForbiddenImport(name.to_string()));
        }
    }
    Ok(())
}

/// Checks what `info()` answered: a usable name, a version, kinds for a detector,
/// unique rule ids.
fn validate_info(plugin: &LoadedPlugin) -> Result<(), LoadError> {
    let info = &plugin.info;
    let bad = |why: String| Err(LoadError::BadInfo(why));
    let name_ok = !info.name.is_empty()
        && info.name.len() <= 64
        && info
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !name_ok {
        return bad(format!(
            "name `{}` must be 1-64 characters of letters, digits, `-`, `_` or `.`",
            info.name
        ));
    }
    if info.version.is_empty() {
        return bad("version is empty".into());
    }
    if plugin.kind() == PluginKind::Detector && info.kinds.is_empty() {
        return bad("a detector must declare at least one resource kind".into());
    }
    if plugin.kind() == PluginKind::Remediator
        && (info.fixes.is_empty() || info.fixes.iter().any(|f| f.is_empty()))
    {
        return bad(
            "a remediator must list what it fixes (rule ids or prefixes, none empty)".into(),
        );
    }
    let mut ids = std::collections::HashSet::new();
    for rule in &info.rules {
        if rule.id.is_empty() {
            return bad("a rule has an empty id".into());
        }
        if !ids.insert(rule.id.as_str()) {
            return bad(format!("rule id `{}` is declared twice", rule.id));
        }
    }
    Ok(())
}
