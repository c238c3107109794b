//! `aiops remediations list|show|approve|reject`: the proposals aiops made, and the
//! human decisions on them (through the same approval actions `aiops serve` uses).

use std::io::Write;
use std::process::ExitCode;

use aiops_gitops::approvals;
use aiops_gitops::workflow::{Gitops, MergeOutcome};
use aiops_state::{AuditQuery, Remediation, RemediationState, Store, format_millis};
use anyhow::Context as _;
use clap::{Args, Subcommand};

use crate::config::Config;
use crate::store_cmd::{OutputFormat, open_store};

/// `aiops remediations …`.
#[derive(Debug, Subcommand)]
pub enum RemediationsCommand {
    /// List the remediations, newest first.
    List(ListArgs),
    /// Show one remediation: the diff, the findings, the policy, the history.
    Show(ShowArgs),
    /// Approve a proposal waiting for approval; it is merged into base at once.
    Approve(ApproveArgs),
    /// Reject a proposal waiting for approval; its branch is deleted and the same change
    /// is not proposed again.
    Reject(RejectArgs),
}

/// Arguments of `aiops remediations list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only remediations in this state (repeatable): awaiting_approval, approved,
    /// merged, verified, not_effective, rejected, superseded, fixed_in_source,
    /// notify_only, never_edit, failed.
    #[arg(long = "state", value_name = "STATE")]
    pub states: Vec<RemediationState>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// Arguments of `aiops remediations show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The remediation's id.
    pub id: i64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// Arguments of `aiops remediations approve`.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The remediation's id.
    pub id: i64,
    /// Who approves (recorded in the audit log).
    #[arg(long)]
    pub by: String,
    /// Why, or a comment.
    #[arg(long)]
    pub reason: Option<String>,
}

/// Arguments of `aiops remediations reject`.
#[derive(Debug, Args)]
pub struct RejectArgs {
    /// The remediation's id.
    pub id: i64,
    /// Who rejects (recorded in the audit log).
    #[arg(long)]
    pub by: String,
    /// Why (required: the next proposal's author reads it).
    #[arg(long)]
    pub reason: String,
}

/// Runs `aiops remediations …`.
pub fn run_remediations(
    config: &Config,
    command: &RemediationsCommand,
) -> anyhow::Result<ExitCode> {
    let runtime = crate::cli::async_runtime()?;
    runtime.block_on(async {
        let store = open_store(config).await?;
        let result = match command {
            RemediationsCommand::List(args) => list(&store, args).await,
            RemediationsCommand::Show(args) => show(&store, args).await,
            RemediationsCommand::Approve(args) => approve(config, &store, args).await,
            RemediationsCommand::Reject(args) => reject(config, &store, args).await,
        };
        store.close().await;
        result
    })
}

/// Opens the config's IaC repository for a decision.
pub async fn open_gitops(config: &Config) -> anyhow::Result<Gitops> {
    let gitops = config
        .gitops
        .clone()
        .context("no `gitops:` section in the config: aiops has no repository to merge into")?;
    Ok(Gitops::open(gitops, &config.policy, &config.data_dir()).await?)
}

async fn list(store: &Store, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let all = store.list_remediations(&args.states).await?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &all)?;
            writeln!(out)?;
        }
        OutputFormat::Table => {
            if all.is_empty() {
                writeln!(out, "no remediations")?;
            } else {
                writeln!(
                    out,
                    "{:>4}  {:<17}  {:<11}  {:<19}  {:<19}  TITLE",
                    "ID", "STATE", "ACTION", "BRANCH", "UPDATED"
                )?;
            }
            for r in &all {
                writeln!(
                    out,
                    "{:>4}  {:<17}  {:<11}  {:<19}  {:<19}  {}",
                    r.id,
                    r.state.as_str(),
                    r.action,
                    r.branch,
                    format_millis(r.updated_at),
                    r.title
                )?;
                if let Some(url) = &r.pr_url {
                    writeln!(out, "      pull request: {url}")?;
                }
                if let Some(note) = &r.note {
                    writeln!(out, "      note: {note}")?;
                }
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

async fn show(store: &Store, args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let r = store.remediation(args.id).await?;
    let history = store
        .audit(&AuditQuery {
            subject: Some(format!("remediation:{}", r.id)),
            ..Default::default()
        })
        .await?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        OutputFormat::Json => {
            let value = serde_json::json!({"remediation": r, "history": history});
            serde_json::to_writer_pretty(&mut out, &value)?;
            writeln!(out)?;
        }
        OutputFormat::Table => print_one(&mut out, &r, &history)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn print_one(
    out: &mut impl Write,
    r: &Remediation,
    history: &[aiops_state::AuditEntry],
) -> anyhow::Result<()> {
    writeln!(out, "remediation {}: {}", r.id, r.title)?;
    writeln!(out, "  state:    {}", r.state)?;
    writeln!(out, "  branch:   {} ({})", r.branch, r.provider)?;
    if let Some(url) = &r.pr_url {
        writeln!(out, "  pull:     {url}")?;
    }
    writeln!(out, "  policy:   {} ({})", r.action, r.policy.join("; "))?;
    if let Some(by) = &r.decided_by {
        writeln!(
            out,
            "  decided:  by {by}{}",
            r.decision_reason
                .as_deref()
                .map(|w| format!(": {w}"))
                .unwrap_or_default()
        )?;
    }
    if let Some(commit) = &r.merge_commit {
        writeln!(out, "  merged:   {commit}")?;
    }
    if let Some(note) = &r.note {
        writeln!(out, "  note:     {note}")?;
    }
    writeln!(out, "  findings:")?;
    for f in &r.findings {
        writeln!(out, "    {:<8} {} {}", f.severity, f.rule, f.fingerprint)?;
    }
    writeln!(out, "  history:")?;
    for h in history {
        writeln!(
            out,
            "    {}  {:<28} {}{}",
            format_millis(h.at),
            h.action,
            h.actor,
            h.reason
                .as_deref()
                .map(|w| format!(": {w}"))
                .unwrap_or_default()
        )?;
    }
    writeln!(out)?;
    write!(out, "{}", r.diff)?;
    Ok(())
}

async fn approve(config: &Config, store: &Store, args: &ApproveArgs) -> anyhow::Result<ExitCode> {
    let _lock = approvals::decision_lock(store, args.id, &args.by).await?;
    let gitops = open_gitops(config).await?;
    match approvals::approve(store, &gitops, args.id, &args.by, args.reason.as_deref()).await? {
        MergeOutcome::Merged(r) => {
            println!(
                "remediation {} approved by {} and merged into {} ({})",
                r.id,
                args.by,
                gitops.config.repo.base,
                r.merge_commit.unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
        MergeOutcome::Held(r) => {
            println!(
                "remediation {} approved by {}; not merged yet: {}",
                r.id,
                args.by,
                r.note.unwrap_or_default()
            );
            Ok(ExitCode::from(crate::cli::EXIT_INCOMPLETE))
        }
        MergeOutcome::Queued(r) => {
            println!(
                "remediation {} approved by {}; {}",
                r.id,
                args.by,
                r.note.unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn reject(config: &Config, store: &Store, args: &RejectArgs) -> anyhow::Result<ExitCode> {
    let _lock = approvals::decision_lock(store, args.id, &args.by).await?;
    let gitops = open_gitops(config).await?;
    let r = approvals::reject(store, &gitops, args.id, &args.by, &args.reason).await?;
    println!(
        "remediation {} rejected by {}: {}",
        r.id, args.by, args.reason
    );
    Ok(ExitCode::SUCCESS)
}
