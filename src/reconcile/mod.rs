//! Reconcile stage: every real LLM call counted exactly once.
//!
//! Entry point: [`reconcile`]. Three rules, in order:
//! 1. **Same identity, same call.** Observations sharing any identity (trace+span id,
//!    provider response id) are one call. The record kept is the most direct one: a
//!    record with the call's whole usage over one with part of it, a span over a log
//!    event about it, the provider's own record over a wrapper's re-report; among
//!    equals, the first in input order.
//! 2. **Parents do not repeat children.** A span whose usage is not a model call of its
//!    own (an agent or workflow span) counts only when no span below it carries usage;
//!    otherwise it is summing its children, which are counted instead.
//! 3. **Per-call records over metrics.** Metric points (turned into deltas per series,
//!    see `metrics.rs`) count only for a session (or, without one, an emitting process)
//!    that has no per-call record at all: e.g. a session that exported only metrics.
//!
//! Every observation not counted is tallied with its reason.

mod metrics;

use crate::extract::{Extracted, SpanLink};
use crate::model::{Call, FingerprintMap, Location, Observation, Role, ServiceTier, Signal};
use std::collections::{HashMap, HashSet};

/// Why observations were not counted, for the summary and `inspect`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decisions {
    /// Another record of the same call was counted.
    pub duplicates: u64,
    /// A parent span whose usage its descendants already carry.
    pub aggregates: u64,
    /// Metric usage of a session (or process) whose calls per-call records already count.
    pub metrics_covered: u64,
    /// Metric points exported more than once.
    pub metric_repeats: u64,
    /// A few records of each kind not counted, so a user can go and look at them.
    pub examples: Vec<Example>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Duplicate,
    AggregateParent,
    MetricsCovered,
}

impl Reason {
    pub fn describe(self) -> &'static str {
        match self {
            Reason::Duplicate => "the same call as a record counted instead",
            Reason::AggregateParent => "a parent span repeating the usage of spans below it",
            Reason::MetricsCovered => "metric usage of a session whose calls are counted from per-call records",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Example {
    pub reason: Reason,
    pub record: Location,
    /// The record counted in its place, for duplicates.
    pub kept: Option<Location>,
}

impl Decisions {
    const EXAMPLES_PER_REASON: usize = 3;

    fn example(&mut self, reason: Reason, record: &Location, kept: Option<&Location>) {
        if self.examples.iter().filter(|e| e.reason == reason).count() < Self::EXAMPLES_PER_REASON {
            self.examples.push(Example { reason, record: record.clone(), kept: kept.cloned() });
        }
    }
}

pub struct Reconciled {
    pub calls: Vec<Call>,
    pub decisions: Decisions,
}

/// Precedence of signals for the same call: the per-call span first.
fn rank(signal: Signal) -> u8 {
    match signal {
        Signal::Traces => 0,
        Signal::Logs => 1,
        Signal::Metrics => 2,
    }
}

/// `observations` must be in input order (it decides ties deterministically).
pub fn reconcile(extracted: Extracted) -> Reconciled {
    let Extracted { observations, links, metric_points, .. } = extracted;
    let mut decisions = Decisions::default();
    let (metric_observations, repeats) = metrics::observations(metric_points);
    decisions.metric_repeats = repeats;

    // Rule 1, in order of precedence (whole usage, signal, first-hand), input
    // order among equals. Indices are sorted, not the observations: no copy of them all.
    let mut slots: Vec<Option<Observation>> = observations.into_iter().map(Some).collect();
    let key = |o: &Option<Observation>| o.as_ref().map(|o| (o.partial, rank(o.signal), o.secondhand));
    let mut order: Vec<usize> = (0..slots.len()).collect();
    order.sort_by_key(|&i| key(&slots[i]));
    let mut seen: FingerprintMap<usize> = FingerprintMap::with_capacity_and_hasher(slots.len() * 2, Default::default());
    for i in order {
        let Some(keys) = slots[i].as_ref().map(|o| o.keys) else { continue };
        let first = keys.iter().find_map(|k| seen.get(k).copied());
        match first {
            Some(first) => {
                let Some(dup) = slots[i].take() else { continue };
                decisions.duplicates += 1;
                if let Some(kept) = slots[first].as_mut() {
                    decisions.example(Reason::Duplicate, &dup.location, Some(&kept.location));
                    fill_missing(kept, dup);
                }
            }
            None => seen.extend(keys.iter().map(|k| (*k, i))),
        }
    }
    drop(seen);
    let parents = Parents::new(&links);
    inherit_models(&mut slots, &parents);

    // Rule 2: mark every ancestor of a span with usage.
    let covered = spans_with_usage_below(&slots, &parents);
    let mut calls = Vec::with_capacity(slots.len());
    for o in slots.into_iter().flatten() {
        let summed_children = o.role == Role::MaybeAggregate && o.span.is_some_and(|s| covered.contains(&s));
        if summed_children {
            decisions.aggregates += 1;
            decisions.example(Reason::AggregateParent, &o.location, None);
        } else {
            calls.push(Call::from(o));
        }
    }

    // Rule 3: a call record covers its session, and its process, within its route (two
    // senders on two routes are two sessions, however alike their names).
    let sessions: HashSet<(&str, &str)> =
        calls.iter().filter_map(|c| Some((route(&c.route), c.session.as_deref()?))).collect();
    let instances: HashSet<(&str, &str)> =
        calls.iter().filter_map(|c| Some((route(&c.route), c.instance.as_deref()?))).collect();
    let routes: HashSet<&str> = calls.iter().map(|c| route(&c.route)).collect();
    let mut from_metrics = Vec::new();
    for o in metric_observations {
        let is_covered = match (&o.session, &o.instance) {
            (Some(s), _) => sessions.contains(&(route(&o.route), s.as_str())),
            (None, Some(i)) => instances.contains(&(route(&o.route), i.as_str())),
            (None, None) => routes.contains(route(&o.route)),
        };
        if is_covered {
            decisions.metrics_covered += 1;
            decisions.example(Reason::MetricsCovered, &o.location, None);
        } else {
            from_metrics.push(Call::from(o));
        }
    }
    calls.extend(from_metrics);
    Reconciled { calls, decisions }
}

fn route(r: &Option<crate::input::route::Route>) -> &str {
    r.as_deref().unwrap_or("")
}

type SpanRef = ([u8; 16], [u8; 8]);

/// The record kept for a call may lack what a repeat of it says: a span without the
/// model or the emitter's cost that its event carries (Codex, Claude Code), or without a
/// dimension's attribute.
fn fill_missing(kept: &mut Observation, other: Observation) {
    kept.model = kept.model.take().or(other.model);
    kept.provider = kept.provider.take().or(other.provider);
    kept.address = kept.address.take().or(other.address);
    if kept.tier == ServiceTier::Standard {
        kept.tier = other.tier;
    }
    kept.operation = kept.operation.take().or(other.operation);
    kept.session = kept.session.take().or(other.session);
    kept.reported_cost = kept.reported_cost.or(other.reported_cost);
    // E.g. the user id that only ADK 1's generate_content span states, not its call_llm.
    for (mine, theirs) in kept.dims.iter_mut().zip(other.dims) {
        if mine.is_none() {
            *mine = theirs;
        }
    }
}

/// Each span's parent, built on first use: only dumps with model-less or aggregate spans
/// need it.
struct Parents<'l> {
    links: &'l [SpanLink],
    map: std::cell::OnceCell<HashMap<SpanRef, [u8; 8]>>,
}

impl<'l> Parents<'l> {
    fn new(links: &'l [SpanLink]) -> Self {
        Parents { links, map: std::cell::OnceCell::new() }
    }

    /// The ancestors of a span, nearest first. Bounded: a malformed dump may hold a cycle.
    fn ancestors(&self, (trace, span): SpanRef) -> impl Iterator<Item = SpanRef> + '_ {
        let map =
            self.map.get_or_init(|| self.links.iter().map(|l| ((l.trace_id, l.span_id), l.parent_span_id)).collect());
        let mut at = span;
        std::iter::from_fn(move || {
            let up = *map.get(&(trace, at))?;
            at = up;
            Some((trace, up))
        })
        .take(map.len())
    }
}

/// A span that names no model takes the model of its nearest ancestor span with usage
/// that does (Codex's `handle_responses` under its `session_task.turn`).
fn inherit_models(slots: &mut [Option<Observation>], parents: &Parents<'_>) {
    let kept = || slots.iter().flatten();
    if !kept().any(|o| o.model.is_none() && o.span.is_some()) {
        return;
    }
    let models: HashMap<SpanRef, String> = kept().filter_map(|o| Some((o.span?, o.model.clone()?))).collect();
    if models.is_empty() {
        return;
    }
    for o in slots.iter_mut().flatten().filter(|o| o.model.is_none()) {
        let Some(span) = o.span else { continue };
        o.model = parents.ancestors(span).find_map(|up| models.get(&up)).cloned();
    }
}

/// The spans that have a usage-bearing span somewhere below them.
fn spans_with_usage_below(slots: &[Option<Observation>], parents: &Parents<'_>) -> HashSet<SpanRef> {
    let kept = || slots.iter().flatten();
    let mut covered = HashSet::new();
    if !kept().any(|o| o.role == Role::MaybeAggregate && o.span.is_some()) {
        return covered;
    }
    for span in kept().filter_map(|o| o.span) {
        for up in parents.ancestors(span) {
            if !covered.insert(up) {
                break;
            }
        }
    }
    covered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CallKey, CallKeys, Emitter, Location, Position, TokenBuckets};

    fn obs(signal: Signal, role: Role, span: Option<u8>, keys: Vec<CallKey>, input: u64) -> Observation {
        Observation {
            emitter: Emitter::Semconv,
            signal,
            role,
            time_ns: 0,
            model: Some("m".into()),
            provider: None,
            address: None,
            tier: Default::default(),
            operation: None,
            service: None,
            tokens: TokenBuckets { input, ..Default::default() },
            requests: 1,
            reported_cost: None,
            session: None,
            instance: None,
            keys: {
                let mut k = CallKeys::default();
                k.extend(keys);
                k
            },
            secondhand: false,
            partial: false,
            span: span.map(|s| ([1; 16], [s; 8])),
            dims: vec![],
            route: None,
            location: Location { file: "f".into(), at: Position::Whole },
        }
    }

    fn span_key(s: u8) -> CallKey {
        CallKey::Span([1; 16], [s; 8])
    }

    fn link(span: u8, parent: u8) -> SpanLink {
        SpanLink { trace_id: [1; 16], span_id: [span; 8], parent_span_id: [parent; 8] }
    }

    fn total(r: &Reconciled) -> u64 {
        r.calls.iter().map(|c| c.tokens.input).sum()
    }

    #[test]
    fn metric_usage_is_covered_only_within_its_route() {
        use crate::extract::{InputCache, Measure, MetricPoint, UsageField};
        let point = |route: &str| MetricPoint {
            emitter: Emitter::Semconv,
            stream: 1,
            group: 1,
            cumulative: false,
            start_ns: 0,
            time_ns: 5,
            value: rust_decimal::Decimal::from(7),
            measure: Measure::Tokens(UsageField::Input),
            input_cache: InputCache::Excludes,
            model: Some("m".into()),
            provider: None,
            session: Some("s".into()),
            instance: None,
            service: None,
            dims: vec![],
            route: Some(route.into()),
            location: Location { file: "f".into(), at: Position::Whole },
        };
        let mut call = obs(Signal::Traces, Role::ModelCall, Some(1), vec![span_key(1)], 10);
        call.session = Some("s".into());
        call.route = Some("team-a".into());
        let with = |route: &str| Extracted {
            observations: vec![call.clone()],
            metric_points: vec![point(route)],
            ..Default::default()
        };
        // The same session name on another route is another sender's: its metrics count.
        assert_eq!(total(&reconcile(with("team-a"))), 10);
        assert_eq!(total(&reconcile(with("team-b"))), 17);
    }

    #[test]
    fn a_span_and_its_event_count_once_as_the_span() {
        let ex = Extracted {
            observations: vec![
                obs(Signal::Logs, Role::ModelCall, None, vec![span_key(2)], 10),
                obs(Signal::Traces, Role::ModelCall, Some(2), vec![span_key(2)], 10),
            ],
            ..Default::default()
        };
        let r = reconcile(ex);
        assert_eq!((r.calls.len(), r.calls[0].signal, r.decisions.duplicates), (1, Signal::Traces, 1));
    }

    #[test]
    fn a_retried_export_counts_once() {
        let o = obs(
            Signal::Traces,
            Role::ModelCall,
            Some(2),
            vec![span_key(2), CallKey::Response([1; 16], "r".into())],
            10,
        );
        let r = reconcile(Extracted { observations: vec![o.clone(), o], ..Default::default() });
        assert_eq!(total(&r), 10);
    }

    #[test]
    fn sibling_spans_of_one_response_count_once() {
        let a = obs(
            Signal::Traces,
            Role::ModelCall,
            Some(2),
            vec![span_key(2), CallKey::Response([1; 16], "r".into())],
            10,
        );
        let b = obs(
            Signal::Traces,
            Role::ModelCall,
            Some(3),
            vec![span_key(3), CallKey::Response([1; 16], "r".into())],
            10,
        );
        assert_eq!(total(&reconcile(Extracted { observations: vec![a, b], ..Default::default() })), 10);
    }

    #[test]
    fn the_providers_own_span_wins_over_a_wrappers_rereport() {
        let response = CallKey::Response([1; 16], "r".into());
        let mut wrapper = obs(Signal::Traces, Role::ModelCall, Some(2), vec![span_key(2), response.clone()], 17);
        wrapper.secondhand = true;
        let own = obs(Signal::Traces, Role::ModelCall, Some(3), vec![span_key(3), response], 16);
        let r = reconcile(Extracted { observations: vec![wrapper, own], ..Default::default() });
        assert_eq!((total(&r), r.decisions.duplicates), (16, 1));
    }

    #[test]
    fn an_agent_span_summing_a_grandchild_is_not_counted() {
        // agent(1) -> cycle(2, no usage) -> chat(3)
        let agent = obs(Signal::Traces, Role::MaybeAggregate, Some(1), vec![span_key(1)], 30);
        let chat = obs(Signal::Traces, Role::ModelCall, Some(3), vec![span_key(3)], 30);
        let ex =
            Extracted { observations: vec![agent, chat], links: vec![link(2, 1), link(3, 2)], ..Default::default() };
        let r = reconcile(ex);
        assert_eq!((total(&r), r.decisions.aggregates), (30, 1));
    }

    #[test]
    fn an_agent_span_with_no_usage_below_is_counted() {
        let agent = obs(Signal::Traces, Role::MaybeAggregate, Some(1), vec![span_key(1)], 30);
        let other = obs(Signal::Traces, Role::ModelCall, Some(5), vec![span_key(5)], 7);
        let ex = Extracted { observations: vec![agent, other], links: vec![link(5, 4)], ..Default::default() };
        assert_eq!(total(&reconcile(ex)), 37);
    }

    #[test]
    fn a_parent_cycle_terminates() {
        let agent = obs(Signal::Traces, Role::MaybeAggregate, Some(1), vec![span_key(1)], 30);
        let ex = Extracted { observations: vec![agent], links: vec![link(1, 2), link(2, 1)], ..Default::default() };
        // 1's ancestor chain loops back to 1: it "has usage below" only through itself.
        let r = reconcile(ex);
        assert_eq!(r.calls.len() + r.decisions.aggregates as usize, 1);
    }

    #[test]
    fn a_kept_span_takes_what_its_dropped_event_knows_and_children_inherit_a_model() {
        let key = CallKey::Request("s".into(), "req".into());
        let mut span = obs(Signal::Traces, Role::ModelCall, Some(3), vec![span_key(3), key.clone()], 10);
        span.model = None;
        let mut event = obs(Signal::Logs, Role::ModelCall, None, vec![key], 10);
        event.reported_cost = Some(rust_decimal::Decimal::new(5, 2));
        let r = reconcile(Extracted { observations: vec![event, span], ..Default::default() });
        assert_eq!(r.calls.len(), 1);
        let c = &r.calls[0];
        assert_eq!(
            (c.signal, c.model.as_deref(), c.reported_cost),
            (Signal::Traces, Some("m"), Some(rust_decimal::Decimal::new(5, 2)))
        );

        // turn(1, model "turn-model", usage) -> step(2) -> response(3, no model)
        let mut turn = obs(Signal::Traces, Role::MaybeAggregate, Some(1), vec![span_key(1)], 10);
        turn.model = Some("turn-model".into());
        let mut response = obs(Signal::Traces, Role::ModelCall, Some(3), vec![span_key(3)], 10);
        response.model = None;
        let ex =
            Extracted { observations: vec![turn, response], links: vec![link(2, 1), link(3, 2)], ..Default::default() };
        let r = reconcile(ex);
        assert_eq!((r.calls.len(), r.calls[0].model.as_deref()), (1, Some("turn-model")));
    }
}
