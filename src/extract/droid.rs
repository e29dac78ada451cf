//! Factory Droid (`droid exec`): its customer OpenTelemetry (service `cli`, scopes
//! `cli-*`) carries no token usage (a remote feature flag, off without a Factory login,
//! gates every usage attribute and counter): its `chat` spans (format `genai`, one per
//! LLM call) count the calls without tokens, its other spans without usage are claimed so
//! that this is said, and its usage is read from the session's settings file
//! (`~/.factory/sessions/<cwd>/<session>.settings.json`, see decode's agent files):
//! `tokenUsage`, the session's own totals (`inclusiveTokenUsage` adds its sub-agents',
//! which have settings files of their own). Input excludes the cache, output includes
//! reasoning (`thinkingTokens` stays 0 even when the API states reasoning). The file
//! holds no number of calls: the totals count no request, so that with the chat spans a
//! call is counted once (its request by the span, its tokens by the totals). The model is
//! the session's, as the spans name it: a custom (BYOK) model is `custom:<name>-<n>`.

use super::metric::UsageField;
use super::semconv;
use super::usage::{InputCache, RawUsage};
use super::{Claim, Module, Record};
use crate::decode::{LogRecord, Span};
use crate::model::{CallKey, Emitter, Role, Signal};

pub(super) const MODULE: Module = Module {
    emitter: Emitter::Droid,
    owns_scope: None,
    span_keys: &[],
    span: Some(span),
    log: Some(log),
    metric: None,
    by_process: true,
    losses: Some(
        "Factory Droid's OpenTelemetry carries token usage only when Factory turns it on for a logged-in \
         organisation; its session file (~/.factory/sessions/<cwd>/<session>.settings.json) holds the \
         session's token totals only: they are counted without a number of requests (its `chat` spans, \
         OTEL_TELEMETRY_FORMAT=genai, count the calls, without tokens), and a custom (BYOK) \
         model is named `custom:<name>-<n>`, priced only by a --prices entry of that name",
    ),
};

const USAGE: &[(&str, UsageField)] = &[
    ("tokenUsage.inputTokens", UsageField::Input),
    ("tokenUsage.outputTokens", UsageField::Output),
    ("tokenUsage.cacheReadTokens", UsageField::CacheRead),
    ("tokenUsage.cacheCreationTokens", UsageField::CacheWrite),
    ("tokenUsage.thinkingTokens", UsageField::Reasoning),
];
const SUFFIX: &str = ".settings.json";

/// A span of Droid's customer telemetry with no usage: a `chat` span is one call of no
/// known tokens (where usage is on, the spans that carry it are read as the conventions say).
fn span(span: &Span<'_>, record: &Record<'_, '_>) -> Claim {
    let droid = record.scope.starts_with("cli-") && record.resource.service.as_deref() == Some("cli");
    if !droid || span.attributes.iter().any(|kv| kv.key.starts_with("gen_ai.usage.")) {
        return Claim::NotMine;
    }
    let f = semconv::fields(&span.attributes);
    if !f.is_model_call() {
        return Claim::Mine(None);
    }
    let mut o = f.span_observation(Emitter::Droid, span, Role::ModelCall, record, InputCache::Excludes);
    // `server.address` is Factory's API, not the model's endpoint.
    o.address = None;
    Claim::Mine(Some(o))
}

fn log(log: &LogRecord<'_>, record: &Record<'_, '_>) -> Claim {
    if !record.is_agent_file("droid.settings", "droid") {
        return Claim::NotMine;
    }
    let usage = RawUsage::read(&log.attributes, USAGE);
    if !usage.is_present() {
        return Claim::Mine(None);
    }
    let tokens = usage.buckets(InputCache::Excludes);
    let mut o = record.observation(Emitter::Droid, Signal::Logs, Role::ModelCall, log.time_unix_nano, tokens);
    o.requests = 0;
    o.model = record.text("model");
    // Droid's provider kind: a vendor, or an API shape (`generic-chat-completion-api`) that names none.
    // A custom model is priced by its name alone; without a provider it is in one row
    // with its calls' spans, which name none.
    let custom = o.model.as_deref().is_some_and(|m| m.starts_with("custom:"));
    o.provider = record.text("providerLock").filter(|p| !p.starts_with("generic") && !custom);
    // The session is the file's name; the same file read twice is one record.
    let file = record.location.file.rsplit(['/', '\\']).next().unwrap_or_default();
    o.session = file.strip_suffix(SUFFIX).map(str::to_string);
    o.keys.push(CallKey::Request(o.session.clone().unwrap_or_default(), "tokenUsage".into()));
    Claim::Mine(Some(o))
}
