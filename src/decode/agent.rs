//! Coding agents' own log and session files, which are not telemetry: each line a JSON
//! object, recognised by its keys and decoded as one log record of a resource whose
//! `service.name` names the agent, its fields flattened to dotted keys
//! (`properties.tokensIn`, `message.usage.cost.total`). Arrays and booleans are left out:
//! they hold message content and flags, never usage or an identity. Extract's module for
//! the agent reads the record.
//!
//! - Cline's `cline.log` (pino): `{"level", "time", "name": "cline.cli", "msg", …}`; its
//!   `telemetry.event` lines carry `event` and `properties`.
//! - pi's session file: `{"type", "id", "parentId", "timestamp", …}`; the first line
//!   (`type: "session"`) has `version` in place of `parentId`.
//! - Claude Code's transcript (`~/.claude/projects/<project>/<session>.jsonl`): every line
//!   has `type` and `sessionId`.
//! - Factory Droid's session settings (`~/.factory/sessions/<cwd>/<session>.settings.json`,
//!   one pretty-printed object): `tokenUsage` with `autonomyLevel`, `autonomyMode` or
//!   `providerLock`; its time is `providerLockTimestamp`.
//! - OpenCode's and Kilo Code's `export <session>` (one document): `info` (the session)
//!   and `messages`, each with its own `info`: one record per message, its time the
//!   message's completion (`time.completed`, milliseconds).
//! - Codex's transcript (see `rollout.rs`): `{"timestamp", "type", "payload"}`, recognised
//!   by its first line (`session_meta`); its lines get what earlier lines said (session,
//!   model) from the file's [`LineContext`], and its `service.name` is the `originator`,
//!   as Codex's own OpenTelemetry names it.
//! - Gemini CLI's chat recording (`~/.gemini/tmp/<project>/chats/session-*.jsonl`, and a
//!   subagent's `<session>/<id>.jsonl`): recognised by its first line (`sessionId`,
//!   `projectHash`, `startTime`, `kind`); every later line is its (messages `{id,
//!   timestamp, type, …}`, `{"$set": …}` updates) and gets `sessionId` from the context.
//!   A `$set` of the whole `messages` list (a rewritten recording) is an array: not read.
//! - Qwen Code's chat recording (`~/.qwen/projects/<cwd>/chats/<session>.jsonl`, a
//!   subagent's in `subagents/<session>/`): Claude Code's shape (`type`, `sessionId`, …),
//!   told apart by the Gemini-style `usageMetadata` of its model turns (its other lines
//!   hold no usage); and its usage ledger (`~/.qwen/usage/token-usage-<month>.jsonl`):
//!   `{schemaVersion, id, timestamp, sessionId, model, inputTokens, …}`, a line per call.

use super::rollout::LineContext;
use super::sdk::{flat, json_error, string, time};
use super::view::*;
use super::DecodeError;
use serde::de::{Deserializer, IgnoredAny};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

type Raw<'a> = Option<&'a RawValue>;

/// The agents whose files are read, as the `service.name` and scope their records get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Agent {
    Cline,
    Pi,
    ClaudeCode,
    Codex,
    Droid,
    SessionExport,
    GeminiChat,
    QwenChat,
    QwenUsage,
}

impl Agent {
    fn service(self) -> &'static str {
        match self {
            Agent::Cline => "\"cline\"",
            Agent::Pi => "\"pi\"",
            Agent::ClaudeCode => "\"claude-code\"",
            Agent::Codex => "\"codex\"",
            Agent::Droid => "\"droid\"",
            // Kilo Code (a fork) names its service as OpenCode does.
            Agent::SessionExport => "\"opencode\"",
            Agent::GeminiChat => "\"gemini-cli\"",
            Agent::QwenChat | Agent::QwenUsage => "\"qwen-code\"",
        }
    }

    fn scope(self) -> &'static str {
        match self {
            Agent::Cline => "cline.log",
            Agent::Pi => "pi.session",
            Agent::ClaudeCode => "claude_code.transcript",
            Agent::Codex => "codex.rollout",
            Agent::Droid => "droid.settings",
            Agent::SessionExport => "opencode.export",
            Agent::GeminiChat => "gemini_cli.chat",
            Agent::QwenChat => "qwen_code.chat",
            Agent::QwenUsage => "qwen_code.usage",
        }
    }
}

/// The top-level keys that tell the files apart.
#[derive(Default, Deserialize)]
struct Top<'a> {
    #[serde(borrow)]
    name: Raw<'a>,
    level: Option<IgnoredAny>,
    #[serde(borrow)]
    msg: Raw<'a>,
    #[serde(borrow)]
    time: Raw<'a>,
    #[serde(borrow)]
    event: Raw<'a>,
    #[serde(rename = "type", borrow)]
    tag: Raw<'a>,
    id: Option<IgnoredAny>,
    /// Present, even as `null` (the first entry after the header has no parent).
    #[serde(rename = "parentId", default, deserialize_with = "present")]
    parent_id: bool,
    version: Option<IgnoredAny>,
    #[serde(borrow)]
    timestamp: Raw<'a>,
    #[serde(rename = "sessionId", borrow)]
    session_id: Raw<'a>,
    payload: Option<IgnoredAny>,
    #[serde(rename = "tokenUsage")]
    token_usage: Option<IgnoredAny>,
    #[serde(rename = "autonomyLevel")]
    autonomy_level: Option<IgnoredAny>,
    #[serde(rename = "autonomyMode")]
    autonomy_mode: Option<IgnoredAny>,
    #[serde(rename = "providerLock")]
    provider_lock: Option<IgnoredAny>,
    #[serde(rename = "providerLockTimestamp", borrow)]
    provider_lock_timestamp: Raw<'a>,
    info: Option<IgnoredAny>,
    messages: Option<IgnoredAny>,
    #[serde(rename = "projectHash")]
    project_hash: Option<IgnoredAny>,
    #[serde(rename = "startTime", borrow)]
    start_time: Raw<'a>,
    #[serde(rename = "usageMetadata")]
    usage_metadata: Option<IgnoredAny>,
    #[serde(rename = "schemaVersion")]
    schema_version: Option<IgnoredAny>,
    #[serde(rename = "inputTokens")]
    input_tokens: Option<IgnoredAny>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(d).map(|_| true)
}

/// A field's text; anything but a string is none.
fn text_of(raw: Raw<'_>) -> Option<Str<'_>> {
    string(raw, "").ok().flatten()
}

impl Top<'_> {
    /// The agent whose line this is; a Codex line other than the first (`session_meta`)
    /// only in a Codex transcript.
    fn agent(&self, context: Option<&LineContext>) -> Option<Agent> {
        let cline = text_of(self.name).is_some_and(|n| n.starts_with("cline"))
            && self.level.is_some()
            && self.msg.is_some()
            && self.time.is_some();
        let tag = text_of(self.tag);
        let pi = tag.is_some()
            && self.id.is_some()
            && self.timestamp.is_some()
            && (self.parent_id || (tag.as_deref() == Some("session") && self.version.is_some()));
        let claude_shape = tag.is_some() && text_of(self.session_id).is_some();
        let qwen_chat = claude_shape && self.usage_metadata.is_some();
        let claude = claude_shape && !qwen_chat;
        let qwen_usage = tag.is_none()
            && self.schema_version.is_some()
            && self.input_tokens.is_some()
            && text_of(self.session_id).is_some();
        let in_codex_file = context.is_some_and(LineContext::is_codex) || tag.as_deref() == Some("session_meta");
        let codex = in_codex_file && tag.is_some() && self.payload.is_some() && self.timestamp.is_some();
        let droid = self.token_usage.is_some()
            && (self.autonomy_level.is_some() || self.autonomy_mode.is_some() || self.provider_lock.is_some());
        let export = self.info.is_some() && self.messages.is_some() && tag.is_none();
        let chat_header = tag.is_none() && text_of(self.session_id).is_some() && self.project_hash.is_some();
        if chat_header || context.is_some_and(LineContext::is_gemini_chat) {
            return Some(Agent::GeminiChat);
        }
        let candidates = [
            (cline, Agent::Cline),
            (pi, Agent::Pi),
            (claude, Agent::ClaudeCode),
            (codex, Agent::Codex),
            (droid, Agent::Droid),
            (export, Agent::SessionExport),
            (qwen_chat, Agent::QwenChat),
            (qwen_usage, Agent::QwenUsage),
        ];
        // Exactly one shape, or none: a line that fits two is no agent's we know.
        let mut fits = candidates.into_iter().filter(|(fits, _)| *fits).map(|(_, agent)| agent);
        match (fits.next(), fits.next()) {
            (Some(agent), None) => Some(agent),
            _ => None,
        }
    }
}

/// Whether a JSON object is a line of an agent's file read here (top-level keys only).
pub fn is_record(text: &[u8]) -> bool {
    serde_json::from_slice::<Top>(text).ok().and_then(|top| top.agent(None)).is_some()
}

/// Decodes one line of an agent's file as a request of one log record, with what the
/// file's earlier lines said (`context`); `Ok(None)`: JSON, but no agent's line.
pub fn decode<'a>(text: &'a str, context: Option<&'a LineContext>) -> Result<Option<Request<'a>>, DecodeError> {
    let top: Top = serde_json::from_str(text).map_err(json_error)?;
    let Some(agent) = top.agent(context) else { return Ok(None) };
    if agent == Agent::SessionExport {
        return Ok(Some(request(agent, None, export_messages(text)?)));
    }
    let whole: &RawValue = serde_json::from_str(text).map_err(json_error)?;
    let mut attributes = Vec::new();
    flatten("", whole, &mut attributes)?;
    let (when, name) = match agent {
        Agent::Cline => (time(top.time, "time")?, text_of(top.event).or(text_of(top.msg))),
        Agent::Pi | Agent::ClaudeCode | Agent::QwenChat | Agent::QwenUsage => {
            (time(top.timestamp, "timestamp")?, text_of(top.tag))
        }
        // Named by the payload's type (`token_count`), where it has one.
        Agent::Codex => {
            let payload_type = attributes.iter().find(|kv| kv.key == "payload.type").and_then(|kv| match kv.value {
                Some(AttrValue::Plain(raw)) => text_of(Some(raw)),
                _ => None,
            });
            (time(top.timestamp, "timestamp")?, payload_type.or(text_of(top.tag)))
        }
        Agent::Droid => (time(top.provider_lock_timestamp, "providerLockTimestamp")?, None),
        Agent::SessionExport => (None, None),
        Agent::GeminiChat => match top.timestamp {
            Some(_) => (time(top.timestamp, "timestamp")?, text_of(top.tag)),
            None => (time(top.start_time, "startTime")?, None),
        },
    };
    let mut service = None;
    let carried = |key: &'static str, value: Option<&'a RawValue>| {
        value.map(|v| KeyValue { key: key.into(), value: Some(AttrValue::Plain(v)) })
    };
    match (agent, context) {
        (Agent::Codex, Some(context)) => {
            service = context.originator();
            for (key, value) in context.carried() {
                match value {
                    // A running total's growth: its counts under the key.
                    Some(object) if object.get().starts_with('{') => flatten(key, object, &mut attributes)?,
                    _ => attributes.extend(carried(key, value)),
                }
            }
        }
        (Agent::GeminiChat, Some(context)) if top.session_id.is_none() => {
            attributes.extend(carried("sessionId", context.chat_session()));
        }
        _ => {}
    }
    let record = LogRecord {
        time_unix_nano: when.unwrap_or(0),
        event_name: name.unwrap_or_default(),
        attributes,
        ..Default::default()
    };
    Ok(Some(request(agent, service, vec![record])))
}

/// The request of an agent's records, its service named `service` or after the agent.
fn request<'a>(agent: Agent, service: Option<&'a RawValue>, log_records: Vec<LogRecord<'a>>) -> Request<'a> {
    let service = service.or_else(|| serde_json::from_str(agent.service()).ok());
    Request::Logs(vec![ResourceLogs {
        resource: Resource {
            attributes: vec![KeyValue { key: "service.name".into(), value: service.map(AttrValue::Plain) }],
        },
        scope_logs: vec![ScopeLogs {
            scope: Scope { name: agent.scope().into(), version: Cow::Borrowed("") },
            log_records,
        }],
    }])
}

/// An OpenCode or Kilo Code export's messages, one record each, named by their role.
fn export_messages(text: &str) -> Result<Vec<LogRecord<'_>>, DecodeError> {
    #[derive(Deserialize)]
    struct Export<'a> {
        #[serde(borrow)]
        messages: Vec<Message<'a>>,
    }
    #[derive(Deserialize)]
    struct Message<'a> {
        #[serde(borrow)]
        info: &'a RawValue,
    }
    #[derive(Default, Deserialize)]
    struct Info<'a> {
        #[serde(borrow)]
        role: Raw<'a>,
        time: Option<Times>,
    }
    #[derive(Default, Deserialize)]
    struct Times {
        completed: Option<u64>,
        created: Option<u64>,
    }
    let export: Export = serde_json::from_str(text).map_err(json_error)?;
    let mut records = Vec::with_capacity(export.messages.len());
    for message in export.messages {
        let info: Info = serde_json::from_str(message.info.get()).map_err(json_error)?;
        let millis = info.time.and_then(|t| t.completed.or(t.created)).unwrap_or(0);
        let mut attributes = Vec::new();
        flatten("", message.info, &mut attributes)?;
        records.push(LogRecord {
            time_unix_nano: millis.saturating_mul(1_000_000),
            event_name: text_of(info.role).unwrap_or_default(),
            attributes,
            ..Default::default()
        });
    }
    Ok(records)
}

/// The fields of an object under `prefix`, nested objects as dotted keys; arrays and
/// booleans left out.
fn flatten<'a>(prefix: &str, object: &'a RawValue, out: &mut Vec<KeyValue<'a>>) -> Result<(), DecodeError> {
    for kv in flat(Some(object))? {
        let Some(AttrValue::Plain(value)) = kv.value else { continue };
        let key = if prefix.is_empty() { kv.key } else { Cow::Owned(format!("{prefix}.{}", kv.key)) };
        match value.get().as_bytes().first() {
            Some(b'{') => flatten(&key, value, out)?,
            Some(b'[' | b't' | b'f') => {}
            _ => out.push(KeyValue { key, value: Some(AttrValue::Plain(value)) }),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FILES: [&str; 6] = [
        include_str!("../../testdata/agent-files/cline-3.0.65-cline.log"),
        include_str!("../../testdata/agent-files/pi-0.73.1-session-openai.jsonl"),
        include_str!("../../testdata/agent-files/claude-code-2.1.332-transcript.jsonl"),
        include_str!("../../testdata/agent-files/codex-0.171.0-rollout.jsonl"),
        include_str!("../../testdata/agent-files/gemini-cli-0.61.0-chat-session.jsonl"),
        include_str!("../../testdata/agent-files/gemini-cli-0.61.0-chat-subagent.jsonl"),
    ];

    #[test]
    fn every_line_of_the_real_files_is_an_agents_line() {
        for file in FILES {
            let mut context = LineContext::for_file(file.lines().next().unwrap().as_bytes());
            assert!(is_record(file.lines().next().unwrap().as_bytes()));
            for line in file.lines() {
                context.advance(line.as_bytes());
                assert!(matches!(decode(line, Some(&context)), Ok(Some(Request::Logs(_)))), "{line}");
            }
        }
    }

    #[test]
    fn a_codex_line_gets_its_service_session_and_model_from_the_lines_before() {
        let file = FILES[3];
        let mut context = LineContext::for_file(file.lines().next().unwrap().as_bytes());
        let counts: Vec<&str> = file.lines().filter(|l| l.contains("\"type\":\"token_count\"")).collect();
        // Not a Codex line without its file: only the first line tells.
        assert!(matches!(decode(counts[0], None), Ok(None)));
        file.lines().take_while(|l| *l != counts[0]).for_each(|l| context.advance(l.as_bytes()));
        let Ok(Some(Request::Logs(logs))) = decode(counts[0], Some(&context)) else { panic!("a log record") };
        let service = logs[0].resource.attributes[0].value.unwrap().get();
        assert_eq!(service, Value::Str("codex_exec".into()));
        let record = &logs[0].scope_logs[0].log_records[0];
        assert_eq!(record.event_name, "token_count");
        let carried: Vec<(&str, Value)> = record.attributes[record.attributes.len() - 3..]
            .iter()
            .map(|kv| (&*kv.key, kv.value.unwrap().get()))
            .collect();
        assert_eq!(
            carried,
            [
                ("rollout.session", Value::Str("01a23c2f-73aa-70d0-9520-063477c380c0".into())),
                ("rollout.thread", Value::Str("01a23c2f-73aa-70d0-9520-063477c380c0".into())),
                ("turn_context.model", Value::Str("gpt-5.5".into()))
            ]
        );
    }

    #[test]
    fn a_gemini_chat_line_gets_the_session_of_its_files_first_line_but_a_subagents_none() {
        for (file, session) in [(FILES[4], Some("\"0bb8c0d7-f53d-426b-b93d-ebd1d85211fe\"")), (FILES[5], None)] {
            let context = LineContext::for_file(file.lines().next().unwrap().as_bytes());
            assert!(context.is_gemini_chat());
            let call = file.lines().find(|l| l.contains("\"tokens\"")).unwrap();
            // A message line alone is no agent's line: only the file's first line tells.
            assert!(matches!(decode(call, None), Ok(None)));
            let Ok(Some(Request::Logs(logs))) = decode(call, Some(&context)) else { panic!("a log record") };
            assert_eq!(logs[0].scope_logs[0].scope.name, "gemini_cli.chat");
            let record = &logs[0].scope_logs[0].log_records[0];
            assert_eq!(record.event_name, "gemini");
            let carried = record.attributes.iter().find(|kv| kv.key == "sessionId");
            let carried = carried.and_then(|kv| match kv.value {
                Some(AttrValue::Plain(raw)) => Some(raw.get()),
                _ => None,
            });
            assert_eq!(carried, session);
            assert!(record.attributes.iter().any(|kv| kv.key == "tokens.cached"));
        }
    }

    #[test]
    fn an_export_is_one_record_per_message_at_its_completion() {
        let export = include_str!("../../testdata/agent-files/kilo-7.7.7-export-openai.json");
        assert!(is_record(export.as_bytes()));
        let Ok(Some(Request::Logs(logs))) = decode(export, None) else { panic!("log records") };
        assert_eq!(logs[0].scope_logs[0].scope.name, "opencode.export");
        let records = &logs[0].scope_logs[0].log_records;
        let roles: Vec<&str> = records.iter().map(|r| &*r.event_name).collect();
        assert_eq!(roles, ["user", "assistant", "assistant", "assistant"]);
        assert_eq!(records[1].time_unix_nano % 1_000_000, 0);
        assert!(records[1].attributes.iter().any(|kv| kv.key == "tokens.cache.read"));
    }

    proptest! {
        #[test]
        fn mutated_lines_never_panic(
            which in 0usize..FILES.len(), line in any::<usize>(), cut in 0usize..4096,
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8)
        ) {
            let lines: Vec<&str> = FILES[which].lines().collect();
            let mut bytes = lines[line % lines.len()].as_bytes().to_vec();
            bytes.truncate(cut.max(1));
            for (at, byte) in &flips {
                let i = at % bytes.len();
                bytes[i] = *byte;
            }
            let _ = is_record(&bytes);
            let mut context = LineContext::for_file(FILES[which].lines().next().unwrap_or_default().as_bytes());
            context.advance(&bytes);
            if let Ok(text) = std::str::from_utf8(&bytes) {
                let _ = decode(text, Some(&context));
            }
        }
    }

    #[test]
    fn lines_are_told_apart_by_their_keys() {
        let cline = r#"{"level":30,"time":"2026-12-03T13:27:46.518Z","name":"cline.cli","event":"task.tokens","properties":{"tokensIn":300,"model":"m"},"msg":"telemetry.event"}"#;
        let pi_header = r#"{"type":"session","version":3,"id":"0a","timestamp":"2026-12-03T13:31:22.624Z","cwd":"/w"}"#;
        let pi_entry = r#"{"type":"message","id":"ca98ae9d","parentId":null,"timestamp":"2026-12-03T13:31:35.368Z","message":{"role":"assistant","content":[{"type":"text"}],"usage":{"input":2000,"cost":{"total":0.002398}}}}"#;
        let claude = r#"{"type":"cost-state","sessionId":"dcdcd2b9","totalCostUSD":0.0237}"#;
        let droid = r#"{"model":"custom:Fake-0","autonomyLevel":"low","tokenUsage":{"inputTokens":490}}"#;
        let qwen_chat = r#"{"uuid":"u","sessionId":"s","timestamp":"2026-12-03T19:53:25.691Z","type":"assistant","usageMetadata":{"promptTokenCount":2000}}"#;
        let qwen_ledger =
            r#"{"schemaVersion":1,"id":"i","timestamp":"2026-12-03T19:53:25.661Z","sessionId":"s","inputTokens":2000}"#;
        let gemini_chat = r#"{"sessionId":"s","projectHash":"h","startTime":"2026-12-03T19:46:10.382Z","kind":"main"}"#;
        for line in [cline, pi_header, pi_entry, claude, droid, qwen_chat, qwen_ledger, gemini_chat] {
            assert!(is_record(line.as_bytes()), "{line}");
        }
        let scope = |line: &str| match decode(line, None) {
            Ok(Some(Request::Logs(logs))) => logs[0].scope_logs[0].scope.name.to_string(),
            _ => String::new(),
        };
        assert_eq!(scope(claude), "claude_code.transcript");
        assert_eq!(scope(qwen_chat), "qwen_code.chat");
        assert_eq!(scope(qwen_ledger), "qwen_code.usage");
        assert_eq!(scope(gemini_chat), "gemini_cli.chat");
        let others = [
            r#"{"level":30,"time":"t","name":"app","msg":"m"}"#,
            r#"{"type":"x","id":"1"}"#,
            "[1]",
            r#"{"model":"m","tokenUsage":{"inputTokens":1}}"#,
            r#"{"timestamp":"t","type":"event_msg","payload":{}}"#,
        ];
        for other in others {
            assert!(!is_record(other.as_bytes()), "{other}");
        }
        let Ok(Some(Request::Logs(logs))) = decode(pi_entry, None) else { panic!("a log record") };
        let record = &logs[0].scope_logs[0].log_records[0];
        assert_eq!(record.event_name, "message");
        assert_eq!(record.time_unix_nano, 1_796_304_695_368_000_000);
        let keys: Vec<&str> = record.attributes.iter().map(|kv| &*kv.key).collect();
        assert_eq!(
            keys,
            ["type", "id", "parentId", "timestamp", "message.role", "message.usage.input", "message.usage.cost.total"]
        );
        let Ok(Some(Request::Logs(logs))) = decode(cline, None) else { panic!("a log record") };
        assert_eq!(logs[0].scope_logs[0].log_records[0].event_name, "task.tokens");
        assert_eq!(logs[0].scope_logs[0].scope.name, "cline.log");
    }
}
