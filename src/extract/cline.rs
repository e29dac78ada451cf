//! Cline (the 3.x CLI): its OpenTelemetry exporter is fixed to the vendor's collector, but
//! its log (`~/.cline/data/logs/cline.log`, pino JSON lines, see decode's agent files)
//! gets one `task.tokens` telemetry event per LLM call. `tokensIn` is the uncached input
//! (OpenAI's prompt minus its cached tokens), `cacheReadTokens`/`cacheWriteTokens` the
//! cache, `tokensOut` the output with reasoning folded in (no separate count), and
//! `totalCost` Cline's own price, absent where it knows none. The event is written only
//! when the session runs in the CLI's process (not in its hub daemon) and telemetry is
//! not opted out. The model is the configured id; no response model is kept.

use super::metric::UsageField;
use super::usage::{InputCache, RawUsage};
use super::{lookup, Claim, Module, Record};
use crate::decode::LogRecord;
use crate::model::{CallKey, Emitter, Role, Signal};

pub(super) const MODULE: Module = Module {
    emitter: Emitter::Cline,
    owns_scope: None,
    span_keys: &[],
    span: None,
    log: Some(log),
    metric: None,
    by_process: true,
    losses: None,
};

const USAGE: &[(&str, UsageField)] = &[
    ("properties.tokensIn", UsageField::Input),
    ("properties.tokensOut", UsageField::Output),
    ("properties.cacheReadTokens", UsageField::CacheRead),
    ("properties.cacheWriteTokens", UsageField::CacheWrite),
];

fn log(log: &LogRecord<'_>, record: &Record<'_, '_>) -> Claim {
    if !record.is_agent_file("cline.log", "cline") {
        return Claim::NotMine;
    }
    if record.text("event").as_deref() != Some("task.tokens") {
        return Claim::Mine(None);
    }
    let tokens = RawUsage::read(&log.attributes, USAGE).buckets(InputCache::Excludes);
    let mut o = record.observation(Emitter::Cline, Signal::Logs, Role::ModelCall, log.time_unix_nano, tokens);
    o.model = record.text("properties.model");
    // Cline's provider id: a vendor, or a kind of endpoint (`openai-compatible`) that names none.
    o.provider = record.text("properties.provider").filter(|p| !p.ends_with("-compatible"));
    o.session = record.text("properties.ulid");
    o.reported_cost = lookup(&log.attributes, "properties.totalCost").and_then(|v| v.as_cost(1));
    // No call id is written: one session's calls end at different milliseconds.
    let time = record.text("time").unwrap_or_default();
    o.keys.push(CallKey::Request(o.session.clone().unwrap_or_default(), time));
    Claim::Mine(Some(o))
}
