//! Extract stage: what each record says about LLM calls.
//!
//! Entry point: [`extract`]. It walks one decoded request and offers every record to the
//! emitter modules in turn (one module per emitter, each the only place that knows its
//! attribute names and its traps). The first module that recognises a record as its own
//! claims it, with an [`Observation`] or with nothing (a record of that emitter that is
//! not usage); the `gen_ai` semantic conventions come last, for everything else. It also
//! keeps every span's parent link, so reconcile can tell a parent that repeats its
//! children's usage from a call of its own.

mod adk;
mod claude_code;
mod cline;
mod codex;
mod continue_cli;
mod copilot;
mod droid;
mod gemini_cli;
mod haystack;
mod key_cache;
mod kilo;
mod laminar;
mod langfuse;
mod litellm;
mod logfire;
mod metric;
mod mlflow;
mod opencode_export;
mod openinference;
mod openlit;
mod openllmetry;
mod pi;
mod pydantic_ai;
mod qwen_code;
mod semconv;
mod strands;
mod unread;
mod usage;
pub mod usage_map;
mod usage_object;
mod vercel_ai;

pub use metric::{Measure, MetricPoint, UsageField};
pub use semconv::ESTIMATING_SCOPES;
pub use unread::{Finding, Unread};
pub use usage::{InputCache, RawUsage};
pub use usage_map::UsageMap;

use crate::decode::{KeyValue, LogRecord, Metric, Request, Resource, Span, Value};
use crate::model::route::Route;
use crate::model::Problem;
use crate::model::{stable_hash, CallKey, CallKeys, Emitter, Location, Observation, Role, Signal};
use std::collections::{BTreeMap, BTreeSet};
use std::hash::Hash;
use std::sync::Arc;

/// What extract needs to know from the command line.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Attribute keys to capture as dimensions, looked up on the record, then its resource.
    /// An entry `a|b|c` is one value: the first of those keys present (a dimension alias),
    /// so a call keeps one slot per alias, not one per candidate key.
    pub dim_keys: Vec<String>,
    /// `--usage-map` vocabularies, asked before the emitter modules.
    pub usage_maps: Arc<[UsageMap]>,
}

/// A span and its parent, both within one trace, in the span's reconcile scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpanLink {
    pub scope: u64,
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub parent_span_id: [u8; 8],
}

/// Everything extract found in some requests.
#[derive(Debug, Default)]
pub struct Extracted {
    pub observations: Vec<Observation>,
    pub metric_points: Vec<MetricPoint>,
    pub links: Vec<SpanLink>,
    pub tally: Tally,
    /// Values that could not be used (a negative token count, a cost that is not a
    /// number…), at their records' locations.
    pub problems: Vec<Problem>,
}

/// What was seen, for `inspect` and the summary line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub requests: u64,
    pub records: BTreeMap<Signal, u64>,
    /// Records each emitter recognised as its own.
    pub claimed: BTreeMap<Emitter, u64>,
    pub scopes: BTreeSet<String>,
    pub metric_names: BTreeSet<String>,
    /// Usage-like data on records nothing read.
    pub unread: Unread,
}

impl Tally {
    pub fn merge(&mut self, t: Tally) {
        self.requests += t.requests;
        for (signal, n) in t.records {
            *self.records.entry(signal).or_default() += n;
        }
        for (emitter, n) in t.claimed {
            *self.claimed.entry(emitter).or_default() += n;
        }
        self.scopes.extend(t.scopes);
        self.metric_names.extend(t.metric_names);
        self.unread.merge(t.unread);
    }
}

/// An emitter module's answer about one record.
// Returned once per record and consumed at once: boxing the observation would cost an
// allocation per call for nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Claim {
    /// Not this emitter's record: ask the next module.
    NotMine,
    /// This emitter's record, with the usage it carries (if it carries any).
    Mine(Option<Observation>),
}

type SpanReader = fn(&Span<'_>, &Record<'_, '_>) -> Claim;
/// Whether an emitter owns the scope of a record (by scope or service name).
type ScopeOwner = fn(&Record<'_, '_>) -> bool;
type LogReader = fn(&LogRecord<'_>, &Record<'_, '_>) -> Claim;
/// Pushes the usage points of a metric it recognises; returns whether it did.
type MetricReader = fn(&Metric<'_>, &Record<'_, '_>, &mut Vec<MetricPoint>) -> bool;

/// What one emitter module declares of itself, once: the registry below is the only list
/// of emitters here. A new emitter is a module with its `MODULE` and one line in [`MODULES`].
pub(crate) struct Module {
    pub emitter: Emitter,
    /// Owns whole scopes (by scope or service name): every span of them is its own.
    pub owns_scope: Option<ScopeOwner>,
    /// Attribute-key prefixes that make a span of a scope it does not own its own: where
    /// it reports usage, or a key only it writes.
    pub span_keys: &'static [&'static str],
    pub span: Option<SpanReader>,
    pub log: Option<LogReader>,
    pub metric: Option<MetricReader>,
    /// Ties the records of one call by session or process, not by trace context: an
    /// agent's event about a call is logged outside the call's span (matched by a request
    /// id or by its counts), so all of one process's records are reconciled together.
    pub by_process: bool,
    /// What the emitter's telemetry is known to lose (calls, cache, usage), told once
    /// whenever any of its records is read.
    pub losses: Option<&'static str>,
}

/// Every emitter module, in the order they are asked; semconv, last, reads whatever is left.
const MODULES: &[&Module] = &[
    &claude_code::MODULE,
    &codex::MODULE,
    &gemini_cli::MODULE,
    &qwen_code::MODULE,
    &copilot::MODULE,
    &cline::MODULE,
    &pi::MODULE,
    &continue_cli::MODULE,
    &kilo::MODULE,
    &droid::MODULE,
    &opencode_export::MODULE,
    &openlit::MODULE,
    &litellm::MODULE,
    &openinference::MODULE,
    &vercel_ai::MODULE,
    &logfire::MODULE,
    &pydantic_ai::MODULE,
    &openllmetry::MODULE,
    &strands::MODULE,
    &adk::MODULE,
    &mlflow::MODULE,
    &langfuse::MODULE,
    &laminar::MODULE,
    &haystack::MODULE,
    &semconv::MODULE,
];

/// The known losses of the emitters some records were read of, each once.
pub fn known_losses(tally: &Tally) -> impl Iterator<Item = (Emitter, &'static str)> + '_ {
    MODULES
        .iter()
        .filter(|m| tally.claimed.get(&m.emitter).is_some_and(|&n| n > 0))
        .filter_map(|m| Some((m.emitter, m.losses?)))
}

fn module(emitter: Emitter) -> Option<&'static Module> {
    MODULES.iter().copied().find(|m| m.emitter == emitter)
}

/// The reconcile scope of a record (see `Observation::scope`): its trace, or its emitting
/// process for the emitters that tie calls by process and for records outside any trace.
/// Not its route: the same record sent to two routes is one call, and must meet its copy.
fn scope_of(emitter: Option<Emitter>, trace: [u8; 16], record: &Record<'_, '_>) -> u64 {
    if trace == [0; 16] || emitter.and_then(module).is_some_and(|m| m.by_process) {
        stable_hash(&(1u8, record.resource.instance.as_deref()))
    } else {
        stable_hash(&(2u8, trace))
    }
}

/// Whether a span attribute key is one some module reads usage under. Asked for every
/// attribute of every span: the registry's prefixes are gathered once, not per key, under
/// the byte they start with, so a key is compared with the few that start like it (most
/// with none).
fn is_usage_key(key: &str) -> bool {
    static BY_FIRST_BYTE: std::sync::LazyLock<[Vec<&'static str>; 256]> = std::sync::LazyLock::new(|| {
        let all = MODULES.iter().flat_map(|m| m.span_keys.iter().copied());
        // An empty prefix starts every key: it is under every byte.
        std::array::from_fn(|byte| {
            all.clone().filter(|p| p.bytes().next().is_none_or(|b| usize::from(b) == byte)).collect()
        })
    });
    match key.as_bytes().first() {
        Some(&b) => BY_FIRST_BYTE[usize::from(b)].iter().any(|p| key.starts_with(p)),
        None => MODULES.iter().flat_map(|m| m.span_keys.iter()).any(|p| p.is_empty()),
    }
}

/// The readers of one signal, in the registry's order.
fn readers<R: Copy>(reader: impl Fn(&Module) -> Option<R>) -> impl Iterator<Item = (Emitter, R)> {
    MODULES.iter().filter_map(move |m| reader(m).map(|r| (m.emitter, r)))
}

/// Extracts the observations of one decoded request found at `location`, sent to `route`.
pub fn extract(
    request: &Request<'_>,
    location: &Location,
    route: Option<&Route>,
    config: &Config,
    out: &mut Extracted,
) {
    out.tally.requests += 1;
    match request {
        Request::Traces(resources) => {
            for rs in resources {
                let resource = ResourceInfo::new(&rs.resource);
                for ss in &rs.scope_spans {
                    note_scope(&mut out.tally, &ss.scope.name);
                    let scope_record =
                        Record { attrs: &[], resource: &resource, scope: &ss.scope.name, location, route, config };
                    let owner =
                        readers(|m| m.owns_scope).find(|(_, owns)| owns(&scope_record)).map(|(emitter, _)| emitter);
                    if !ss.spans.is_empty() {
                        *out.tally.records.entry(Signal::Traces).or_default() += ss.spans.len() as u64;
                    }
                    for span in &ss.spans {
                        let record = Record {
                            attrs: &span.attributes,
                            resource: &resource,
                            scope: &ss.scope.name,
                            location,
                            route,
                            config,
                        };
                        // Most spans of a busy service are not LLM calls: unless an emitter owns
                        // the scope, only a span with a key some emitter reads is offered.
                        // A span's usage and its place in the tree share one scope: the
                        // scope owner's, else the claiming emitter's.
                        let scope = |claimer: Option<Emitter>| scope_of(owner.or(claimer), span.trace_id, &record);
                        let before = out.observations.len();
                        let time = if span.end_time_unix_nano != 0 {
                            span.end_time_unix_nano
                        } else {
                            span.start_time_unix_nano
                        };
                        let ids = Some((span.trace_id, span.span_id));
                        let mut claimer = mapped(Signal::Traces, time, ids, &record, out, scope);
                        let offered = claimer.is_some()
                            || owner.is_some()
                            || span.attributes.iter().any(|kv| is_usage_key(&kv.key));
                        if claimer.is_none() && offered {
                            claimer = offer(readers(|m| m.span), |read| read(span, &record), |e| scope(Some(e)), out);
                        }
                        out.observations
                            .get_mut(before..)
                            .unwrap_or_default()
                            .iter_mut()
                            .for_each(|o| of_span(o, span));
                        if offered {
                            let describe =
                                || format!("span {:?} ({})", usage::printable(&span.name), hex(&span.span_id));
                            check(&span.attributes, &describe, location, before, out);
                        }
                        if claimer.is_none() {
                            out.tally.unread.record(&span.attributes, None, Signal::Traces, &record);
                        }
                        if span.parent_span_id != [0; 8] {
                            out.links.push(SpanLink {
                                scope: scope(claimer),
                                trace_id: span.trace_id,
                                span_id: span.span_id,
                                parent_span_id: span.parent_span_id,
                            });
                        }
                    }
                }
            }
        }
        Request::Logs(resources) => {
            for rl in resources {
                let resource = ResourceInfo::new(&rl.resource);
                for sl in &rl.scope_logs {
                    note_scope(&mut out.tally, &sl.scope.name);
                    if !sl.log_records.is_empty() {
                        *out.tally.records.entry(Signal::Logs).or_default() += sl.log_records.len() as u64;
                    }
                    for (n, log) in sl.log_records.iter().enumerate() {
                        let record = Record {
                            attrs: &log.attributes,
                            resource: &resource,
                            scope: &sl.scope.name,
                            location,
                            route,
                            config,
                        };
                        let before = out.observations.len();
                        let time =
                            if log.time_unix_nano != 0 { log.time_unix_nano } else { log.observed_time_unix_nano };
                        let scope = |e: Option<Emitter>| scope_of(e, log.trace_id, &record);
                        let claimer = mapped(Signal::Logs, time, None, &record, out, scope)
                            .or_else(|| offer(readers(|m| m.log), |read| read(log, &record), |e| scope(Some(e)), out));
                        if claimer.is_none() {
                            out.tally.unread.record(&log.attributes, log.body.as_ref(), Signal::Logs, &record);
                        }
                        let describe = || match &*log.event_name {
                            "" => format!("log record {}", n + 1),
                            name => format!("log record {} {:?}", n + 1, usage::printable(name)),
                        };
                        check(&log.attributes, &describe, location, before, out);
                    }
                }
            }
        }
        Request::Metrics(resources) => {
            for rm in resources {
                let resource = ResourceInfo::new(&rm.resource);
                for sm in &rm.scope_metrics {
                    note_scope(&mut out.tally, &sm.scope.name);
                    for m in &sm.metrics {
                        let points = m.sum.as_ref().map_or(0, |s| s.data_points.len())
                            + m.gauge.as_ref().map_or(0, |g| g.data_points.len())
                            + m.histogram.as_ref().map_or(0, |h| h.data_points.len())
                            + m.exponential_histogram.as_ref().map_or(0, |h| h.data_points.len());
                        *out.tally.records.entry(Signal::Metrics).or_default() += points as u64;
                        if !out.tally.metric_names.contains(&*m.name) {
                            out.tally.metric_names.insert(m.name.to_string());
                        }
                        let record =
                            Record { attrs: &[], resource: &resource, scope: &sm.scope.name, location, route, config };
                        let mut read_by = None;
                        for (emitter, read) in readers(|m| m.metric) {
                            let before = out.metric_points.len();
                            if read(m, &record, &mut out.metric_points) {
                                *out.tally.claimed.entry(emitter).or_default() +=
                                    (out.metric_points.len() - before) as u64;
                                usage::check_points(m, before, location, &mut out.metric_points, &mut out.problems);
                                read_by = Some(emitter);
                                break;
                            }
                        }
                        if read_by.is_none() {
                            out.tally.unread.metric(&m.name, &m.unit, points as u64, &record);
                        }
                    }
                }
            }
        }
    }
}

/// What every observation made of a span knows from it: when the call started, whether
/// it is a trace root, and the sibling keys a second instrumentation layer of the same
/// call shares (in its trace, and in its process).
fn of_span(o: &mut Observation, span: &Span<'_>) {
    if span.start_time_unix_nano != 0 && span.start_time_unix_nano <= o.time_ns {
        o.start_ns = span.start_time_unix_nano;
    }
    if o.role == Role::ModelCall && o.span.is_some() {
        o.keys.extend(CallKey::siblings(span.trace_id, o.model.as_deref(), o.tokens.output).into_iter().flatten());
    }
    o.root = span.parent_span_id == [0; 8];
}

/// The value checks shared by every emitter module, on one record and the observations
/// (from `before` on) made of it.
fn check(
    attrs: &[KeyValue<'_>],
    describe: &dyn Fn() -> String,
    location: &Location,
    before: usize,
    out: &mut Extracted,
) {
    let made = out.observations.get_mut(before..).unwrap_or_default();
    for o in made.iter_mut() {
        usage::check_observation(o, describe, &mut out.problems);
    }
    usage::check_values(attrs, describe, location, !made.is_empty(), &mut out.problems);
}

fn hex(id: &[u8]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

fn note_scope(tally: &mut Tally, scope: &str) {
    if !tally.scopes.contains(scope) {
        tally.scopes.insert(scope.to_string());
    }
}

/// Asks the `--usage-map` vocabularies: the emitter that claims the record if one applies
/// (what it read added in the scope `scope` gives, its problems listed).
fn mapped(
    signal: Signal,
    time_ns: u64,
    span: Option<([u8; 16], [u8; 8])>,
    record: &Record<'_, '_>,
    out: &mut Extracted,
    scope: impl Fn(Option<Emitter>) -> u64,
) -> Option<Emitter> {
    let maps = &record.config.usage_maps;
    if maps.is_empty() {
        return None;
    }
    let found = usage_map::read(maps, signal, time_ns, span, record, &mut out.problems)?;
    *out.tally.claimed.entry(Emitter::UsageMap).or_default() += 1;
    out.observations.extend(found.map(|o| Observation { scope: scope(Some(Emitter::UsageMap)), ..o }));
    Some(Emitter::UsageMap)
}

/// Asks each reader in turn; the first to claim the record adds what it found, in the
/// scope `scope` gives for the claiming emitter.
fn offer<Reader>(
    readers: impl Iterator<Item = (Emitter, Reader)>,
    ask: impl Fn(&Reader) -> Claim,
    scope: impl Fn(Emitter) -> u64,
    out: &mut Extracted,
) -> Option<Emitter> {
    for (emitter, read) in readers {
        if let Claim::Mine(found) = ask(&read) {
            *out.tally.claimed.entry(emitter).or_default() += 1;
            out.observations.extend(found.map(|o| Observation { scope: scope(emitter), ..o }));
            return Some(emitter);
        }
    }
    None
}

/// The attributes an emitter module reads from: the record's own, then its resource's.
#[derive(Clone, Copy)]
pub(crate) struct Record<'r, 'a> {
    pub attrs: &'r [KeyValue<'a>],
    pub resource: &'r ResourceInfo<'r, 'a>,
    /// The instrumentation scope's name (e.g. `com.anthropic.claude_code.events`).
    pub scope: &'r str,
    pub location: &'r Location,
    pub route: Option<&'r Route>,
    pub config: &'r Config,
}

pub(crate) struct ResourceInfo<'r, 'a> {
    pub attrs: &'r [KeyValue<'a>],
    pub service: Option<String>,
    /// The emitting process: `service.instance.id` within `service.namespace` and
    /// `service.name` (the conventions make it unique only there: the Python SDK gives
    /// every service of one process the same id), else `service.name`.
    pub instance: Option<String>,
    /// Identity of the resource's attributes, for metric series.
    pub hash: u64,
}

impl<'r, 'a> ResourceInfo<'r, 'a> {
    fn new(resource: &'r Resource<'a>) -> Self {
        let attrs = &resource.attributes;
        let service = lookup(attrs, "service.name").and_then(|v| v.render());
        let text = |key: &str| lookup(attrs, key).and_then(|v| v.render());
        let instance = match text("service.instance.id") {
            Some(id) => {
                let namespace = text("service.namespace").unwrap_or_default();
                Some(format!("{id} {namespace}/{}", service.as_deref().unwrap_or_default()))
            }
            None => service.clone(),
        };
        let mut pairs: Vec<(&str, Option<String>)> =
            attrs.iter().map(|kv| (&*kv.key, kv.value.and_then(|v| v.get().render()))).collect();
        pairs.sort();
        ResourceInfo { attrs, service, instance, hash: stable_hash(&pairs) }
    }
}

impl<'r, 'a> Record<'r, 'a> {
    /// An attribute of the record, else of its resource.
    pub fn get(&self, key: &str) -> Option<Value<'a>> {
        lookup(self.attrs, key).or_else(|| lookup(self.resource.attrs, key))
    }

    /// Whether the record is a line of an agent's own file, as decode names it: its
    /// scope and `service.name`.
    pub fn is_agent_file(&self, scope: &str, service: &str) -> bool {
        self.scope == scope && self.resource.service.as_deref() == Some(service)
    }

    /// An attribute of the record, else of its resource, as non-empty text.
    pub fn text(&self, key: &str) -> Option<String> {
        self.get(key).and_then(|v| v.render()).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
    }

    /// The requested dimension values, record first, then resource.
    pub fn dims(&self) -> Vec<Option<String>> {
        self.config.dim_keys.iter().map(|keys| keys.split('|').find_map(|key| self.text(key))).collect()
    }

    /// An observation of one call by `emitter` with this record's resource, dimensions and
    /// location; the emitter module fills in what it knows (model, ids, cost…).
    pub fn observation(
        &self,
        emitter: Emitter,
        signal: Signal,
        role: Role,
        time_ns: u64,
        tokens: crate::model::TokenBuckets,
    ) -> Observation {
        Observation {
            emitter,
            signal,
            role,
            time_ns,
            model: None,
            provider: None,
            address: None,
            tier: Default::default(),
            operation: None,
            service: self.resource.service.clone(),
            tokens,
            requests: 1,
            reported_cost: None,
            session: None,
            instance: self.resource.instance.clone(),
            keys: CallKeys::default(),
            scope: 0,
            secondhand: false,
            partial: false,
            span: None,
            dims: self.dims(),
            route: self.route.cloned(),
            location: self.location.clone(),
            start_ns: time_ns,
            layer: self.layer(emitter, signal),
            root: false,
            estimated: false,
            unmeasured_joined: 0,
        }
    }

    /// The instrumentation that made this record (see `Observation::layer`).
    pub fn layer(&self, emitter: Emitter, signal: Signal) -> u64 {
        stable_hash(&(emitter, self.scope, signal))
    }
}

pub(crate) fn lookup<'a>(attrs: &[KeyValue<'a>], key: &str) -> Option<Value<'a>> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.map(|v| v.get()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Position;

    #[test]
    fn every_emitter_has_one_module_and_semconv_is_asked_last() {
        // The one emitter without a module: what the user's `--usage-map` reads.
        let modules = Emitter::ALL.iter().filter(|e| **e != Emitter::UsageMap);
        for emitter in modules.clone() {
            assert_eq!(MODULES.iter().filter(|m| m.emitter == *emitter).count(), 1, "{emitter:?}");
        }
        assert_eq!(MODULES.len(), modules.count());
        assert_eq!(MODULES.last().map(|m| m.emitter), Some(Emitter::Semconv));
    }

    proptest::proptest! {
        /// The lookup by first byte says what asking every module's prefixes says.
        #[test]
        fn usage_keys_are_those_a_module_names(
            prefix in proptest::sample::select(MODULES.iter().flat_map(|m| m.span_keys.iter().copied()).chain(["", "h", "http.", "g", "ai", "llm"]).collect::<Vec<_>>()),
            rest in "[a-z._]{0,6}",
            cut in 0usize..40,
        ) {
            let key: String = format!("{prefix}{rest}").chars().take(cut).collect();
            let named = MODULES.iter().flat_map(|m| m.span_keys.iter()).any(|p| key.starts_with(p));
            proptest::prop_assert_eq!(is_usage_key(&key), named, "{}", key);
        }
    }

    #[test]
    fn a_route_is_part_of_a_metric_series_and_of_every_observation() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/emitters/a_openai_v2_latest/metrics.jsonl");
        let text = std::fs::read_to_string(path).unwrap();
        let request = crate::decode::json(text.lines().next().unwrap().as_bytes()).unwrap().unwrap();
        let location = Location { file: "m".into(), at: Position::Whole };
        let under = |route: Option<&str>| {
            let route: Option<Route> = route.map(Into::into);
            let mut out = Extracted::default();
            extract(&request, &location, route.as_ref(), &Config::default(), &mut out);
            out.metric_points
        };
        let (plain, a, b) = (under(None), under(Some("team-a")), under(Some("team-b")));
        assert!(!plain.is_empty());
        assert!(a.iter().all(|p| p.route.as_deref() == Some("team-a")));
        // Cumulative points of two senders on two routes are never differenced together.
        for ((p, a), b) in plain.iter().zip(&a).zip(&b) {
            assert!(p.stream != a.stream && a.stream != b.stream && a.group != b.group);
        }
    }
}
