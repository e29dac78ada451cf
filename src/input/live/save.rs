//! `--save DIR`: every accepted request appended, in the Collector file exporter's layouts.
//!
//! A request is stored in the layout of its own encoding, so its bytes are kept exactly
//! and nothing is converted: OTLP/JSON bodies become one line of `<signal>.jsonl` (the
//! exporter's `format: json`), protobuf bodies (OTLP/HTTP protobuf and gRPC) a
//! length-prefixed frame of `<signal>.pb` (`format: proto`). `otelcost report DIR` reads
//! them all back. Each record is written with one `write` call before the request is
//! acknowledged: a killed listener loses nothing it acknowledged (no fsync: a power cut can).

use super::Encoding;
use crate::model::Signal;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub struct Saver {
    dir: PathBuf,
    files: HashMap<(Signal, Encoding), File>,
    record: Vec<u8>,
}

impl Saver {
    pub fn open(dir: &Path) -> io::Result<Saver> {
        std::fs::create_dir_all(dir)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot create the directory {}: {e}", dir.display())))?;
        Ok(Saver { dir: dir.to_path_buf(), files: HashMap::new(), record: Vec::new() })
    }

    pub fn files(&self) -> u64 {
        self.files.len() as u64
    }

    pub fn append(&mut self, signal: Signal, encoding: Encoding, body: &[u8]) -> io::Result<()> {
        if body.is_empty() {
            return Ok(()); // an empty request holds nothing, and a 0-length frame would confuse readers
        }
        let file = match self.files.entry((signal, encoding)) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let ext = if encoding == Encoding::Json { "jsonl" } else { "pb" };
                let path = self.dir.join(format!("{}.{ext}", signal.name()));
                let file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map_err(|err| io::Error::new(err.kind(), format!("cannot write {}: {err}", path.display())))?;
                e.insert(file)
            }
        };
        self.record.clear();
        match encoding {
            Encoding::Json => {
                compact_json(body, &mut self.record);
                self.record.push(b'\n');
            }
            Encoding::Proto => {
                let len = u32::try_from(body.len()).map_err(|_| io::Error::other("a request over 4 GiB"))?;
                self.record.extend_from_slice(&len.to_be_bytes());
                self.record.extend_from_slice(body);
            }
        }
        file.write_all(&self.record)
    }
}

/// Removes the whitespace between JSON tokens (never inside strings), so a valid JSON text
/// fits on one line unchanged otherwise: raw newlines cannot occur inside JSON strings.
pub fn compact_json(text: &[u8], out: &mut Vec<u8>) {
    out.reserve(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for &b in text {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            continue;
        } else if b == b'"' {
            in_string = true;
        }
        out.push(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacting_keeps_strings_and_values() {
        let mut out = Vec::new();
        compact_json(b"{\n  \"a b\": \"x \\\" y\\n\",\r\n \"n\" : [1, 2.5 ]\n}\n", &mut out);
        assert_eq!(out, b"{\"a b\":\"x \\\" y\\n\",\"n\":[1,2.5]}");
    }
}
