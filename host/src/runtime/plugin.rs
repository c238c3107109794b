//! A loaded plugin: its metadata, its pre-linked component, and the typed calls into
//! it, each in a fresh sandboxed store.

use std::sync::Arc;

use aiops_sdk::model::{Finding, Outcome, PluginInfo, Resource, SourceFile};

use super::bindings::{detector, remediator};
use super::convert;
use super::engine::SandboxEngine;
use super::error::PluginError;
use super::limits::PluginLimits;
use super::sandbox::{self, PluginState};

/// Which world a plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PluginKind {
    /// Exports `aiops:plugin/detect`.
    Detector,
    /// Exports `aiops:plugin/remediate`.
    Remediator,
}

impl std::fmt::Display for PluginKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PluginKind::Detector => "detector",
            PluginKind::Remediator => "remediator",
        })
    }
}

/// The pre-linked component, ready to instantiate cheaply.
#[derive(Clone)]
pub enum PluginPre {
    /// A detector.
    Detector(detector::DetectorPre<PluginState>),
    /// A remediator.
    Remediator(remediator::RemediatorPre<PluginState>),
}

/// A plugin that passed every load check.
#[derive(Clone)]
pub struct LoadedPlugin {
    /// What `info()` answered.
    pub info: PluginInfo,
    /// Which world it implements.
    pub kind: PluginKind,
    /// BLAKE3 of the component bytes.
    pub hash: String,
    /// Where it came from: a file path or `builtin:NAME`.
    pub origin: String,
    engine: SandboxEngine,
    pre: PluginPre,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("name", &self.info.name)
            .field("kind", &self.kind)
            .field("origin", &self.origin)
            .finish()
    }
}

/// Per-call settings: the plugin's config document and its limits.
#[derive(Debug, Clone)]
pub struct CallSettings {
    /// The plugin's config as JSON.
    pub config: Arc<str>,
    /// Limits of the call.
    pub limits: PluginLimits,
}

impl Default for CallSettings {
    fn default() -> Self {
        CallSettings {
            config: Arc::from("{}"),
            limits: PluginLimits::default(),
        }
    }
}

impl LoadedPlugin {
    pub(crate) fn new(
        engine: SandboxEngine,
        pre: PluginPre,
        info: PluginInfo,
        hash: String,
        origin: String,
    ) -> Self {
        let kind = match pre {
            PluginPre::Detector(_) => PluginKind::Detector,
            PluginPre::Remediator(_) => PluginKind::Remediator,
        };
        LoadedPlugin {
            info,
            kind,
            hash,
            origin,
            engine,
            pre,
        }
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// Whether the detector wants resources of `kind`.
    pub fn wants_kind(&self, kind: &str) -> bool {
        self.info.kinds.iter().any(|k| k == kind || k == "*")
    }

    /// Runs `detect` on a batch in a fresh store.
    pub fn detect(
        &self,
        resources: &[&Resource],
        settings: &CallSettings,
    ) -> Result<Vec<Finding>, PluginError> {
        let PluginPre::Detector(pre) = &self.pre else {
            return Err(PluginError::Host(format!(
                "{} is not a detector",
                self.name()
            )));
        };
        let batch: Vec<_> = resources
            .iter()
            .map(|r| convert::resource_to_wit(r))
            .collect();
        let findings = self.call(settings, |store| {
            let instance = pre.instantiate(&mut *store)?;
            instance
                .aiops_plugin_detect()
                .call_detect(&mut *store, &batch)
        })?;
        let findings = findings.map_err(PluginError::Guest)?;
        if findings.len() > settings.limits.max_findings {
            return Err(PluginError::Flood {
                got: findings.len(),
                limit: settings.limits.max_findings,
            });
        }
        Ok(findings
            .into_iter()
            .map(convert::finding_from_wit)
            .collect())
    }

    /// Runs `remediate` for one finding in a fresh store.
    pub fn remediate(
        &self,
        finding: &Finding,
        target: &Resource,
        files: &[SourceFile],
        settings: &CallSettings,
    ) -> Result<Outcome, PluginError> {
        use remediator::exports::aiops::plugin::remediate as r;
        let PluginPre::Remediator(pre) = &self.pre else {
            return Err(PluginError::Host(format!(
                "{} is not a remediator",
                self.name()
            )));
        };
        let finding = convert::finding_to_wit(finding);
        let target = convert::resource_to_wit(target);
        let files: Vec<r::SourceFile> = files
            .iter()
            .map(|f| r::SourceFile {
                path: f.path.clone(),
                content: f.content.clone(),
            })
            .collect();
        let outcome = self.call(settings, |store| {
            let instance = pre.instantiate(&mut *store)?;
            instance
                .aiops_plugin_remediate()
                .call_remediate(&mut *store, &finding, &target, &files)
        })?;
        Ok(match outcome {
            r::Outcome::Edits(files) => Outcome::Edits(
                files
                    .into_iter()
                    .map(|f| SourceFile {
                        path: f.path,
                        content: f.content,
                    })
                    .collect(),
            ),
            r::Outcome::CannotFix(why) => Outcome::CannotFix(why),
        })
    }

    /// Creates a fresh store and instance and drops them, calling nothing: the fixed
    /// cost of every call (for benchmarks and health checks).
    pub fn instantiate_only(&self, settings: &CallSettings) -> Result<(), PluginError> {
        match &self.pre {
            PluginPre::Detector(pre) => {
                self.call(settings, |store| pre.instantiate(&mut *store).map(drop))
            }
            PluginPre::Remediator(pre) => {
                self.call(settings, |store| pre.instantiate(&mut *store).map(drop))
            }
        }
    }

    /// Calls `info()` in a fresh store.
    pub fn call_info(&self, settings: &CallSettings) -> Result<PluginInfo, PluginError> {
        let info = match &self.pre {
            PluginPre::Detector(pre) => self.call(settings, |store| {
                pre.instantiate(&mut *store)?
                    .aiops_plugin_detect()
                    .call_info(&mut *store)
            })?,
            PluginPre::Remediator(pre) => self.call(settings, |store| {
                pre.instantiate(&mut *store)?
                    .aiops_plugin_remediate()
                    .call_info(&mut *store)
            })?,
        };
        Ok(convert::info_from_wit(info))
    }

    /// Runs `f` in a fresh store and turns any failure into a [`PluginError`].
    fn call<R>(
        &self,
        settings: &CallSettings,
        f: impl FnOnce(&mut wasmtime::Store<PluginState>) -> wasmtime::Result<R>,
    ) -> Result<R, PluginError> {
        call_in_fresh_store(&self.engine, self.name(), settings, f)
    }
}

/// Runs `f` in a fresh sandboxed store for `plugin`; the store is dropped afterwards,
/// whatever happened, and the guest's output goes to the log.
pub(crate) fn call_in_fresh_store<R>(
    engine: &SandboxEngine,
    plugin: &str,
    settings: &CallSettings,
    f: impl FnOnce(&mut wasmtime::Store<PluginState>) -> wasmtime::Result<R>,
) -> Result<R, PluginError> {
    let mut store = sandbox::new_store(
        engine,
        Arc::from(plugin),
        settings.config.clone(),
        &settings.limits,
    );
    let result = f(&mut store);
    sandbox::flush_output(&store);
    result.map_err(|err| sandbox::classify(&store, err, &settings.limits))
}
