//! OpenCode's and Kilo Code's `export <session>` (see decode's agent files): the session
//! as stored in its database, one `messages[].info` per message; each assistant message
//! is one LLM call here (a message of several steps would be one record of their sum).
//! `tokens.input` is the uncached input, `tokens.cache.read`/`write` the cache,
//! `tokens.output` the output WITHOUT reasoning, stated apart in `tokens.reasoning`
//! (billed as output); `cost` is the agent's own price (its catalog's, or the config's
//! for a custom model). The model and provider are the configured ids; a custom provider
//! id names no vendor. Kilo Code's OpenTelemetry has no usage at all: this is where it is.

use super::metric::UsageField;
use super::usage::{InputCache, RawUsage};
use super::{lookup, Claim, Module, Record};
use crate::decode::LogRecord;
use crate::model::{CallKey, Emitter, Role, Signal};

pub(super) const MODULE: Module = Module {
    emitter: Emitter::OpenCodeExport,
    owns_scope: None,
    span_keys: &[],
    span: None,
    log: Some(log),
    metric: None,
    by_process: true,
    losses: None,
};

const USAGE: &[(&str, UsageField)] = &[
    ("tokens.input", UsageField::Input),
    ("tokens.output", UsageField::Output),
    ("tokens.cache.read", UsageField::CacheRead),
    ("tokens.cache.write", UsageField::CacheWrite),
    ("tokens.reasoning", UsageField::Reasoning),
];

fn log(log: &LogRecord<'_>, record: &Record<'_, '_>) -> Claim {
    if !record.is_agent_file("opencode.export", "opencode") {
        return Claim::NotMine;
    }
    let mut usage = RawUsage::read(&log.attributes, USAGE);
    if record.text("role").as_deref() != Some("assistant") || !usage.is_present() {
        return Claim::Mine(None);
    }
    // Output as billed: reasoning is stated apart from it.
    usage.output = Some(usage.output.unwrap_or(0).saturating_add(usage.reasoning.unwrap_or(0)));
    let tokens = usage.buckets(InputCache::Excludes);
    let mut o = record.observation(Emitter::OpenCodeExport, Signal::Logs, Role::ModelCall, log.time_unix_nano, tokens);
    o.model = record.text("modelID");
    o.provider = record.text("providerID");
    o.session = record.text("sessionID");
    o.reported_cost = lookup(&log.attributes, "cost").and_then(|v| v.as_cost(1));
    // A message id is unique within its session: one call, however many exports hold it.
    let id = record.text("id").unwrap_or_default();
    o.keys.push(CallKey::Event([0; 16], format!("{}\0{id}", o.session.as_deref().unwrap_or_default())));
    Claim::Mine(Some(o))
}
