//! `aiops serve`: the long-running host. Plugins are loaded once and hot-reloaded from
//! the plugin directory; cycles run on `schedule.interval` (jittered) or when the API
//! asks, never two at once; the REST API answers meanwhile. SIGTERM or SIGINT: no new
//! cycle starts, the running one gets `schedule.shutdown_grace_seconds` to finish (a
//! cycle cut short is abandoned cleanly: cycles are atomic), HTTP drains, exit 0.
//! With `leader_election:`, only the replica holding the Lease runs cycles and drains
//! notifications ([`leader`]); every replica serves the API.

pub mod api;
pub mod auth;
pub mod config;
pub mod console;
pub mod decide;
pub mod leader;
pub mod metrics;
pub mod problem;
pub mod schedule;
pub mod watch;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use aiops_collect::{CollectProgress, Source};
use aiops_engine::cycle::Plugins;
use aiops_runtime::PluginHost;
use anyhow::Context as _;
use clap::Args;

use crate::cli::{PluginArgs, Progress, host_options};
use crate::config::Config;
use crate::cycle_cmd::{Stages, run_stages};
use crate::store_cmd::open_store;

/// Arguments of `aiops serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where the API listens (overrides `api.listen`).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Run a cycle as soon as the config, a plugin or a file source changes, and log
    /// its new and resolved findings (the rule author's loop; `schedule.watch: true`
    /// in the config does the same).
    #[arg(long)]
    pub watch: bool,
    /// Plugins.
    #[command(flatten)]
    pub plugins: PluginArgs,
}

/// The config file's modification time, if it can be read.
fn modified(path: &std::path::Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Reloads the config file when it changed since `seen`: a valid edit replaces the
/// config in force (used from the next cycle on), a bad one is logged and shown on
/// `/api/v1/config` while the previous config keeps serving.
fn reload_if_changed(
    state: &api::AppState,
    path: &std::path::Path,
    seen: &mut Option<std::time::SystemTime>,
) {
    let now = modified(path);
    if now == *seen {
        return;
    }
    *seen = now;
    match Config::load(path) {
        Ok(config) => {
            state.config.store(Arc::new(config));
            state.config_error.store(None);
            state.metrics.config_reload("ok");
            tracing::warn!(file = %path.display(), "config reloaded: in force from this cycle on");
        }
        Err(err) => {
            tracing::error!(error = %err, "config edit rejected; the previous config keeps serving");
            state.config_error.store(Some(Arc::new(err.to_string())));
            state.metrics.config_reload("rejected");
        }
    }
}

/// Runs `aiops serve` until SIGTERM or SIGINT.
pub fn run_serve(
    path: Option<&std::path::Path>,
    config: &Config,
    args: &ServeArgs,
) -> anyhow::Result<ExitCode> {
    let mut config = config.clone();
    if let Some(listen) = &args.listen {
        config.api.listen = listen.clone();
        config.api.validate().map_err(anyhow::Error::msg)?;
    }
    let runtime = crate::cli::async_runtime()?;
    let served = runtime.block_on(serve(path, config, args));
    // A cycle abandoned at shutdown may leave a plugin call on the blocking pool until
    // its deadline (wasm is only stopped by its epoch): dropping the runtime would wait
    // for it, past the grace. Everything else was awaited, and nothing of the cycle is
    // kept (cycles are atomic): leave it to the exit.
    runtime.shutdown_background();
    served?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(
    path: Option<&std::path::Path>,
    config: Config,
    args: &ServeArgs,
) -> anyhow::Result<()> {
    let listen = config.api.listen.clone();
    let watching = args.watch || config.schedule.watch;
    let (auth, generated) = auth::Auth::from_config(&config.api)?;
    let store = open_store(&config).await?;
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("api.listen {listen}"))?;
    let address = listener.local_addr()?;
    let state = Arc::new(api::AppState::new(
        config.clone(),
        store.clone(),
        auth,
        metrics::Metrics::new(),
    ));
    let app = api::router(state.clone()).merge(console::router(state.clone()));
    let shutdown = tokio_util_shutdown();
    let server = {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { shutdown.cancelled().await })
                .await
        })
    };
    println!(
        "aiops serve: console on http://{address}/ and API on http://{address}/api/v1 (readiness: /readyz)"
    );
    if let Some(token) = generated {
        println!(
            "aiops serve: no api.tokens configured; a local admin token for this run (log in to the console with it): {token}"
        );
    }
    // Plugins once, watched for hot reload.
    let options = aiops_runtime::HostOptions {
        watch: true,
        ..host_options(&args.plugins)
    };
    let plugins_config = config.plugins.clone();
    let host = tokio::task::spawn_blocking(move || PluginHost::start(&plugins_config, &options))
        .await
        .context("plugin host")??;
    // The local IaC repository exists from the start, not from the first fix.
    if let Some(gitops) = config.gitops.clone() {
        tokio::task::spawn_blocking(move || aiops_gitops::workflow::seed_local_repository(&gitops))
            .await
            .context("gitops seed")?
            .context("gitops.repo.seed")?;
    }
    let _ = state.plugins.set(host.registry.clone());
    state.metrics.plugins(host.registry.clone());
    let _watch = if watching {
        Some(watch::start(state.clone(), path)?)
    } else {
        None
    };
    state.ready.store(true, Ordering::Release);
    tracing::info!(%address, "ready");
    let mut role = {
        let shutdown = shutdown.clone();
        leader::Role::start(&config, async move { shutdown.cancelled().await }).await?
    };
    state.metrics.leader(role.leading());
    let drainer = tokio::spawn(drain_continuously(
        state.clone(),
        shutdown.clone(),
        role.clone(),
    ));

    let mut seen = path.and_then(modified);
    let mut clock = schedule::SourceClock::default();
    // The first cycle, a run-now and a watched change collect every source.
    let mut everything = true;
    loop {
        if let Some(path) = path {
            reload_if_changed(&state, path, &mut seen);
        }
        let config = state.config.load_full();
        let configured: Vec<String> = config.sources.iter().map(|s| s.name.clone()).collect();
        let (names, not_due) = clock.split(
            &configured,
            &config.schedule,
            std::time::Instant::now(),
            everything,
        );
        let sources: Vec<Source> = config
            .sources
            .iter()
            .filter(|s| names.contains(&s.name))
            .map(|s| s.source.clone())
            .collect();
        let grace = Duration::from_secs(config.schedule.shutdown_grace_seconds);
        let leader_store = if sources.is_empty() {
            None
        } else {
            role.leader_store(&store).await
        };
        state.metrics.leader(role.leading());
        if let Some(store) = leader_store {
            let stages = Stages {
                program: "aiops serve",
                sources: &sources,
                names: &names,
                not_due: &not_due,
                plugins: Plugins::Running(host.registry.clone()),
                progress: Arc::new(Progress::default()),
                collect_progress: CollectProgress::hidden(),
                lock_wait: Duration::from_secs(5),
                remediate: true,
                dry_run: false,
                notify: true,
            };
            let started = std::time::Instant::now();
            let run = run_stages(&config, &store, stages);
            tokio::pin!(run);
            let outcome = tokio::select! {
                r = &mut run => Some(r),
                () = role.lost(store.fence()) => {
                    tracing::warn!("leadership lost: the running cycle is abandoned (cycles are atomic; the next leader records it so)");
                    None
                }
                () = shutdown.cancelled() => {
                    tracing::info!(grace_seconds = grace.as_secs(), "shutting down: letting the running cycle finish");
                    match tokio::time::timeout(grace, &mut run).await {
                        Ok(r) => Some(r),
                        Err(_) => {
                            tracing::warn!("the running cycle did not finish in time: abandoned (the next start records it so)");
                            None
                        }
                    }
                }
            };
            let seconds = started.elapsed().as_secs_f64();
            match &outcome {
                Some(Ok(run)) => state.metrics.cycle(seconds, Some(run)),
                Some(Err(_)) => state.metrics.cycle(seconds, None),
                None => {}
            }
            if let (Some(Ok(run)), Some(gitops)) = (&outcome, &config.gitops)
                && let Some(report) = &run.remediation
            {
                state
                    .metrics
                    .remediation_stage(gitops.provider.as_str(), report);
            }
            match outcome {
                Some(Ok(run)) => {
                    if watching {
                        log_changes(&store, &run).await;
                    }
                    let s = &run.cycle.outcome.summary.total;
                    tracing::info!(
                        cycle = run.cycle.id,
                        new = s.new,
                        open = s.open,
                        resolved = s.resolved,
                        reopened = s.reopened,
                        stale = s.stale,
                        "cycle done"
                    );
                }
                Some(Err(err)) => tracing::error!(error = %format!("{err:#}"), "cycle failed"),
                None => {}
            }
        }
        if shutdown.is_cancelled() {
            break;
        }
        // Their turn is taken, even when the cycle failed or this replica follows.
        clock.ran(&names, &config.schedule, std::time::Instant::now());
        everything = false;
        let sleep = clock.until_next(&configured, &config.schedule, std::time::Instant::now());
        tokio::select! {
            () = tokio::time::sleep(sleep) => {}
            () = state.run_now.notified() => everything = true,
            () = role.changed() => everything = true,
            () = shutdown.cancelled() => break,
        }
    }
    state.ready.store(false, Ordering::Release);
    let _ = drainer.await;
    server.await.context("the API server")??;
    drop(host);
    store.close().await;
    println!("aiops serve: stopped");
    Ok(())
}

/// The findings a cycle opened and resolved, one log line each (for `--watch`).
async fn log_changes(store: &aiops_state::Store, run: &crate::cycle_cmd::CycleRun) {
    let outcome = &run.cycle.outcome;
    for (change, fingerprints) in [("new", &outcome.opened), ("resolved", &outcome.resolved)] {
        for fp in fingerprints.iter().take(50) {
            match store.show_finding(fp).await {
                Ok((f, _)) => tracing::warn!(
                    change, severity = %f.severity, rule = %f.rule, resource = %f.resource_id,
                    fingerprint = %fp, "{}", f.title
                ),
                Err(_) => tracing::warn!(change, fingerprint = %fp, "finding"),
            }
        }
    }
}

/// Between cycles, every few seconds: routes new events and sends what came due
/// (retries, group waits), so nothing waits for the next cycle.
async fn drain_continuously(state: Arc<api::AppState>, shutdown: Shutdown, role: leader::Role) {
    const EVERY: Duration = Duration::from_secs(5);
    loop {
        tokio::select! {
            () = tokio::time::sleep(EVERY) => {}
            () = shutdown.cancelled() => return,
        }
        state.metrics.leader(role.leading());
        let Some(store) = role.leader_store(&state.store).await else {
            continue;
        };
        let config = state.config.load_full();
        match aiops_notify::deliver::Notifier::new(&config.notifications) {
            Ok(notifier) => {
                let drain = notifier.drain(&store, EVERY);
                let drained = tokio::select! {
                    r = drain => r,
                    () = role.lost(store.fence()) => continue,
                };
                match drained {
                    Ok(report) => state.metrics.notifications_drained(&report),
                    Err(err) => tracing::warn!(error = %err, "notifications: drain failed"),
                }
            }
            Err(err) => tracing::warn!(error = %err, "notifications: not configured"),
        }
    }
}

/// Remediations counted by state.
/// A shutdown signal set by SIGTERM or SIGINT.
fn tokio_util_shutdown() -> Shutdown {
    let shutdown = Shutdown::default();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(err) => {
                    tracing::error!(error = %err, "cannot listen for SIGTERM");
                    return;
                }
            };
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM"),
            _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT"),
        }
        on_signal.cancel();
    });
    shutdown
}

/// Set once, awaited by many.
#[derive(Clone, Default)]
struct Shutdown {
    inner: Arc<(std::sync::atomic::AtomicBool, tokio::sync::Notify)>,
}

impl Shutdown {
    fn cancel(&self) {
        self.inner.0.store(true, Ordering::Release);
        self.inner.1.notify_waiters();
    }

    fn is_cancelled(&self) -> bool {
        self.inner.0.load(Ordering::Acquire)
    }

    async fn cancelled(&self) {
        loop {
            let notified = self.inner.1.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}
