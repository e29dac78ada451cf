//! What the pictures of a report need beside its rows: the period the calls cover, the
//! cost over time by the first `--by` dimension, and per model the token mix, what cache
//! reads saved and which prices applied. Gathered in the same pass as the rows (`group`)
//! and carried in the JSON report, so `merge` keeps it and every format renders one `Report`.

use super::dimensions::{civil_bucket, Bucket, Dimension, Grouping};
use super::Totals;
use crate::model::{Call, TokenType};
use crate::price::PricedCall;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overview {
    /// The first and last call time (unix ns) among the calls with a timestamp.
    pub period: Option<(u64, u64)>,
    /// The `--timezone` the time buckets are in (an IANA name; `UTC` by default).
    pub time_zone: String,
    /// The dimension the charts split the cost by: the first `--by` dimension that is not
    /// a time bucket; `None` for one series.
    pub dimension: Option<String>,
    /// Totals per value of `dimension` (one `""` group without one), most expensive first.
    pub groups: Vec<(String, Totals)>,
    /// Cost over time; `None` when no call has a timestamp (or merged reports disagree).
    pub timeline: Option<Timeline>,
    /// Per model and provider, most expensive first.
    pub models: Vec<ModelUsage>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    /// The first time bucket in `--by`, else chosen from the period (`Bucket::for_span`).
    pub bucket: Bucket,
    /// (bucket label, value of `Overview::dimension`) → totals; labels sort in time order.
    pub points: BTreeMap<(String, String), Totals>,
    /// Calls with no timestamp: in the report, not on the timeline.
    pub untimed_requests: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelUsage {
    pub model: String,
    pub provider: Option<String>,
    pub totals: Totals,
    /// What the cache reads would have cost at the input rate, minus what they cost;
    /// `None` when none of the model's calls was priced.
    pub cache_read_saved: Option<Decimal>,
    pub prices: BTreeSet<PriceSource>,
}

/// Where a price came from: the catalog entry, its source and its effective date.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PriceSource {
    pub entry: Arc<str>,
    pub source: String,
    pub effective_from: Option<Arc<str>>,
}

impl Bucket {
    /// The bucket that shows a period of `span_ns` in a readable number of bars: hours up
    /// to three days, days up to four months, weeks beyond.
    pub fn for_span(span_ns: u64) -> Bucket {
        const DAY: u64 = 86_400 * 1_000_000_000;
        if span_ns <= 3 * DAY {
            Bucket::Hour
        } else if span_ns <= 120 * DAY {
            Bucket::Day
        } else {
            Bucket::Week
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Bucket::Hour => "hour",
            Bucket::Day => "day",
            Bucket::Week => "week",
            Bucket::Month => "month",
        }
    }

    pub fn from_name(name: &str) -> Option<Bucket> {
        [Bucket::Hour, Bucket::Day, Bucket::Week, Bucket::Month].into_iter().find(|b| b.name() == name)
    }
}

impl Timeline {
    /// An hourly timeline as a daily one (an hour's label starts with its day).
    fn hours_to_days(&mut self) {
        if self.bucket != Bucket::Hour {
            return;
        }
        let mut days: BTreeMap<(String, String), Totals> = BTreeMap::new();
        for ((label, group), totals) in std::mem::take(&mut self.points) {
            let day = label.split_once(' ').map_or(label.clone(), |(day, _)| day.to_string());
            days.entry((day, group)).or_default().absorb(&totals);
        }
        self.points = days;
        self.bucket = Bucket::Day;
    }

    /// Every bucket from the first to the last point, those without calls included, so
    /// that a chart's gaps are gaps in time (at most `MAX_BUCKETS`).
    pub fn buckets(&self) -> Vec<String> {
        const MAX_BUCKETS: usize = 1000;
        let (Some(((first, _), _)), Some(((last, _), _))) =
            (self.points.first_key_value(), self.points.last_key_value())
        else {
            return Vec::new();
        };
        let parse = |label: &str| -> Option<jiff::civil::DateTime> {
            match self.bucket {
                Bucket::Hour => jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M", label).ok(),
                Bucket::Month => jiff::civil::Date::strptime("%Y-%m-%d", format!("{label}-01")).ok().map(|d| d.into()),
                Bucket::Day | Bucket::Week => label.parse::<jiff::civil::Date>().ok().map(|d| d.into()),
            }
        };
        let step = match self.bucket {
            Bucket::Hour => jiff::Span::new().hours(1),
            Bucket::Day => jiff::Span::new().days(1),
            Bucket::Week => jiff::Span::new().weeks(1),
            Bucket::Month => jiff::Span::new().months(1),
        };
        let labels: BTreeSet<&String> = self.points.keys().map(|(label, _)| label).collect();
        let (Some(mut at), Some(end)) = (parse(first), parse(last)) else {
            return labels.into_iter().cloned().collect();
        };
        let mut out = Vec::new();
        while at <= end && out.len() < MAX_BUCKETS {
            let label = match self.bucket {
                Bucket::Hour => at.strftime("%Y-%m-%d %H:00").to_string(),
                Bucket::Month => at.strftime("%Y-%m").to_string(),
                Bucket::Day | Bucket::Week => at.date().to_string(),
            };
            out.push(label);
            match at.checked_add(step) {
                Ok(next) => at = next,
                Err(_) => break,
            }
        }
        // A label the walk did not produce (a point past MAX_BUCKETS) still shows.
        if labels.iter().any(|l| !out.contains(l)) {
            return labels.into_iter().cloned().collect();
        }
        out
    }
}

/// Collects the overview while `group` collects the rows.
pub(super) struct Collector<'a> {
    grouping: &'a Grouping,
    /// The index in `grouping.dimensions` of the dimension the charts split the cost by.
    stack: Option<usize>,
    /// Local hour → stack value → totals; rolled up into the chosen bucket at the end.
    hours: HashMap<(jiff::civil::DateTime, String), Totals>,
    untimed_requests: u64,
    period: Option<(u64, u64)>,
    groups: HashMap<String, Totals>,
    models: HashMap<(String, Option<String>), ModelUsage>,
}

/// The sums over calls alike in row, hour, model and provider (see `group`).
#[derive(Default)]
pub(super) struct Part {
    pub(super) totals: Totals,
    cache_read_saved: Option<Decimal>,
    prices: BTreeSet<PriceSource>,
}

impl Part {
    pub(super) fn add(&mut self, priced: &PricedCall) {
        self.totals.add(priced);
        if let Some(q) = &priced.quote {
            let read = TokenType::CacheRead as usize;
            // The cache reads at the input rate (after the user's adjustment, as the cost
            // is), minus what they cost.
            let at_input = q.rate(TokenType::Input).and_then(|rate| {
                Decimal::from(q.billed[read]).checked_mul(rate)?.checked_div(Decimal::from(TokenType::CacheRead.per()))
            });
            let saved = at_input.and_then(|a| a.checked_sub(q.cost_by_type[read])).unwrap_or_default();
            self.cache_read_saved = Some(self.cache_read_saved.unwrap_or_default() + saved);
            let source = q.source.name();
            let known = self
                .prices
                .iter()
                .any(|p| p.entry == q.entry && p.source == source && p.effective_from == q.effective_from);
            if !known {
                self.prices.insert(PriceSource {
                    entry: q.entry.clone(),
                    source: source.to_string(),
                    effective_from: q.effective_from.clone(),
                });
            }
        }
    }
}

impl<'a> Collector<'a> {
    pub(super) fn new(grouping: &'a Grouping) -> Self {
        let stack = grouping.dimensions.iter().position(|(_, d)| !matches!(d, Dimension::Time(_)));
        Collector {
            grouping,
            stack,
            hours: HashMap::new(),
            untimed_requests: 0,
            period: None,
            groups: HashMap::new(),
            models: HashMap::new(),
        }
    }

    /// The local hour a call falls in (`None` without a timestamp); widens the period.
    pub(super) fn hour(&mut self, call: &Call) -> Option<jiff::civil::DateTime> {
        let hour = jiff::Timestamp::from_nanosecond(i128::from(call.time_ns))
            .ok()
            .filter(|_| call.time_ns != 0)
            .map(|t| self.grouping.time_zone.to_datetime(t))
            .map(|dt| dt.date().at(dt.hour(), 0, 0, 0));
        match hour {
            Some(_) => {
                let (first, last) = self.period.get_or_insert((call.time_ns, call.time_ns));
                *first = (*first).min(call.time_ns);
                *last = (*last).max(call.time_ns);
            }
            None => self.untimed_requests += call.requests,
        }
        hour
    }

    /// Adds the sums of the calls of one row (`group`, its values in `--by` order) in one
    /// hour with one model.
    pub(super) fn absorb(
        &mut self,
        group: &[String],
        hour: Option<jiff::civil::DateTime>,
        model: String,
        provider: Option<String>,
        part: &Part,
    ) {
        // The stack dimension's value is the row's value for it.
        let value = self.stack.and_then(|i| group.get(i)).cloned().unwrap_or_default();
        if let Some(hour) = hour {
            self.hours.entry((hour, value.clone())).or_default().absorb(&part.totals);
        }
        self.groups.entry(value).or_default().absorb(&part.totals);
        let usage = self.models.entry((model.clone(), provider.clone())).or_insert_with(|| ModelUsage {
            model,
            provider,
            ..Default::default()
        });
        usage.totals.absorb(&part.totals);
        if let Some(saved) = part.cache_read_saved {
            usage.cache_read_saved = Some(usage.cache_read_saved.unwrap_or_default() + saved);
        }
        usage.prices.extend(part.prices.iter().cloned());
    }

    pub(super) fn finish(self) -> Overview {
        let named = self.grouping.dimensions.iter().find_map(|(_, d)| match d {
            Dimension::Time(b) => Some(*b),
            _ => None,
        });
        let timeline = self.period.map(|(first, last)| {
            let bucket = named.unwrap_or_else(|| Bucket::for_span(last - first));
            let mut points: BTreeMap<(String, String), Totals> = BTreeMap::new();
            for ((hour, value), totals) in self.hours {
                let label = civil_bucket(hour, bucket, self.grouping.week_start).unwrap_or_default();
                points.entry((label, value)).or_default().absorb(&totals);
            }
            Timeline { bucket, points, untimed_requests: self.untimed_requests }
        });
        let mut models: Vec<ModelUsage> = self.models.into_values().collect();
        sort_models(&mut models);
        let mut groups: Vec<(String, Totals)> = self.groups.into_iter().collect();
        sort_groups(&mut groups);
        Overview {
            period: self.period,
            time_zone: self.grouping.time_zone.iana_name().unwrap_or("UTC").to_string(),
            dimension: self.stack.map(|i| self.grouping.dimensions[i].0.clone()),
            groups,
            timeline,
            models,
        }
    }
}

/// Most expensive first, unpriced last; ties by name.
fn sort_groups(groups: &mut [(String, Totals)]) {
    groups.sort_by(|a, b| b.1.cost.cmp(&a.1.cost).then_with(|| a.0.cmp(&b.0)));
}

/// Most expensive first, unpriced last; ties by name.
pub(super) fn sort_models(models: &mut [ModelUsage]) {
    models.sort_by(|a, b| {
        b.totals.cost.cmp(&a.totals.cost).then_with(|| a.model.cmp(&b.model)).then_with(|| a.provider.cmp(&b.provider))
    });
}

impl Overview {
    /// Adds another report's overview (`merge`). Timelines in different buckets or split by
    /// different dimensions cannot be summed: the result then has none, and says why.
    pub(super) fn absorb(&mut self, other: Overview, label: &str) -> Option<String> {
        self.period = match (self.period, other.period) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (a, b) => a.or(b),
        };
        let mut note = None;
        let (mut mine, mut theirs) = (self.timeline.take(), other.timeline);
        // Shards of different lengths chose hours or days: days hold both.
        if let (Some(a), Some(b)) = (&mut mine, &mut theirs) {
            if a.bucket != b.bucket && [a.bucket, b.bucket].iter().all(|x| [Bucket::Hour, Bucket::Day].contains(x)) {
                a.hours_to_days();
                b.hours_to_days();
            }
        }
        self.timeline = match (mine, theirs) {
            (Some(mut mine), Some(theirs)) if mine.bucket == theirs.bucket => {
                for (key, totals) in theirs.points {
                    mine.points.entry(key).or_default().absorb(&totals);
                }
                mine.untimed_requests += theirs.untimed_requests;
                Some(mine)
            }
            (None, None) => None,
            (mine, theirs) => {
                let by = |t: &Option<Timeline>| t.as_ref().map_or("none".to_string(), |t| t.bucket.name().to_string());
                note = Some(format!(
                    "{label}: its timeline (by {}) does not add to the others' (by {}): the merged report has none; \
                     make the reports with the same time bucket in --by",
                    by(&theirs),
                    by(&mine)
                ));
                None
            }
        };
        for (value, totals) in other.groups {
            match self.groups.iter_mut().find(|(v, _)| *v == value) {
                Some((_, mine)) => mine.absorb(&totals),
                None => self.groups.push((value, totals)),
            }
        }
        sort_groups(&mut self.groups);
        for theirs in other.models {
            match self.models.iter_mut().find(|m| m.model == theirs.model && m.provider == theirs.provider) {
                Some(mine) => {
                    mine.totals.absorb(&theirs.totals);
                    if let Some(saved) = theirs.cache_read_saved {
                        mine.cache_read_saved = Some(mine.cache_read_saved.unwrap_or_default() + saved);
                    }
                    mine.prices.extend(theirs.prices);
                }
                None => self.models.push(theirs),
            }
        }
        sort_models(&mut self.models);
        note
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeline(bucket: Bucket, labels: &[&str]) -> Timeline {
        let points = labels
            .iter()
            .map(|l| {
                (
                    (l.to_string(), "a".to_string()),
                    Totals { requests: 1, cost: Some(Decimal::ONE), ..Default::default() },
                )
            })
            .collect();
        Timeline { bucket, points, untimed_requests: 0 }
    }

    #[test]
    fn buckets_fill_the_gaps() {
        let t = timeline(Bucket::Hour, &["2026-11-23 22:00", "2026-11-24 01:00"]);
        assert_eq!(t.buckets(), ["2026-11-23 22:00", "2026-11-23 23:00", "2026-11-24 00:00", "2026-11-24 01:00"]);
        let t = timeline(Bucket::Week, &["2026-11-16", "2026-11-30"]);
        assert_eq!(t.buckets(), ["2026-11-16", "2026-11-23", "2026-11-30"]);
        let t = timeline(Bucket::Month, &["2026-11", "2027-01"]);
        assert_eq!(t.buckets(), ["2026-11", "2026-12", "2027-01"]);
    }

    #[test]
    fn hours_and_days_merge_as_days_and_other_buckets_say_why_not() {
        let mut a = Overview {
            timeline: Some(timeline(Bucket::Hour, &["2026-11-23 22:00", "2026-11-23 23:00"])),
            ..Default::default()
        };
        let b = Overview { timeline: Some(timeline(Bucket::Day, &["2026-11-23", "2026-11-24"])), ..Default::default() };
        assert_eq!(a.absorb(b, "b.json"), None);
        let t = a.timeline.as_ref().unwrap();
        assert_eq!(t.bucket, Bucket::Day);
        let costs: Vec<_> = t.points.iter().map(|((l, _), t)| (l.as_str(), t.cost.unwrap())).collect();
        assert_eq!(costs, [("2026-11-23", Decimal::from(3)), ("2026-11-24", Decimal::ONE)]);
        let c = Overview { timeline: Some(timeline(Bucket::Week, &["2026-11-23"])), ..Default::default() };
        let note = a.absorb(c, "c.json").unwrap();
        assert!(note.starts_with("c.json: its timeline (by week) does not add to the others' (by day)"), "{note}");
        assert!(a.timeline.is_none());
    }

    #[test]
    fn the_bucket_follows_the_period() {
        const H: u64 = 3_600_000_000_000;
        assert_eq!(Bucket::for_span(5 * H), Bucket::Hour);
        assert_eq!(Bucket::for_span(72 * H), Bucket::Hour);
        assert_eq!(Bucket::for_span(73 * H), Bucket::Day);
        assert_eq!(Bucket::for_span(120 * 24 * H), Bucket::Day);
        assert_eq!(Bucket::for_span(121 * 24 * H), Bucket::Week);
    }
}
