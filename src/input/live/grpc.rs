//! OTLP/gRPC: the unary `Export` of the trace, metrics and logs collector services.
//!
//! tonic handles the gRPC framing, `grpc-encoding: gzip`, the size limit (it is checked
//! after decompression too) and the status trailers; the message stays bytes (a codec
//! that copies them out) and goes to the same [`Receiver::ingest`] as an HTTP body.
//! Decoding it into prost structs here would cost a round trip per request for the
//! selective decoder, which reads the bytes; only `--save-format json` decodes them fully.

use super::{Encoding, Outcome, Receiver};
use crate::input::route::Route;
use crate::model::Signal;
use bytes::{Buf, BufMut, Bytes};
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
    let mut grpc = tonic::server::Grpc::new(RawCodec)
        .accept_compressed(tonic::codec::CompressionEncoding::Gzip)
        .max_decoding_message_size(max);
    let mut response = grpc.unary(Export { receiver, signal, route }, req).await;
    // tonic says OUT_OF_RANGE for a message over the limit, a code OTLP exporters retry
    // (the same message would fail again): RESOURCE_EXHAUSTED without RetryInfo is final.
    if response.headers().get("grpc-status").is_some_and(|s| s.as_bytes() == b"11") {
        let status = tonic::Status::resource_exhausted(format!(
            "the message is over the limit of {max} bytes (--max-body), compressed or not"
        ));
        response = status.into_http();
    }
    response
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
