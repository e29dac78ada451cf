//! OTLP/gRPC: the unary `Export` of the trace, metrics and logs collector services.
//!
//! tonic handles the gRPC framing, the size limit and the status trailers. `grpc-encoding`
//! (gzip, zstd, and the snappy that Collector exporters send, which tonic does not know) is
//! undone before it, by the same code and limits as an HTTP `Content-Encoding`. The message
//! stays bytes (a codec that copies them out) and goes to the same [`Receiver::ingest`] as
//! an HTTP body.
//! Decoding it into prost structs here would cost a round trip per request for the
//! selective decoder, which reads the bytes; only `--save-format json` decodes them fully.

use super::compression::{self, Coding, ACCEPTED};
use super::{Encoding, Outcome, Receiver};
use crate::model::route::Route;
use crate::model::Signal;
use bytes::{Buf, BufMut, Bytes};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tonic::body::Body;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::{Request, Response, Status};

pub fn signal_for_path(path: &str) -> Option<Signal> {
    match path {
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export" => Some(Signal::Traces),
        "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export" => Some(Signal::Metrics),
        "/opentelemetry.proto.collector.logs.v1.LogsService/Export" => Some(Signal::Logs),
        _ => None,
    }
}

pub async fn export(
    receiver: Arc<Receiver>,
    signal: Signal,
    route: Option<Route>,
    req: hyper::Request<Incoming>,
) -> hyper::Response<Body> {
    let max = receiver.options().max_body;
    let req = match decompressed(req, max).await {
        Ok(req) => req,
        Err(status) => return status.into_http(),
    };
    let mut grpc = tonic::server::Grpc::new(RawCodec).max_decoding_message_size(max);
    let mut response = grpc.unary(Export { receiver, signal, route }, req).await;
    // tonic says OUT_OF_RANGE for a message over the limit, a code OTLP exporters retry
    // (the same message would fail again): RESOURCE_EXHAUSTED without RetryInfo is final.
    if response.headers().get("grpc-status").is_some_and(|s| s.as_bytes() == b"11") {
        let status = tonic::Status::resource_exhausted(format!(
            "the message is over the limit of {max} bytes (--max-body), compressed or not: {}",
            super::refusals::TOO_LARGE
        ));
        response = status.into_http();
    }
    response
}

/// The request with its messages decompressed and no `grpc-encoding` left.
async fn decompressed(req: hyper::Request<Incoming>, max: usize) -> Result<hyper::Request<Body>, Status> {
    let coding = match Coding::from_header(req.headers().get("grpc-encoding").map(|v| v.as_bytes())) {
        Ok(Some(coding)) => coding,
        Ok(None) => return Ok(req.map(Body::new)),
        Err(name) => {
            let mut status = Status::unimplemented(format!("grpc-encoding {name:?} is not supported: use {ACCEPTED}"));
            status.metadata_mut().insert("grpc-accept-encoding", tonic::metadata::MetadataValue::from_static(ACCEPTED));
            return Err(status);
        }
    };
    let too_large = || {
        Status::resource_exhausted(format!(
            "the message is over the limit of {max} bytes (--max-body): {}",
            super::refusals::TOO_LARGE
        ))
    };
    let (mut parts, body) = req.into_parts();
    parts.headers.remove("grpc-encoding");
    // A unary call is one message: its 5-byte frame header and at most `max` bytes.
    let wire = match Limited::new(body, max + 5).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return Err(too_large()),
        Err(e) => return Err(Status::invalid_argument(format!("the request body could not be read: {e}"))),
    };
    let mut plain_frames = Vec::with_capacity(wire.len());
    let mut rest = &wire[..];
    while let Some((&[flag, a, b, c, d], after)) = rest.split_first_chunk::<5>() {
        let len = u32::from_be_bytes([a, b, c, d]) as usize;
        let Some((message, after)) = after.split_at_checked(len) else { break };
        let plain = if flag & 1 == 1 {
            coding.decompress(message, max).map_err(|e| match e {
                compression::Error::TooLarge => too_large(),
                compression::Error::Corrupt(e) => {
                    Status::invalid_argument(format!("grpc-encoding is {}, but the message is not: {e}", coding.name()))
                }
            })?
        } else {
            message.to_vec()
        };
        plain_frames.push(0);
        plain_frames.extend_from_slice(&(plain.len() as u32).to_be_bytes());
        plain_frames.extend_from_slice(&plain);
        rest = after;
    }
    if !rest.is_empty() {
        return Err(Status::invalid_argument("the request ends inside a gRPC frame"));
    }
    Ok(hyper::Request::from_parts(parts, Body::new(Full::new(Bytes::from(plain_frames)))))
}

struct Export {
    receiver: Arc<Receiver>,
    signal: Signal,
    route: Option<Route>,
}

impl tonic::server::UnaryService<Bytes> for Export {
    /// An empty `Export*ServiceResponse`: everything was accepted.
    type Response = Bytes;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Bytes>, Status>> + Send>>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let (receiver, signal, route) = (self.receiver.clone(), self.signal, self.route.clone());
        Box::pin(async move {
            let body = request.into_inner();
            let via = format!("grpc {}", signal.name());
            let outcome =
                tokio::task::spawn_blocking(move || receiver.ingest(signal, Encoding::Proto, &body, &via, route)).await;
            match outcome {
                Ok(Outcome::Accepted) => Ok(Response::new(Bytes::new())),
                Ok(Outcome::Invalid(message)) => Err(Status::invalid_argument(message)),
                Ok(Outcome::Unavailable(message)) => Err(Status::unavailable(message)),
                Err(_) => Err(Status::internal("otelcost failed on this request")),
            }
        })
    }
}

/// Messages as bytes, both ways.
#[derive(Clone, Copy)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}
