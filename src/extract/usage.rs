//! Raw usage as an emitter reports it, and its normalisation into exclusive buckets.

use super::metric::UsageField;
use crate::decode::KeyValue;
use crate::model::TokenBuckets;

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

#[cfg(test)]
mod tests {
    use super::*;

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
