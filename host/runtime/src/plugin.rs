//! A loaded plugin: its metadata, its pre-linked component, and the typed calls into
//! it, each in a fresh sandboxed store.

use std::sync::Arc;

use aiops_sdk::model::{Finding, Outcome, PluginInfo, Resource, SourceFile};
use wasmtime::component::{ComponentExportIndex, InstancePre, TypedFunc};
use wasmtime::error::Context as _;

use super::bindings::remediator::exports::aiops::plugin::remediate as wit_remediate;
use super::bindings::wit;
use super::bounds;
use super::convert;
use super::engine::SandboxEngine;
use super::error::{LoadError, PluginError};
use super::executor::{self, Interrupted};
use super::hostcall_fuel;
use super::limits::PluginLimits;
use super::sandbox::{self, PluginState};
use super::stats::{CallOutcome, CallStats};

/// Which world a plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PluginKind {
    /// Exports `aiops:plugin/detect`.
    Detector,
    /// Exports `aiops:plugin/remediate`.
    Remediator,
}

impl PluginKind {
    /// Both worlds.
    pub const ALL: [PluginKind; 2] = [PluginKind::Detector, PluginKind::Remediator];

    /// Prefix of the world's exported interface in any 0.1.x version of the contract,
    /// how a component's exports tell which world it implements.
    pub fn interface_prefix(self) -> &'static str {
        match self {
            PluginKind::Detector => "aiops:plugin/detect@0.1.",
            PluginKind::Remediator => "aiops:plugin/remediate@0.1.",
        }
    }

    /// The exported interface of the world, at the contract version the host speaks
    /// (plugins built against any compatible 0.1.x version match it).
    fn interface(self) -> &'static str {
        match self {
            PluginKind::Detector => "aiops:plugin/detect@0.1.0",
            PluginKind::Remediator => "aiops:plugin/remediate@0.1.0",
        }
    }

    /// The world's per-call function.
    fn entry(self) -> &'static str {
        match self {
            PluginKind::Detector => "detect",
            PluginKind::Remediator => "remediate",
        }
    }
}

impl std::fmt::Display for PluginKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PluginKind::Detector => "detector",
            PluginKind::Remediator => "remediator",
        })
    }
}

/// `info: func() -> plugin-info` of a detector.
type InfoFn = TypedFunc<(), (wit::PluginInfo,)>;
/// `info: func() -> remediator-info` of a remediator.
type RemediatorInfoFn = TypedFunc<(), (wit::RemediatorInfo,)>;
/// `detect: func(resources: list<resource>) -> result<list<finding>, string>`.
type DetectFn<'a> = TypedFunc<(&'a [wit::Resource],), (Result<Vec<wit::Finding>, String>,)>;
/// `remediate: func(finding, target, files: list<source-file>) -> outcome`.
type RemediateFn<'a> = TypedFunc<
    (
        &'a wit::Finding,
        &'a wit::Resource,
        &'a [wit_remediate::SourceFile],
    ),
    (wit_remediate::Outcome,),
>;

/// The pre-linked component, ready to instantiate cheaply, with the export indices of
/// its two functions looked up once.
#[derive(Clone)]
pub(crate) struct PluginPre {
    instance_pre: InstancePre<PluginState>,
    kind: PluginKind,
    info: ComponentExportIndex,
    entry: ComponentExportIndex,
}

impl PluginPre {
    /// Finds the `kind` world's functions among the component's exports; the error
    /// names what is missing. Their types are checked by [`LoadedPlugin::load`].
    pub(crate) fn new(
        instance_pre: InstancePre<PluginState>,
        kind: PluginKind,
    ) -> Result<Self, String> {
        let component = instance_pre.component();
        let interface = component
            .get_export_index(None, kind.interface())
            .ok_or_else(|| format!("no exported instance `{}`", kind.interface()))?;
        let function = |name: &str| {
            component
                .get_export_index(Some(&interface), name)
                .ok_or_else(|| format!("`{}` does not export `{name}`", kind.interface()))
        };
        let info = function("info")?;
        let entry = function(kind.entry())?;
        Ok(PluginPre {
            instance_pre,
            kind,
            info,
            entry,
        })
    }
}

/// A plugin that passed every load check.
#[derive(Clone)]
pub struct LoadedPlugin {
    /// What `info()` answered.
    pub info: PluginInfo,
    /// BLAKE3 of the component bytes.
    pub hash: String,
    /// Where it came from: a file path or `builtin:NAME`.
    pub origin: String,
    engine: SandboxEngine,
    pre: PluginPre,
    stats: Arc<CallStats>,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("name", &self.info.name)
            .field("kind", &self.kind())
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
    /// Asks the plugin who it is, checking on the way that its functions have the
    /// types of the contract: the one place they are checked, so every later call
    /// skips that per-instance check. `info()` runs under `limits` and may return at
    /// most [`hostcall_fuel::INFO_BYTES`], within [`bounds`]. Fails with the cause when
    /// the types do not match or `info()` fails.
    pub(crate) fn load(
        engine: SandboxEngine,
        pre: PluginPre,
        hash: String,
        origin: String,
        limits: PluginLimits,
    ) -> Result<Self, LoadError> {
        let mut plugin = LoadedPlugin {
            info: PluginInfo::default(),
            hash,
            origin,
            engine,
            pre,
            stats: Arc::default(),
        };
        let settings = CallSettings {
            limits,
            ..CallSettings::default()
        };
        let info = call_in_fresh_store(
            &plugin.engine,
            &plugin.origin,
            &settings,
            Some(hostcall_fuel::INFO_BYTES),
            async |store| {
                let instance = plugin
                    .pre
                    .instance_pre
                    .instantiate_async(&mut *store)
                    .await?;
                match plugin.pre.kind {
                    PluginKind::Detector => {
                        let _: DetectFn<'_> = instance
                            .get_typed_func(&mut *store, plugin.pre.entry)
                            .context("`detect` does not have the contract's type")?;
                    }
                    PluginKind::Remediator => {
                        let _: RemediateFn<'_> = instance
                            .get_typed_func(&mut *store, plugin.pre.entry)
                            .context("`remediate` does not have the contract's type")?;
                    }
                }
                let wrong_type = "`info` does not have the contract's type";
                Ok(match plugin.pre.kind {
                    PluginKind::Detector => {
                        let info: InfoFn = instance
                            .get_typed_func(&mut *store, plugin.pre.info)
                            .context(wrong_type)?;
                        convert::info_from_wit(info.call_async(&mut *store, ()).await?.0)
                    }
                    PluginKind::Remediator => {
                        let info: RemediatorInfoFn = instance
                            .get_typed_func(&mut *store, plugin.pre.info)
                            .context(wrong_type)?;
                        convert::remediator_info_from_wit(info.call_async(&mut *store, ()).await?.0)
                    }
                })
            },
        )?;
        plugin.info = info;
        bounds::check_info(&plugin.info).map_err(LoadError::BadInfo)?;
        Ok(plugin)
    }

    /// Which world it implements.
    pub fn kind(&self) -> PluginKind {
        self.pre.kind
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// Its call statistics (every `detect` and `remediate` call).
    pub fn stats(&self) -> &Arc<CallStats> {
        &self.stats
    }

    /// Counts into `stats` from now on (the registry hands a reloaded plugin the
    /// counters of the version it replaces).
    pub(crate) fn share_stats(&mut self, stats: Arc<CallStats>) {
        self.stats = stats;
    }

    /// Runs `call`, recording its duration and outcome in the plugin's statistics.
    fn counted<R>(&self, call: impl FnOnce() -> Result<R, PluginError>) -> Result<R, PluginError> {
        let started = std::time::Instant::now();
        let result = call();
        self.stats
            .record(CallOutcome::of(&result), started.elapsed());
        result
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
        self.expect_kind(PluginKind::Detector)?;
        self.counted(|| self.detect_uncounted(resources, settings))
    }

    fn detect_uncounted(
        &self,
        resources: &[&Resource],
        settings: &CallSettings,
    ) -> Result<Vec<Finding>, PluginError> {
        let batch: Vec<_> = resources
            .iter()
            .map(|r| convert::resource_to_wit(r))
            .collect();
        let (findings,) = self.call(settings, async |store| {
            let entry = self.instantiate_entry(store).await?;
            // SAFETY: `load` checked this component's `detect` against exactly
            // these types (the `DetectFn` signature) before the plugin existed.
            let detect: DetectFn<'_> = unsafe { TypedFunc::new_unchecked(entry) };
            detect.call_async(&mut *store, (&batch,)).await
        })?;
        let findings = findings.map_err(|e| PluginError::Guest(bounds::cut(e)))?;
        if findings.len() > settings.limits.max_findings {
            return Err(PluginError::Flood {
                got: findings.len(),
                limit: settings.limits.max_findings,
            });
        }
        bounds::check_findings(&findings).map_err(PluginError::Oversized)?;
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
        self.expect_kind(PluginKind::Remediator)?;
        self.counted(|| self.remediate_uncounted(finding, target, files, settings))
    }

    fn remediate_uncounted(
        &self,
        finding: &Finding,
        target: &Resource,
        files: &[SourceFile],
        settings: &CallSettings,
    ) -> Result<Outcome, PluginError> {
        let finding = convert::finding_to_wit(finding);
        let target = convert::resource_to_wit(target);
        let files: Vec<wit_remediate::SourceFile> = files
            .iter()
            .map(|f| wit_remediate::SourceFile {
                path: f.path.clone(),
                content: f.content.clone(),
            })
            .collect();
        let (outcome,) = self.call(settings, async |store| {
            let entry = self.instantiate_entry(store).await?;
            // SAFETY: `load` checked this component's `remediate` against exactly
            // these types (the `RemediateFn` signature) before the plugin existed.
            let remediate: RemediateFn<'_> = unsafe { TypedFunc::new_unchecked(entry) };
            remediate
                .call_async(&mut *store, (&finding, &target, &files))
                .await
        })?;
        Ok(match outcome {
            wit_remediate::Outcome::Edits(files) => Outcome::Edits(
                files
                    .into_iter()
                    .map(|f| SourceFile {
                        path: f.path,
                        content: f.content,
                    })
                    .collect(),
            ),
            wit_remediate::Outcome::CannotFix(why) => Outcome::CannotFix(why),
        })
    }

    /// Creates a fresh store and instance and drops them, calling nothing: the fixed
    /// cost of every call (for benchmarks and health checks).
    pub fn instantiate_only(&self, settings: &CallSettings) -> Result<(), PluginError> {
        self.call(settings, async |store| {
            self.instantiate_entry(store).await.map(drop)
        })
    }

    /// A fresh instance in `store` and its per-call function.
    async fn instantiate_entry(
        &self,
        store: &mut wasmtime::Store<PluginState>,
    ) -> wasmtime::Result<wasmtime::component::Func> {
        let instance = self.pre.instance_pre.instantiate_async(&mut *store).await?;
        instance
            .get_func(&mut *store, self.pre.entry)
            .ok_or_else(|| wasmtime::format_err!("`{}` is not a function", self.pre.kind.entry()))
    }

    /// Refuses a call of the other world's function.
    fn expect_kind(&self, kind: PluginKind) -> Result<(), PluginError> {
        if self.kind() == kind {
            Ok(())
        } else {
            Err(PluginError::Host(format!(
                "{} is not a {kind}",
                self.name()
            )))
        }
    }

    /// Runs `f` in a fresh store and turns any failure into a [`PluginError`].
    fn call<R>(
        &self,
        settings: &CallSettings,
        f: impl AsyncFnOnce(&mut wasmtime::Store<PluginState>) -> wasmtime::Result<R>,
    ) -> Result<R, PluginError> {
        call_in_fresh_store(&self.engine, self.name(), settings, None, f)
    }
}

/// Runs `f` in a fresh sandboxed store for `plugin`, within the call's deadline of
/// wall-clock time whatever the guest waits on; `result_bytes` replaces the result
/// budget derived from the limits. The store is dropped afterwards, whatever
/// happened, and the guest's output goes to the log.
pub(crate) fn call_in_fresh_store<R>(
    engine: &SandboxEngine,
    plugin: &str,
    settings: &CallSettings,
    result_bytes: Option<usize>,
    f: impl AsyncFnOnce(&mut wasmtime::Store<PluginState>) -> wasmtime::Result<R>,
) -> Result<R, PluginError> {
    let limits = &settings.limits;
    let mut store = sandbox::new_store(engine, Arc::from(plugin), settings.config.clone(), limits);
    if let Some(bytes) = result_bytes {
        sandbox::set_result_bytes(&mut store, bytes);
    }
    let result = executor::run_with_deadline(limits.timeout(), f(&mut store));
    sandbox::flush_output(&store);
    match result {
        Ok(result) => result.map_err(|err| sandbox::classify(&store, err, limits)),
        Err(Interrupted::WallClock) => Err(PluginError::WallClockTimeout(limits.timeout_ms)),
        Err(Interrupted::NoRuntime(why)) => Err(PluginError::Host(why.to_string())),
    }
}
