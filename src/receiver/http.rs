//! OTLP/HTTP (spec: opentelemetry-proto `docs/specification.md`, "OTLP/HTTP"), and the
//! routing of every request, gRPC included, by path: `[/ROUTE]/v1/<signal>` (see `routes`).
//!
//! Answers: 200 with an empty `Export*ServiceResponse` in the request's encoding;
//! otherwise a `google.rpc.Status` body (protobuf or JSON like the request) with 400 for
//! a body that does not decode or is of another signal or a bad route, 401 without the
//! token (the route's own, else --auth-token), 404 (also: no route with --routes-only), 405,
//! 413 over `--max-body` (on the wire or once decompressed), 415 for an unknown content
//! type or encoding, 503 (retryable) when the request was not stored.

use super::compression::{self, Coding, ACCEPTED};
use super::{grpc, routes, Encoding, Outcome, Receiver};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue, ALLOW, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use std::sync::Arc;
use tonic::body::Body;

pub async fn route(receiver: Arc<Receiver>, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path().to_string();
    let path = path.as_str();
    if let Some(signal) = grpc::signal_for_path(path) {
        return match routes::admit(receiver.options(), None, req.headers()) {
            Ok(route) => grpc::export(receiver, signal, route, req).await,
            Err(refusal) => refusal.grpc().into_http(),
        };
    }
    let Some((signal, route)) = routes::signal_of(path) else {
        let message = format!(
            "no such endpoint {path:?}: OTLP/HTTP is /v1/traces, /v1/metrics and /v1/logs, after a route or not (/team-a/v1/traces)"
        );
        return error(StatusCode::NOT_FOUND, Encoding::Json, &message);
    };
    let encoding = encoding_of(req.headers());
    if req.method() != Method::POST {
        let mut response = error(StatusCode::METHOD_NOT_ALLOWED, encoding.unwrap_or(Encoding::Json), "use POST");
        response.headers_mut().insert(ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let route = match route.and_then(|route| routes::admit(receiver.options(), route, req.headers())) {
        Ok(route) => route,
        Err(refusal) => return error(refusal.status, encoding.unwrap_or(Encoding::Json), &refusal.message),
    };
    let Some(encoding) = encoding else {
        let found = req.headers().get(CONTENT_TYPE).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let message = format!(
            "unsupported Content-Type {}: OTLP/HTTP is application/x-protobuf or application/json",
            found.map_or("(none)".into(), |f| format!("{f:?}"))
        );
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, Encoding::Json, &message);
    };
    // A body still coming after --client-timeout is refused (slowloris); the time spent
    // storing it never counts, so an answer never says 408 for a request that was kept.
    let limit = receiver.options().client_timeout;
    let body = match tokio::time::timeout(limit, read_body(&receiver, req)).await {
        Ok(Ok(body)) => body,
        Ok(Err((status, message))) => return error(status, encoding, &message),
        Err(_) => return too_slow(limit, encoding),
    };
    let via = format!("http {path}");
    let ingest = {
        let receiver = receiver.clone();
        tokio::task::spawn_blocking(move || receiver.ingest(signal, encoding, &body, &via, route))
    };
    match ingest.await {
        Ok(Outcome::Accepted) => success(encoding),
        Ok(Outcome::Invalid(message)) => error(StatusCode::BAD_REQUEST, encoding, &message),
        Ok(Outcome::Unavailable(message)) => error(StatusCode::SERVICE_UNAVAILABLE, encoding, &message),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, encoding, "otelcost failed on this request"),
    }
}

/// The answer to a request body not received within `--client-timeout`.
fn too_slow(limit: std::time::Duration, encoding: Encoding) -> Response<Body> {
    let message = format!("the request body took longer than {}s to arrive (--client-timeout)", limit.as_secs_f64());
    error(StatusCode::REQUEST_TIMEOUT, encoding, &message)
}

fn encoding_of(headers: &HeaderMap) -> Option<Encoding> {
    let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let media = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match media.as_str() {
        "application/x-protobuf" | "application/protobuf" => Some(Encoding::Proto),
        "application/json" => Some(Encoding::Json),
        _ => None,
    }
}

/// The body, decompressed, never more than `--max-body` bytes in memory.
async fn read_body(receiver: &Receiver, req: Request<Incoming>) -> Result<Vec<u8>, (StatusCode, String)> {
    let max = receiver.options().max_body;
    let too_large = |what: &str| {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body {what} over the limit of {max} bytes (--max-body): {}", super::refusals::TOO_LARGE),
        )
    };
    let coding = Coding::from_header(req.headers().get(CONTENT_ENCODING).map(|v| v.as_bytes())).map_err(|e| {
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported Content-Encoding {e:?}: send the body plain or {ACCEPTED}"),
        )
    })?;
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large("is"));
    }
    let wire: Bytes = match Limited::new(req.into_body(), max).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return Err(too_large("is")),
        Err(e) => {
            // A body that stopped coming for --client-timeout (see `deadline`) is a timeout.
            let stalled = std::error::Error::source(&*e)
                .and_then(|s| s.downcast_ref::<std::io::Error>())
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut);
            let status = if stalled { StatusCode::REQUEST_TIMEOUT } else { StatusCode::BAD_REQUEST };
            return Err((status, format!("the request body could not be read: {e}")));
        }
    };
    let Some(coding) = coding else { return Ok(wire.to_vec()) };
    coding.decompress(&wire, max).map_err(|e| match e {
        compression::Error::TooLarge => too_large("decompressed is"),
        compression::Error::Corrupt(e) => {
            (StatusCode::BAD_REQUEST, format!("Content-Encoding is {}, but the body is not: {e}", coding.name()))
        }
    })
}

fn respond(status: StatusCode, encoding: Encoding, body: Vec<u8>) -> Response<Body> {
    let content_type = match encoding {
        Encoding::Json => "application/json",
        Encoding::Proto => "application/x-protobuf",
    };
    let mut response = Response::new(Body::new(Full::new(Bytes::from(body))));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// An empty `Export*ServiceResponse`: everything was accepted.
fn success(encoding: Encoding) -> Response<Body> {
    let body = match encoding {
        Encoding::Json => b"{}".to_vec(),
        Encoding::Proto => Vec::new(),
    };
    respond(StatusCode::OK, encoding, body)
}

/// A `google.rpc.Status` with the gRPC code that goes with the HTTP status.
fn error(status: StatusCode, encoding: Encoding, message: &str) -> Response<Body> {
    let code: u32 = match status {
        StatusCode::BAD_REQUEST => 3,            // INVALID_ARGUMENT
        StatusCode::NOT_FOUND => 5,              // NOT_FOUND
        StatusCode::PAYLOAD_TOO_LARGE => 8,      // RESOURCE_EXHAUSTED
        StatusCode::UNAUTHORIZED => 16,          // UNAUTHENTICATED
        StatusCode::SERVICE_UNAVAILABLE => 14,   // UNAVAILABLE
        StatusCode::INTERNAL_SERVER_ERROR => 13, // INTERNAL
        _ => 12,                                 // UNIMPLEMENTED (405, 415)
    };
    let body = match encoding {
        Encoding::Json => serde_json::json!({ "code": code, "message": message }).to_string().into_bytes(),
        Encoding::Proto => {
            let mut out = vec![0x08];
            put_varint(&mut out, u64::from(code));
            out.push(0x12);
            put_varint(&mut out, message.len() as u64);
            out.extend_from_slice(message.as_bytes());
            out
        }
    };
    respond(status, encoding, body)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}
