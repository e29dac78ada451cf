//! OTLP protobuf, read straight off the wire into the borrowed views.
//!
//! A hand-written scanner rather than generated structs: it allocates nothing for the
//! fields it skips (span events, links, prompt bodies, histogram buckets) and borrows
//! every string, which is what lets a multi-GB dump decode at disk speed.

use super::view::*;
use super::DecodeError;
use crate::model::Signal;
use std::borrow::Cow;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Field<'a> {
    Varint(u64),
    Fixed64(u64),
    Len(&'a [u8]),
    Fixed32(u32),
}

/// The next field of a message, `None` at its end.
type NextField<'a> = Result<Option<(u32, Field<'a>)>, DecodeError>;

/// Iterates over the fields of one protobuf message.
pub struct WireReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> WireReader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        WireReader { buf, pos: 0 }
    }

    /// A varint. Field keys, most lengths and small numbers are one byte: that case is
    /// inlined, the rest is out of line.
    #[inline]
    fn varint(&mut self) -> Result<u64, DecodeError> {
        match self.buf.get(self.pos) {
            Some(&byte) if byte < 0x80 => {
                self.pos += 1;
                Ok(u64::from(byte))
            }
            _ => self.long_varint(),
        }
    }

    #[inline(never)]
    fn long_varint(&mut self) -> Result<u64, DecodeError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.buf.get(self.pos).ok_or_else(|| self.err("truncated varint"))?;
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.err("varint longer than 10 bytes"))
    }

    #[inline]
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        match self.buf.get(self.pos..).and_then(|rest| rest.get(..n)) {
            Some(out) => {
                self.pos += n;
                Ok(out)
            }
            None => Err(self.overrun(n)),
        }
    }

    #[cold]
    fn overrun(&self, n: usize) -> DecodeError {
        self.err(&format!(
            "field of {n} bytes runs past the end of its message ({} bytes left)",
            self.buf.len() - self.pos
        ))
    }

    #[cold]
    fn err(&self, what: &str) -> DecodeError {
        DecodeError::at(self.pos as u64, format!("protobuf: {what}"))
    }

    /// The next field, or `None` at the end of the message. Called for every field of
    /// every record, so the common shapes are read inline: a one-byte key (fields 1–15)
    /// with a one-byte varint, a fixed64, or a length under 128; the rest out of line.
    #[inline(always)]
    pub fn next(&mut self) -> NextField<'a> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let (field, used) = match *rest {
            [] => return Ok(None),
            [key @ 8..=0x7f, len @ 0..=0x7f, ref tail @ ..] if key & 7 == 2 && tail.len() >= usize::from(len) => {
                (Field::Len(&tail[..usize::from(len)]), 2 + usize::from(len))
            }
            [key @ 8..=0x7f, value @ 0..=0x7f, ..] if key & 7 == 0 => (Field::Varint(u64::from(value)), 2),
            [key @ 8..=0x7f, a, b, c, d, e, f, g, h, ..] if key & 7 == 1 => {
                (Field::Fixed64(u64::from_le_bytes([a, b, c, d, e, f, g, h])), 9)
            }
            _ => return self.any_field(),
        };
        self.pos += used;
        Ok(Some((u32::from(rest[0] >> 3), field)))
    }

    /// [`WireReader::next`] for any field, and every error.
    #[inline(never)]
    fn any_field(&mut self) -> NextField<'a> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let num = u32::try_from(key >> 3).map_err(|_| self.err("field number out of range"))?;
        if num == 0 {
            return Err(self.err("field number 0"));
        }
        let field = match key & 7 {
            0 => Field::Varint(self.varint()?),
            1 => Field::Fixed64(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes"))),
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| self.err("length out of range"))?;
                Field::Len(self.take(len)?)
            }
            5 => Field::Fixed32(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes"))),
            wt => return Err(self.err(&format!("unsupported wire type {wt}"))),
        };
        Ok(Some((num, field)))
    }
}

/// Decodes one `Export{Trace,Metrics,Logs}ServiceRequest` (or `TracesData`/…: same wire shape).
pub fn decode(buf: &[u8], signal: Signal) -> Result<Request<'_>, DecodeError> {
    Ok(match signal {
        Signal::Traces => Request::Traces(repeated(buf, 1, resource_spans)?),
        Signal::Metrics => Request::Metrics(repeated(buf, 1, resource_metrics)?),
        Signal::Logs => Request::Logs(repeated(buf, 1, resource_logs)?),
    })
}

/// Decodes every length-delimited field `num` of `buf` with `f`.
fn repeated<'a, T>(buf: &'a [u8], num: u32, f: fn(&'a [u8]) -> Result<T, DecodeError>) -> Result<Vec<T>, DecodeError> {
    let mut out = Vec::new();
    let mut r = WireReader::new(buf);
    while let Some((n, field)) = r.next()? {
        if n == num {
            out.push(f(len(field)?)?);
        }
    }
    Ok(out)
}

fn len(field: Field<'_>) -> Result<&[u8], DecodeError> {
    match field {
        Field::Len(b) => Ok(b),
        other => Err(DecodeError::at(0, format!("protobuf: expected a length-delimited field, found {other:?}"))),
    }
}

fn text(field: Field<'_>) -> Result<Str<'_>, DecodeError> {
    let bytes = len(field)?;
    utf8(bytes).map(Cow::Borrowed).map_err(|e| DecodeError::at(0, format!("protobuf: string is not UTF-8 ({e})")))
}

/// `std::str::from_utf8`, with ASCII (nearly every key, name and value) checked eight
/// bytes at a time first: the general check costs ~4 instructions a byte on short text.
#[inline]
pub(super) fn utf8(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    if bytes.is_ascii() {
        // SAFETY: ASCII text is UTF-8.
        Ok(unsafe { std::str::from_utf8_unchecked(bytes) })
    } else {
        std::str::from_utf8(bytes)
    }
}

fn fixed64(field: Field<'_>) -> u64 {
    match field {
        Field::Fixed64(v) => v,
        Field::Varint(v) => v,
        _ => 0,
    }
}

fn varint(field: Field<'_>) -> u64 {
    match field {
        Field::Varint(v) => v,
        _ => 0,
    }
}

/// An id: empty means absent; any other length is refused, as the OTLP/JSON decoder
/// refuses a hex id of the wrong length (a record whose identity is broken cannot be
/// told apart from its duplicates).
fn id<const N: usize>(field: Field<'_>) -> Result<[u8; N], DecodeError> {
    let bytes = len(field)?;
    if bytes.is_empty() {
        return Ok([0; N]);
    }
    bytes.try_into().map_err(|_| DecodeError::at(0, format!("protobuf: an id of {} bytes, not {N}", bytes.len())))
}

fn key_value(buf: &[u8]) -> Result<KeyValue<'_>, DecodeError> {
    // Nearly every attribute is a short key then its value, each once: read so at sight.
    if let [0x0a, key_len @ 0..=0x7f, rest @ ..] = buf {
        if let Some((key, [0x12, value_len @ 0..=0x7f, value @ ..])) = rest.split_at_checked(usize::from(*key_len)) {
            if value.len() == usize::from(*value_len) {
                if let Ok(key) = utf8(key) {
                    return Ok(KeyValue { key: Cow::Borrowed(key), value: Some(AttrValue::Proto(value)) });
                }
            }
        }
    }
    let mut kv = KeyValue { key: Cow::Borrowed(""), value: None };
    let mut r = WireReader::new(buf);
    while let Some((n, f)) = r.next()? {
        match n {
            1 => kv.key = text(f)?,
            2 => kv.value = Some(AttrValue::Proto(len(f)?)),
            _ => {}
        }
    }
    Ok(kv)
}

/// Adds an attribute to a record's; the first makes room for a typical record's all at
/// once (a `Vec` grows 4, 8, 16 otherwise).
fn attribute<'a>(attrs: &mut Vec<KeyValue<'a>>, field: Field<'a>) -> Result<(), DecodeError> {
    if attrs.capacity() == 0 {
        attrs.reserve(16);
    }
    attrs.push(key_value(len(field)?)?);
    Ok(())
}

fn resource(buf: &[u8]) -> Result<Resource<'_>, DecodeError> {
    Ok(Resource { attributes: repeated(buf, 1, key_value)? })
}

fn scope(buf: &[u8]) -> Result<Scope<'_>, DecodeError> {
    let mut s = Scope::default();
    let mut r = WireReader::new(buf);
    while let Some((n, f)) = r.next()? {
        match n {
            1 => s.name = text(f)?,
            2 => s.version = text(f)?,
            _ => {}
        }
    }
    Ok(s)
}

/// `Resource{Spans,Logs,Metrics}` and `Scope{Spans,Logs,Metrics}` share one shape: a
/// header (the resource or scope) in field 1 and the repeated children in field 2.
fn container<'a, H: Default, C>(
    buf: &'a [u8],
    header: fn(&'a [u8]) -> Result<H, DecodeError>,
    child: fn(&'a [u8]) -> Result<C, DecodeError>,
) -> Result<(H, Vec<C>), DecodeError> {
    let (mut head, mut children) = (H::default(), Vec::new());
    let mut r = WireReader::new(buf);
    while let Some((n, f)) = r.next()? {
        match n {
            1 => head = header(len(f)?)?,
            2 => children.push(child(len(f)?)?),
            _ => {}
        }
    }
    Ok((head, children))
}

fn resource_spans(buf: &[u8]) -> Result<ResourceSpans<'_>, DecodeError> {
    let (resource, scope_spans) = container(buf, resource, scope_spans)?;
    Ok(ResourceSpans { resource, scope_spans })
}

fn scope_spans(buf: &[u8]) -> Result<ScopeSpans<'_>, DecodeError> {
    let (scope, spans) = container(buf, scope, span)?;
    Ok(ScopeSpans { scope, spans })
}

fn span(buf: &[u8]) -> Result<Span<'_>, DecodeError> {
    let mut s = Span::default();
    let mut r = WireReader::new(buf);
    while let Some((n, f)) = r.next()? {
        match n {
            1 => s.trace_id = id(f)?,
            2 => s.span_id = id(f)?,
            4 => s.parent_span_id = id(f)?,
            5 => s.name = text(f)?,
            6 => s.kind = varint(f) as i32,
            7 => s.start_time_unix_nano = fixed64(f),
            8 => s.end_time_unix_nano = fixed64(f),
            9 => attribute(&mut s.attributes, f)?,
            _ => {}
        }
    }
    Ok(s)
}

fn resource_logs(buf: &[u8]) -> Result<ResourceLogs<'_>, DecodeError> {
    let (resource, scope_logs) = container(buf, resource, scope_logs)?;
    Ok(ResourceLogs { resource, scope_logs })
}

fn scope_logs(buf: &[u8]) -> Result<ScopeLogs<'_>, DecodeError> {
    let (scope, log_records) = container(buf, scope, log_record)?;
    Ok(ScopeLogs { scope, log_records })
}

fn log_record(buf: &[u8]) -> Result<LogRecord<'_>, DecodeError> {
    let mut l = LogRecord::default();
    let mut r = WireReader::new(buf);
    while let Some((n, f)) = r.next()? {
        match n {
            1 => l.time_unix_nano = fixed64(f),
            11 => l.observed_time_unix_nano = fixed64(f),
            5 => l.body = Some(AttrValue::Proto(len(f)?)),
            6 => attribute(&mut l.attributes, f)?,
            9 => l.trace_id = id(f)?,
            10 => l.span_id = id(f)?,
            12 => l.event_name = text(f)?,
            _ => {}
        }
    }
    Ok(l)
}

fn resource_metrics(buf: &[u8]) -> Result<ResourceMetrics<'_>, DecodeError> {
    let (resource, scope_metrics) = container(buf, resource, scope_metrics)?;
    Ok(ResourceMetrics { resource, scope_metrics })
}

fn scope_metrics(buf: &[u8]) -> Result<ScopeMetrics<'_>, DecodeError> {
    let (scope, metrics) = container(buf, scope, metric)?;
    Ok(ScopeMetrics { scope, metrics })
}

fn metric(buf: &[u8]) -> Result<Metric<'_>, DecodeError> {
    let mut m = Metric::default();
    let mut r = WireReader::new(buf);
    while let Some((n, f)) = r.next()? {
        match n {
            1 => m.name = text(f)?,
            3 => m.unit = text(f)?,
            5 => m.gauge = Some(Gauge { data_points: repeated(len(f)?, 1, number_point)? }),
            7 => m.sum = Some(sum(len(f)?)?),
            9 => m.histogram = Some(histogram(len(f)?, histogram_point)?),
            10 => m.exponential_histogram = Some(histogram(len(f)?, exp_histogram_point)?),
            _ => {}
        }
    }
    Ok(m)
}

fn sum(buf: &[u8]) -> Result<Sum<'_>, DecodeError> {
    let mut s = Sum::default();
    let mut r = WireReader::new(buf);
    while let Some((n, f)) = r.next()? {
        match n {
            1 => s.data_points.push(number_point(len(f)?)?),
            2 => s.aggregation_temporality = varint(f) as i32,
            3 => s.is_monotonic = varint(f) != 0,
            _ => {}
        }
    }
    Ok(s)
}

fn histogram<'a>(
    buf: &'a [u8],
    point: fn(&'a [u8]) -> Result<HistogramPoint<'a>, DecodeError>,
) -> Result<Histogram<'a>, DecodeError> {
    let mut h = Histogram::default();
    let mut r = WireReader::new(buf);
    while let Some((n, f)) = r.next()? {
        match n {
            1 => h.data_points.push(point(len(f)?)?),
            2 => h.aggregation_temporality = varint(f) as i32,
            _ => {}
        }
    }
    Ok(h)
}

fn number_point(buf: &[u8]) -> Result<NumberPoint<'_>, DecodeError> {
    let mut p = NumberPoint::default();
    let mut r = WireReader::new(buf);
    while let Some((n, f)) = r.next()? {
        match n {
            7 => attribute(&mut p.attributes, f)?,
            2 => p.start_time_unix_nano = fixed64(f),
            3 => p.time_unix_nano = fixed64(f),
            4 => p.as_double = Some(Double::Bits(f64::from_bits(fixed64(f)))),
            6 => p.as_int = Some(fixed64(f) as i64),
            8 => p.flags = fixed32(f),
            _ => {}
        }
    }
    Ok(p)
}

fn histogram_point(buf: &[u8]) -> Result<HistogramPoint<'_>, DecodeError> {
    any_histogram_point(buf, 9)
}

fn exp_histogram_point(buf: &[u8]) -> Result<HistogramPoint<'_>, DecodeError> {
    any_histogram_point(buf, 1)
}

/// The two histogram point messages agree on every field read here but the attributes'.
fn any_histogram_point(buf: &[u8], attributes: u32) -> Result<HistogramPoint<'_>, DecodeError> {
    let mut p = HistogramPoint::default();
    let mut r = WireReader::new(buf);
    while let Some((n, f)) = r.next()? {
        match n {
            _ if n == attributes => attribute(&mut p.attributes, f)?,
            2 => p.start_time_unix_nano = fixed64(f),
            3 => p.time_unix_nano = fixed64(f),
            4 => p.count = fixed64(f),
            5 => p.sum = Some(Double::Bits(f64::from_bits(fixed64(f)))),
            10 => p.flags = fixed32(f),
            _ => {}
        }
    }
    Ok(p)
}

fn fixed32(field: Field<'_>) -> u32 {
    match field {
        Field::Fixed32(v) => v,
        Field::Varint(v) => v as u32,
        _ => 0,
    }
}

fn first_len(buf: &[u8], num: u32) -> Option<&[u8]> {
    let mut r = WireReader::new(buf);
    while let Ok(Some((n, f))) = r.next() {
        if n == num {
            return len(f).ok();
        }
    }
    None
}

/// Which signal a protobuf request holds, judged from its first record: the three
/// request types share one wire shape down to the record, so only the record tells.
pub fn sniff_signal(buf: &[u8]) -> Option<Signal> {
    let scope_block = first_len(first_len(buf, 1)?, 2)?;
    let record = first_len(scope_block, 2)?;
    // Fields that settle it: a span's start/end times are fixed64 7/8 and its ids 16 and
    // 8 bytes; a log's times are fixed64 1/11; a metric's name is field 1 and its data
    // (gauge 5, sum 7, histograms 9/10, summary 11) length-delimited.
    let mut seen: Vec<(u32, Field<'_>)> = Vec::new();
    let mut r = WireReader::new(record);
    while let Ok(Some(field)) = r.next() {
        seen.push(field);
    }
    let has = |pred: &dyn Fn(u32, &Field<'_>) -> bool| seen.iter().any(|(n, f)| pred(*n, f));
    if has(&|n, f| matches!((n, f), (7 | 8, Field::Fixed64(_)))) {
        Some(Signal::Traces)
    } else if has(&|n, f| matches!((n, f), (1 | 11, Field::Fixed64(_)))) {
        Some(Signal::Logs)
    } else if has(&|n, f| matches!((n, f), (1, Field::Len(b)) if b.len() == 16))
        && has(&|n, f| matches!((n, f), (2, Field::Len(b)) if b.len() == 8))
    {
        Some(Signal::Traces)
    } else if has(&|n, f| matches!((n, f), (1, Field::Len(_))))
        && has(&|n, f| matches!((n, f), (5 | 7 | 9 | 10 | 11, Field::Len(_))))
    {
        Some(Signal::Metrics)
    } else if has(&|n, f| matches!((n, f), (2, Field::Varint(_)) | (5 | 6, Field::Len(_)))) {
        Some(Signal::Logs)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every field of `buf` (and the error that ends them, if any), read with `step`.
    fn fields<'a>(
        buf: &'a [u8],
        step: fn(&mut WireReader<'a>) -> NextField<'a>,
    ) -> (Vec<(u32, Field<'a>)>, Option<DecodeError>) {
        let mut r = WireReader::new(buf);
        let mut out = Vec::new();
        loop {
            match step(&mut r) {
                Ok(Some(field)) => out.push(field),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    /// A message of fields of every wire type, with lengths and varints of one to three
    /// bytes, some cut short: the shapes the inline path reads and those it leaves out.
    fn message() -> impl Strategy<Value = Vec<u8>> {
        let field = (0u32..40, 0u8..6, 0u64..70_000, proptest::collection::vec(any::<u8>(), 0..200));
        (proptest::collection::vec(field, 0..12), any::<usize>()).prop_map(|(fields, cut)| {
            let mut out = Vec::new();
            let varint = |out: &mut Vec<u8>, mut v: u64| loop {
                if v < 0x80 {
                    out.push(v as u8);
                    break;
                }
                out.push((v as u8 & 0x7f) | 0x80);
                v >>= 7;
            };
            for (num, wire_type, value, bytes) in fields {
                varint(&mut out, u64::from(num) << 3 | u64::from(wire_type));
                match wire_type {
                    0 => varint(&mut out, value),
                    1 => out.extend(value.to_le_bytes()),
                    2 => {
                        varint(&mut out, bytes.len() as u64);
                        out.extend(&bytes);
                    }
                    5 => out.extend((value as u32).to_le_bytes()),
                    _ => out.extend(&bytes[..bytes.len().min(3)]),
                }
            }
            let keep = if cut % 4 == 0 { cut % (out.len() + 1) } else { out.len() };
            out.truncate(keep);
            out
        })
    }

    proptest! {
        /// The inline shapes give what the general reader gives, errors included.
        #[test]
        fn the_inline_path_reads_as_the_general_one(buf in message()) {
            prop_assert_eq!(fields(&buf, WireReader::next), fields(&buf, WireReader::any_field));
        }

        #[test]
        fn arbitrary_bytes_read_as_the_general_reader_reads_them(buf in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(fields(&buf, WireReader::next), fields(&buf, WireReader::any_field));
        }

        #[test]
        fn utf8_is_std_from_utf8(bytes in proptest::collection::vec(any::<u8>(), 0..40), text in ".{0,20}") {
            prop_assert_eq!(utf8(&bytes), std::str::from_utf8(&bytes));
            prop_assert_eq!(utf8(text.as_bytes()), Ok(text.as_str()));
        }
    }

    #[test]
    fn a_real_request_reads_the_same_both_ways() {
        let stream = include_bytes!("../../testdata/protobuf/b_openllmetry/traces.pb");
        let frame = &stream[4..4 + u32::from_be_bytes(stream[..4].try_into().unwrap()) as usize];
        // Down every length-delimited field (text too: both readers must fail alike).
        let mut messages = vec![frame];
        let mut read = 0;
        while let Some(buf) = messages.pop() {
            let (fast, end) = fields(buf, WireReader::next);
            assert_eq!((fast.clone(), end), fields(buf, WireReader::any_field));
            read += fast.len();
            messages.extend(fast.iter().filter_map(|(_, f)| if let Field::Len(b) = f { Some(*b) } else { None }));
        }
        assert!(read > 100, "{read} fields");
    }
}
