//! The safety net: usage-like data on records no emitter module read.
//!
//! A vocabulary nobody wrote a module for gives no call and $0, which is the worst way to
//! be wrong. So every record that no module (and no `--usage-map`) claimed is looked at
//! for what usage looks like: a count under a key that says tokens or usage, or a text
//! value or log body holding `prompt_tokens`, `inputTokens`… followed by a number. Only
//! unclaimed records are looked at, with finders built once, and what is kept is bounded:
//! at most [`MAX_KEYS`] keys, each with a count and one example.

use super::key_cache::KeyCache;
use super::usage::printable;
use super::Record;
use crate::decode::{AttrValue, KeyValue, LazyValue};
use crate::model::{Location, Position, Signal};
use aho_corasick::AhoCorasick;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// How many distinct keys are kept; the records of further keys are only counted.
pub const MAX_KEYS: usize = 32;

/// What stands for a log record's body where a key is named.
pub const BODY: &str = "(log body)";

/// Usage-like data that was not read, by attribute key (or [`BODY`], or a metric name).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Unread {
    pub keys: BTreeMap<String, Finding>,
    /// Records with usage-like data under keys beyond the first [`MAX_KEYS`].
    pub more: u64,
    /// What [`key_says_usage`] said of the keys seen last.
    judged: KeyCache<bool>,
}

/// One key's records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub records: u64,
    pub signal: Signal,
    /// The example's instrumentation scope and `service.name`.
    pub scope: String,
    pub service: Option<String>,
    /// The first record in input order (the lowest file, then line or offset).
    pub example: Location,
    /// The usage names seen inside the value (indexes into [`NAMES`]), as a bit set.
    pub names: u16,
}

impl Finding {
    /// `key (holding prompt_tokens, …): 3 spans, scope "s", service "x", e.g. file:line`.
    pub fn describe(&self, key: &str) -> String {
        let names = Unread::names(self);
        let holding = if names.is_empty() { String::new() } else { format!(" (holding {})", names.join(", ")) };
        let noun = match self.signal {
            Signal::Traces => "span",
            Signal::Logs => "log record",
            Signal::Metrics => "metric point",
        };
        let n = self.records;
        let plural = if n == 1 { "" } else { "s" };
        let service = self.service.as_deref().map(|s| format!(", service {:?}", printable(s))).unwrap_or_default();
        format!(
            "{}{holding}: {n} {noun}{plural}, scope {:?}{service}, e.g. {}",
            printable(key),
            printable(&self.scope),
            self.example
        )
    }
}

/// Usage field names, as written inside JSON and SDK reprs (matched ignoring case, so
/// `InputTokens` is found too).
pub const NAMES: [&str; 12] = [
    "prompt_tokens",
    "completion_tokens",
    "input_tokens",
    "output_tokens",
    "promptTokens",
    "completionTokens",
    "inputTokens",
    "outputTokens",
    "promptTokenCount",
    "candidatesTokenCount",
    "prompt_token_count",
    "candidates_token_count",
];

static IN_VALUE: LazyLock<AhoCorasick> =
    LazyLock::new(|| AhoCorasick::builder().ascii_case_insensitive(true).build(NAMES).expect("fixed patterns"));
static IN_KEY: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder().ascii_case_insensitive(true).build(["token", "usage"]).expect("fixed patterns")
});
/// The shortest name in [`NAMES`] with `:` and a digit: a shorter value holds none.
const SHORTEST_USAGE: usize = "inputTokens:1".len();
/// Every name in [`NAMES`] holds `oken` (`token`, `Token`): most values hold none, and
/// this SIMD search rules them out before the names are looked for.
static OKEN: LazyLock<memchr::memmem::Finder<'static>> = LazyLock::new(|| memchr::memmem::Finder::new("oken"));

impl Unread {
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.more == 0
    }

    /// Records with usage-like data, all keys together.
    pub fn records(&self) -> u64 {
        self.keys.values().map(|f| f.records).sum::<u64>() + self.more
    }

    /// The names seen inside a finding's values, for people.
    pub fn names(finding: &Finding) -> Vec<&'static str> {
        NAMES.iter().enumerate().filter(|(i, _)| finding.names & (1 << i) != 0).map(|(_, n)| *n).collect()
    }

    pub fn merge(&mut self, other: Unread) {
        self.more += other.more;
        for (key, f) in other.keys {
            self.add(key, f);
        }
    }

    /// Adds records under `key`. Beyond [`MAX_KEYS`], the greatest key goes: the keys kept
    /// are the least ones whatever the order chunks arrive in, each with all its records.
    fn add(&mut self, key: String, f: Finding) {
        match self.keys.get_mut(&key) {
            Some(mine) => {
                mine.records += f.records;
                mine.names |= f.names;
                if earlier(&f.example, &mine.example) {
                    (mine.example, mine.scope, mine.service, mine.signal) = (f.example, f.scope, f.service, f.signal);
                }
            }
            None => {
                self.keys.insert(key, f);
                if self.keys.len() > MAX_KEYS {
                    if let Some((_, gone)) = self.keys.pop_last() {
                        self.more += gone.records;
                    }
                }
            }
        }
    }

    fn found(&mut self, key: &str, names: u16, signal: Signal, record: &Record<'_, '_>, records: u64) {
        let finding = Finding {
            records,
            signal,
            scope: record.scope.to_string(),
            service: record.resource.service.clone(),
            example: record.location.clone(),
            names,
        };
        if self.keys.len() >= MAX_KEYS && self.keys.last_key_value().is_some_and(|(last, _)| key > last.as_str()) {
            self.more += records;
        } else {
            self.add(key.to_string(), finding);
        }
    }

    /// Looks at a span or log record that no module claimed: its attributes, and a log
    /// record's body.
    pub(super) fn record(
        &mut self,
        attrs: &[KeyValue<'_>],
        body: Option<&AttrValue<'_>>,
        signal: Signal,
        record: &Record<'_, '_>,
    ) {
        for kv in attrs {
            let Some(raw) = kv.value else { continue };
            if self.judged.get(&kv.key, key_says_usage) && LazyValue::new(raw).count().is_ok_and(|n| n.is_some()) {
                self.found(&kv.key, 0, signal, record, 1);
            } else if let Some(names) = usage_inside(&raw) {
                self.found(&kv.key, names, signal, record, 1);
            }
        }
        if let Some(names) = body.and_then(usage_inside) {
            self.found(BODY, names, signal, record, 1);
        }
    }

    /// Looks at a metric no module read: a unit or a name that says tokens is usage,
    /// unless it is a time (`time_to_first_token` in seconds).
    pub(super) fn metric(&mut self, name: &str, unit: &str, points: u64, record: &Record<'_, '_>) {
        let says_tokens = |text: &str| IN_KEY.find_iter(text).any(|m| m.pattern().as_usize() == 0);
        let time = matches!(unit, "s" | "ms" | "us" | "ns" | "min" | "h");
        if points > 0 && (says_tokens(unit) || (says_tokens(name) && !time)) {
            self.found(name, 0, Signal::Metrics, record, points);
        }
    }
}

/// Whether `a` comes before `b` in input order (files by name, then place in the file).
fn earlier(a: &Location, b: &Location) -> bool {
    let place = |l: &Location| match l.at {
        Position::Line(n) | Position::Offset(n) => n,
        Position::Whole => 0,
    };
    (&*a.file, place(a)) < (&*b.file, place(b))
}

/// `*token*`, `*usage*`, or a last segment that is `prompt(s)` or `completion(s)`.
///
/// Asked of every attribute of every unclaimed span: one pass over the key's bytes, no
/// searcher set up per key, no splitting (the words are found by their rarest letter).
fn key_says_usage(key: &str) -> bool {
    let bytes = key.as_bytes();
    // Most keys hold neither `k` nor `g` and end in none of `t`, `s`, `n`: out at once.
    let ends_like_a_word = bytes.last().is_some_and(|b| matches!(b | 0x20, b't' | b's' | b'n'));
    if !ends_like_a_word && !holds_letter(bytes, b'k', b'g') {
        return false;
    }
    let word_at = |start: Option<usize>, word: &[u8]| {
        start.and_then(|s| bytes.get(s..s + word.len())).is_some_and(|w| w.eq_ignore_ascii_case(word))
    };
    let holds = bytes.iter().enumerate().any(|(i, b)| match b | 0x20 {
        b'k' => word_at(i.checked_sub(2), b"token"),
        b'g' => word_at(i.checked_sub(3), b"usage"),
        _ => false,
    });
    let last_segment_is = |word: &[u8]| {
        let start = bytes.len().checked_sub(word.len());
        word_at(start, word) && start.is_some_and(|s| s == 0 || bytes[s - 1] == b'.')
    };
    holds || [&b"prompt"[..], b"prompts", b"completion", b"completions"].into_iter().any(last_segment_is)
}

/// The usage names found in a value's encoded bytes (the text of a string value is in
/// them as written, JSON-escaped or not), each followed by `:` or `=` and a number.
fn usage_inside(raw: &AttrValue<'_>) -> Option<u16> {
    let bytes = match raw {
        AttrValue::Json(r) => r.as_bytes(),
        AttrValue::Plain(r) => r.get().as_bytes(),
        AttrValue::Proto(b) => b,
    };
    if bytes.len() < SHORTEST_USAGE {
        return None;
    }
    if !holds_letter(bytes, b'k', b'k') {
        return None;
    }
    OKEN.find(bytes)?;
    let mut names = 0u16;
    for m in IN_VALUE.find_iter(bytes) {
        if number_follows(&bytes[m.end()..]) {
            names |= 1 << m.pattern().as_usize();
        }
    }
    (names != 0).then_some(names)
}

/// Whether `bytes` hold the ASCII letter `a` or `b` (given in lower case) in either case.
/// Eight bytes at a time (a byte equal to the letter is a zero byte after an XOR, found by
/// the classic has-zero-byte test): most keys and values are too short for a searcher to
/// pay, and a byte loop costs ~12 instructions a byte.
pub(super) fn holds_letter(bytes: &[u8], a: u8, b: u8) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const LOWER: u64 = ONES * 0x20;
    let has_zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & (ONES * 0x80) != 0;
    let (a, b) = (ONES * u64::from(a), ONES * u64::from(b));
    let word_holds = |word: u64| {
        let v = word | LOWER;
        has_zero_byte(v ^ a) || has_zero_byte(v ^ b)
    };
    let Some(last) = bytes.len().checked_sub(8) else {
        // Fewer than eight: packed into a word of spaces (no letter once lowered), with no
        // copy call.
        return word_holds(bytes.iter().fold(LOWER, |word, &c| word << 8 | u64::from(c)));
    };
    let word_at = |at: usize| u64::from_ne_bytes(bytes[at..at + 8].try_into().expect("eight bytes"));
    // The whole words, then the last eight bytes (they may overlap the words before: only
    // whether some byte is the letter matters).
    (0..bytes.len() / 8).any(|i| word_holds(word_at(i * 8))) || word_holds(word_at(last))
}

/// `": 12`, `\":12`, `'=12`, `= "12"`: closing quotes (escaped or not), `:` or `=`, then
/// a digit, with spaces and quotes between.
fn number_follows(after: &[u8]) -> bool {
    let after = &after[..after.len().min(16)];
    let past_quotes = |mut i: usize| {
        while after.get(i).is_some_and(|b| matches!(b, b'"' | b'\'' | b'\\' | b' ')) {
            i += 1;
        }
        i
    };
    let at = past_quotes(0);
    matches!(after.get(at), Some(b':' | b'=')) && after.get(past_quotes(at + 1)).is_some_and(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inside(text: &str) -> Vec<&'static str> {
        let raw: &'static str = serde_json::json!({ "stringValue": text }).to_string().leak();
        let names = usage_inside(&AttrValue::Json(raw)).unwrap_or(0);
        NAMES.iter().enumerate().filter(|(i, _)| names & (1 << i) != 0).map(|(_, n)| *n).collect()
    }

    #[test]
    fn usage_names_followed_by_a_number_are_found_in_json_reprs_and_escapes() {
        assert_eq!(inside(r#"{"prompt_tokens":1200,"completion_tokens":80}"#), ["prompt_tokens", "completion_tokens"]);
        assert_eq!(
            inside("CompletionUsage(completion_tokens=17, prompt_tokens=1258)"),
            ["prompt_tokens", "completion_tokens"]
        );
        assert_eq!(inside(r#"{'usage': {'InputTokens': 5}}"#), ["inputTokens"]);
        assert_eq!(inside(r#"{"usageMetadata": {"promptTokenCount": "12"}}"#), ["promptTokenCount"]);
        // Named but not a count: prose, nulls, other fields.
        assert!(inside("what are prompt_tokens? they are counted").is_empty());
        assert!(inside(r#"{"prompt_tokens": null, "output_tokens_limit": 5}"#).is_empty());
    }

    #[test]
    fn keys_that_say_usage() {
        for key in ["acme.tokens.in", "llm.TokenCount", "acme.usage", "x.prompt", "y.Completions"] {
            assert!(key_says_usage(key), "{key}");
        }
        for key in ["prompt_length", "gen_ai.prompt.0.content", "http.status_code", "completion_id.x"] {
            assert!(!key_says_usage(key), "{key}");
        }
    }

    proptest::proptest! {
        /// The word-at-a-time test says what a byte loop says.
        #[test]
        fn letters_are_found_in_either_case(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40), a in b'a'..=b'z', b in b'a'..=b'z') {
            let looped = bytes.iter().any(|c| c.to_ascii_lowercase() == a || c.to_ascii_lowercase() == b);
            proptest::prop_assert_eq!(holds_letter(&bytes, a, b), looped);
        }

        /// The one-pass scan says what the plain definition says: the words anywhere in any
        /// case, or a last dotted segment that is one of the four.
        #[test]
        fn key_scan_matches_its_definition(key in "[a-zA-Z._]{0,6}(token|TOKEN|Usage|usage|prompt|Prompts|completion|completions|tOKEn)?[a-zA-Z._]{0,6}") {
            let lower = key.to_ascii_lowercase();
            let last = lower.rsplit('.').next().unwrap_or(&lower);
            let defined = lower.contains("token")
                || lower.contains("usage")
                || ["prompt", "prompts", "completion", "completions"].contains(&last);
            proptest::prop_assert_eq!(key_says_usage(&key), defined, "{}", key);
        }
    }

    #[test]
    fn the_least_keys_are_kept_whatever_the_order() {
        let finding = |n: u64| Finding {
            records: n,
            signal: Signal::Traces,
            scope: String::new(),
            service: None,
            example: Location { file: "f".into(), at: Position::Line(n) },
            names: 0,
        };
        let keys: Vec<String> = (0..MAX_KEYS + 10).map(|i| format!("k{i:03}")).collect();
        let mut forward = Unread::default();
        let mut backward = Unread::default();
        for k in &keys {
            forward.add(k.clone(), finding(1));
        }
        for k in keys.iter().rev() {
            backward.add(k.clone(), finding(1));
        }
        assert_eq!(forward, backward);
        assert_eq!(forward.keys.len(), MAX_KEYS);
        assert_eq!(forward.records(), keys.len() as u64);
    }
}
