//! Codex's session transcript (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl`):
//! lines `{"timestamp", "type", "payload"}`, the first a `session_meta`. A line's usage
//! (`event_msg` / `token_count`) names neither the session nor the model: those are on
//! earlier lines (`session_meta`, `turn_context`), so the lines of one file are read
//! with a [`LineContext`] that carries them forward: a few short strings, however long
//! the file. The reader of the file carries it from chunk to chunk, the chunk from line
//! to line.
//!
//! Gemini CLI's chat recording (`~/.gemini/tmp/<project>/chats/session-*.jsonl`) needs it
//! too: only its first line (`sessionId`, `projectHash`, …) tells what the file is and
//! names the session; its message and `$set` lines have no key of their own to tell.

use serde::Deserialize;
use serde_json::value::RawValue;

/// What the earlier lines of a file tell about the later ones: for a Codex transcript,
/// the session, the process that wrote it (its OpenTelemetry `service.name`) and the
/// model of the current turn; for a Gemini CLI chat recording, its session. Inert for
/// every other file.
#[derive(Clone, Debug, Default)]
pub struct LineContext {
    codex: Option<Codex>,
    /// A Gemini CLI chat recording's `sessionId` (JSON), `Some` for such a file; none for
    /// a subagent's, whose own id is not the session its calls' telemetry names.
    gemini_chat: Option<Option<Box<RawValue>>>,
}

#[derive(Clone, Debug, Default)]
struct Codex {
    /// `session_meta.payload.id` of the file's first `session_meta`: its own session.
    session: Option<Box<RawValue>>,
    /// That of the latest `session_meta`: a fork embeds its parent's before replaying
    /// the parent's history, whose running totals are the parent's.
    thread: Option<Box<RawValue>>,
    /// `session_meta.payload.originator`: Codex names its OpenTelemetry service after it.
    originator: Option<Box<RawValue>>,
    /// `turn_context.payload.model` of the latest turn.
    model: Option<Box<RawValue>>,
    /// The latest `token_count` line's running total (`total_token_usage`).
    running: Option<Counts>,
    /// For a `token_count` line with only the running total (older Codex): its growth
    /// since the file's previous total as `{"input_tokens": …}` (`TOTAL_KEYS`), or
    /// [`REPEATED`] when it has not grown (the line written again); none otherwise.
    growth: Option<Box<RawValue>>,
}

/// A running total's counts, in `TOTAL_KEYS` order.
type Counts = [u64; 5];

/// The counts of a running total that are differenced.
const TOTAL_KEYS: [&str; 5] =
    ["input_tokens", "cached_input_tokens", "cache_write_input_tokens", "output_tokens", "reasoning_output_tokens"];

/// The growth of a total that stayed the same.
pub const REPEATED: &str = "\"repeated\"";

/// What a context adds to a line's record: its key and JSON value.
pub type Carried<'c> = [(&'static str, Option<&'c RawValue>); 4];

/// The longest value kept (a session id, a model name): longer ones are not names.
const MAX_VALUE: usize = 256;
/// How far into a line its top-level `type` is looked for (it precedes the payload).
const HEAD: usize = 256;

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "type", borrow)]
    tag: Option<&'a str>,
    #[serde(borrow)]
    payload: Option<Payload<'a>>,
}

#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    originator: Option<&'a RawValue>,
    #[serde(borrow)]
    model: Option<&'a RawValue>,
    #[serde(rename = "type", borrow)]
    tag: Option<&'a str>,
    info: Option<Info>,
}

#[derive(Deserialize)]
struct Info {
    total_token_usage: Option<Usage>,
    last_token_usage: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct Usage {
    input_tokens: Option<u64>,
    cached_input_tokens: Option<u64>,
    cache_write_input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    reasoning_output_tokens: Option<u64>,
}

impl Usage {
    fn counts(&self) -> Counts {
        [
            self.input_tokens,
            self.cached_input_tokens,
            self.cache_write_input_tokens,
            self.output_tokens,
            self.reasoning_output_tokens,
        ]
        .map(|n| n.unwrap_or(0))
    }
}

/// A running total's growth since `previous` (the file's first total grew from nothing);
/// `None` when a count went down, which no difference explains.
fn growth(previous: Option<Counts>, total: Counts) -> Option<Box<RawValue>> {
    let previous = previous.unwrap_or_default();
    if previous == total {
        return RawValue::from_string(REPEATED.into()).ok();
    }
    let mut object = String::from("{");
    for ((key, now), before) in TOTAL_KEYS.iter().zip(total).zip(previous) {
        let grown = now.checked_sub(before)?;
        if object.len() > 1 {
            object.push(',');
        }
        object.push_str(&format!("\"{key}\":{grown}"));
    }
    object.push('}');
    RawValue::from_string(object).ok()
}

/// A string value short enough to be a name, owned.
fn name(raw: Option<&RawValue>) -> Option<Box<RawValue>> {
    raw.filter(|r| r.get().starts_with('"') && r.get().len() <= MAX_VALUE).map(RawValue::to_owned)
}

impl LineContext {
    /// The context of a file whose first line is `first`: a Codex transcript's when it is
    /// a `session_meta` line (with what it says), else inert.
    pub fn for_file(first: &[u8]) -> LineContext {
        let mut context = LineContext { codex: Some(Codex::default()), gemini_chat: None };
        context.advance(first);
        if context.codex.as_ref().is_some_and(|c| c.session.is_none() && c.originator.is_none()) {
            context.codex = None;
        }
        #[derive(Deserialize)]
        struct ChatHeader<'a> {
            #[serde(rename = "sessionId", borrow)]
            session: Option<&'a RawValue>,
            #[serde(rename = "projectHash")]
            project: Option<serde::de::IgnoredAny>,
            kind: Option<&'a str>,
        }
        // Searched before parsing: every JSON-lines file's first line comes here, and an
        // OTLP dump's can be megabytes.
        if find(first, b"\"projectHash\"") {
            if let Ok(ChatHeader { session: Some(session), project: Some(_), kind }) = serde_json::from_slice(first) {
                context.gemini_chat = Some(name(Some(session)).filter(|_| kind != Some("subagent")));
            }
        }
        context
    }

    /// Whether the file is a Gemini CLI chat recording.
    pub fn is_gemini_chat(&self) -> bool {
        self.gemini_chat.is_some()
    }

    /// A Gemini CLI chat recording's session, as its first line names it.
    pub(super) fn chat_session(&self) -> Option<&RawValue> {
        self.gemini_chat.as_ref()?.as_deref()
    }

    /// Whether the file is a Codex transcript.
    pub fn is_codex(&self) -> bool {
        self.codex.is_some()
    }

    /// Takes in what one line says for the lines after it.
    pub fn advance(&mut self, line: &[u8]) {
        let Some(codex) = self.codex.as_mut() else { return };
        codex.growth = None;
        let head = &line[..line.len().min(HEAD)];
        let (meta, turn) = (find(head, b"\"session_meta\""), find(head, b"\"turn_context\""));
        let count = find(head, b"\"token_count\"");
        if !meta && !turn && !count {
            return;
        }
        let Ok(Line { tag, payload: Some(p) }) = serde_json::from_slice::<Line>(line) else { return };
        if let (Some("token_count"), Some(Info { total_token_usage: Some(total), last_token_usage })) = (p.tag, &p.info)
        {
            let total = total.counts();
            if last_token_usage.is_none() {
                codex.growth = growth(codex.running, total);
            }
            codex.running = Some(total);
            return;
        }
        match tag {
            Some("session_meta") => {
                codex.thread = name(p.id).or(codex.thread.take());
                codex.session = codex.session.take().or_else(|| codex.thread.clone());
                codex.originator = name(p.originator).or(codex.originator.take());
            }
            Some("turn_context") => codex.model = name(p.model).or(codex.model.take()),
            _ => {}
        }
    }

    /// Takes in every line of a chunk of whole lines.
    pub fn advance_lines(&mut self, data: &[u8]) {
        if self.codex.is_some() {
            data.split(|&b| b == b'\n').for_each(|line| self.advance(line));
        }
    }

    /// The process that wrote a Codex transcript (`originator`), if the file named one.
    pub(super) fn originator(&self) -> Option<&RawValue> {
        self.codex.as_ref()?.originator.as_deref()
    }

    /// The attributes a Codex transcript's line gets from the lines before it.
    pub(super) fn carried(&self) -> Carried<'_> {
        let codex = self.codex.as_ref();
        [
            ("rollout.session", codex.and_then(|c| c.session.as_deref())),
            ("rollout.thread", codex.and_then(|c| c.thread.as_deref())),
            ("turn_context.model", codex.and_then(|c| c.model.as_deref())),
            ("rollout.total_growth", codex.and_then(|c| c.growth.as_deref())),
        ]
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: &str = r#"{"timestamp":"2026-12-03T13:53:58.404Z","type":"session_meta","payload":{"id":"s1","originator":"codex_exec","cli_version":"0.171.0"}}"#;

    fn carried(context: &LineContext) -> Vec<Option<String>> {
        context.carried().iter().map(|(_, v)| v.map(|v| v.get().to_string())).collect()
    }

    #[test]
    fn the_session_and_the_turns_model_are_carried_forward() {
        assert!(!LineContext::for_file(br#"{"resourceSpans":[]}"#).is_codex());
        assert!(!LineContext::for_file(br#"{"timestamp":"t","type":"session_meta","payload":{}}"#).is_codex());
        let mut context = LineContext::for_file(META.as_bytes());
        assert!(context.is_codex());
        assert_eq!(context.originator().map(RawValue::get), Some("\"codex_exec\""));
        assert_eq!(carried(&context), [Some("\"s1\"".into()), Some("\"s1\"".into()), None, None]);
        let turn = |model: &str| {
            format!(r#"{{"timestamp":"t","type":"turn_context","payload":{{"turn_id":"x","model":{model}}}}}"#)
        };
        context.advance_lines(
            format!("{}\n{{\"type\":\"event_msg\",\"payload\":{{\"model\":\"no\"}}}}\n", turn("\"gpt-5.5\""))
                .as_bytes(),
        );
        assert_eq!(carried(&context)[..3], [Some("\"s1\"".into()), Some("\"s1\"".into()), Some("\"gpt-5.5\"".into())]);
        // A model that is not a name leaves the last one.
        let long = format!("\"{}\"", "m".repeat(MAX_VALUE));
        for bad in ["7", "null", long.as_str()] {
            context.advance(turn(bad).as_bytes());
            assert_eq!(carried(&context)[2].as_deref(), Some("\"gpt-5.5\""), "{bad}");
        }
        context.advance(b"{\"type\":\"turn_context\",\"payload\":");
        assert_eq!(carried(&context)[2].as_deref(), Some("\"gpt-5.5\""));
        // A fork's file: its own session, then its parent's, whose history it replays.
        context.advance(META.replace("s1", "parent").as_bytes());
        assert_eq!(carried(&context)[..2], [Some("\"s1\"".into()), Some("\"parent\"".into())]);
    }

    #[test]
    fn a_running_total_without_the_last_usage_carries_its_growth_on_its_own_line_only() {
        let count = |total: &str, last: &str| {
            format!(
                r#"{{"timestamp":"t","type":"event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{total}{last}}}}}}}"#
            )
        };
        let total = |input: u64, output: u64| format!(r#"{{"input_tokens":{input},"output_tokens":{output}}}"#);
        let growth = |context: &LineContext| carried(context)[3].clone();
        let mut context = LineContext::for_file(META.as_bytes());
        let grown = |input: u64, output: u64| {
            Some(format!(
                r#"{{"input_tokens":{input},"cached_input_tokens":0,"cache_write_input_tokens":0,"output_tokens":{output},"reasoning_output_tokens":0}}"#
            ))
        };
        context.advance(count(&total(100, 10), "").as_bytes());
        assert_eq!(growth(&context), grown(100, 10));
        context.advance(b"{\"type\":\"response_item\",\"payload\":{}}");
        assert_eq!(growth(&context), None);
        // With the last usage the line needs none, but its total is the next one's base.
        context.advance(count(&total(250, 30), r#","last_token_usage":{"input_tokens":150}"#).as_bytes());
        assert_eq!(growth(&context), None);
        context.advance(count(&total(400, 35), "").as_bytes());
        assert_eq!(growth(&context), grown(150, 5));
        context.advance(count(&total(400, 35), "").as_bytes());
        assert_eq!(growth(&context).as_deref(), Some(REPEATED));
        context.advance(count(&total(300, 40), "").as_bytes());
        assert_eq!(growth(&context), None);
        assert!(!LineContext::for_file(count(&total(1, 1), "").as_bytes()).is_codex());
    }
}
