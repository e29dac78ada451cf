//! `otelcost listen`: an OTLP receiver for a bounded session, then the report.
//! The receiver itself is `input::live`; this is its command line, shared with `run`.

use super::report::{finish, Prepared, ReportOptions};
use super::{error, usage, Failure};
use crate::allocate::Report;
use crate::input::live::signals::{Caught, Signals};
use crate::input::live::{self, Server};
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
            save: self.save.clone().map(|dir| live::Save { dir, format: self.save_format, sync: self.save_sync }),
            max_requests: self.max_requests,
            max_connections: self.max_connections.max(1),
            client_timeout: self.client_timeout,
        })
    }
}

pub fn run(args: ListenArgs) -> Result<i32, Failure> {
    let prepared = args.options.prepare()?;
    let options = args.receiver.options("127.0.0.1:4318", "127.0.0.1:4317")?;
    let runtime = runtime()?;
    let (code, _) = runtime.block_on(async {
        let mut signals = install_signals(&[Caught::Interrupt, Caught::Terminate])?;
        let server = start(&prepared, options).await?;
        announce(&server, &prepared);
        let status = StatusLine::start(&server, &prepared);
        let end = live::wait_for_end(&server.receiver, &mut signals, args.duration, args.idle).await;
        status.stop().await;
        if !prepared.options.quiet {
            eprintln!("otelcost: session ended ({}); reporting", end.describe());
        }
        stop_and_report(server, &prepared).await
    })?;
    Ok(code)
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

pub async fn start(prepared: &Prepared, options: live::Options) -> Result<Server, Failure> {
    Server::start(prepared.extract.clone(), prepared.store(), options).await.map_err(error)
}

/// The endpoints, always (with port 0 they are the only way to know them).
pub fn announce(server: &Server, prepared: &Prepared) {
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
    if let Some(save) = &options.save {
        let layout = if save.format == live::Encoding::Json { "OTLP/JSON lines" } else { "protobuf frames" };
        line += &format!("; saving to {} as {layout}", save.dir.display());
    }
    if !prepared.options.quiet {
        line += "; Ctrl-C ends the session";
    }
    eprintln!("{line}");
}

/// Stops the receiver and writes the report of everything it accepted.
pub async fn stop_and_report(server: Server, prepared: &Prepared) -> Result<(i32, Report), Failure> {
    let collected = server.stop().await;
    finish(prepared, collected)
}

/// While running, on a terminal: requests, calls, tokens and cost so far, once a second.
pub struct StatusLine {
    task: Option<(tokio::task::JoinHandle<()>, tokio::sync::oneshot::Sender<()>)>,
}

impl StatusLine {
    pub fn start(server: &Server, prepared: &Prepared) -> StatusLine {
        if prepared.options.quiet || !std::io::stderr().is_terminal() {
            return StatusLine { task: None };
        }
        let Ok(catalog) = prepared.catalog() else { return StatusLine { task: None } };
        let receiver = Arc::clone(&server.receiver);
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
                let line = match receiver.snapshot().map(crate::reconcile::reconcile) {
                    None | Some(Err(_)) => format!(
                        "otelcost: {} requests{refused} so far (a long session: its cost comes at the end)",
                        progress.accepted
                    ),
                    Some(Ok(reconciled)) => {
                        let calls = reconciled.calls;
                        let priced: Vec<_> = crate::price::price_calls(&catalog, calls, false).collect();
                        let tokens: u64 = priced
                            .iter()
                            .map(|p| p.call.tokens.total_input().saturating_add(p.call.tokens.output))
                            .sum();
                        let cost: rust_decimal::Decimal = priced.iter().filter_map(|p| p.cost).sum();
                        let unpriced = priced.iter().filter(|p| p.cost.is_none()).count();
                        let unpriced = if unpriced > 0 { format!(" (+{unpriced} unpriced)") } else { String::new() };
                        format!(
                            "otelcost: {} requests{refused}, {} calls, {tokens} tokens, ${}{unpriced} so far",
                            progress.accepted,
                            priced.len(),
                            cost.round_dp(4)
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
