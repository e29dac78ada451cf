//! pi coding agent (`@mariozechner/pi-coding-agent`): no OpenTelemetry; its session file
//! (`~/.pi/agent/sessions/--<cwd>--/<time>_<id>.jsonl`, see decode's agent files) holds
//! one `message` entry per assistant message, each one LLM call, with `usage`: `input`
//! uncached, `cacheRead`, `cacheWrite`, `output` with reasoning folded in (no separate
//! count), and `cost.total`, pi's own price (all zeros for a custom model with no prices).
//! The model is the requested one; `responseModel` is written only when the answer names
//! another. Entries are appended once each; a continued session appends to its file.

use super::metric::UsageField;
use super::usage::{InputCache, RawUsage};
use super::{lookup, Claim, Module, Record};
use crate::decode::LogRecord;
use crate::model::{CallKey, Emitter, Role, Signal};

pub(super) const MODULE: Module = Module {
    emitter: Emitter::Pi,
    owns_scope: None,
    span_keys: &[],
    span: None,
    log: Some(log),
    metric: None,
    by_process: true,
    losses: None,
};

const USAGE: &[(&str, UsageField)] = &[
    ("message.usage.input", UsageField::Input),
    ("message.usage.output", UsageField::Output),
    ("message.usage.cacheRead", UsageField::CacheRead),
    ("message.usage.cacheWrite", UsageField::CacheWrite),
];

fn log(log: &LogRecord<'_>, record: &Record<'_, '_>) -> Claim {
    if !record.is_agent_file("pi.session", "pi") {
        return Claim::NotMine;
    }
    let is_call = record.text("type").as_deref() == Some("message")
        && record.text("message.role").as_deref() == Some("assistant");
    let usage = RawUsage::read(&log.attributes, USAGE);
    if !is_call || !usage.is_present() {
        return Claim::Mine(None);
    }
    let tokens = usage.buckets(InputCache::Excludes);
    let mut o = record.observation(Emitter::Pi, Signal::Logs, Role::ModelCall, log.time_unix_nano, tokens);
    o.model = record.text("message.responseModel").or_else(|| record.text("message.model"));
    o.provider = record.text("message.provider");
    o.reported_cost = lookup(&log.attributes, "message.usage.cost.total").and_then(|v| v.as_cost(1));
    // An entry id is unique within its session file only; with its time and the
    // provider's response id it is one call's.
    let entry = [record.text("id"), record.text("message.responseId")].map(Option::unwrap_or_default).join(" ");
    o.keys.push(CallKey::Request(record.text("timestamp").unwrap_or_default(), entry));
    Claim::Mine(Some(o))
}
