//! The on-disk cache of compiled components, keyed by the component's content hash
//! and the engine's settings, so a restart does not recompile.
//!
//! Deserialising an artifact runs its native code, so the cache is a place only this
//! host can write ([`cache_dir`]: created `0700`, refused when another user owns it
//! or others may write it) and every artifact is authenticated before it is
//! deserialised: a MAC over its name and bytes with a per-installation key kept in the
//! directory ([`cache_key`]), stored beside it as `NAME.mac`. A swapped, planted or
//! corrupt file is recompiled, never run. The artifact stays a plain wasmtime file so
//! it is mapped, not copied, on load (`deserialize_file`); it is read once, in chunks,
//! to check its MAC.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use wasmtime::component::Component;

use super::cache_dir::{self, CacheDirError};
use super::cache_key::{self, MacKey};
use super::engine::SandboxEngine;
use super::error::LoadError;

/// Bytes read at a time while checking an artifact's MAC.
const READ_CHUNK: usize = 1 << 20;

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
    /// The checked directory's key, or why the directory is not used (checked once).
    state: std::sync::Arc<OnceLock<Result<MacKey, String>>>,
}

impl CompileCache {
    /// A cache in `dir` (created on first use, `0700`).
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        CompileCache {
            dir: Some(dir.into()),
            state: Default::default(),
        }
    }

    /// No caching: always compile.
    pub fn disabled() -> Self {
        CompileCache {
            dir: None,
            state: Default::default(),
        }
    }

    /// The default location: `$AIOPS_CACHE_DIR`, else `$XDG_CACHE_HOME/aiops`, else
    /// `~/.cache/aiops`, else a directory of this user's under the system temp dir.
    pub fn default_location() -> Self {
        let dir = std::env::var_os("AIOPS_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("aiops")))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/aiops")))
            .unwrap_or_else(|| {
                std::env::temp_dir().join(format!("aiops-cache-{}", cache_dir::current_uid()))
            });
        Self::in_dir(dir)
    }

    /// The cache directory, if caching.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The directory's key, checking (and creating) the directory the first time; the
    /// refusal is logged once.
    fn key(&self, dir: &Path) -> Option<&MacKey> {
        let state = self.state.get_or_init(|| {
            let checked = cache_dir::prepare(dir).and_then(|()| cache_key::load_or_create(dir));
            checked.map_err(|err: CacheDirError| {
                tracing::warn!(dir = %dir.display(), error = %err, "not using the compile cache; compiling in memory");
                err.to_string()
            })
        });
        state.as_ref().ok()
    }

    /// Whether loading a component of hash `hash` would compile it: no artifact (or no
    /// MAC beside it) in the cache, or no usable cache at all. Only looks for the files;
    /// a corrupt entry is found out (and recompiled) by [`CompileCache::load`].
    pub fn would_compile(&self, engine: &SandboxEngine, hash: &str) -> bool {
        let Some(dir) = &self.dir else {
            return true;
        };
        let path = dir.join(artifact_name(engine, hash));
        !(path.is_file() && mac_path(&path).is_file())
    }

    /// Returns the compiled component for `bytes` (hash `hash`), from the cache when
    /// an authentic entry is there, else compiling and storing it.
    pub fn load(
        &self,
        engine: &SandboxEngine,
        bytes: &[u8],
        hash: &str,
    ) -> Result<Component, LoadError> {
        let Some(dir) = &self.dir else {
            return compile(engine, bytes);
        };
        let Some(key) = self.key(dir) else {
            return compile(engine, bytes);
        };
        let name = artifact_name(engine, hash);
        let path = dir.join(&name);
        if is_authentic(&path, &name, key) {
            // SAFETY: the file carries a valid MAC under this installation's key over
            // its name (content hash and engine settings) and content: only `store`
            // below, from an artifact this engine configuration produced, writes such
            // files, in a directory only this user can write.
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
        if let Err(err) = store(dir, &name, key, &artifact) {
            tracing::warn!(dir = %dir.display(), error = %err, "cannot write compile cache");
        }
        // SAFETY: `artifact` was produced just now by this engine.
        unsafe { Component::deserialize(engine.engine(), &artifact) }
            .map_err(|e| LoadError::Invalid(format!("{e:#}")))
    }
}

/// The file name of the artifact of the component of hash `hash` built by `engine`.
fn artifact_name(engine: &SandboxEngine, hash: &str) -> String {
    format!("{hash}-{}.cwasm", engine.settings_fingerprint())
}

fn compile(engine: &SandboxEngine, bytes: &[u8]) -> Result<Component, LoadError> {
    Component::new(engine.engine(), bytes).map_err(|e| LoadError::Invalid(format!("{e:#}")))
}

/// The path of the MAC of artifact `path`.
fn mac_path(path: &Path) -> PathBuf {
    path.with_extension("mac")
}

/// Whether the artifact in `path` has a valid MAC under `key` for `name`; a warning
/// for anything but a missing file when it has not.
fn is_authentic(path: &Path, name: &str, key: &MacKey) -> bool {
    let checked = (|| -> std::io::Result<bool> {
        let mut mac = Vec::new();
        cache_dir::open_nofollow(&mac_path(path))?.read_to_end(&mut mac)?;
        let mut file = cache_dir::open_nofollow(path)?;
        let mut hasher = key.hasher(name);
        let mut chunk = vec![0u8; READ_CHUNK];
        loop {
            let n = file.read(&mut chunk)?;
            if n == 0 {
                break;
            }
            hasher.update(&chunk[..n]);
        }
        Ok(MacKey::matches(&hasher, &mac))
    })();
    match checked {
        Ok(true) => true,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => false,
        Ok(false) => {
            tracing::warn!(path = %path.display(), "cache entry is not authentic (swapped, planted or corrupt); recompiling");
            false
        }
        Err(err) => {
            tracing::warn!(path = %path.display(), error = %err, "cannot read cache entry; recompiling");
            false
        }
    }
}

/// Writes atomically and without following links: the artifact, then its MAC, each to
/// a new temporary file of a random name (`O_EXCL | O_NOFOLLOW`, `0600`) in the cache
/// directory, then renamed into place. A reader between the two renames finds a MAC
/// that does not match and recompiles.
fn store(dir: &Path, name: &str, key: &MacKey, artifact: &[u8]) -> std::io::Result<()> {
    let path = dir.join(name);
    write_new(dir, &path, artifact)?;
    write_new(dir, &mac_path(&path), &key.mac(name, artifact))
}

/// Writes `bytes` to a fresh temporary file in `dir` and renames it to `path`.
fn write_new(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(format!(".tmp-{}", cache_key::random_hex(16)?));
    let written = cache_dir::create_new_nofollow(&tmp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    match written.and_then(|()| fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(err) => {
            let _ = fs::remove_file(&tmp);
            Err(err)
        }
    }
}
