//! `aiops plugin inspect`: what a compiled plugin is, what it imports, and whether this
//! host would load it (and if not, why).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use aiops_runtime::{CompileCache, Inspection, Loader, SandboxEngine, inspect};
use anyhow::Context as _;
use clap::Args;

use crate::cli::EXIT_INCOMPLETE;
use crate::config::Config;
use crate::store_cmd::OutputFormat;

/// Arguments of `aiops plugin inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The component (`.wasm`).
    pub plugin: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// Runs `aiops plugin inspect`.
pub fn run_inspect(config: &Config, args: &InspectArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.plugin)
        .with_context(|| format!("cannot read {}", args.plugin.display()))?;
    // No cache: the compile time shown is the real one, and nothing is written.
    let loader = Loader::new(SandboxEngine::new()?, CompileCache::disabled())?
        .with_limits(config.plugins.limits);
    let inspection = inspect(&loader, &bytes, &args.plugin.display().to_string());
    let mut out = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &inspection_json(&inspection))?;
            writeln!(out)?;
        }
        OutputFormat::Table => print_inspection(&mut out, &inspection)?,
    }
    out.flush()?;
    Ok(if inspection.load.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INCOMPLETE)
    })
}

fn inspection_json(i: &Inspection) -> serde_json::Value {
    let (loads, reason, info, world) = match &i.load {
        Ok(plugin) => (
            true,
            None,
            serde_json::to_value(&plugin.info).ok(),
            Some(plugin.kind().to_string()),
        ),
        Err(why) => (false, Some(why.clone()), None, None),
    };
    serde_json::json!({
        "loads": loads,
        "reason": reason,
        "world": world,
        "info": info,
        "size_bytes": i.size,
        "compile_ms": i.compile_time.as_secs_f64() * 1000.0,
        "imports": i.imports,
        "exports": i.exports,
    })
}

fn print_inspection(out: &mut impl Write, i: &Inspection) -> anyhow::Result<()> {
    match &i.load {
        Ok(plugin) => {
            let info = &plugin.info;
            writeln!(out, "{} {} [{}]", info.name, info.version, plugin.kind())?;
            if !info.description.is_empty() {
                writeln!(out, "  {}", info.description)?;
            }
            if !info.kinds.is_empty() {
                writeln!(out, "  kinds     {}", info.kinds.join(", "))?;
            }
            for rule in &info.rules {
                writeln!(
                    out,
                    "  rule      {:<45} {:<8} {}",
                    rule.id, rule.default_severity, rule.title
                )?;
                if !rule.description.is_empty() {
                    writeln!(out, "            {}", rule.description)?;
                }
            }
            for fixes in &info.fixes {
                writeln!(out, "  fixes     {fixes}")?;
            }
            if !info.config_schema.is_empty() {
                writeln!(out, "  config    {}", info.config_schema)?;
            }
        }
        Err(_) => writeln!(out, "(no info: the plugin does not load)")?,
    }
    writeln!(out, "  size      {} bytes", i.size)?;
    writeln!(
        out,
        "  compile   {:.1} ms",
        i.compile_time.as_secs_f64() * 1000.0
    )?;
    for import in &i.imports {
        let mark = if import.granted {
            "granted"
        } else {
            "NOT GRANTED"
        };
        writeln!(out, "  import    {:<45} {mark}", import.name)?;
    }
    for export in &i.exports {
        writeln!(out, "  export    {export}")?;
    }
    match &i.load {
        Ok(_) => writeln!(out, "this host would load it")?,
        Err(why) => writeln!(out, "this host would NOT load it: {why}")?,
    }
    Ok(())
}
