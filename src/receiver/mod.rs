//! The live source: an OTLP receiver (HTTP and gRPC) for a bounded session.
//!
//! Entry point: [`Server::start`]. It speaks the transports (OTLP/HTTP and gRPC, every
//! compression, routes, tokens, limits) and hands every request body it takes to its
//! [`Consumer`], the way a Collector receiver hands data to its `nextConsumer`: the
//! consumer's answer is the sender's, so nothing is acknowledged that is not held. What a
//! request says, and what becomes of it, is the consumer's business, not the receiver's.
//! [`Server::stop`] stops accepting, lets requests in flight finish and says what the
//! receiver refused.

pub mod compression;
mod deadline;
mod grpc;
mod http;
pub mod refusals;
pub mod routes;
pub mod save;
pub mod signals;
mod transcode;

use crate::model::{Location, Position, Route, Signal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};

/// How the receiver listens and what it accepts.
#[derive(Clone, Debug)]
pub struct Options {
    pub http: SocketAddr,
    /// `None`: no gRPC listener (`--no-grpc`).
    pub grpc: Option<SocketAddr>,
    /// Largest request body, checked on the wire and again after decompression.
    pub max_body: usize,
    /// Required as `Authorization: Bearer <token>` when set (except on a route with a
    /// token of its own).
    pub auth_token: Option<String>,
    /// `--route-token`: a route that needs its own token, in place of `auth_token`.
    pub route_tokens: Vec<(Route, String)>,
    /// `--routes-only`: requests without a route are refused.
    pub routes_only: bool,
    /// `run --route`: the route of requests that name none (gRPC, the plain paths).
    pub default_route: Option<Route>,
    /// Stop after this many accepted requests.
    pub max_requests: Option<u64>,
    /// Connections served at once; more are closed as they arrive.
    pub max_connections: usize,
    /// The longest a client may take to send a request's headers or an OTLP/HTTP body, or
    /// leave its connection silent, or not read what it is sent.
    pub client_timeout: Duration,
}

/// Requests one HTTP/2 connection may have open at once: with `--max-body`, what bounds a
/// connection's memory.
pub const MAX_STREAMS: u32 = 16;

/// `--save DIR --save-format FORMAT`.
#[derive(Clone, Debug)]
pub struct Save {
    pub dir: PathBuf,
    pub format: Encoding,
    /// `--save-sync`: each record reaches the disk (fsync) before it is acknowledged.
    pub sync: bool,
}

/// How a request body is encoded: on the wire, and in `--save` files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Encoding {
    /// OTLP/JSON, one request a line of <signal>.jsonl (the Collector file exporter's `format: json`)
    Json,
    /// Protobuf, one length-prefixed request a frame of <signal>.pb (`format: proto`)
    Proto,
}

/// What became of one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    /// The body is not a request of this signal: the client must not retry (HTTP 400).
    Invalid(String),
    /// Not stored (the session is ending, or `--save` failed): the client may retry (503).
    Unavailable(String),
}

/// One request body as taken off the wire: decompressed, within the limits, authorised.
pub struct Request<'a> {
    /// The endpoint it was sent to.
    pub signal: Signal,
    pub encoding: Encoding,
    pub body: &'a [u8],
    /// `request N (transport and path)`, for messages.
    pub location: Location,
    pub route: Option<Route>,
}

/// Where the receiver hands every request it takes. `Accepted` means the request is held
/// (and may be acknowledged); the other outcomes are passed on to the sender, and the
/// consumer reports the requests it found invalid.
pub trait Consumer: Send + Sync {
    fn consume(&self, request: Request<'_>) -> Outcome;
}

/// The receiver's state, shared by every connection.
pub struct Receiver {
    consumer: Arc<dyn Consumer>,
    options: Options,
    /// Requests seen, accepted or not: numbers each request for messages.
    seen: AtomicU64,
    /// Requests accepted, and (with `--max-requests`) those being consumed: a request
    /// takes its place before it is consumed, so no more than the maximum are accepted.
    accepted: AtomicU64,
    taken: AtomicU64,
    accepting: AtomicBool,
    /// Woken when `--max-requests` is reached.
    pub(crate) full: Notify,
    /// When the last request arrived (for `--idle`).
    last: Mutex<Instant>,
    refusals: Mutex<refusals::Refusals>,
}

/// Counters for the live status line.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    pub accepted: u64,
    pub refused: u64,
}

impl Receiver {
    fn new(consumer: Arc<dyn Consumer>, options: Options) -> Receiver {
        Receiver {
            consumer,
            options,
            seen: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            taken: AtomicU64::new(0),
            accepting: AtomicBool::new(true),
            full: Notify::new(),
            last: Mutex::new(Instant::now()),
            refusals: Mutex::default(),
        }
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Hands one request body (already decompressed), sent to `route`, to the consumer.
    /// `via` names the transport and path for messages.
    pub fn ingest(&self, signal: Signal, encoding: Encoding, body: &[u8], via: &str, route: Option<Route>) -> Outcome {
        let n = self.seen.fetch_add(1, Ordering::Relaxed) + 1;
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        let location = Location { file: format!("request {n} ({via})").into(), at: Position::Whole };
        let ending = || Outcome::Unavailable("the otelcost session is ending".into());
        if !self.accepting.load(Ordering::Acquire) {
            return ending();
        }
        let max = self.options.max_requests.unwrap_or(u64::MAX);
        if self.taken.fetch_add(1, Ordering::AcqRel) >= max {
            self.taken.fetch_sub(1, Ordering::AcqRel);
            return ending();
        }
        let outcome = self.consumer.consume(Request { signal, encoding, body, location, route });
        match &outcome {
            Outcome::Accepted => {
                if self.accepted.fetch_add(1, Ordering::AcqRel) + 1 >= max {
                    self.accepting.store(false, Ordering::Release);
                    self.full.notify_one();
                }
            }
            Outcome::Invalid(_) | Outcome::Unavailable(_) => {
                self.taken.fetch_sub(1, Ordering::AcqRel);
            }
        }
        outcome
    }

    pub fn progress(&self) -> Progress {
        let accepted = self.accepted.load(Ordering::Acquire);
        Progress { accepted, refused: self.seen.load(Ordering::Relaxed).saturating_sub(accepted) }
    }

    /// Time since the last request (or since the start).
    pub fn idle_for(&self) -> Duration {
        self.last.lock().unwrap_or_else(|p| p.into_inner()).elapsed()
    }
}

/// What a session's receiver did, once it has stopped.
#[derive(Clone, Debug, Default)]
pub struct Session {
    pub accepted: u64,
    /// Every request answered with an error, by reason and sender.
    pub refused: refusals::Refusals,
    /// `--max-body`, for what is said of requests refused as too large.
    pub max_body: usize,
}

/// A running receiver.
pub struct Server {
    pub receiver: Arc<Receiver>,
    /// Where it listens (the real ports when 0 was asked for).
    pub http_addr: SocketAddr,
    pub grpc_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

/// The largest request header block (HTTP/1 read buffer, HTTP/2 header list).
const MAX_HEADERS: usize = 64 << 10;

/// How long requests in flight may take to finish once the session ends.
const DRAIN: Duration = Duration::from_secs(5);

impl Server {
    /// Binds the listeners and starts serving (within a tokio runtime).
    pub async fn start(consumer: Arc<dyn Consumer>, options: Options) -> Result<Server, String> {
        let bind = |addr: SocketAddr, what: &str| {
            let what = what.to_string();
            async move {
                TcpListener::bind(addr).await.map_err(|e| {
                    format!("cannot listen for OTLP/{what} on {addr}: {e} (another collector running? pick a port with --{} ADDR, or 0 for any free port)", what.to_ascii_lowercase())
                })
            }
        };
        let http = bind(options.http, "HTTP").await?;
        let grpc = match options.grpc {
            Some(addr) => Some(bind(addr, "gRPC").await?),
            None => None,
        };
        let http_addr = http.local_addr().map_err(|e| e.to_string())?;
        let grpc_addr = grpc.as_ref().map(|l| l.local_addr()).transpose().map_err(|e| e.to_string())?;
        let receiver = Arc::new(Receiver::new(consumer, options));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(serve(http, grpc, receiver.clone(), stopped));
        Ok(Server { receiver, http_addr, grpc_addr, stop, task })
    }

    /// Stops accepting connections and lets requests in flight finish (for a few
    /// seconds). What was accepted is the consumer's; this says what was refused.
    pub async fn stop(self) -> Session {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        self.receiver.accepting.store(false, Ordering::Release);
        let refused = self.receiver.refusals.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Session {
            accepted: self.receiver.accepted.load(Ordering::Acquire),
            refused,
            max_body: self.receiver.options.max_body,
        }
    }
}

async fn serve(
    http: TcpListener,
    grpc: Option<TcpListener>,
    receiver: Arc<Receiver>,
    mut stopped: watch::Receiver<bool>,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    // Both ports speak HTTP/1.1 and HTTP/2 and route by path, so either transport works on either.
    let limit = receiver.options().client_timeout;
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    // Bounded time and memory per connection, whatever a client does: a header that never
    // ends (slowloris), a stream flood, a header block of megabytes.
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limit).max_buf_size(MAX_HEADERS);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(MAX_STREAMS)
        .max_pending_accept_reset_streams(MAX_STREAMS as usize)
        .max_header_list_size(MAX_HEADERS as u32)
        // A ping at half the limit: a live client's answer is read before its connection
        // counts as silent (see `deadline`), a dead one's absence closes it.
        .keep_alive_interval(limit / 2)
        .keep_alive_timeout(limit / 2);
    let connections = Arc::new(tokio::sync::Semaphore::new(receiver.options().max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    async fn accept(listener: &Option<TcpListener>) -> std::io::Result<(tokio::net::TcpStream, SocketAddr)> {
        match listener {
            Some(l) => l.accept().await,
            None => std::future::pending().await,
        }
    }
    let http = Some(http);
    loop {
        let conn = tokio::select! {
            c = accept(&http) => c,
            c = accept(&grpc) => c,
            _ = stopped.changed() => break,
        };
        // An accept error (e.g. out of file descriptors) is about that one connection.
        let Ok((stream, peer)) = conn else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        // Over the limit, a connection is closed at once rather than queued.
        let Ok(permit) = connections.clone().try_acquire_owned() else { continue };
        let _ = stream.set_nodelay(true);
        let receiver = receiver.clone();
        let service = hyper::service::service_fn(move |req| {
            let receiver = receiver.clone();
            async move {
                let path = req.uri().path().to_string();
                let response = http::route(receiver.clone(), req).await;
                let mut refusals = receiver.refusals.lock().unwrap_or_else(|p| p.into_inner());
                refusals.note(&response, &path, peer, receiver.options.default_route.as_ref());
                Ok::<_, std::convert::Infallible>(response)
            }
        });
        let io = TokioIo::new(deadline::Stalls::new(stream, limit));
        let conn = graceful.watch(builder.serve_connection(io, service).into_owned());
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop((http, grpc));
    let _ = tokio::time::timeout(DRAIN, graceful.shutdown()).await;
}

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Duration,
    Idle,
    MaxRequests,
    Interrupted,
    Terminated,
}

impl End {
    pub fn describe(self) -> &'static str {
        match self {
            End::Duration => "--duration reached",
            End::Idle => "--idle: no request for that long",
            End::MaxRequests => "--max-requests reached",
            End::Interrupted => "interrupted",
            End::Terminated => "terminated",
        }
    }
}

/// Waits for the first of: the duration, the idle time, `--max-requests`, a signal.
pub async fn wait_for_end(
    receiver: &Receiver,
    signals: &mut signals::Signals,
    duration: Option<Duration>,
    idle: Option<Duration>,
) -> End {
    let deadline = async {
        match duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    let idle_end = async {
        let Some(idle) = idle else { return std::future::pending().await };
        loop {
            let since = receiver.idle_for();
            if since >= idle {
                return;
            }
            tokio::time::sleep(idle - since).await;
        }
    };
    tokio::select! {
        _ = deadline => End::Duration,
        _ = idle_end => End::Idle,
        _ = receiver.full.notified() => End::MaxRequests,
        caught = signals.next() => match caught {
            signals::Caught::Interrupt => End::Interrupted,
            signals::Caught::Terminate | signals::Caught::Hangup => End::Terminated,
        },
    }
}

/// Whether clients on other machines can reach this address.
pub fn is_wide(addr: &SocketAddr) -> bool {
    !addr.ip().is_loopback()
}
