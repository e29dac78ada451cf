//! A hand-written reader for the common shapes of OTLP/JSON traces and logs (what the
//! Collector's file exporter writes), straight from the bytes into the views.
//!
//! It is a fast path, not a second definition of the format: it answers `None` whenever
//! it is not certain to produce exactly what serde would (an alias, a duplicate field, a
//! `null`, an escaped key or name, an odd number, anything invalid), and `json` then runs
//! serde, which gives the same views or the error message. Most of a dump's bytes are
//! values nobody reads (span events holding prompts as escaped JSON): those are skipped
//! sixteen bytes at a time, and validated as
//! serde validates what it ignores (strings, escapes, numbers, literals, nesting).

use super::view::{
    enum_by_name, parse_hex_id, AttrValue, KeyValue, LogRecord, Request, Resource, ResourceLogs, ResourceSpans, Scope,
    ScopeLogs, ScopeSpans, Span,
};
use std::borrow::Cow;

/// The request in `text`, or `None` where serde must decide (an answer means that `text`
/// is UTF-8: every string's non-ASCII characters are checked as they are passed, and
/// outside strings only ASCII is read).
pub fn request(text: &[u8]) -> Option<Request<'_>> {
    Scanner { bytes: text, at: 0 }.request()
}

/// Nesting this reader follows inside a skipped value; deeper values go to serde (which
/// has no limit there: it skips iteratively).
const MAX_SKIP_DEPTH: u32 = 64;

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// Marks a field as seen: `None` on its second occurrence (serde: "duplicate field").
fn first(seen: &mut u32, bit: u32) -> Option<()> {
    let fresh = *seen & bit == 0;
    *seen |= bit;
    fresh.then_some(())
}

impl<'a> Scanner<'a> {
    fn request(mut self) -> Option<Request<'a>> {
        let (mut spans, mut logs) = (None, None);
        self.object(|s, key| match key {
            "resourceSpans" if spans.is_none() => s.array(Self::resource_spans).map(|v| spans = Some(v)),
            "resourceLogs" if logs.is_none() => s.array(Self::resource_logs).map(|v| logs = Some(v)),
            "resourceSpans" | "resourceLogs" | "resourceMetrics" | "resource_spans" | "resource_metrics"
            | "resource_logs" => None,
            _ => s.skip_value(),
        })?;
        self.space();
        if self.at != self.bytes.len() {
            return None;
        }
        match (spans, logs) {
            (Some(spans), None) => Some(Request::Traces(spans)),
            (None, Some(logs)) => Some(Request::Logs(logs)),
            _ => None,
        }
    }

    fn resource_spans(&mut self) -> Option<ResourceSpans<'a>> {
        let (mut resource, mut scope_spans, mut seen) = (Resource::default(), Vec::new(), 0);
        self.object(|s, key| match key {
            "resource" => {
                first(&mut seen, 1)?;
                resource = s.resource()?;
                Some(())
            }
            "scopeSpans" => {
                first(&mut seen, 2)?;
                scope_spans = s.array(Self::scope_spans)?;
                Some(())
            }
            "instrumentationLibrarySpans" => None,
            _ => s.skip_value(),
        })?;
        Some(ResourceSpans { resource, scope_spans })
    }

    fn scope_spans(&mut self) -> Option<ScopeSpans<'a>> {
        let (mut scope, mut spans, mut seen) = (Scope::default(), Vec::new(), 0);
        self.object(|s, key| match key {
            "scope" => {
                first(&mut seen, 1)?;
                scope = s.scope()?;
                Some(())
            }
            "spans" => {
                first(&mut seen, 2)?;
                spans = s.array(Self::span)?;
                Some(())
            }
            "instrumentationLibrary" => None,
            _ => s.skip_value(),
        })?;
        Some(ScopeSpans { scope, spans })
    }

    fn span(&mut self) -> Option<Span<'a>> {
        let (mut span, mut seen) = (Span::default(), 0);
        self.object(|s, key| {
            match key {
                "traceId" => {
                    first(&mut seen, 1)?;
                    span.trace_id = s.hex_id()?;
                }
                "spanId" => {
                    first(&mut seen, 2)?;
                    span.span_id = s.hex_id()?;
                }
                "parentSpanId" => {
                    first(&mut seen, 4)?;
                    span.parent_span_id = s.hex_id()?;
                }
                "name" => {
                    first(&mut seen, 8)?;
                    span.name = Cow::Borrowed(s.string()?);
                }
                "kind" => {
                    first(&mut seen, 16)?;
                    span.kind = s.enum_int()?;
                }
                "startTimeUnixNano" => {
                    first(&mut seen, 32)?;
                    span.start_time_unix_nano = s.uint64()?;
                }
                "endTimeUnixNano" => {
                    first(&mut seen, 64)?;
                    span.end_time_unix_nano = s.uint64()?;
                }
                "attributes" => {
                    first(&mut seen, 128)?;
                    span.attributes = s.attributes()?;
                }
                _ => s.skip_value()?,
            }
            Some(())
        })?;
        Some(span)
    }

    fn resource_logs(&mut self) -> Option<ResourceLogs<'a>> {
        let (mut resource, mut scope_logs, mut seen) = (Resource::default(), Vec::new(), 0);
        self.object(|s, key| match key {
            "resource" => {
                first(&mut seen, 1)?;
                resource = s.resource()?;
                Some(())
            }
            "scopeLogs" => {
                first(&mut seen, 2)?;
                scope_logs = s.array(Self::scope_logs)?;
                Some(())
            }
            "instrumentationLibraryLogs" => None,
            _ => s.skip_value(),
        })?;
        Some(ResourceLogs { resource, scope_logs })
    }

    fn scope_logs(&mut self) -> Option<ScopeLogs<'a>> {
        let (mut scope, mut log_records, mut seen) = (Scope::default(), Vec::new(), 0);
        self.object(|s, key| match key {
            "scope" => {
                first(&mut seen, 1)?;
                scope = s.scope()?;
                Some(())
            }
            "logRecords" => {
                first(&mut seen, 2)?;
                log_records = s.array(Self::log_record)?;
                Some(())
            }
            "instrumentationLibrary" => None,
            _ => s.skip_value(),
        })?;
        Some(ScopeLogs { scope, log_records })
    }

    fn log_record(&mut self) -> Option<LogRecord<'a>> {
        let (mut record, mut seen) = (LogRecord::default(), 0);
        self.object(|s, key| {
            match key {
                "timeUnixNano" => {
                    first(&mut seen, 1)?;
                    record.time_unix_nano = s.uint64()?;
                }
                "observedTimeUnixNano" => {
                    first(&mut seen, 2)?;
                    record.observed_time_unix_nano = s.uint64()?;
                }
                "eventName" => {
                    first(&mut seen, 4)?;
                    record.event_name = Cow::Borrowed(s.string()?);
                }
                "body" => {
                    first(&mut seen, 8)?;
                    record.body = s.attr_value()?;
                }
                "attributes" => {
                    first(&mut seen, 16)?;
                    record.attributes = s.attributes()?;
                }
                "traceId" => {
                    first(&mut seen, 32)?;
                    record.trace_id = s.hex_id()?;
                }
                "spanId" => {
                    first(&mut seen, 64)?;
                    record.span_id = s.hex_id()?;
                }
                _ => s.skip_value()?,
            }
            Some(())
        })?;
        Some(record)
    }

    fn resource(&mut self) -> Option<Resource<'a>> {
        let (mut resource, mut seen) = (Resource::default(), 0);
        self.object(|s, key| match key {
            "attributes" => {
                first(&mut seen, 1)?;
                resource.attributes = s.attributes()?;
                Some(())
            }
            _ => s.skip_value(),
        })?;
        Some(resource)
    }

    fn scope(&mut self) -> Option<Scope<'a>> {
        let (mut scope, mut seen) = (Scope::default(), 0);
        self.object(|s, key| {
            match key {
                "name" => {
                    first(&mut seen, 1)?;
                    scope.name = Cow::Borrowed(s.string()?);
                }
                "version" => {
                    first(&mut seen, 2)?;
                    scope.version = Cow::Borrowed(s.string()?);
                }
                _ => s.skip_value()?,
            }
            Some(())
        })?;
        Some(scope)
    }

    /// Attributes, with the capacity serde's reader (`view::attributes`) gives them.
    fn attributes(&mut self) -> Option<Vec<KeyValue<'a>>> {
        let mut out = Vec::with_capacity(16);
        self.array_into(Self::key_value, &mut out)?;
        Some(out)
    }

    fn key_value(&mut self) -> Option<KeyValue<'a>> {
        let start = self.at;
        if let Some(kv) = self.key_value_as_written() {
            return Some(kv);
        }
        self.at = start;
        let (mut kv, mut seen) = (KeyValue { key: Cow::Borrowed(""), value: None }, 0);
        self.object(|s, key| {
            match key {
                "key" => {
                    first(&mut seen, 1)?;
                    kv.key = Cow::Borrowed(s.string()?);
                }
                "value" => {
                    first(&mut seen, 2)?;
                    kv.value = s.attr_value()?;
                }
                _ => s.skip_value()?,
            }
            Some(())
        })?;
        Some(kv)
    }

    /// `{"key":"…","value":…}` as writers print it (no space, `key` first): read at sight
    /// instead of member by member; any other spelling goes the general way.
    fn key_value_as_written(&mut self) -> Option<KeyValue<'a>> {
        self.literal(b"{\"key\":")?;
        let key = self.string()?;
        self.literal(b",\"value\":")?;
        self.space();
        let value = self.attr_value()?;
        self.literal(b"}")?;
        Some(KeyValue { key: Cow::Borrowed(key), value })
    }

    // ---- Typed values: only the plain cases; anything else is serde's.

    /// An `Option<AttrValue>`: `null` is none, anything else its exact text (as serde's
    /// `RawValue` takes it: from its first byte to its last).
    fn attr_value(&mut self) -> Option<Option<AttrValue<'a>>> {
        if self.bytes[self.at..].starts_with(b"null") {
            self.at += 4;
            return Some(None);
        }
        let start = self.at;
        if self.one_string_member().is_none() {
            self.at = start;
            self.skip_value()?;
        }
        Some(Some(AttrValue::Json(self.text(start, self.at))))
    }

    /// `{"name":"text"}` without spaces, how writers print most attribute values (a
    /// `stringValue`, an `intValue`): skipped at sight, each string validated as
    /// `skip_value` validates it.
    fn one_string_member(&mut self) -> Option<()> {
        self.literal(b"{\"")?;
        self.skip_string()?;
        self.literal(b":\"")?;
        self.skip_string()?;
        self.literal(b"}")
    }

    /// A string without escapes, borrowed.
    fn string(&mut self) -> Option<&'a str> {
        if self.bytes.get(self.at) != Some(&b'"') {
            return None;
        }
        let start = self.at + 1;
        let mut end = stop_in_string(self.bytes, start);
        while *self.bytes.get(end)? >= 0x80 {
            end = stop_in_string(self.bytes, char_end(self.bytes, end)?);
        }
        if self.bytes[end] != b'"' {
            return None;
        }
        self.at = end + 1;
        Some(self.text(start, end))
    }

    /// Text the scanner has passed, from one token's boundary to another's.
    fn text(&self, start: usize, end: usize) -> &'a str {
        let text = &self.bytes[start..end];
        debug_assert!(std::str::from_utf8(text).is_ok());
        // SAFETY: every byte passed is ASCII (outside strings only ASCII is read) or part
        // of a character `char_end` checked, and the ends are ASCII bytes' places.
        unsafe { std::str::from_utf8_unchecked(text) }
    }

    /// `view::hex_id`: a string of `parse_hex_id`'s form.
    fn hex_id<const N: usize>(&mut self) -> Option<[u8; N]> {
        parse_hex_id(self.string()?)
    }

    /// `view::uint64`: a plain integer that fits, or text that `u64::from_str` takes.
    fn uint64(&mut self) -> Option<u64> {
        match self.bytes.get(self.at)? {
            b'"' => parse_u64(self.string()?),
            _ => self.integer(),
        }
    }

    /// `view::enum_int`: a plain integer in range, or a name it knows.
    fn enum_int(&mut self) -> Option<i32> {
        match self.bytes.get(self.at)? {
            b'"' => enum_by_name(self.string()?),
            _ => i32::try_from(self.integer()?).ok(),
        }
    }

    /// A non-negative JSON integer that serde reads as a `u64` (not a float: no fraction,
    /// no exponent, no overflow).
    fn integer(&mut self) -> Option<u64> {
        let digits = self.bytes[self.at..].iter().take_while(|b| b.is_ascii_digit()).count();
        let text = &self.bytes[self.at..self.at + digits];
        if digits == 0 || (digits > 1 && text[0] == b'0') {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = self.bytes.get(self.at + digits) {
            return None;
        }
        let mut n = 0u64;
        for &d in text {
            n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        }
        self.at += digits;
        Some(n)
    }

    // ---- Structure.

    /// An object at the current byte; `field` reads each member's value (the scanner is
    /// at its first byte) and answers `None` to give up.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.space();
        if self.bytes.get(self.at) != Some(&b'{') {
            return None;
        }
        self.at += 1;
        self.space();
        if self.bytes.get(self.at) == Some(&b'}') {
            self.at += 1;
            return Some(());
        }
        loop {
            // A key with an escape may spell a known field: serde's.
            let key = self.string()?;
            self.space();
            if self.bytes.get(self.at) != Some(&b':') {
                return None;
            }
            self.at += 1;
            self.space();
            field(self, key)?;
            self.space();
            match self.bytes.get(self.at)? {
                b',' => {
                    self.at += 1;
                    self.space();
                }
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn array<T>(&mut self, item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let mut out = Vec::new();
        self.array_into(item, &mut out)?;
        Some(out)
    }

    fn array_into<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>, out: &mut Vec<T>) -> Option<()> {
        if self.bytes.get(self.at) != Some(&b'[') {
            return None;
        }
        self.at += 1;
        self.space();
        if self.bytes.get(self.at) == Some(&b']') {
            self.at += 1;
            return Some(());
        }
        loop {
            self.space();
            out.push(item(self)?);
            self.space();
            match self.bytes.get(self.at)? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Skips one JSON value, validated as serde's `ignore_value` validates it.
    fn skip_value(&mut self) -> Option<()> {
        // One bit per open container, 1 for an object.
        let (mut open, mut depth) = (0u64, 0u32);
        loop {
            self.space();
            match *self.bytes.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    self.skip_string()?;
                }
                b'{' | b'[' if depth == MAX_SKIP_DEPTH => return None,
                c @ (b'{' | b'[') => {
                    self.at += 1;
                    self.space();
                    let close = if c == b'{' { b'}' } else { b']' };
                    if self.bytes.get(self.at) == Some(&close) {
                        self.at += 1;
                    } else {
                        open = (open << 1) | u64::from(c == b'{');
                        depth += 1;
                        if c == b'{' {
                            self.member_key()?;
                        }
                        continue;
                    }
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'-' | b'0'..=b'9' => self.skip_number()?,
                _ => return None,
            }
            // After a value: close what ends here, up to the next value.
            loop {
                if depth == 0 {
                    return Some(());
                }
                self.space();
                let in_object = open & 1 == 1;
                match (*self.bytes.get(self.at)?, in_object) {
                    (b',', _) => {
                        self.at += 1;
                        if in_object {
                            self.space();
                            self.member_key()?;
                        }
                        break;
                    }
                    (b'}', true) | (b']', false) => {
                        self.at += 1;
                        open >>= 1;
                        depth -= 1;
                    }
                    _ => return None,
                }
            }
        }
    }

    /// `"key":` inside a skipped object.
    fn member_key(&mut self) -> Option<()> {
        if self.bytes.get(self.at) != Some(&b'"') {
            return None;
        }
        self.at += 1;
        self.skip_string()?;
        self.space();
        if self.bytes.get(self.at) != Some(&b':') {
            return None;
        }
        self.at += 1;
        Some(())
    }

    /// The rest of a string after its opening quote: no control characters, every escape
    /// one JSON allows (serde does not check surrogates in a string it skips).
    fn skip_string(&mut self) -> Option<()> {
        loop {
            let stop = stop_in_string(self.bytes, self.at);
            self.at = stop + 1;
            match *self.bytes.get(stop)? {
                b'"' => return Some(()),
                b'\\' => {}
                0x80.. => {
                    self.at = char_end(self.bytes, stop)?;
                    continue;
                }
                _ => return None,
            }
            match *self.bytes.get(self.at)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 1,
                b'u' if self.bytes.get(self.at + 1..self.at + 5)?.iter().all(u8::is_ascii_hexdigit) => self.at += 5,
                _ => return None,
            }
        }
    }

    /// A number as serde's `ignore_integer` reads it (`-`, no leading zero, a fraction and
    /// an exponent each with a digit at least).
    fn skip_number(&mut self) -> Option<()> {
        let b = self.bytes;
        let digits = |at: usize| b[at.min(b.len())..].iter().take_while(|c| c.is_ascii_digit()).count();
        let mut at = self.at + usize::from(b[self.at] == b'-');
        match b.get(at)? {
            b'0' => at += 1,
            b'1'..=b'9' => at += digits(at),
            _ => return None,
        }
        if b.get(at) == Some(&b'.') {
            let n = digits(at + 1);
            if n == 0 {
                return None;
            }
            at += 1 + n;
        }
        if let Some(b'e' | b'E') = b.get(at) {
            at += 1;
            if let Some(b'+' | b'-') = b.get(at) {
                at += 1;
            }
            let n = digits(at);
            if n == 0 {
                return None;
            }
            at += n;
        }
        // `01`: serde fails on the second digit; so does whatever reads on from here.
        self.at = at;
        Some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.bytes[self.at..].starts_with(word).then(|| self.at += word.len())
    }

    /// JSON whitespace: space, tab, CR, LF.
    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\r' | b'\n') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }
}

/// `u64::from_str`, with its common case first: up to 19 digits (a time in nanoseconds)
/// cannot overflow, so they are added up without a check each.
fn parse_u64(text: &str) -> Option<u64> {
    let digits = text.as_bytes();
    if (1..=19).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit) {
        return Some(digits.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0')));
    }
    text.parse().ok()
}

/// Where a string's scan from `at` stops: the first `"`, `\\`, control character (invalid
/// in a JSON string) or non-ASCII byte (to be checked as UTF-8), or the end. Sixteen bytes at a time where SSE2 is there (every
/// x86-64), then eight: most strings are short keys and values, for which a `memchr`
/// call costs more than it saves.
fn stop_in_string(bytes: &[u8], at: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    let at = match sixteen_at_a_time(bytes, at) {
        Ok(stop) => return stop,
        Err(rest) => rest,
    };
    eight_at_a_time(bytes, at)
}

/// `stop_in_string` over whole 16-byte blocks: `Ok` with the stop, or `Err` with where the
/// last whole block ended.
#[cfg(target_arch = "x86_64")]
fn sixteen_at_a_time(bytes: &[u8], mut at: usize) -> Result<usize, usize> {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    while let Some(block) = bytes.get(at..at + 16) {
        // SAFETY: SSE2 is part of x86-64; `block` is 16 readable bytes, and the load
        // takes any alignment.
        let mask = unsafe {
            let x = _mm_loadu_si128(block.as_ptr().cast());
            let (quote, backslash) =
                (_mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8)), _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8)));
            // A control character is its own minimum with 0x1f (unsigned).
            let control = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
            // The mask is the bytes' high bits: a non-ASCII byte is a stop as it is.
            _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(_mm_or_si128(quote, backslash), control), x))
        };
        if mask != 0 {
            return Ok(at + mask.trailing_zeros() as usize);
        }
        at += 16;
    }
    Err(at)
}

/// `stop_in_string` eight bytes at a time (as serde's own scan), then byte by byte.
fn eight_at_a_time(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(word) = bytes.get(at..at + 8) {
        let Ok(word) = <[u8; 8]>::try_from(word) else { break };
        let x = u64::from_le_bytes(word);
        let (quote, backslash) = (x ^ (ONES * u64::from(b'"')), x ^ (ONES * u64::from(b'\\')));
        // A byte's high bit: it is zero (below 0x20 for `x`), or `x`'s own (non-ASCII).
        // Borrows only run upwards from a true hit, so the lowest hit is exact.
        let hits = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (x.wrapping_sub(ONES * 0x20) & !x)
            | x)
            & HIGH;
        if hits != 0 {
            return at + (hits.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let tail = bytes.get(at..).unwrap_or_default();
    at + tail.iter().position(|&b| matches!(b, b'"' | b'\\' | 0..0x20 | 0x80..)).unwrap_or(tail.len())
}

/// Where the UTF-8 character that starts at `at` (a non-ASCII byte) ends; `None` if it is
/// not one (the line then goes to `std::str::from_utf8`, which names the error).
fn char_end(bytes: &[u8], at: usize) -> Option<usize> {
    let width = match bytes[at] {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let end = at + width;
    std::str::from_utf8(bytes.get(at..end)?).ok().map(|_| end)
}

#[cfg(test)]
mod tests {
    use super::super::json_scan_against_serde;
    use proptest::prelude::*;
    use proptest::strategy::{BoxedStrategy, Union};

    /// Whether the hand-written reader answered; where it did, it must equal serde.
    fn agrees(text: &[u8]) -> bool {
        match json_scan_against_serde(text) {
            Some((fast, serde)) => {
                assert_eq!(fast, serde, "{}", String::from_utf8_lossy(text));
                true
            }
            None => false,
        }
    }

    /// Every OTLP/JSON traces or logs line under testdata/.
    fn real_lines() -> Vec<(String, String)> {
        let mut files = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata"))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "jsonl" || e == "json") {
                    files.push(path);
                }
            }
        }
        files.sort();
        let mut lines = Vec::new();
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else { continue };
            for line in text.lines() {
                if line.starts_with("{\"resourceSpans\"") || line.starts_with("{\"resourceLogs\"") {
                    lines.push((file.display().to_string(), line.to_string()));
                }
            }
        }
        lines
    }

    #[test]
    fn every_real_capture_line_is_read_as_serde_reads_it() {
        let lines = real_lines();
        assert!(lines.len() >= 150, "{} lines", lines.len());
        for (file, line) in &lines {
            assert!(agrees(line.as_bytes()), "given up on a line of {file}: {line}");
        }
    }

    /// The bench dump's shape (`benches/gen_otlp.py`): events whose attributes hold
    /// prompts as escaped JSON, status objects, numbers and strings for times.
    #[test]
    fn the_bench_dumps_shape_is_read() {
        let line = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"docs-agent"}}]},"scopeSpans":[{"scope":{"name":"opentelemetry.instrumentation.openai","version":"0.40.0"},"spans":[{"traceId":"54bec9492bc23faf69badf878a14d30f","spanId":"f00a78fcf6e7a618","parentSpanId":"8b09174cd419c949","name":"chat gpt-4o","kind":3,"startTimeUnixNano":"1763792931272500265","endTimeUnixNano":"1763792946560658631","attributes":[{"key":"gen_ai.usage.input_tokens","value":{"intValue":"1200"}},{"key":"gen_ai.request.temperature","value":{"doubleValue":0.2}}],"events":[{"timeUnixNano":"1763792931272500265","name":"gen_ai.content.prompt","attributes":[{"key":"gen_ai.prompt","value":{"stringValue":"[{\"role\": \"user\", \"content\": \"Summarise \\\"this\\\" \u00e9\\n\"}]"}}]}],"status":{"code":1},"droppedLinksCount":0,"flags":256}]}]}]}"#;
        assert!(agrees(line.as_bytes()));
        let Some((fast, _)) = json_scan_against_serde(line.as_bytes()) else { unreachable!() };
        assert!(fast.contains(r#"Json("{\"doubleValue\":0.2}")"#), "{fast}");
    }

    /// Bytes that are not UTF-8, in any string the reader reads or skips: not read (serde's
    /// reading names the error); characters of two to four bytes are read.
    #[test]
    fn text_that_is_not_utf8_is_left_to_serde() {
        let line = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"aXa","attributes":[{"key":"kXk","value":{"stringValue":"vXv"}},{"key":"k","value":{"arrayValue":{"values":[{"stringValue":"wXw"}]}}}],"events":[{"name":"eXe"}]}]}]}]}"#;
        let places = line.matches('X').count();
        let bad: [&[u8]; 7] =
            [b"\xff", b"\x80", b"\xc0\x80", b"\xed\xa0\x80", b"\xe2\x82", b"\xf8\x88\x80\x80\x80", b"\xf4\x90\x80\x80"];
        let good: [&[u8]; 3] = ["é".as_bytes(), "€".as_bytes(), "😀".as_bytes()];
        for place in 0..places {
            let with = |bytes: &[u8]| {
                let parts: Vec<&[u8]> = line.as_bytes().split(|&b| b == b'X').collect();
                let mut text = Vec::new();
                for (i, part) in parts.iter().enumerate() {
                    text.extend_from_slice(part);
                    if i + 1 < parts.len() {
                        text.extend_from_slice(if i == place { bytes } else { b"x" });
                    }
                }
                text
            };
            for bytes in bad {
                assert!(super::request(&with(bytes)).is_none(), "{bytes:?} at place {place}");
            }
            for bytes in good {
                assert!(agrees(&with(bytes)), "{:?} at place {place}", std::str::from_utf8(bytes));
            }
        }
    }

    fn ws() -> BoxedStrategy<&'static str> {
        prop_oneof![6 => Just(""), 2 => Just(" "), 2 => Just("\n"), 2 => Just("\t\r\n "), 1 => Just("\x0c")].boxed()
    }

    fn string() -> BoxedStrategy<String> {
        prop_oneof![
            10 => r#""[a-zA-Z0-9 ._/\-]{0,10}""#,
            3 => r#""([a-z0-9 ]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4}|\x7f|é|😀){0,8}""#,
            1 => r#""([a-z0-9 ]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4}|\\u[0-9a-g]{0,3}|\\[xU]|\t|\x01|\x7f|é|😀){0,8}""#,
            1 => Just(r#""a"#.to_string()),
        ]
        .boxed()
    }

    fn scalar() -> BoxedStrategy<String> {
        prop_oneof![
            3 => string(),
            3 => r#"-?(0|[1-9][0-9]{0,20})(\.[0-9]{1,2})?([eE][+-]?[0-9]{1,2})?"#,
            1 => r#"-?(0|[1-9][0-9]{0,20}|0[0-9])(\.[0-9]{0,2})?([eE][+-]?[0-9]{0,2})?"#,
            2 => "(null|true|false)",
            1 => "(nul|tru|-|\\+1|\\.5|NaN)",
        ]
        .boxed()
    }

    fn render_object(members: &[(String, String)], ws: &str) -> String {
        let inner: Vec<String> = members.iter().map(|(k, v)| format!("{ws}{k}{ws}:{ws}{v}{ws}")).collect();
        format!("{{{}}}", inner.join(","))
    }

    /// Any JSON-ish value: nested arrays and objects of scalars, valid or not.
    fn value() -> BoxedStrategy<String> {
        scalar()
            .prop_recursive(4, 24, 4, |inner| {
                prop_oneof![
                    (prop::collection::vec(inner.clone(), 0..4), ws())
                        .prop_map(|(items, ws)| format!("[{ws}{}]", items.join(&format!("{ws},")))),
                    (prop::collection::vec((string(), inner), 0..4), ws())
                        .prop_map(|(members, ws)| render_object(&members, ws)),
                ]
            })
            .boxed()
    }

    /// A key no struct knows, or a known one spelled with an escape.
    fn other_key() -> BoxedStrategy<String> {
        prop_oneof![r#""[a-z]{1,6}""#, Just(r#""n\u0061me""#.to_string()), Just(r#""name ""#.to_string())].boxed()
    }

    /// An object of `fields` (each any number of times, in any order) and unknown members.
    fn object_of(fields: Vec<(&'static str, BoxedStrategy<String>)>) -> BoxedStrategy<String> {
        let mut choices: Vec<(u32, BoxedStrategy<(String, String)>)> =
            fields.into_iter().map(|(k, s)| (4, s.prop_map(move |v| (format!("\"{k}\""), v)).boxed())).collect();
        choices.push((2, (other_key(), value()).boxed()));
        (prop::collection::vec(Union::new_weighted(choices), 0..5), ws())
            .prop_map(|(members, ws)| render_object(&members, ws))
            .boxed()
    }

    /// Mostly an array of `item`, sometimes anything else.
    fn array_of(item: BoxedStrategy<String>) -> BoxedStrategy<String> {
        prop_oneof![
            16 => (prop::collection::vec(item, 0..3), ws()).prop_map(|(items, ws)| format!("[{ws}{}{ws}]", items.join(","))),
            1 => value(),
        ]
        .boxed()
    }

    fn hex_id(digits: usize) -> BoxedStrategy<String> {
        prop_oneof![
            16 => proptest::string::string_regex(&format!("\"[0-9a-f]{{{digits}}}\"")).unwrap(),
            1 => proptest::string::string_regex(&format!("\"[0-9A-Fa-g]{{{digits}}}\"")).unwrap(),
            1 => proptest::string::string_regex(&format!("\"[0-9a-f]{{{},{}}}\"", digits - 1, digits + 1)).unwrap(),
            1 => Just("\"\"".to_string()),
            1 => value(),
        ]
        .boxed()
    }

    fn uint64() -> BoxedStrategy<String> {
        prop_oneof![
            12 => r#""[0-9]{1,19}""#,
            6 => "(0|[1-9][0-9]{0,18})",
            1 => r#""(\+[0-9]{1,3}|-1|1\u0032| 1|)""#,
            1 => "(-[0-9]{1,3}|-0|1\\.5|1e3|18446744073709551616|184467440737095516150)",
            1 => value(),
        ]
        .boxed()
    }

    fn kind() -> BoxedStrategy<String> {
        prop_oneof![
            8 => "[0-6]",
            1 => "(-1|2147483648|4294967296|3\\.0)",
            2 => r#""(SPAN_KIND_CLIENT|SPAN_KIND_SERVER|CLIENT|3)""#,
            1 => value()
        ]
        .boxed()
    }

    fn text() -> BoxedStrategy<String> {
        prop_oneof![12 => string(), 1 => value()].boxed()
    }

    fn any_value() -> BoxedStrategy<String> {
        prop_oneof![
            6 => r#"\{"stringValue":"[a-z]{0,5}"\}"#,
            6 => r#"\{ "intValue" : "[0-9]{1,4}" \}"#,
            2 => Just("null".to_string()),
            1 => Just("nulll".to_string()),
            3 => value(),
        ]
        .boxed()
    }

    fn attributes() -> BoxedStrategy<String> {
        array_of(object_of(vec![("key", text()), ("value", any_value())]))
    }

    fn resource() -> BoxedStrategy<String> {
        object_of(vec![("attributes", attributes()), ("droppedAttributesCount", uint64())])
    }

    fn scope() -> BoxedStrategy<String> {
        object_of(vec![("name", text()), ("version", text())])
    }

    fn traces() -> BoxedStrategy<String> {
        let span = object_of(vec![
            ("traceId", hex_id(32)),
            ("spanId", hex_id(16)),
            ("parentSpanId", hex_id(16)),
            ("name", text()),
            ("kind", kind()),
            ("startTimeUnixNano", uint64()),
            ("endTimeUnixNano", uint64()),
            ("attributes", attributes()),
            ("events", value()),
        ]);
        let scope_spans =
            object_of(vec![("scope", scope()), ("instrumentationLibrary", scope()), ("spans", array_of(span))]);
        object_of(vec![
            ("resource", resource()),
            ("scopeSpans", array_of(scope_spans.clone())),
            ("instrumentationLibrarySpans", array_of(scope_spans)),
        ])
    }

    fn logs() -> BoxedStrategy<String> {
        let record = object_of(vec![
            ("timeUnixNano", uint64()),
            ("observedTimeUnixNano", uint64()),
            ("eventName", text()),
            ("body", any_value()),
            ("attributes", attributes()),
            ("traceId", hex_id(32)),
            ("spanId", hex_id(16)),
        ]);
        let scope_logs = object_of(vec![("scope", scope()), ("logRecords", array_of(record))]);
        object_of(vec![("resource", resource()), ("scopeLogs", array_of(scope_logs))])
    }

    fn request() -> BoxedStrategy<String> {
        let signal = prop_oneof![
            array_of(traces()).prop_map(|v| ("\"resourceSpans\"".to_string(), v)),
            array_of(logs()).prop_map(|v| ("\"resourceLogs\"".to_string(), v)),
        ];
        let other = prop_oneof![
            3 => other_key(),
            1 => prop::sample::select(vec!["\"resourceSpans\"", "\"resourceLogs\"", "\"resource_spans\"", "\"resourceMetrics\""])
                .prop_map(str::to_string),
        ];
        let top = (signal, prop::option::weighted(0.3, (other, value())), any::<bool>(), ws()).prop_map(
            |(signal, other, other_first, ws)| {
                let mut members = vec![signal];
                members.extend(other);
                if other_first {
                    members.reverse();
                }
                render_object(&members, ws)
            },
        );
        (top, ws(), prop_oneof![8 => Just(""), 1 => Just("x"), 1 => Just("{}")])
            .prop_map(|(top, ws, tail)| format!("{ws}{top}{ws}{tail}"))
            .boxed()
    }

    /// A valid span of the common shape, every read field varied (ids in either case, times
    /// as text or numbers), and an `events` value of any kind.
    fn valid_span() -> BoxedStrategy<String> {
        let attribute = (
            "[a-z._]{1,12}",
            prop_oneof![
                r#"\{"stringValue":"([a-z ]|\\")*"\}"#,
                r#"\{"intValue":"[0-9]{1,5}"\}"#,
                "\\{\"doubleValue\":1.5e3\\}",
                Just("null".to_string())
            ],
        )
            .prop_map(|(k, v)| format!(r#"{{"key":"{k}","value":{v}}}"#));
        let ids = ("[0-9a-fA-F]{32}", "[0-9a-f]{16}", prop_oneof!["[0-9a-f]{16}", Just(String::new())]);
        let times = (any::<u64>(), any::<u64>(), any::<bool>()).prop_map(|(a, b, text)| {
            if text {
                format!(r#""{a}","endTimeUnixNano":"{b}""#)
            } else {
                format!(r#"{a},"endTimeUnixNano":{b}"#)
            }
        });
        (ids, "[a-zA-Z0-9 ./]{0,12}", 0u32..7, times, prop::collection::vec(attribute, 0..4), value(), ws())
            .prop_map(|((trace, span, parent), name, kind, times, attributes, events, ws)| {
                format!(
                    r#"{{"traceId":"{trace}",{ws}"spanId":"{span}","parentSpanId":"{parent}","name":"{name}","kind":{kind},"startTimeUnixNano":{times},"attributes":[{}],"events":{events}}}"#,
                    attributes.join(&format!(",{ws}"))
                )
            })
            .boxed()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Valid requests of the common shape: read, and read as serde reads them.
        #[test]
        fn valid_requests_read_as_serde_reads_them(spans in prop::collection::vec(valid_span(), 1..4), ws in ws()) {
            let text = format!(
                r#"{{"resourceSpans":[{{"resource":{{"attributes":[]}},{ws}"scopeSpans":[{{"scope":{{"name":"s"}},"spans":[{}]}}]}}]}}"#,
                spans.join(",")
            );
            let valid = serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok();
            prop_assert!(agrees(text.as_bytes()) || !valid, "given up on {}", text);
        }

        /// The block-at-a-time scans stop where a byte-at-a-time one does.
        #[test]
        fn a_string_scan_stops_at_the_first_quote_backslash_control_or_non_ascii_byte(
            bytes in prop::collection::vec(prop_oneof![12 => 0x20u8..0x7f, 1 => any::<u8>()], 0..80), at in 0usize..80,
        ) {
            let naive = (at..bytes.len()).find(|&i| matches!(bytes[i], b'"' | b'\\' | 0..=0x1f | 0x80..));
            let naive = naive.unwrap_or(bytes.len().max(at));
            prop_assert_eq!(super::stop_in_string(&bytes, at), naive);
            prop_assert_eq!(super::eight_at_a_time(&bytes, at), naive);
        }

        /// The fast path of `parse_u64` is `u64::from_str`.
        #[test]
        fn times_parse_as_from_str_parses_them(text in "[+0-9]{0,21}|[0-9]{18,20}|.{0,3}") {
            prop_assert_eq!(super::parse_u64(&text), text.parse::<u64>().ok());
        }

        /// Generated requests: where the hand-written reader answers, it answers as serde.
        #[test]
        fn generated_requests_read_as_serde_reads_them(text in request()) {
            agrees(text.as_bytes());
        }

        /// Real lines cut, with bytes changed or inserted.
        #[test]
        fn mutated_real_lines_read_as_serde_reads_them(
            which in any::<prop::sample::Index>(),
            cut in any::<prop::sample::Index>(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), prop_oneof![
                any::<u8>().prop_map(|b| vec![b]),
                prop::sample::select(vec![&b"\\"[..], b"\"", b" ", b",", b"null", b"01", b"1.", b"-", b"\\u00", b"\x01", b"{}", b"[]", b"}", b"]"]).prop_map(|b| b.to_vec()),
            ], any::<bool>()), 0..4),
        ) {
            static LINES: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
            let lines = LINES.get_or_init(real_lines);
            let line = lines[which.index(lines.len())].1.as_bytes();
            let mut bytes = line[..line.len() - cut.index(line.len() / 8 + 1)].to_vec();
            for (at, insert, replace) in edits {
                let i = at.index(bytes.len() + 1);
                if replace && i < bytes.len() {
                    bytes.splice(i..i + 1, insert);
                } else {
                    bytes.splice(i..i, insert);
                }
            }
            agrees(&bytes);
        }
    }

    /// The generators reach the hand-written reader's answers, not only its refusals.
    #[test]
    fn the_generated_requests_are_often_read() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = request();
        let read = (0..500).filter(|_| agrees(strategy.new_tree(&mut runner).unwrap().current().as_bytes())).count();
        assert!(read > 25, "{read} of 500 read");
    }
}
