//! Raw usage as an emitter reports it, and its normalisation into exclusive buckets.

use super::key_cache::KeyCache;
use super::metric::UsageField;
use crate::decode::{BadNumber, KeyValue, Value};
use crate::model::Problem;
use crate::model::{Location, Observation, TokenBuckets};
use rust_decimal::Decimal;
use std::cell::RefCell;

/// How an emitter's input count relates to its cache counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputCache {
    /// Input counts cache reads and writes too (semconv v1.40+, OpenAI): subtract them.
    Includes,
    /// Input excludes cache tokens (Anthropic's API, Claude Code).
    Excludes,
    /// Not stated: inclusive when input is at least the cache tokens, else exclusive.
    Infer,
}

/// Token counts as found on a record, before normalisation. `None` = attribute absent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RawUsage {
    pub input: Option<u64>,
    pub output: Option<u64>,
    pub cache_read: Option<u64>,
    pub cache_write: Option<u64>,
    pub cache_write_1h: Option<u64>,
    pub reasoning: Option<u64>,
}

impl RawUsage {
    /// Reads the count attributes an emitter names, each into its field; for a field
    /// named twice, the first name present wins. Malformed counts read as absent.
    pub fn read(attrs: &[KeyValue<'_>], names: &[(&str, UsageField)]) -> RawUsage {
        let mut u = RawUsage::default();
        for (key, field) in names {
            let slot = match field {
                UsageField::Input => &mut u.input,
                UsageField::Output => &mut u.output,
                UsageField::CacheRead => &mut u.cache_read,
                UsageField::CacheWrite => &mut u.cache_write,
                UsageField::CacheWrite1h => &mut u.cache_write_1h,
                UsageField::Reasoning => &mut u.reasoning,
            };
            if slot.is_none() {
                *slot = super::lookup(attrs, key).and_then(|v| v.as_count());
            }
        }
        u
    }

    pub fn is_present(&self) -> bool {
        self.input.is_some() || self.output.is_some()
    }

    /// Exclusive buckets: uncached input never bills cache tokens twice, and reasoning
    /// stays a subset of output.
    pub fn buckets(&self, input_cache: InputCache) -> TokenBuckets {
        let cache_read = self.cache_read.unwrap_or(0);
        let cache_write_1h = self.cache_write_1h.unwrap_or(0);
        // cache_write is the total written; the 1h part, when stated, is carved out of it.
        let cache_write_total = self.cache_write.unwrap_or(0).max(cache_write_1h);
        let cached = cache_read.saturating_add(cache_write_total);
        let input = self.input.unwrap_or(0);
        let includes = match input_cache {
            InputCache::Includes => true,
            InputCache::Excludes => false,
            InputCache::Infer => input >= cached,
        };
        let output = self.output.unwrap_or(0);
        let reasoning = self.reasoning.unwrap_or(0);
        TokenBuckets {
            // An emitter that claims inclusion but reports less input than cache is
            // clamped at zero rather than wrapping.
            input: if includes { input.saturating_sub(cached) } else { input },
            cache_read,
            cache_write_5m: cache_write_total - cache_write_1h,
            cache_write_1h,
            // Reasoning larger than output means the emitter reported them apart.
            output: if reasoning > output { output.saturating_add(reasoning) } else { output },
            reasoning,
        }
    }
}

/// What a usage attribute holds, told by the shape of its key: every emitter's names take
/// one of these shapes (`…_tokens`, `…Tokens`, `tokensIn`, `….token_count.…`, `…cost…`,
/// `….usage.input`), so a new emitter module's values are checked without listing its names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Holds {
    Count,
    /// A cost in 1/`per_usd` USD.
    Cost {
        per_usd: u32,
    },
}

/// The counts of a top-level `tokens` object by bare name.
const TOKENS_NAMES: [&str; 6] = ["input", "output", "cached", "thoughts", "tool", "total"];

fn holds(key: &str) -> Option<Holds> {
    // Runs on every attribute of every record an emitter reads: the key's dots are found
    // once (no searcher set up, no splitter), and the inner segments are looked at last.
    let bytes = key.as_bytes();
    let last_dot = bytes.iter().rposition(|&b| b == b'.');
    let last = &key[last_dot.map_or(0, |d| d + 1)..];
    let ends_ci = |suffix: &str| {
        last.len() >= suffix.len()
            && last.is_char_boundary(last.len() - suffix.len())
            && last[last.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    // The segments between two dots that matter (`a.usage.input`: `usage`), found in one
    // pass: a dot followed by `word.`.
    let (mut inner_token_count, mut inner_cost, mut inner_usage) = (false, false, false);
    for (at, _) in bytes.iter().enumerate().filter(|(_, &b)| b == b'.') {
        let rest = &bytes[at + 1..];
        inner_token_count |= rest.starts_with(b"token_count.");
        inner_cost |= rest.starts_with(b"cost.");
        inner_usage |= rest.starts_with(b"usage.");
    }
    let starts_tokens = last.get(..6).is_some_and(|head| head.eq_ignore_ascii_case("tokens"));
    if ends_ci("tokens") || ends_ci("token_count") || starts_tokens || inner_token_count {
        Some(Holds::Count)
    } else if ends_ci("cost_usd_micros") {
        Some(Holds::Cost { per_usd: 1_000_000 })
    } else if ends_ci("cost") || ends_ci("cost_usd") || inner_cost {
        Some(Holds::Cost { per_usd: 1 })
    } else if ["input", "output", "cacheRead", "cacheWrite"].contains(&last) && inner_usage {
        // A usage object's counts by bare name (pi's `message.usage.input`).
        Some(Holds::Count)
    } else if TOKENS_NAMES.contains(&last) && key.starts_with("tokens.") {
        // A `tokens` object's (Gemini CLI's chat messages, OpenCode's exports).
        Some(Holds::Count)
    } else {
        None
    }
}

/// The longest model name kept: a longer one is cut (and reported), so a hostile name
/// cannot blow up every report row.
pub const MAX_MODEL_CHARS: usize = 200;
/// Record times outside [2000-01-01, 2100-01-01) are reported: such a clock is wrong.
const EARLIEST_NS: u64 = 946_684_800 * 1_000_000_000;
const LATEST_NS: u64 = 4_102_444_800 * 1_000_000_000;
/// How much of a bad value a problem message quotes.
const SEEN_CHARS: usize = 80;

/// Checks the usage values of one record that an emitter module read: every token count
/// and cost that is present but unusable (negative, fractional, non-finite, out of range,
/// not a number, of another type) is a problem naming the record, the key and the value
/// seen. The emitter reads such a value as absent, so the rule is: the call is counted
/// with its valid counts (`counted` = an observation came of the record), else nothing
/// is counted from the record; both are listed and fail `--strict`.
pub(crate) fn check_values(
    attrs: &[KeyValue<'_>],
    record: &dyn Fn() -> String,
    location: &Location,
    counted: bool,
    problems: &mut Vec<Problem>,
) {
    thread_local! {
        /// What [`holds`] said of the keys seen last: a memo of a function of the key alone,
        /// so each thread keeps its own, beside no record.
        static HOLDS: RefCell<KeyCache<Option<Holds>>> = const { RefCell::new(KeyCache::new()) };
    }
    for kv in attrs {
        let Some(raw) = kv.value else { continue };
        let Some(holds) = HOLDS.with_borrow_mut(|cache| cache.get(&kv.key, holds)) else { continue };
        let value = raw.get();
        let bad = match (holds, &value) {
            (_, Value::Invalid(_)) => Some(BadNumber::NotANumber),
            (Holds::Count, v) => v.count().err(),
            (Holds::Cost { per_usd }, v) => v.cost(per_usd).err(),
        };
        let Some(bad) = bad else { continue };
        let what = if matches!(holds, Holds::Count) { "token count" } else { "cost" };
        let rule = if counted { "the call is counted without it" } else { "nothing is counted from this record" };
        problems.push(Problem {
            location: location.clone(),
            message: format!(
                "{}: {} = {}: {what} is {bad}; {rule}",
                record(),
                printable(&kv.key),
                printable(&value.seen())
            ),
        });
    }
}

/// Checks what an emitter module made of a record: a model name beyond
/// [`MAX_MODEL_CHARS`] is cut, a time outside [2000, 2100) is kept as sent; both are
/// reported.
pub(crate) fn check_observation(o: &mut Observation, record: &dyn Fn() -> String, problems: &mut Vec<Problem>) {
    if let Some(model) = &mut o.model {
        if model.chars().count() > MAX_MODEL_CHARS {
            let cut: String = model.chars().take(MAX_MODEL_CHARS).collect();
            problems.push(Problem {
                location: o.location.clone(),
                message: format!(
                    "{}: a model name of {} characters, cut to {MAX_MODEL_CHARS}: {}…; the call is counted under the cut name",
                    record(),
                    model.chars().count(),
                    printable(&cut)
                ),
            });
            *model = cut;
        }
    }
    if o.time_ns != 0 && !(EARLIEST_NS..LATEST_NS).contains(&o.time_ns) {
        let when = jiff::Timestamp::from_nanosecond(i128::from(o.time_ns))
            .map_or_else(|_| format!("{} ns", o.time_ns), |t| t.to_string());
        problems.push(Problem {
            location: o.location.clone(),
            message: format!(
                "{}: time {when} is outside 2000–2100; the call is counted at that time (a --since/--until window leaves it out)",
                record()
            ),
        });
    }
}

/// Checks the points a metric reader took from `metric` (those from `before` on): a
/// negative usage value is reported and the point left out; a point whose double is not
/// finite or beyond a decimal (read as no value) is reported.
pub(crate) fn check_points(
    metric: &crate::decode::Metric<'_>,
    before: usize,
    location: &Location,
    points: &mut Vec<super::MetricPoint>,
    problems: &mut Vec<Problem>,
) {
    let name = printable(&metric.name);
    let numbers =
        metric.sum.iter().flat_map(|s| &s.data_points).chain(metric.gauge.iter().flat_map(|g| &g.data_points));
    for (n, p) in numbers.enumerate() {
        if let Some(d) = p.as_double.filter(|d| d.to_decimal().is_none()) {
            problems.push(Problem {
                location: location.clone(),
                message: format!(
                    "metric {name:?} point {}: value {} is {}; the point is not counted",
                    n + 1,
                    printable(&Value::Double(d).seen()),
                    Value::Double(d).count().err().unwrap_or(BadNumber::NotANumber)
                ),
            });
        }
    }
    let mut taken = points.split_off(before.min(points.len()));
    taken.retain(|p| {
        let max = match p.measure {
            super::Measure::CostUsd => crate::decode::MAX_COST_USD,
            super::Measure::Tokens(_) | super::Measure::Calls => crate::decode::MAX_COUNT,
        };
        let bad = if p.value.is_sign_negative() && !p.value.is_zero() {
            BadNumber::Negative
        } else if p.value > Decimal::from(max) {
            BadNumber::OutOfRange
        } else {
            return true;
        };
        problems.push(Problem {
            location: location.clone(),
            message: format!("metric {name:?}: value {} is {bad}; the point is not counted", p.value),
        });
        false
    });
    points.append(&mut taken);
}

/// Text from a record, safe and short for a one-line message: control characters escaped,
/// at most [`SEEN_CHARS`] characters.
pub(crate) fn printable(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == SEEN_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The one-pass key reading says what the plain definition says.
        #[test]
        fn holds_matches_its_definition(
            key in "([a-zA-Z_]{0,4}|usage|cost|token_count|Tokens|tokens|cost_usd|cost_usd_micros|input|cacheRead)(\\.([a-zA-Z_]{0,4}|usage|cost|token_count|tokens|TOKENS_in|cost_usd|input|output|cacheWrite|cached|total)){0,4}"
        ) {
            let last = key.rsplit('.').next().unwrap_or(&key);
            let ends = |s: &str| last.to_ascii_lowercase().ends_with(&s.to_ascii_lowercase());
            let defined = if ends("tokens") || ends("token_count") || last.to_ascii_lowercase().starts_with("tokens") || key.contains(".token_count.") {
                Some(Holds::Count)
            } else if ends("cost_usd_micros") {
                Some(Holds::Cost { per_usd: 1_000_000 })
            } else if ends("cost") || ends("cost_usd") || key.contains(".cost.") {
                Some(Holds::Cost { per_usd: 1 })
            } else if (key.contains(".usage.") && ["input", "output", "cacheRead", "cacheWrite"].contains(&last))
                || (key.starts_with("tokens.") && TOKENS_NAMES.contains(&last))
            {
                Some(Holds::Count)
            } else {
                None
            };
            proptest::prop_assert_eq!(holds(&key), defined, "{}", key);
        }
    }

    fn raw(input: u64, cache_read: u64, cache_write: u64, output: u64, reasoning: u64) -> RawUsage {
        RawUsage {
            input: Some(input),
            output: Some(output),
            cache_read: Some(cache_read),
            cache_write: Some(cache_write),
            cache_write_1h: None,
            reasoning: Some(reasoning),
        }
    }

    #[test]
    fn inclusive_input_is_reduced_by_cache() {
        let b = raw(3146, 1408, 0, 57, 0).buckets(InputCache::Includes);
        assert_eq!((b.input, b.cache_read, b.output), (1738, 1408, 57));
        assert_eq!(raw(2000, 1024, 512, 10, 0).buckets(InputCache::Infer).input, 464);
        // Less input than cache cannot be inclusive: read as exclusive.
        assert_eq!(raw(1232, 1024, 512, 10, 0).buckets(InputCache::Infer).input, 1232);
        assert_eq!(raw(100, 1024, 512, 10, 0).buckets(InputCache::Includes).input, 0);
    }

    #[test]
    fn exclusive_input_is_kept() {
        let b = raw(3, 7166, 2175, 10, 0).buckets(InputCache::Infer);
        assert_eq!((b.input, b.cache_read, b.cache_write_5m), (3, 7166, 2175));
        let b = raw(1207, 15011, 2505, 43, 0).buckets(InputCache::Excludes);
        assert_eq!(b.total_input(), 1207 + 15011 + 2505);
    }

    #[test]
    fn reasoning_is_a_subset_unless_reported_apart() {
        assert_eq!(raw(10, 0, 0, 293, 256).buckets(InputCache::Includes).output, 293);
        assert_eq!(raw(10, 0, 0, 20, 256).buckets(InputCache::Includes).output, 276);
    }

    #[test]
    fn one_hour_writes_are_part_of_the_total_written() {
        let u = RawUsage { input: Some(0), cache_write: Some(100), cache_write_1h: Some(40), ..Default::default() };
        let b = u.buckets(InputCache::Excludes);
        assert_eq!((b.cache_write_5m, b.cache_write_1h), (60, 40));
    }
}
