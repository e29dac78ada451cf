//! The compressions an OTLP client may put on a request: HTTP `Content-Encoding` and gRPC
//! `grpc-encoding`, with the names and framings the OpenTelemetry Collector's exporters use
//! (`confighttp` and `configgrpc`). Every one is read through the same size limit: one byte
//! over `--max-body` once decompressed and the request is refused (a compression bomb).

use std::io::Read;

/// A compression the receiver can undo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Gzip,
    /// `zlib` and `deflate` (RFC 9110: "deflate" is the zlib format).
    Zlib,
    Zstd,
    /// `snappy`: the block format (Collector HTTP), or the framing format when the body starts
    /// with its stream identifier (older Collectors, and gRPC's `snappy`).
    Snappy,
    /// `x-snappy-framed`: the snappy framing format.
    SnappyFramed,
    /// `lz4`: the LZ4 frame format.
    Lz4,
}

/// The names accepted, for error messages and `grpc-accept-encoding`.
pub const ACCEPTED: &str = "gzip,zstd,zlib,deflate,snappy,x-snappy-framed,lz4";

/// Why a body could not be decompressed.
#[derive(Debug)]
pub enum Error {
    TooLarge,
    Corrupt(String),
}

impl Coding {
    /// The coding a header names: `Ok(None)` for none (absent, empty or `identity`), `Err`
    /// with the name for one this receiver does not know.
    pub fn from_header(value: Option<&[u8]>) -> Result<Option<Coding>, String> {
        let Some(value) = value else { return Ok(None) };
        let name = String::from_utf8_lossy(value).trim().to_ascii_lowercase();
        Ok(Some(match name.as_str() {
            "" | "identity" => return Ok(None),
            "gzip" | "x-gzip" => Coding::Gzip,
            "zlib" | "deflate" => Coding::Zlib,
            "zstd" => Coding::Zstd,
            "snappy" => Coding::Snappy,
            "x-snappy-framed" => Coding::SnappyFramed,
            "lz4" => Coding::Lz4,
            _ => return Err(name),
        }))
    }

    pub fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Zlib => "zlib",
            Coding::Zstd => "zstd",
            Coding::Snappy => "snappy",
            Coding::SnappyFramed => "x-snappy-framed",
            Coding::Lz4 => "lz4",
        }
    }

    /// The body decompressed, never more than `max` bytes of it in memory.
    pub fn decompress(self, wire: &[u8], max: usize) -> Result<Vec<u8>, Error> {
        match self {
            Coding::Gzip => bounded(flate2::read::MultiGzDecoder::new(wire), max),
            Coding::Zlib => bounded(flate2::read::ZlibDecoder::new(wire), max),
            Coding::Zstd => {
                let mut decoder = zstd::stream::read::Decoder::new(wire).map_err(corrupt)?;
                // The window a frame may ask for: enough for any default encoder (8 MiB) and
                // for a body at the limit, never the 2 GiB the format allows.
                let window_log = (usize::BITS - max.max(8 << 20).leading_zeros()).min(31);
                decoder.window_log_max(window_log).map_err(corrupt)?;
                bounded(decoder, max)
            }
            Coding::Snappy if !wire.starts_with(SNAPPY_STREAM_IDENTIFIER) => {
                // The block format says its decompressed length first: refuse before allocating.
                let len = snap::raw::decompress_len(wire).map_err(corrupt)?;
                if len > max {
                    return Err(Error::TooLarge);
                }
                snap::raw::Decoder::new().decompress_vec(wire).map_err(corrupt)
            }
            Coding::Snappy | Coding::SnappyFramed => bounded(snap::read::FrameDecoder::new(wire), max),
            Coding::Lz4 => bounded(lz4_flex::frame::FrameDecoder::new(wire), max),
        }
    }
}

/// The chunk that starts every snappy framed stream (`framing_format.txt`).
const SNAPPY_STREAM_IDENTIFIER: &[u8] = b"\xff\x06\x00\x00sNaPpY";

fn corrupt(e: impl std::fmt::Display) -> Error {
    Error::Corrupt(e.to_string())
}

fn bounded(decoder: impl Read, max: usize) -> Result<Vec<u8>, Error> {
    let mut plain = Vec::new();
    // One byte over the limit tells a body at the limit from a larger one.
    decoder.take(max as u64 + 1).read_to_end(&mut plain).map_err(corrupt)?;
    if plain.len() > max {
        return Err(Error::TooLarge);
    }
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const PLAIN: &[u8] = b"an OTLP request body, repeated to be worth compressing; an OTLP request body";

    fn compressed(coding: Coding, plain: &[u8]) -> Vec<u8> {
        match coding {
            Coding::Gzip => {
                let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                w.write_all(plain).unwrap();
                w.finish().unwrap()
            }
            Coding::Zlib => {
                let mut w = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
                w.write_all(plain).unwrap();
                w.finish().unwrap()
            }
            Coding::Zstd => zstd::encode_all(plain, 3).unwrap(),
            Coding::Snappy => snap::raw::Encoder::new().compress_vec(plain).unwrap(),
            Coding::SnappyFramed => {
                let mut w = snap::write::FrameEncoder::new(Vec::new());
                w.write_all(plain).unwrap();
                w.into_inner().unwrap()
            }
            Coding::Lz4 => {
                let mut w = lz4_flex::frame::FrameEncoder::new(Vec::new());
                w.write_all(plain).unwrap();
                w.finish().unwrap()
            }
        }
    }

    const ALL: [Coding; 6] =
        [Coding::Gzip, Coding::Zlib, Coding::Zstd, Coding::Snappy, Coding::SnappyFramed, Coding::Lz4];

    #[test]
    fn every_coding_round_trips_and_is_named_by_its_header() {
        for coding in ALL {
            let wire = compressed(coding, PLAIN);
            assert_eq!(coding.decompress(&wire, PLAIN.len()).unwrap(), PLAIN, "{coding:?}");
            assert_eq!(Coding::from_header(Some(coding.name().as_bytes())), Ok(Some(coding)));
        }
        assert_eq!(Coding::from_header(Some(b" Deflate ")), Ok(Some(Coding::Zlib)));
        assert_eq!(Coding::from_header(Some(b"identity")), Ok(None));
        assert_eq!(Coding::from_header(None), Ok(None));
        assert_eq!(Coding::from_header(Some(b"br")), Err("br".to_string()));
    }

    #[test]
    fn snappy_reads_the_framed_format_too() {
        let framed = compressed(Coding::SnappyFramed, PLAIN);
        assert_eq!(Coding::Snappy.decompress(&framed, 1000).unwrap(), PLAIN);
    }

    #[test]
    fn one_byte_over_the_limit_is_too_large_and_garbage_is_corrupt() {
        for coding in ALL {
            let wire = compressed(coding, PLAIN);
            assert!(matches!(coding.decompress(&wire, PLAIN.len() - 1), Err(Error::TooLarge)), "{coding:?}");
            assert!(matches!(coding.decompress(b"not compressed at all", 1000), Err(Error::Corrupt(_))), "{coding:?}");
        }
    }
}
