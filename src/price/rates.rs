//! Exact per-Mtok rates, tiers, dated price sets, and the cost of one request.
//! Every number is a `Decimal` parsed from its JSON text; no f64 anywhere.

use crate::model::{TokenBuckets, TokenType};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::str::FromStr;

/// Parse a JSON number from its source text, exactly. Rejects negatives and non-numbers.
pub(crate) fn decimal_from_json(text: &str) -> anyhow::Result<Decimal> {
    let text = text.trim();
    let d = match Decimal::from_str_exact(text) {
        Ok(d) => d,
        Err(_) if text.contains(['e', 'E']) => Decimal::from_scientific(&text.to_ascii_lowercase())
            .or_else(|_| Decimal::from_str(text))
            .map_err(|e| anyhow::anyhow!("bad price number {text:?}: {e}"))?,
        Err(e) => anyhow::bail!("bad price number {text:?}: {e}"),
    };
    anyhow::ensure!(!d.is_sign_negative() || d.is_zero(), "negative price {text:?}");
    anyhow::ensure!(d <= Decimal::from(super::MAX_PRICE), "price {text} is beyond {}", super::MAX_PRICE);
    Ok(d.normalize())
}

/// A per-million-token rate, possibly tiered by the request's total input tokens.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Rate {
    Flat(Decimal),
    /// genai-prices "cliff" tiers: when the request's total input tokens are strictly
    /// greater than a tier's `start`, ALL tokens of this type pay that tier's price.
    /// `tiers` is sorted by start, ascending.
    Tiered {
        base: Decimal,
        tiers: Vec<(u64, Decimal)>,
    },
}

impl Rate {
    /// The rate for a request with `total_input` input-side tokens, and the tier start applied.
    pub(crate) fn at(&self, total_input: u64) -> (Decimal, Option<u64>) {
        match self {
            Rate::Flat(d) => (*d, None),
            Rate::Tiered { base, tiers } => tiers
                .iter()
                .rev()
                .find(|(start, _)| total_input > *start)
                .map_or((*base, None), |(start, p)| (*p, Some(*start))),
        }
    }

    /// Parse a genai-prices value: a number, or `{base, tiers: [{start, price}]}`.
    pub(crate) fn from_genai(raw: &RawValue) -> anyhow::Result<Rate> {
        #[derive(Deserialize)]
        struct RawTier<'a> {
            start: u64,
            #[serde(borrow)]
            price: &'a RawValue,
        }
        #[derive(Deserialize)]
        struct RawTiered<'a> {
            #[serde(borrow)]
            base: &'a RawValue,
            #[serde(borrow)]
            tiers: Vec<RawTier<'a>>,
        }
        if raw.get().trim_start().starts_with('{') {
            let t: RawTiered = serde_json::from_str(raw.get())?;
            let mut tiers = t
                .tiers
                .iter()
                .map(|t| Ok((t.start, decimal_from_json(t.price.get())?)))
                .collect::<anyhow::Result<Vec<_>>>()?;
            tiers.sort_by_key(|t| t.0);
            Ok(Rate::Tiered { base: decimal_from_json(t.base.get())?, tiers })
        } else {
            Ok(Rate::Flat(decimal_from_json(raw.get())?))
        }
    }
}

/// The rates of one price set, per million tokens.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct PriceSet {
    pub input: Option<Rate>,
    pub cache_read: Option<Rate>,
    /// Cache writes with the default (5 minute) lifetime, or unknown lifetime.
    pub cache_write: Option<Rate>,
    pub cache_write_1h: Option<Rate>,
    pub output: Option<Rate>,
    /// A distinct rate for reasoning tokens (a subset of output), when the entry has one.
    pub reasoning: Option<Rate>,
    /// A fee per 1000 requests (genai-prices `requests_kcount`), on top of the tokens.
    pub requests: Option<Rate>,
}

impl PriceSet {
    /// The rates by bucket name, for listings.
    pub(crate) fn describe(&self) -> std::collections::BTreeMap<&'static str, crate::price::RateInfo> {
        let mut out = std::collections::BTreeMap::new();
        for (k, r) in [
            ("input", &self.input),
            ("cache_read", &self.cache_read),
            ("cache_write_5m", &self.cache_write),
            ("cache_write_1h", &self.cache_write_1h),
            ("output", &self.output),
            ("reasoning", &self.reasoning),
            ("request_kcount", &self.requests),
        ] {
            let Some(r) = r else { continue };
            let info = match r {
                Rate::Flat(d) => crate::price::RateInfo { base: *d, tiers: Vec::new() },
                Rate::Tiered { base, tiers } => crate::price::RateInfo {
                    base: *base,
                    tiers: tiers.iter().map(|(s, p)| (*s, p.normalize().to_string())).collect(),
                },
            };
            out.insert(k, info);
        }
        out
    }
}

/// When a price set applies.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Constraint {
    Always,
    /// From this UTC day (days since 1970-01-01) on.
    StartDay {
        day: i64,
        date: std::sync::Arc<str>,
    },
    /// Daily UTC interval `[start, end)` in seconds of the day (genai-prices
    /// `TimeOfDateConstraint`, e.g. DeepSeek peak hours).
    TimeOfDay {
        start_s: u32,
        end_s: u32,
    },
    /// A constraint we cannot evaluate: never active, so the base entry is used.
    Unsupported,
}

/// The unit rates a quote applied, per million tokens (after tier selection and fallbacks).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppliedRates {
    pub input: Option<Decimal>,
    pub cache_read: Option<Decimal>,
    pub cache_write_5m: Option<Decimal>,
    pub cache_write_1h: Option<Decimal>,
    pub output: Option<Decimal>,
    /// Only set when reasoning tokens were billed at a distinct rate.
    pub reasoning: Option<Decimal>,
    /// USD per 1000 requests, when the price has a per-request fee.
    pub request: Option<Decimal>,
}

pub(crate) struct Costed {
    /// The sum of `by_type`.
    pub cost: Decimal,
    /// Tokens billed and their cost, per `TokenType::ALL`.
    pub billed: [u64; TokenType::COUNT],
    pub by_type: [Decimal; TokenType::COUNT],
    pub rates: AppliedRates,
    pub tier: Option<u64>,
}

impl PriceSet {
    /// Cost of one call that stands for `requests` requests. `None` when a bucket with
    /// tokens has no applicable rate (the call is then unpriced rather than silently
    /// under-priced) or on arithmetic overflow.
    ///
    /// `service`: a service tier's rates; each bucket it has a rate for is priced at it, the
    /// others at this set's (standard) rates. Fallbacks: cache reads without a cache-read
    /// rate pay the input rate; 1h cache writes without a 1h rate pay the default
    /// cache-write rate; cache writes without any cache-write rate pay the input rate (the
    /// tokens were processed as input). The per-request fee, if any, is added on top.
    pub(crate) fn cost(&self, service: Option<&PriceSet>, t: &TokenBuckets, requests: u64) -> Option<Costed> {
        // Saturating: `TokenBuckets::total_input` would overflow (and panic in debug) on
        // absurd counts; an overflowing request is then rejected by the checked maths below.
        let total_input =
            t.input.saturating_add(t.cache_read).saturating_add(t.cache_write_5m).saturating_add(t.cache_write_1h);
        let mut tier: Option<u64> = None;
        let mut at = |r: Option<&Rate>| {
            r.map(|r| {
                let (p, s) = r.at(total_input);
                if s.is_some() {
                    tier = tier.max(s);
                }
                p
            })
        };
        let rate = |f: fn(&PriceSet) -> &Option<Rate>| service.and_then(|s| f(s).as_ref()).or(f(self).as_ref());
        let input = at(rate(|s| &s.input));
        let cache_read = at(rate(|s| &s.cache_read)).or(input);
        let cache_write_5m = at(rate(|s| &s.cache_write)).or(input);
        let cache_write_1h = at(rate(|s| &s.cache_write_1h)).or(cache_write_5m);
        let output = at(rate(|s| &s.output));
        let reasoning = if t.reasoning > 0 { at(rate(|s| &s.reasoning)) } else { None };
        let request = at(rate(|s| &s.requests));

        let reasoning_billed = t.reasoning.min(t.output);
        let (plain_output, reasoning_tokens) = match reasoning {
            Some(_) => (t.output - reasoning_billed, reasoning_billed),
            None => (t.output, 0),
        };
        let parts = [
            (t.input, input),
            (t.cache_read, cache_read),
            (t.cache_write_5m, cache_write_5m),
            (t.cache_write_1h, cache_write_1h),
            (plain_output, output),
            (reasoning_tokens, reasoning),
        ];
        // Each type is costed on its own and the call's cost is their sum, so exports split
        // by token type add up to it exactly.
        let mut billed = [0; TokenType::COUNT];
        let mut by_type = [Decimal::ZERO; TokenType::COUNT];
        let mut cost = Decimal::ZERO;
        // A price without a request fee charges none: requests never make a call unpriced.
        let requests = if request.is_some() { requests } else { 0 };
        let parts = parts.into_iter().chain([(requests, request)]);
        for (i, (n, rate)) in parts.enumerate() {
            if n == 0 {
                continue;
            }
            billed[i] = n;
            by_type[i] = per_unit(Decimal::from(n).checked_mul(rate?)?, u64::from(TokenType::ALL[i].per()))?;
            cost = cost.checked_add(by_type[i])?;
        }
        Some(Costed {
            cost,
            billed,
            by_type,
            rates: AppliedRates { input, cache_read, cache_write_5m, cache_write_1h, output, reasoning, request },
            tier,
        })
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian `YYYY-MM-DD`.
pub(crate) fn parse_day(s: &str) -> Option<i64> {
    let mut it = s.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.get(..2)?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Seconds of the UTC day of `HH:MM[:SS[.fff]][Z|+HH:MM|-HH:MM]`.
pub(crate) fn parse_time_of_day(s: &str) -> Option<u32> {
    let s = s.trim();
    let (clock, offset_s): (&str, i64) = if let Some(c) = s.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else if let Some(i) = s.rfind(['+', '-']).filter(|&i| i >= 5) {
        let sign = if s.as_bytes()[i] == b'-' { -1 } else { 1 };
        let off = &s[i + 1..];
        let (oh, om) = off.split_once(':').unwrap_or((off, "0"));
        (&s[..i], sign * (oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60))
    } else {
        (s, 0)
    };
    let mut it = clock.split(':');
    let h: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let sec: i64 = it.next().map_or(Some(0), |x| x.split('.').next()?.parse().ok())?;
    if h > 24 || m > 59 || sec > 60 {
        return None;
    }
    // Local clock minus offset = UTC.
    Some((h * 3600 + m * 60 + sec - offset_s).rem_euclid(86_400) as u32)
}

/// `amount` / `per` (a price unit: a million tokens, a thousand requests), exactly. For a
/// power of ten, raising the scale is that division without its cost; only a value
/// already at the finest scales, or another unit, needs the real division.
fn per_unit(amount: Decimal, per: u64) -> Option<Decimal> {
    let digits = per.checked_ilog10().filter(|d| 10u64.pow(*d) == per);
    let mut v = amount;
    match digits.map(|d| v.set_scale(v.scale() + d)) {
        Some(Ok(())) => Some(v),
        _ => amount.checked_div(Decimal::from(per)),
    }
}

#[cfg(test)]
mod per_mtok_tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn shifting_the_scale_divides_exactly() {
        let d = |s| Decimal::from_str(s).unwrap();
        assert_eq!(per_unit(d("216"), 1_000_000), Some(d("0.000216")));
        assert_eq!(per_unit(d("460.8"), 1_000_000), Some(d("0.0004608")));
        assert_eq!(per_unit(d("5"), 1000), Some(d("0.005")));
        assert_eq!(per_unit(d("5"), 3), d("5").checked_div(d("3")));
        // At the finest scale the real division takes over (and rounds only past 28 digits).
        let fine = Decimal::from_i128_with_scale(123, 27);
        assert_eq!(per_unit(fine, 1_000_000), fine.checked_div(Decimal::from(1_000_000)));
    }
}
