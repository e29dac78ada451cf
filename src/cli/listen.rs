//! `otelcost listen`: an OTLP receiver for a bounded session, then the report.
//! The receiver itself is `input::live`; this is its command line, shared with `run`.

use super::report::{tell, ReportOptions};
use super::{error, usage, Failure};
use crate::pipeline::{self, LiveSink, Plan};
use crate::receiver::signals::{Caught, Signals};
use crate::receiver::{self as live, Server};
use clap::Args;
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct ListenArgs {
    #[command(flatten)]
    pub receiver: ReceiverArgs,

    /// End after this long (e.g. 90s, 10m, 1h).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,

    /// End when no request has arrived for this long (e.g. 30s).
    #[arg(long, value_parser = parse_duration)]
    pub idle: Option<Duration>,

    #[command(flatten)]
    pub options: ReportOptions,
}

/// How the receiver listens: shared by `listen` and `run`.
#[derive(Args, Debug)]
pub struct ReceiverArgs {
    /// OTLP/HTTP address (port 0: any free port) [default: 127.0.0.1:4318; `run`: a free loopback port].
    #[arg(long, value_name = "ADDR")]
    pub http: Option<SocketAddr>,

    /// OTLP/gRPC address (port 0: any free port) [default: 127.0.0.1:4317; `run`: a free loopback port].
    #[arg(long, value_name = "ADDR", conflicts_with = "no_grpc")]
    pub grpc: Option<SocketAddr>,

    /// Do not listen for OTLP/gRPC (the HTTP port still answers gRPC over HTTP/2).
    #[arg(long)]
    pub no_grpc: bool,

    /// End after this many accepted requests.
    #[arg(long, value_name = "N")]
    pub max_requests: Option<u64>,

    /// Largest request body, on the wire and once decompressed (e.g. 8MiB, 512KiB).
    #[arg(long, value_name = "SIZE", default_value = "8MiB", value_parser = parse_body_size)]
    pub max_body: usize,

    /// Require `Authorization: Bearer TOKEN` on every request. Needed to listen on an
    /// address other machines can reach.
    #[arg(long, value_name = "TOKEN", env = "OTELCOST_AUTH_TOKEN", hide_env_values = true)]
    pub auth_token: Option<String>,

    /// A route that needs its own token: requests to ROUTE (`/ROUTE/v1/traces`) must carry
    /// `Authorization: Bearer TOKEN` (--auth-token does not open it). Repeatable.
    #[arg(long = "route-token", value_name = "ROUTE=TOKEN", value_parser = live::routes::parse_route_token)]
    pub route_tokens: Vec<(crate::model::route::Route, String)>,

    /// Route tokens from a TOML file: a `[tokens]` table of `"ROUTE" = "TOKEN"` lines
    /// (keeps the tokens off the command line).
    #[arg(long, value_name = "FILE")]
    pub route_token_file: Option<PathBuf>,

    /// Refuse requests without a route (the plain /v1/… paths and, but for `run --route`,
    /// gRPC) with 404, so that everything a shared receiver takes is attributed.
    #[arg(long)]
    pub routes_only: bool,

    /// Append every accepted request to DIR as it arrives, before acknowledging it, in the
    /// Collector file exporter's layout chosen by --save-format; `otelcost report DIR` reads
    /// it back.
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,

    /// The layout of --save: every request in it, converted from the other encoding as
    /// needed (one that cannot be converted exactly is kept as sent, in the other layout,
    /// with a warning).
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "json", requires = "save")]
    pub save_format: live::Encoding,

    /// Connections served at once; more are closed as they arrive. With --max-body and the
    /// 16 requests an HTTP/2 connection may have open, this bounds the listener's memory.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub max_connections: usize,

    /// How long a client may take to send a request's headers or an OTLP/HTTP body (then
    /// 408), or leave its connection silent, or not read its responses (then the connection
    /// is closed): slow or stalled clients cannot hold connections (e.g. 30s, 2m).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub client_timeout: std::time::Duration,

    /// Make --save durable against a power cut or an OS crash, not just against otelcost
    /// being killed: each request is flushed to the disk (fsync) before it is acknowledged,
    /// and each new file's directory entry too. Without it, requests acknowledged in the last
    /// few seconds before a power cut (what the OS had not yet written back) can be lost.
    #[arg(long, requires = "save")]
    pub save_sync: bool,
}

impl ReceiverArgs {
    /// `--save`, `--save-format`, `--save-sync`.
    pub fn save(&self) -> Option<live::Save> {
        self.save.clone().map(|dir| live::Save { dir, format: self.save_format, sync: self.save_sync })
    }

    pub fn options(&self, default_http: &str, default_grpc: &str) -> Result<live::Options, Failure> {
        let parse = |a: &str| a.parse::<SocketAddr>().expect("a valid default address");
        let http = self.http.unwrap_or_else(|| parse(default_http));
        let grpc = if self.no_grpc { None } else { Some(self.grpc.unwrap_or_else(|| parse(default_grpc))) };
        let wide = std::iter::once(http).chain(grpc).find(live::is_wide);
        if let (Some(addr), None) = (wide, &self.auth_token) {
            return Err(usage(format!(
                "{addr} can be reached from other machines: give --auth-token (or OTELCOST_AUTH_TOKEN), or listen on 127.0.0.1"
            )));
        }
        if self.auth_token.as_deref().is_some_and(|t| t.trim().is_empty() || t.contains(char::is_whitespace)) {
            return Err(usage("--auth-token must be non-empty and without spaces".into()));
        }
        let mut route_tokens = self.route_tokens.clone();
        if let Some(path) = &self.route_token_file {
            route_tokens
                .extend(live::routes::load_route_tokens(path).map_err(|e| usage(format!("--route-token-file: {e}")))?);
        }
        for (i, (route, _)) in route_tokens.iter().enumerate() {
            if route_tokens[..i].iter().any(|(earlier, _)| earlier == route) {
                return Err(usage(format!("route {route:?} is given a token twice")));
            }
        }
        Ok(live::Options {
            http,
            grpc,
            max_body: self.max_body,
            auth_token: self.auth_token.clone(),
            route_tokens,
            routes_only: self.routes_only,
            default_route: None,
            max_requests: self.max_requests,
            max_connections: self.max_connections.max(1),
            client_timeout: self.client_timeout,
        })
    }
}

pub fn run(args: ListenArgs) -> Result<i32, Failure> {
    let plan = args.options.plan()?;
    let quiet = args.options.quiet;
    let options = args.receiver.options("127.0.0.1:4318", "127.0.0.1:4317")?;
    let runtime = runtime()?;
    runtime.block_on(async {
        let mut signals = install_signals(&[Caught::Interrupt, Caught::Terminate])?;
        let live = Live::start(&plan, options, args.receiver.save()).await?;
        live.announce(quiet);
        let status = StatusLine::start(&live, &plan, quiet);
        let end = crate::receiver::wait_for_end(&live.server.receiver, &mut signals, args.duration, args.idle).await;
        status.stop().await;
        if !quiet {
            eprintln!("otelcost: session ended ({}); reporting", end.describe());
        }
        let outcome = pipeline::report(&plan, live.stop().await)?;
        Ok(tell(&outcome, quiet))
    })
}

pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| error(format!("cannot start the receiver's runtime: {e}")))
}

pub fn install_signals(kinds: &[Caught]) -> Result<Signals, Failure> {
    Signals::install(kinds).map_err(|e| error(format!("cannot install signal handlers: {e}")))
}

/// A live session: the receiver (a source) and the pipeline's consumer it feeds.
pub struct Live {
    pub server: Server,
    sink: Arc<LiveSink>,
    save: Option<live::Save>,
}

impl Live {
    pub async fn start(plan: &Plan, options: live::Options, save: Option<live::Save>) -> Result<Live, Failure> {
        let sink = LiveSink::new(plan.extract.clone(), plan.store(), save.clone())
            .map_err(|e| error(format!("--save: {e}")))?;
        let sink = Arc::new(sink);
        let server = Server::start(sink.clone(), options).await.map_err(error)?;
        Ok(Live { server, sink, save })
    }

    /// The endpoints, always (with port 0 they are the only way to know them).
    pub fn announce(&self, quiet: bool) {
        let server = &self.server;
        let grpc = server.grpc_addr.map(|a| format!(", OTLP/gRPC on http://{a}")).unwrap_or_default();
        let mut line = format!("otelcost: listening: OTLP/HTTP on http://{}{grpc}", server.http_addr);
        let options = server.receiver.options();
        if let Some(route) = &options.default_route {
            line += &format!("; route {route}");
        } else if options.routes_only {
            line += "; only routed requests (/ROUTE/v1/…, --routes-only)";
        }
        if !options.route_tokens.is_empty() {
            let n = options.route_tokens.len();
            line += &format!("; {n} route{} with a token of its own", if n == 1 { "" } else { "s" });
        }
        if let Some(save) = &self.save {
            let layout = if save.format == live::Encoding::Json { "OTLP/JSON lines" } else { "protobuf frames" };
            line += &format!("; saving to {} as {layout}", save.dir.display());
        }
        if !quiet {
            line += "; Ctrl-C ends the session";
        }
        eprintln!("{line}");
    }

    /// Stops the receiver; everything it accepted, ready for the report.
    pub async fn stop(self) -> pipeline::Collected {
        let session = self.server.stop().await;
        self.sink.take(session)
    }
}

/// While running, on a terminal: requests, calls, tokens and cost so far, once a second.
pub struct StatusLine {
    task: Option<(tokio::task::JoinHandle<()>, tokio::sync::oneshot::Sender<()>)>,
}

impl StatusLine {
    pub fn start(live: &Live, plan: &Plan, quiet: bool) -> StatusLine {
        if quiet || !std::io::stderr().is_terminal() {
            return StatusLine { task: None };
        }
        let Ok(catalog) = plan.catalog() else { return StatusLine { task: None } };
        let receiver = Arc::clone(&live.server.receiver);
        let sink = Arc::clone(&live.sink);
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let mut shown = None;
            loop {
                tokio::select! {
                    _ = &mut rx => break,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
                let progress = receiver.progress();
                if shown == Some((progress.accepted, progress.refused)) {
                    continue;
                }
                shown = Some((progress.accepted, progress.refused));
                let refused =
                    if progress.refused > 0 { format!(", {} refused", progress.refused) } else { String::new() };
                let line = match sink.so_far(&catalog) {
                    None => format!(
                        "otelcost: {} requests{refused} so far (a long session: its cost comes at the end)",
                        progress.accepted
                    ),
                    Some(so_far) => {
                        let unpriced = if so_far.unpriced > 0 {
                            format!(" (+{} unpriced)", so_far.unpriced)
                        } else {
                            String::new()
                        };
                        format!(
                            "otelcost: {} requests{refused}, {} calls, {} tokens, ${}{unpriced} so far",
                            progress.accepted,
                            so_far.calls,
                            so_far.tokens,
                            so_far.cost.round_dp(4)
                        )
                    }
                };
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[2K{line}");
                let _ = err.flush();
            }
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        });
        StatusLine { task: Some((task, tx)) }
    }

    pub async fn stop(self) {
        if let Some((task, tx)) = self.task {
            let _ = tx.send(());
            let _ = task.await;
        }
    }
}

/// `90s`, `10m`, `1h`, `500ms`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().map_err(|_| format!("{text:?} is not a duration: use e.g. 30s, 10m, 1h"))?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("unknown unit {other:?} in {text:?}: use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{text:?} is not a usable duration"))
}

/// A request body size: above 0 and below 4GiB.
fn parse_body_size(text: &str) -> Result<usize, String> {
    match super::parse_size(text)? {
        0 => Err(format!("{text:?}: give a size above 0 and below 4GiB")),
        n if n > u64::from(u32::MAX) => Err(format!("{text:?}: give a size above 0 and below 4GiB")),
        n => Ok(n as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("ten").is_err() && parse_duration("5y").is_err());
        assert_eq!(parse_body_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_body_size("1024"), Ok(1024));
        assert!(parse_body_size("0").is_err() && parse_body_size("9GiB").is_err() && parse_body_size("1TB").is_err());
        assert_eq!(super::super::parse_size("200MB"), Ok(200 << 20));
        assert_eq!(super::super::parse_size("2TiB"), Ok(2 << 40));
        assert!(super::super::parse_size("1.5GB").is_err() && super::super::parse_size("12 parsecs").is_err());
    }
}
