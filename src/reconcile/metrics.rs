//! Metric points into usage: temporality first, then grouping.
//!
//! Delta points add. Cumulative series are differenced per stream: each point adds what
//! grew since the previous one; a changed start time or a value that went down starts a
//! new run (a reset), whose first point adds its whole value. The same point exported
//! twice (a retried export, the same dump read twice) adds once.

use crate::extract::{Measure, MetricPoint, RawUsage, UsageField};
use crate::model::{CallKeys, Observation, Role, Signal};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Usage observations from metric points, one per series group and time; also returns
/// how many points were exact repeats.
pub fn observations(mut points: Vec<MetricPoint>) -> (Vec<Observation>, u64) {
    // Stable: input order breaks ties, so the first copy of a repeated point is kept.
    points.sort_by_key(|p| (p.stream, p.time_ns, p.start_ns));
    let mut repeats = 0;
    let mut deltas: Vec<(MetricPoint, Decimal)> = Vec::with_capacity(points.len());
    let mut prev: Option<&MetricPoint> = None;
    for p in &points {
        let same_stream = prev.is_some_and(|q| q.stream == p.stream);
        if same_stream && prev.is_some_and(|q| q.time_ns == p.time_ns && q.start_ns == p.start_ns && q.value == p.value)
        {
            repeats += 1;
            continue;
        }
        let delta = match prev {
            Some(q) if same_stream && p.cumulative && q.start_ns == p.start_ns && p.value >= q.value => {
                p.value - q.value
            }
            _ => p.value,
        };
        prev = Some(p);
        if !delta.is_zero() {
            deltas.push((p.clone(), delta));
        }
    }

    struct Acc {
        first: MetricPoint,
        usage: RawUsage,
        cost: Option<Decimal>,
        calls: u64,
    }
    let mut groups: BTreeMap<(u64, u64), Acc> = BTreeMap::new();
    for (p, delta) in deltas {
        let acc = groups.entry((p.group, p.time_ns)).or_insert_with(|| Acc {
            first: p.clone(),
            usage: RawUsage::default(),
            cost: None,
            calls: 0,
        });
        // Token counts are whole; a fractional delta (a double-valued counter) rounds.
        let count = || u64::try_from(delta.round()).unwrap_or(0);
        let add = |slot: &mut Option<u64>, n: u64| *slot = Some(slot.unwrap_or(0).saturating_add(n));
        match p.measure {
            Measure::Tokens(UsageField::Input) => add(&mut acc.usage.input, count()),
            Measure::Tokens(UsageField::Output) => add(&mut acc.usage.output, count()),
            Measure::Tokens(UsageField::CacheRead) => add(&mut acc.usage.cache_read, count()),
            Measure::Tokens(UsageField::CacheWrite) => add(&mut acc.usage.cache_write, count()),
            Measure::Tokens(UsageField::CacheWrite1h) => add(&mut acc.usage.cache_write_1h, count()),
            Measure::Tokens(UsageField::Reasoning) => add(&mut acc.usage.reasoning, count()),
            Measure::CostUsd => acc.cost = Some(acc.cost.unwrap_or_default() + delta),
            Measure::Calls => acc.calls = acc.calls.saturating_add(count()),
        }
    }
    let observations = groups
        .into_values()
        .map(|acc| {
            let p = acc.first;
            Observation {
                emitter: p.emitter,
                signal: Signal::Metrics,
                role: Role::MetricTotal,
                time_ns: p.time_ns,
                model: p.model,
                provider: p.provider,
                address: None,
                tier: Default::default(),
                operation: None,
                service: p.service,
                tokens: acc.usage.buckets(p.input_cache),
                requests: acc.calls,
                reported_cost: acc.cost,
                session: p.session,
                instance: p.instance,
                keys: CallKeys::default(),
                scope: 0,
                secondhand: false,
                partial: false,
                span: None,
                dims: p.dims,
                route: p.route,
                location: p.location,
                start_ns: p.time_ns,
                layer: 0,
                root: false,
                estimated: false,
                unmeasured_joined: 0,
            }
        })
        .collect();
    (observations, repeats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::InputCache;
    use crate::model::{Emitter, Location, Position};

    fn point(
        stream: u64,
        group: u64,
        cumulative: bool,
        start: u64,
        time: u64,
        value: i64,
        field: UsageField,
    ) -> MetricPoint {
        MetricPoint {
            emitter: Emitter::Semconv,
            stream,
            group,
            cumulative,
            start_ns: start,
            time_ns: time,
            value: Decimal::from(value),
            measure: Measure::Tokens(field),
            input_cache: InputCache::Excludes,
            model: Some("m".into()),
            provider: None,
            session: None,
            instance: None,
            service: None,
            dims: vec![],
            route: None,
            location: Location { file: "f".into(), at: Position::Whole },
        }
    }

    fn input_total(obs: &[Observation]) -> u64 {
        obs.iter().map(|o| o.tokens.input).sum()
    }

    #[test]
    fn cumulative_points_are_differenced_and_resets_restart() {
        let pts = vec![
            point(1, 1, true, 10, 20, 100, UsageField::Input),
            point(1, 1, true, 10, 30, 100, UsageField::Input), // nothing new
            point(1, 1, true, 10, 40, 250, UsageField::Input), // +150
            point(1, 1, true, 45, 50, 30, UsageField::Input),  // new start: a reset, +30
            point(1, 1, true, 45, 60, 20, UsageField::Input),  // went down: a reset, +20
        ];
        let (obs, repeats) = observations(pts);
        assert_eq!((input_total(&obs), repeats), (300, 0));
    }

    #[test]
    fn delta_points_add_and_repeats_count_once() {
        let pts = vec![
            point(1, 1, false, 10, 20, 100, UsageField::Input),
            point(1, 1, false, 20, 30, 5, UsageField::Input),
            point(1, 1, false, 20, 30, 5, UsageField::Input), // retried export
        ];
        let (obs, repeats) = observations(pts);
        assert_eq!((input_total(&obs), repeats), (105, 1));
    }

    #[test]
    fn series_of_one_group_join_into_one_observation() {
        let pts =
            vec![point(1, 7, false, 0, 20, 100, UsageField::Input), point(2, 7, false, 0, 20, 9, UsageField::Output)];
        let (obs, _) = observations(pts);
        assert_eq!(obs.len(), 1);
        assert_eq!((obs[0].tokens.input, obs[0].tokens.output), (100, 9));
    }
}
