//! Usage read from metric points. Points are kept as they are (with their temporality)
//! for reconcile, which turns cumulative series into deltas before anything is summed.

use super::usage::InputCache;
use super::Record;
use crate::decode::{HistogramPoint, KeyValue, NumberPoint, NO_RECORDED_VALUE};
use crate::model::route::Route;
use crate::model::{stable_hasher, Emitter, Location};
use rust_decimal::Decimal;
use std::hash::{Hash, Hasher};

/// Which `RawUsage` field a token metric point adds to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UsageField {
    Input,
    Output,
    CacheRead,
    CacheWrite,
    CacheWrite1h,
    Reasoning,
}

/// What a metric point measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Measure {
    Tokens(UsageField),
    /// A cost the emitter computed, in USD.
    CostUsd,
    /// A number of calls (e.g. a token histogram's count).
    Calls,
}

/// One metric data point that carries usage.
#[derive(Clone, Debug)]
pub struct MetricPoint {
    pub emitter: Emitter,
    /// The time series: resource, scope, metric name, every point attribute, and what is
    /// measured (a histogram's sum and count are two series). Cumulative points are
    /// differenced within it.
    pub stream: u64,
    /// The series without its metric name and its split attribute (e.g. the token type):
    /// usage of one group at one time is one observation.
    pub group: u64,
    pub cumulative: bool,
    pub start_ns: u64,
    pub time_ns: u64,
    pub value: Decimal,
    pub measure: Measure,
    pub input_cache: InputCache,
    pub model: Option<String>,
    pub provider: Option<String>,
    pub session: Option<String>,
    pub instance: Option<String>,
    pub service: Option<String>,
    pub dims: Vec<Option<String>>,
    pub route: Option<Route>,
    pub location: Location,
}

/// A point's value and times, or `None` for points that carry no usage value.
pub struct PointValue {
    pub start_ns: u64,
    pub time_ns: u64,
    pub value: Decimal,
    /// For histograms: how many measurements the sum covers.
    pub count: Option<u64>,
}

pub fn number_value(p: &NumberPoint<'_>) -> Option<PointValue> {
    if p.flags & NO_RECORDED_VALUE != 0 {
        return None;
    }
    let value = match (p.as_int, p.as_double) {
        (Some(i), _) => Decimal::from(i),
        (None, Some(d)) => d.to_decimal()?,
        (None, None) => Decimal::ZERO,
    };
    Some(PointValue { start_ns: p.start_time_unix_nano, time_ns: p.time_unix_nano, value, count: None })
}

pub fn histogram_value(p: &HistogramPoint<'_>) -> Option<PointValue> {
    if p.flags & NO_RECORDED_VALUE != 0 {
        return None;
    }
    let value = match p.sum {
        Some(d) => d.to_decimal()?,
        None if p.count == 0 => Decimal::ZERO,
        None => return None,
    };
    Some(PointValue { start_ns: p.start_time_unix_nano, time_ns: p.time_unix_nano, value, count: Some(p.count) })
}

/// OTLP aggregation temporality: 1 delta, 2 cumulative; anything else is not summable.
pub fn is_cumulative(temporality: i32) -> Option<bool> {
    match temporality {
        1 => Some(false),
        2 => Some(true),
        _ => None,
    }
}

impl Record<'_, '_> {
    /// A metric point of this record's resource and scope. `split_key` names the point
    /// attribute that splits one group's usage across series (e.g. the token type).
    #[allow(clippy::too_many_arguments)]
    pub fn metric_point(
        &self,
        emitter: Emitter,
        metric_name: &str,
        point_attrs: &[KeyValue<'_>],
        split_key: Option<&str>,
        cumulative: bool,
        value: &PointValue,
        measure: Measure,
        input_cache: InputCache,
    ) -> MetricPoint {
        let mut group = stable_hasher();
        self.resource.hash.hash(&mut group);
        self.scope.hash(&mut group);
        // Two senders on two routes are two series, however alike their resources.
        self.route.hash(&mut group);
        let mut attrs: Vec<(&str, Option<String>)> =
            point_attrs.iter().map(|kv| (&*kv.key, kv.value.and_then(|v| v.get().render()))).collect();
        attrs.sort();
        for (key, value) in &attrs {
            if Some(*key) != split_key {
                (key, value).hash(&mut group);
            }
        }
        let group = group.finish();
        let mut stream = stable_hasher();
        (group, metric_name, measure).hash(&mut stream);
        if let Some(split) = split_key {
            attrs.iter().find(|(k, _)| *k == split).hash(&mut stream);
        }
        let record = Record { attrs: point_attrs, ..*self };
        MetricPoint {
            emitter,
            stream: stream.finish(),
            group,
            cumulative,
            start_ns: value.start_ns,
            time_ns: value.time_ns,
            value: value.value,
            measure,
            input_cache,
            model: None,
            provider: None,
            session: None,
            instance: self.resource.instance.clone(),
            service: self.resource.service.clone(),
            dims: record.dims(),
            route: self.route.cloned(),
            location: self.location.clone(),
        }
    }
}
