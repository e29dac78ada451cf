//! `--save DIR`: every accepted request appended as it arrives, in the Collector file
//! exporter's layouts, so that `otelcost report DIR` later gives the same figures.
//!
//! `--save-format json` (the default) writes each request as one line of `<signal>.jsonl`
//! (the exporter's `format: json`); `proto` as a length-prefixed frame of `<signal>.pb`
//! (`format: proto`). A request already in that encoding is kept as sent (JSON only loses
//! the whitespace between tokens); the others are transcoded (see `transcode`). A request
//! that cannot be transcoded exactly (one otelcost's lenient decoder took, but with e.g.
//! invalid UTF-8 in a string, or an id of the wrong size) is never dropped: it is written
//! as sent to its own encoding's file, the other layout, with one warning on stderr;
//! `report DIR` reads both.
//!
//! A request sent to a route (`/team-a/v1/traces`) goes to the same files in the
//! subdirectory `route=team-a` (`/` in a route is written `%2F`): the files hold exactly
//! what was sent, and `report DIR` gives each file the route of its directory.
//!
//! Each record is built before the receiver's lock is taken (transcoding is the costly
//! part) and written with one `write` call before the request is acknowledged: a killed
//! listener loses nothing it acknowledged. The write is in the OS's page cache then, not
//! yet on the disk: a power cut or OS crash can lose what the OS had not written back
//! (on Linux, typically the last 5–30 s). With `--save-sync` every record is also
//! fsync'd (`sync_data`) before the acknowledgement, and each new file's directory once,
//! so an acknowledged request survives those too, at the cost of a disk flush per request.

use super::{transcode, Encoding};
use crate::model::route::Route;
use crate::model::Signal;
use std::collections::hash_map::{Entry, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The files of a `--save` directory, opened as they are first needed.
pub struct Saver {
    dir: PathBuf,
    format: Encoding,
    sync: bool,
    files: HashMap<(Option<Route>, Signal, Encoding), File>,
    /// Files written, over the session (files are closed when too many are open).
    written: std::collections::HashSet<PathBuf>,
    warned: bool,
}

/// Open files beyond this are all closed (and reopened, appending, when next needed), so
/// that many routes cannot exhaust the file descriptors.
const MAX_OPEN: usize = 256;

/// One request as it will be appended: the layout of its file, and its bytes.
pub struct Record {
    route: Option<Route>,
    signal: Signal,
    layout: Encoding,
    bytes: Vec<u8>,
    /// Why it is in its own encoding rather than the chosen one.
    unconverted: Option<String>,
}

impl Record {
    /// The record of a request in `format`, or as sent when it cannot be converted.
    /// `None` for an empty body: it holds nothing, and a 0-length frame would confuse readers.
    pub fn new(
        format: Encoding,
        signal: Signal,
        encoding: Encoding,
        body: &[u8],
        route: Option<Route>,
    ) -> io::Result<Option<Record>> {
        if body.is_empty() {
            return Ok(None);
        }
        let mut bytes = Vec::with_capacity(body.len() + body.len() / 2);
        let converted = framed(format, &mut bytes, |out| match (encoding, format) {
            (Encoding::Proto, Encoding::Json) => transcode::proto_to_json(signal, body, out),
            (Encoding::Json, Encoding::Proto) => transcode::json_to_proto(signal, body, out),
            _ => as_sent(encoding, body, out),
        });
        let unconverted = match converted {
            Ok(()) => return Ok(Some(Record { route, signal, layout: format, bytes, unconverted: None })),
            Err(why) => why,
        };
        bytes.clear();
        framed(encoding, &mut bytes, |out| as_sent(encoding, body, out)).map_err(io::Error::other)?;
        Ok(Some(Record { route, signal, layout: encoding, bytes, unconverted: Some(unconverted) }))
    }
}

/// Appends one record in `layout`, its payload written by `payload`: a JSON line, or a
/// frame with its big-endian 4-byte length first.
fn framed(
    layout: Encoding,
    out: &mut Vec<u8>,
    payload: impl FnOnce(&mut Vec<u8>) -> Result<(), String>,
) -> Result<(), String> {
    match layout {
        Encoding::Json => {
            payload(out)?;
            out.push(b'\n');
        }
        Encoding::Proto => {
            let start = out.len();
            out.extend_from_slice(&[0; 4]);
            payload(out)?;
            let len = u32::try_from(out.len() - start - 4).map_err(|_| "a request over 4 GiB".to_string())?;
            out[start..start + 4].copy_from_slice(&len.to_be_bytes());
        }
    }
    Ok(())
}

/// A body in its own encoding: protobuf as it is, JSON on one line. (It cannot fail; the
/// result makes it a payload like the transcoders'.)
fn as_sent(encoding: Encoding, body: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    match encoding {
        Encoding::Json => compact_json(body, out),
        Encoding::Proto => out.extend_from_slice(body),
    }
    Ok(())
}

impl Saver {
    pub fn open(dir: &Path, format: Encoding, sync: bool) -> io::Result<Saver> {
        std::fs::create_dir_all(dir)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot create the directory {}: {e}", dir.display())))?;
        Ok(Saver {
            dir: dir.to_path_buf(),
            format,
            sync,
            files: HashMap::new(),
            written: Default::default(),
            warned: false,
        })
    }

    pub fn files(&self) -> u64 {
        self.written.len() as u64
    }

    /// Where a record of this route, signal and layout is appended.
    fn path(&self, route: Option<&Route>, signal: Signal, layout: Encoding) -> PathBuf {
        let dir = match route {
            Some(route) => self.dir.join(crate::model::route::dir_name(route)),
            None => self.dir.clone(),
        };
        dir.join(file_name(signal, layout))
    }

    /// Appends the record with one `write`, so a reader never sees half of it.
    pub fn append(&mut self, record: &Record) -> io::Result<()> {
        if self.files.len() >= MAX_OPEN
            && !self.files.contains_key(&(record.route.clone(), record.signal, record.layout))
        {
            self.files.clear();
        }
        let path = self.path(record.route.as_ref(), record.signal, record.layout);
        let file = match self.files.entry((record.route.clone(), record.signal, record.layout)) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                if let Some(dir) = path.parent().filter(|_| record.route.is_some()) {
                    std::fs::create_dir_all(dir).map_err(|err| {
                        io::Error::new(err.kind(), format!("cannot create the directory {}: {err}", dir.display()))
                    })?;
                }
                let file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map_err(|err| io::Error::new(err.kind(), format!("cannot write {}: {err}", path.display())))?;
                self.written.insert(path.clone());
                if self.sync {
                    // The new file's name must survive too, not only its contents.
                    File::open(&self.dir).and_then(|d| d.sync_all())?;
                }
                e.insert(file)
            }
        };
        file.write_all(&record.bytes)?;
        if self.sync {
            file.sync_data()?;
        }
        if let Some(why) = record.unconverted.as_deref().filter(|_| !self.warned) {
            self.warned = true;
            let format = if self.format == Encoding::Json { "json" } else { "proto" };
            eprintln!(
                "otelcost: warning: --save-format {format}: a {} request could not be converted ({why}); \
                 it is saved as sent, in {} (so may later ones, without this warning)",
                record.signal.name(),
                path.display()
            );
        }
        Ok(())
    }
}

fn file_name(signal: Signal, layout: Encoding) -> String {
    let ext = if layout == Encoding::Json { "jsonl" } else { "pb" };
    format!("{}.{ext}", signal.name())
}

/// Removes the whitespace between JSON tokens (never inside strings), so a valid JSON text
/// fits on one line unchanged otherwise: raw newlines cannot occur inside JSON strings.
fn compact_json(text: &[u8], out: &mut Vec<u8>) {
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

    const SPANS_JSON: &[u8] = br#"{ "resourceSpans": [ { "scopeSpans": [ { "spans": [ { "name": "a b" } ] } ] } ] }"#;
    /// The same request in protobuf: resource_spans { scope_spans { spans { name: "a b" } } }.
    const SPANS_PB: &[u8] = &[0x0a, 0x09, 0x12, 0x07, 0x12, 0x05, 0x2a, 0x03, b'a', b' ', b'b'];
    /// A span trace_state that is not UTF-8: otelcost's decoder never reads it, prost refuses it.
    const NOT_UTF8_PB: &[u8] = &[0x0a, 0x08, 0x12, 0x06, 0x12, 0x04, 0x1a, 0x02, 0xff, 0xfe];

    fn record(format: Encoding, encoding: Encoding, body: &[u8]) -> Record {
        Record::new(format, Signal::Traces, encoding, body, None).unwrap().unwrap()
    }

    fn frame(body: &[u8]) -> Vec<u8> {
        [&(body.len() as u32).to_be_bytes()[..], body].concat()
    }

    #[test]
    fn every_request_in_the_chosen_layout() {
        let line = b"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"a b\"}]}]}]}\n";
        let json = record(Encoding::Json, Encoding::Json, SPANS_JSON);
        assert_eq!((json.layout, json.bytes.as_slice(), json.unconverted), (Encoding::Json, &line[..], None));
        let converted = record(Encoding::Json, Encoding::Proto, SPANS_PB);
        assert_eq!((converted.layout, converted.bytes.as_slice()), (Encoding::Json, &line[..]));

        let proto = record(Encoding::Proto, Encoding::Proto, SPANS_PB);
        assert_eq!((proto.layout, proto.bytes), (Encoding::Proto, frame(SPANS_PB)));
        let converted = record(Encoding::Proto, Encoding::Json, SPANS_JSON);
        assert_eq!(
            (converted.layout, converted.bytes, converted.unconverted),
            (Encoding::Proto, frame(SPANS_PB), None)
        );

        assert!(Record::new(Encoding::Json, Signal::Traces, Encoding::Proto, b"", None).unwrap().is_none());
    }

    #[test]
    fn what_cannot_be_converted_is_saved_as_sent_in_the_other_layout() {
        assert!(crate::decode::protobuf(NOT_UTF8_PB, Signal::Traces).is_ok(), "the live session accepts it");
        let kept = record(Encoding::Json, Encoding::Proto, NOT_UTF8_PB);
        assert_eq!((kept.layout, &kept.bytes), (Encoding::Proto, &frame(NOT_UTF8_PB)));
        assert!(kept.unconverted.as_deref().is_some_and(|why| why.contains("UTF-8")), "{:?}", kept.unconverted);

        let dir = tempfile::tempdir().unwrap();
        let mut saver = Saver::open(dir.path(), Encoding::Json, false).unwrap();
        saver.append(&record(Encoding::Json, Encoding::Proto, SPANS_PB)).unwrap();
        saver.append(&kept).unwrap();
        assert!(saver.warned);
        saver.append(&kept).unwrap();
        let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
        assert_eq!(read("traces.pb"), [frame(NOT_UTF8_PB), frame(NOT_UTF8_PB)].concat());
        assert!(read("traces.jsonl").ends_with(b"\"a b\"}]}]}]}\n"));
        assert_eq!(saver.files(), 2);
    }

    #[test]
    fn each_route_in_its_own_directory_as_sent() {
        let dir = tempfile::tempdir().unwrap();
        let mut saver = Saver::open(dir.path(), Encoding::Proto, false).unwrap();
        for route in [None, Some("team-a"), Some("claude-code/ci-1"), Some("team-a")] {
            let record =
                Record::new(Encoding::Proto, Signal::Traces, Encoding::Proto, SPANS_PB, route.map(Route::from));
            saver.append(&record.unwrap().unwrap()).unwrap();
        }
        let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
        assert_eq!(read("traces.pb"), frame(SPANS_PB));
        assert_eq!(read("route=team-a/traces.pb"), [frame(SPANS_PB), frame(SPANS_PB)].concat());
        assert_eq!(read("route=claude-code%2Fci-1/traces.pb"), frame(SPANS_PB));
        assert_eq!(saver.files(), 3);
    }

    #[test]
    fn compacting_keeps_strings_and_values() {
        let mut out = Vec::new();
        compact_json(b"{\n  \"a b\": \"x \\\" y\\n\",\r\n \"n\" : [1, 2.5 ]\n}\n", &mut out);
        assert_eq!(out, b"{\"a b\":\"x \\\" y\\n\",\"n\":[1,2.5]}");
    }
}
