//! Extract stage: what each record says about LLM calls.
//!
//! Entry point: [`extract`]. It walks one decoded request and asks the emitter modules
//! (one per emitter, each the only place that knows its attribute names and its traps)
//! for [`Observation`]s. It also keeps every span's parent link, so reconcile can tell
//! a parent that repeats its children's usage from a call of its own.

mod semconv;
mod usage;

use crate::decode::{KeyValue, Request, Resource, Value};
use crate::model::{Location, Observation, Signal};
use std::collections::BTreeMap;

/// What extract needs to know from the command line.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Attribute keys to capture as dimensions, looked up on the record, then its resource.
    pub dim_keys: Vec<String>,
}

/// A span and its parent, both within one trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SpanLink {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub parent_span_id: [u8; 8],
}

/// Everything extract found in some requests.
#[derive(Debug, Default)]
pub struct Extracted {
    pub observations: Vec<Observation>,
    pub links: Vec<SpanLink>,
    pub tally: Tally,
}

/// Record counts, for `inspect` and the summary line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub requests: u64,
    pub records: BTreeMap<Signal, u64>,
}

impl Extracted {
    pub fn merge(&mut self, other: Extracted) {
        self.observations.extend(other.observations);
        self.links.extend(other.links);
        self.tally.requests += other.tally.requests;
        for (signal, n) in other.tally.records {
            *self.tally.records.entry(signal).or_default() += n;
        }
    }
}

/// Extracts the observations of one decoded request found at `location`.
pub fn extract(request: &Request<'_>, location: &Location, config: &Config, out: &mut Extracted) {
    out.tally.requests += 1;
    match request {
        Request::Traces(resources) => {
            for rs in resources {
                let resource = Record::resource(&rs.resource);
                for ss in &rs.scope_spans {
                    for span in &ss.spans {
                        *out.tally.records.entry(Signal::Traces).or_default() += 1;
                        if span.parent_span_id != [0; 8] {
                            out.links.push(SpanLink {
                                trace_id: span.trace_id,
                                span_id: span.span_id,
                                parent_span_id: span.parent_span_id,
                            });
                        }
                        let record = Record {
                            attrs: &span.attributes,
                            resource: &resource,
                            location,
                            config,
                        };
                        if let Some(o) = semconv::span(span, &record) {
                            out.observations.push(o);
                        }
                    }
                }
            }
        }
        Request::Logs(resources) => {
            for rl in resources {
                let resource = Record::resource(&rl.resource);
                for sl in &rl.scope_logs {
                    for log in &sl.log_records {
                        *out.tally.records.entry(Signal::Logs).or_default() += 1;
                        let record = Record {
                            attrs: &log.attributes,
                            resource: &resource,
                            location,
                            config,
                        };
                        if let Some(o) = semconv::log(log, &record) {
                            out.observations.push(o);
                        }
                    }
                }
            }
        }
        Request::Metrics(resources) => {
            for rm in resources {
                for sm in &rm.scope_metrics {
                    for m in &sm.metrics {
                        let points = m.sum.as_ref().map_or(0, |s| s.data_points.len())
                            + m.gauge.as_ref().map_or(0, |g| g.data_points.len())
                            + m.histogram.as_ref().map_or(0, |h| h.data_points.len())
                            + m.exponential_histogram
                                .as_ref()
                                .map_or(0, |h| h.data_points.len());
                        *out.tally.records.entry(Signal::Metrics).or_default() += points as u64;
                    }
                }
            }
        }
    }
}

/// The attributes an emitter module reads from: the record's own, then its resource's.
pub(crate) struct Record<'r, 'a> {
    pub attrs: &'r [KeyValue<'a>],
    pub resource: &'r ResourceInfo<'r, 'a>,
    pub location: &'r Location,
    pub config: &'r Config,
}

pub(crate) struct ResourceInfo<'r, 'a> {
    pub attrs: &'r [KeyValue<'a>],
    pub service: Option<String>,
}

impl<'r, 'a> Record<'r, 'a> {
    fn resource(resource: &'r Resource<'a>) -> ResourceInfo<'r, 'a> {
        let service = lookup(&resource.attributes, "service.name").and_then(|v| v.render());
        ResourceInfo {
            attrs: &resource.attributes,
            service,
        }
    }

    /// The requested dimension values, record first, then resource.
    pub fn dims(&self) -> Vec<Option<String>> {
        self.config
            .dim_keys
            .iter()
            .map(|key| {
                lookup(self.attrs, key)
                    .or_else(|| lookup(self.resource.attrs, key))
                    .and_then(|v| v.render())
            })
            .collect()
    }
}

pub(crate) fn lookup<'a>(attrs: &[KeyValue<'a>], key: &str) -> Option<Value<'a>> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.map(|v| v.get()))
}
