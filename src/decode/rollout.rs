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
}

/// What a context adds to a line's record: its key and JSON value.
pub type Carried<'c> = [(&'static str, Option<&'c RawValue>); 3];

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
        if let Ok(ChatHeader { session: Some(session), project: Some(_), kind }) = serde_json::from_slice(first) {
            context.gemini_chat = Some(name(Some(session)).filter(|_| kind != Some("subagent")));
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
        let head = &line[..line.len().min(HEAD)];
        let (meta, turn) = (find(head, b"\"session_meta\""), find(head, b"\"turn_context\""));
        if !meta && !turn {
            return;
        }
        let Ok(Line { tag, payload: Some(p) }) = serde_json::from_slice::<Line>(line) else { return };
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
        assert_eq!(carried(&context), [Some("\"s1\"".into()), Some("\"s1\"".into()), None]);
        let turn = |model: &str| {
            format!(r#"{{"timestamp":"t","type":"turn_context","payload":{{"turn_id":"x","model":{model}}}}}"#)
        };
        context.advance_lines(
            format!("{}\n{{\"type\":\"event_msg\",\"payload\":{{\"model\":\"no\"}}}}\n", turn("\"gpt-5.5\""))
                .as_bytes(),
        );
        assert_eq!(carried(&context), [Some("\"s1\"".into()), Some("\"s1\"".into()), Some("\"gpt-5.5\"".into())]);
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
}
