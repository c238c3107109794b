//! The on-disk cache of compiled components, keyed by the component's content hash
//! and the engine's settings, so a restart does not recompile.
//!
//! Only the host writes this directory: deserialising a precompiled artifact is only
//! safe for bytes this process (or an earlier run of it) produced.

use std::fs;
use std::path::{Path, PathBuf};

use wasmtime::component::Component;

use super::engine::SandboxEngine;
use super::error::LoadError;

/// BLAKE3 of a plugin's bytes, hex-encoded: the identity of a plugin version, the
/// compile-cache key and what hot reload compares. BLAKE3 rather than SHA-256 because
/// it is several times faster on large components (an 18 MB Python plugin) and this hash
/// is on the load path of every plugin at every start.
pub fn content_hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Compiles components through a disk cache (or none, for tests and read-only disks).
#[derive(Clone)]
pub struct CompileCache {
    dir: Option<PathBuf>,
}

impl CompileCache {
    /// A cache in `dir` (created on first write).
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        CompileCache {
            dir: Some(dir.into()),
        }
    }

    /// No caching: always compile.
    pub fn disabled() -> Self {
        CompileCache { dir: None }
    }

    /// The default location: `$AIOPS_CACHE_DIR`, else `$XDG_CACHE_HOME/aiops`, else
    /// `~/.cache/aiops`, else a directory under the system temp dir.
    pub fn default_location() -> Self {
        let dir = std::env::var_os("AIOPS_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("aiops")))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/aiops")))
            .unwrap_or_else(|| std::env::temp_dir().join("aiops-cache"));
        Self::in_dir(dir)
    }

    /// The cache directory, if caching.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Returns the compiled component for `bytes` (hash `hash`), from the cache when
    /// present, else compiling and storing it. A corrupt cache entry is recompiled.
    pub fn load(
        &self,
        engine: &SandboxEngine,
        bytes: &[u8],
        hash: &str,
    ) -> Result<Component, LoadError> {
        let Some(dir) = &self.dir else {
            return compile(engine, bytes);
        };
        let path = dir.join(format!("{hash}-{}.cwasm", engine.settings_fingerprint()));
        if path.exists() {
            // SAFETY: the cache directory is written only by `store` below, from
            // artifacts this engine configuration produced; the file name binds the
            // content hash and the engine settings.
            match unsafe { Component::deserialize_file(engine.engine(), &path) } {
                Ok(component) => return Ok(component),
                Err(err) => {
                    tracing::warn!(path = %path.display(), error = %err, "discarding unreadable cache entry");
                }
            }
        }
        let artifact = engine
            .engine()
            .precompile_component(bytes)
            .map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        if let Err(err) = store(dir, &path, &artifact) {
            tracing::warn!(dir = %dir.display(), error = %err, "cannot write compile cache");
        }
        // SAFETY: `artifact` was produced just now by this engine.
        unsafe { Component::deserialize(engine.engine(), &artifact) }
            .map_err(|e| LoadError::Invalid(format!("{e:#}")))
    }
}

fn compile(engine: &SandboxEngine, bytes: &[u8]) -> Result<Component, LoadError> {
    Component::new(engine.engine(), bytes).map_err(|e| LoadError::Invalid(format!("{e:#}")))
}

/// Writes atomically: a temp file in the same directory, then a rename.
fn store(dir: &Path, path: &Path, artifact: &[u8]) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    fs::write(&tmp, artifact)?;
    fs::rename(&tmp, path)
}
