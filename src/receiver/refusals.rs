//! The requests the receiver refused, by reason and sender: a refused request's calls are
//! lost (a Collector batch over `--max-body` is dropped after its retries), so a session
//! says what it refused and `--strict` fails on it.

use crate::model::route::{self, Route};
use hyper::Response;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use tonic::body::Body;

/// How many (reason, sender) pairs are kept; refusals beyond them are only counted.
const MAX_KEPT: usize = 64;

/// Refused requests: how many of each HTTP status (gRPC codes as their HTTP equivalents)
/// from each sender (its address, and the route it sent to).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Refusals {
    pub by: BTreeMap<(u16, String), u64>,
    /// Refusals of further (status, sender) pairs.
    pub more: u64,
}

impl Refusals {
    pub fn total(&self) -> u64 {
        self.by.values().sum::<u64>() + self.more
    }

    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// Counts the answer to one request to `path` from `peer`, if it is a refusal.
    pub(super) fn note(&mut self, response: &Response<Body>, path: &str, peer: SocketAddr, default: Option<&Route>) {
        let Some(status) = refusal(response) else { return };
        let route = match route::split_path(path) {
            Some((Ok(Some(route)), _)) => Some(route),
            _ => default.cloned(),
        };
        let sender = match route {
            Some(route) => format!("{} (route {route})", peer.ip()),
            None => peer.ip().to_string(),
        };
        if let Some(n) = self.by.get_mut(&(status, sender.clone())) {
            *n += 1;
        } else if self.by.len() < MAX_KEPT {
            self.by.insert((status, sender), 1);
        } else {
            self.more += 1;
        }
    }
}

/// The HTTP status of a refusal (a gRPC error's code mapped to its HTTP equivalent), or
/// `None` for an answer that accepted the request.
fn refusal(response: &Response<Body>) -> Option<u16> {
    let status = response.status().as_u16();
    if status != 200 {
        return Some(status);
    }
    // gRPC: an error is a trailers-only answer, its status in the headers.
    let code: u32 = response.headers().get("grpc-status")?.to_str().ok()?.parse().ok()?;
    Some(match code {
        0 => return None,
        3 => 400,
        4 => 408,
        5 => 404,
        8 | 11 => 413,
        12 => 415,
        14 => 503,
        16 => 401,
        _ => 500,
    })
}

/// What to do about a request over `--max-body`: said to the sender and in the summary.
pub const TOO_LARGE: &str =
    "raise --max-body, or send smaller batches (a Collector: lower its batch processor's send_batch_max_size)";

/// What a refusal's status means, and what to do about it.
pub fn describe(status: u16) -> &'static str {
    match status {
        400 => "not a valid OTLP request (each is listed as a problem)",
        401 => "without the token it needs: give the sender --auth-token's (or its route's) token in OTEL_EXPORTER_OTLP_HEADERS",
        404 => "to no endpoint otelcost serves (or without a route, with --routes-only)",
        405 => "with a method other than POST",
        408 => "too slow to arrive (--client-timeout)",
        413 => "as too large (over --max-body)",
        415 => "for an unsupported Content-Type or compression",
        503 => "unstored (the session was ending, or --save failed): the sender may have retried",
        _ => "because otelcost failed on it",
    }
}
