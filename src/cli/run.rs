//! `otelcost run -- CMD ARGS…`: run a command with its telemetry pointed at a receiver of
//! our own, then report its LLM cost, and fail when it went over a budget.

use super::agents::{self, AgentFiles};
use super::listen::{self, ReceiverArgs};
use super::report::{tell, ReportOptions};
use super::{error, exit, usage, Failure};
use crate::allocate::{CostMode, Report};
use crate::pipeline::{self, Plan};
use crate::receiver::signals::{Caught, Signals};
use crate::report::Format;
use clap::Args;
use rust_decimal::Decimal;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub receiver: ReceiverArgs,

    /// After the command exits, wait up to this long for late exports; ends early once
    /// nothing has arrived for a second.
    #[arg(long, default_value = "5s", value_parser = listen::parse_duration)]
    pub flush: Duration,

    /// Exit with code 4 if the cost (computed, or reported with --cost reported) is over
    /// this many dollars.
    #[arg(long, value_name = "USD")]
    pub budget: Option<Decimal>,

    /// Append a Markdown summary to FILE (also to $GITHUB_STEP_SUMMARY when it is set).
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,

    /// Set no environment variables for the command (point its exporters yourself); also
    /// turns off what is set for the coding agents.
    #[arg(long)]
    pub no_env: bool,

    /// Tag the session's calls with this route (e.g. ci/$GITHUB_RUN_ID): the command's
    /// OTLP endpoint becomes http://…/ROUTE (gRPC, which has no path, gets it too), and
    /// --save keeps it in DIR/route=…/ so that several runs saving to one place stay apart.
    #[arg(long, value_name = "ROUTE", value_parser = crate::model::route::parse)]
    pub route: Option<crate::model::route::Route>,

    #[command(flatten)]
    pub options: ReportOptions,

    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// What an OTel SDK and the common agents read, pointed at `http` (which also answers
/// gRPC over HTTP/2, so an exporter switched to grpc finds it at the same address), under
/// `route` (OTLP/HTTP exporters append `/v1/<signal>` to the endpoint's path).
fn telemetry_env(endpoint: &str, token: Option<&str>) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.to_string()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".into()),
        ("OTEL_TRACES_EXPORTER", "otlp".into()),
        ("OTEL_METRICS_EXPORTER", "otlp".into()),
        ("OTEL_LOGS_EXPORTER", "otlp".into()),
        // Short intervals, so little is left to export when the command ends.
        ("OTEL_METRIC_EXPORT_INTERVAL", "1000".into()),
        ("OTEL_LOGS_EXPORT_INTERVAL", "1000".into()),
        ("OTEL_TRACES_EXPORT_INTERVAL", "1000".into()),
        ("OTEL_BSP_SCHEDULE_DELAY", "500".into()),
        ("OTEL_BLRP_SCHEDULE_DELAY", "500".into()),
        ("CLAUDE_CODE_ENABLE_TELEMETRY", "1".into()),
    ];
    if let Some(token) = token {
        env.push(("OTEL_EXPORTER_OTLP_HEADERS", format!("Authorization=Bearer%20{token}")));
    }
    env
}

/// Per-signal settings would send a signal elsewhere than the receiver.
const ENV_REMOVED: [&str; 9] = [
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
    "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
];

pub fn run(args: RunArgs) -> Result<i32, Failure> {
    let plan = args.options.plan()?;
    let quiet = args.options.quiet;
    let mut options = args.receiver.options("127.0.0.1:0", "127.0.0.1:0")?;
    options.default_route = args.route.clone();
    // The command sends with its route's own token, if it has one.
    let token = args
        .route
        .as_ref()
        .and_then(|r| options.route_tokens.iter().find(|(name, _)| name == r))
        .map(|(_, token)| token.clone())
        .or_else(|| args.receiver.auth_token.clone());
    if args.budget.is_some_and(|b| b.is_sign_negative()) {
        return Err(usage("--budget must be 0 or more dollars".into()));
    }
    let runtime = listen::runtime()?;
    let (child_code, report_code, report) = runtime.block_on(async {
        let mut signals = listen::install_signals(&[Caught::Terminate, Caught::Hangup, Caught::Interrupt])?;
        let live = listen::Live::start(&plan, options, args.receiver.save()).await?;
        live.announce(quiet);
        let mut command = tokio::process::Command::new(&args.command[0]);
        command.args(&args.command[1..]);
        let agent_files = if args.no_env {
            None
        } else {
            let files = AgentFiles::create(args.route.as_deref())
                .map_err(|e| error(format!("cannot make a folder for the agents' telemetry files: {e}")))?;
            for name in ENV_REMOVED.iter().chain(&agents::ENV_REMOVED) {
                command.env_remove(name);
            }
            let route = args.route.as_deref().map(|r| format!("/{r}")).unwrap_or_default();
            let endpoint = format!("http://{}{route}", live.server.http_addr);
            command.envs(telemetry_env(&endpoint, token.as_deref()));
            let opencode_config = std::env::var("OPENCODE_CONFIG_CONTENT").ok();
            command.envs(agents::env(&endpoint, &files, opencode_config.as_deref()));
            let headers: Vec<(&str, String)> = token.iter().map(|t| ("Authorization", format!("Bearer {t}"))).collect();
            match files.codex_home(&endpoint, &headers) {
                Ok(Some(home)) => drop(command.env("CODEX_HOME", home)),
                Ok(None) if !quiet => {
                    eprintln!("otelcost: warning: Codex's config.toml is not TOML; its telemetry is not set up")
                }
                Err(e) if !quiet => eprintln!("otelcost: warning: cannot set up Codex's telemetry: {e}"),
                _ => {}
            }
            Some(files)
        };
        let program = args.command[0].to_string_lossy().into_owned();
        let mut child = command.spawn().map_err(|e| cannot_spawn(&program, &e))?;
        let status = listen::StatusLine::start(&live, &plan, quiet);
        let child_code = wait_forwarding_signals(&mut child, &mut signals).await;
        grace(&live.server, args.flush).await;
        status.stop().await;
        let mut collected = live.stop().await;
        if let Some(files) = &agent_files {
            copy_droid_sessions(files, quiet);
            read_agent_files(files, &plan, args.receiver.save.as_deref(), &mut collected)?;
        }
        let outcome = pipeline::report(&plan, collected)?;
        let report_code = tell(&outcome, quiet);
        Ok::<_, Failure>((child_code, report_code, outcome.report))
    })?;
    if report.total.requests == 0 && !quiet {
        if let Some(agent) = agents::detect(&args.command).filter(|_| !args.no_env) {
            eprintln!("otelcost: warning: {} sent no LLM calls; {}", agent.name(), agent.hint());
        }
    }

    let cost = match plan.options.cost {
        CostMode::Reported => report.total.reported_cost,
        CostMode::Computed | CostMode::Both => report.total.cost,
    };
    let over = args.budget.filter(|b| cost.unwrap_or_default() > *b);
    if let Some(budget) = over {
        eprintln!(
            "otelcost: over budget: ${} spent, the budget is ${budget} (exit {})",
            cost.unwrap_or_default(),
            exit::BUDGET
        );
    } else if args.budget.is_some() && report.total.unpriced_requests > 0 && !quiet {
        eprintln!(
            "otelcost: warning: {} calls have no price and are not in the budget check",
            report.total.unpriced_requests
        );
    }
    let targets = args.summary.iter().cloned().chain(std::env::var_os("GITHUB_STEP_SUMMARY").map(PathBuf::from));
    for path in targets {
        let style = crate::report::Style { charts: !plan.options.no_charts };
        write_summary(&path, &args.command, &report, style, args.budget, cost, child_code)?;
    }

    Ok(if over.is_some() {
        exit::BUDGET
    } else if child_code != 0 {
        child_code
    } else {
        report_code
    })
}

/// Droid's sessions of the run into our folder, where they are read with the other files
/// (and get `--route`'s route); which they are, and what cannot be said exactly, said
/// (any session of the user's that changed during the run is read, whoever ran it).
fn copy_droid_sessions(files: &AgentFiles, quiet: bool) {
    match files.copy_droid_sessions() {
        Ok(sessions) if !quiet && !sessions.is_empty() => {
            let names: Vec<&str> = sessions.iter().map(|(s, _)| s.as_str()).collect();
            eprintln!("otelcost: Factory Droid sessions written during the run, read: {}", names.join(", "));
            for (session, _) in sessions.iter().filter(|(_, resumed)| *resumed) {
                eprintln!(
                    "otelcost: warning: Factory Droid session {session} began before this run: its token totals \
                     include its earlier runs'"
                );
            }
        }
        Err(e) if !quiet => eprintln!("otelcost: warning: cannot read Factory Droid's session files: {e}"),
        _ => {}
    }
}

/// The files agents wrote (Copilot CLI's telemetry, Cline's log, pi's sessions), read as
/// one more input now that the command has exited, and appended to their namesakes in `--save DIR`, beside what the
/// receiver saved (a DIR used again keeps every session, like the receiver's files).
fn read_agent_files(
    files: &AgentFiles,
    plan: &Plan,
    save: Option<&Path>,
    collected: &mut pipeline::Collected,
) -> Result<(), Failure> {
    let written = files.written();
    if written.is_empty() {
        return Ok(());
    }
    if let Some(dir) = save {
        for file in &written {
            let target = files.saved_as(file, dir);
            std::fs::File::open(file)
                .and_then(|mut from| {
                    if let Some(parent) = target.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    // A snapshot replaces its older copy; a log is added to.
                    let snapshot = files.is_snapshot(file);
                    let mut to = std::fs::OpenOptions::new()
                        .create(true)
                        .write(true)
                        .append(!snapshot)
                        .truncate(snapshot)
                        .open(&target)?;
                    std::io::copy(&mut from, &mut to)
                })
                .map_err(|e| error(format!("cannot save {} to {}: {e}", file.display(), target.display())))?;
        }
    }
    collected.read_more(&written, &plan.extract);
    Ok(())
}

/// The child's exit code (128 + the signal, like a shell, when a signal ended it), while
/// passing SIGTERM, SIGHUP and SIGINT on to it. A terminal's Ctrl-C already reached it
/// (same process group), so SIGINT is passed on only when stdin is not a terminal.
async fn wait_forwarding_signals(child: &mut tokio::process::Child, signals: &mut Signals) -> i32 {
    use std::io::IsTerminal;
    let forward_interrupt = !std::io::stdin().is_terminal();
    loop {
        tokio::select! {
            status = child.wait() => return code_of(status),
            caught = signals.next() => {
                if caught != Caught::Interrupt || forward_interrupt {
                    forward(child, caught);
                }
            }
        }
    }
}

#[cfg(unix)]
fn forward(child: &tokio::process::Child, caught: Caught) {
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) with a pid we started and still wait for.
        unsafe { libc::kill(pid, caught.number()) };
    }
}

/// Off Unix the only signal caught is Ctrl-C, which the child received as well.
#[cfg(not(unix))]
fn forward(_: &tokio::process::Child, _: Caught) {}

fn code_of(status: std::io::Result<std::process::ExitStatus>) -> i32 {
    let Ok(status) = status else { return exit::ERROR };
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return 128 + signal;
        }
    }
    status.code().unwrap_or(exit::ERROR)
}

/// Up to `flush` for exports still on their way; over once a second passes without one.
async fn grace(server: &crate::receiver::Server, flush: Duration) {
    let quiet_enough = Duration::from_secs(1).min(flush);
    let until = Instant::now() + flush;
    while Instant::now() < until && server.receiver.idle_for() < quiet_enough {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn write_summary(
    path: &Path,
    command: &[OsString],
    report: &Report,
    style: crate::report::Style,
    budget: Option<Decimal>,
    cost: Option<Decimal>,
    child_code: i32,
) -> Result<(), Failure> {
    let shown: Vec<String> = command.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let mut text = format!("## otelcost: LLM cost of `{}`\n\n", shown.join(" ").replace('`', "'"));
    let spent = cost.map_or("no priced calls".into(), |c| format!("${c}"));
    text += &format!("**{spent}** over {} calls; the command exited with {child_code}", report.total.requests);
    match budget {
        Some(b) if cost.unwrap_or_default() > b => text += &format!("; **over the budget of ${b}**"),
        Some(b) => text += &format!("; within the budget of ${b}"),
        None => {}
    }
    if report.total.unpriced_requests > 0 {
        text += &format!("; {} calls could not be priced", report.total.unpriced_requests);
    }
    text += ".\n\n";
    let mut table = Vec::new();
    crate::report::write(report, Format::Markdown, style, &mut table)
        .map_err(|e| error(format!("cannot write the summary: {e:#}")))?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| error(format!("cannot write the summary to {}: {e}", path.display())))?;
    file.write_all(text.as_bytes())
        .and_then(|_| file.write_all(&table))
        .and_then(|_| file.write_all(b"\n"))
        .map_err(|e| error(format!("cannot write the summary to {}: {e}", path.display())))
}

/// A command that cannot be started, with a shell's exit codes: 127 when it is not found,
/// 126 when it is found but cannot be executed (no permission, not a program).
fn cannot_spawn(program: &str, e: &std::io::Error) -> Failure {
    let code = if e.kind() == std::io::ErrorKind::NotFound { exit::NOT_FOUND } else { exit::CANNOT_EXECUTE };
    Failure { code, message: format!("cannot run {program:?}: {e}") }
}
