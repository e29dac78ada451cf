//! Never a silent $0: what a run must say when it may be missing calls — usage-like data
//! nothing read, no call found at all, requests the receiver refused — and what `--strict`
//! fails on among them.

use super::finish::count;
use super::Diagnostic;
use crate::extract::Unread;
use crate::input::InputStats;
use crate::receiver::{refusals, Session};

/// How many unread keys are named one by one; `inspect` lists them all.
const KEYS_SHOWN: usize = 10;

/// What a run found that may mean calls were lost.
pub(super) struct Losses<'a> {
    pub unread: &'a Unread,
    /// Calls found (before `--where` and the time window).
    pub calls: usize,
    pub records: u64,
    pub stats: &'a InputStats,
    /// The receiver's session, for `listen` and `run`.
    pub session: Option<&'a Session>,
    /// No input could be read at all: that error is said already.
    pub read_nothing: bool,
}

impl Losses<'_> {
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut told = self.unread_diagnostics();
        told.extend(self.no_calls());
        told.extend(self.refused());
        told
    }

    /// What `--strict` fails on, each as a phrase (none: nothing of this kind was lost).
    pub fn strict_reasons(&self) -> Vec<String> {
        let mut why = Vec::new();
        if !self.unread.is_empty() {
            why.push(format!("usage-like data in {} not read", count(self.unread.records(), "record")));
        }
        if self.calls == 0 && !self.read_nothing {
            why.push("no LLM call found".into());
        }
        if let Some(refused) = self.session.map(|s| s.refused.total()).filter(|n| *n > 0) {
            why.push(format!("{} refused", count(refused, "request")));
        }
        why
    }

    fn unread_diagnostics(&self) -> Vec<Diagnostic> {
        if self.unread.is_empty() {
            return Vec::new();
        }
        let mut told: Vec<Diagnostic> = self
            .unread
            .keys
            .iter()
            .take(KEYS_SHOWN)
            .map(|(key, f)| {
                Diagnostic::warning(format!("usage-like data no emitter module reads: {}", f.describe(key)))
            })
            .collect();
        let more_keys = self.unread.keys.len().saturating_sub(KEYS_SHOWN) as u64;
        if more_keys > 0 || self.unread.more > 0 {
            let records: u64 =
                self.unread.keys.values().skip(KEYS_SHOWN).map(|f| f.records).sum::<u64>() + self.unread.more;
            told.push(Diagnostic::warning(format!(
                "… and usage-like data in {} more (`otelcost inspect` lists the keys)",
                count(records, "record")
            )));
        }
        let repeat = if self.calls > 0 {
            " (they may repeat calls counted from other records: `otelcost inspect` shows both)"
        } else {
            ""
        };
        told.push(Diagnostic::warning(format!(
            "nothing was counted from these records{repeat}: teach otelcost their vocabulary with --usage-map FILE \
             (see examples/usage-map.toml), or report it so that a module reads it"
        )));
        told
    }

    /// A run that found no call says why that may be and what to try.
    fn no_calls(&self) -> Option<Diagnostic> {
        if self.calls > 0 || self.read_nothing {
            return None;
        }
        let what = match self.session {
            Some(s) if s.accepted == 0 && !s.refused.is_empty() => {
                "the session accepted no request: every one was refused (below)".to_string()
            }
            Some(s) if s.accepted == 0 && self.records == 0 => {
                "the session received no telemetry: nothing was sent to otelcost's receiver (is the program's \
                 OpenTelemetry exporter installed and on? a program that sets its own OTLP endpoint sends elsewhere)"
                    .to_string()
            }
            Some(s) => format!(
                "the session received {} ({}) but no LLM call with token usage in it",
                count(s.accepted, "request"),
                count(self.records, "record")
            ),
            None if self.stats.bytes == 0 => {
                "the input is empty (an empty directory, empty files or empty stdin)".to_string()
            }
            None if self.records == 0 => {
                format!("{} read, holding no telemetry record", count(self.stats.files, "file"))
            }
            None => format!("{} read, but none is an LLM call with token usage", count(self.records, "record")),
        };
        let next = if !self.unread.is_empty() {
            "the usage-like data above may be the calls: --usage-map FILE reads it"
        } else if self.records > 0 {
            "`otelcost inspect` shows the scopes and emitters there; the instrumentation may need its switch \
             to record token usage, and --usage-map FILE teaches otelcost a vocabulary it does not read"
        } else {
            "check that the program exports OpenTelemetry (traces, logs or metrics) to where otelcost reads"
        };
        Some(Diagnostic::warning(format!("no LLM call found: {what}; {next}")))
    }

    fn refused(&self) -> Vec<Diagnostic> {
        let Some(session) = self.session else { return Vec::new() };
        let mut told: Vec<Diagnostic> = session
            .refused
            .by
            .iter()
            .map(|((status, sender), n)| {
                let hint = if *status == 413 {
                    format!(" at {} bytes: {}", session.max_body, refusals::TOO_LARGE)
                } else {
                    String::new()
                };
                Diagnostic::warning(format!(
                    "{} from {sender} refused with {status}, {}{hint}; what they carried is not counted",
                    count(*n, "request"),
                    refusals::describe(*status)
                ))
            })
            .collect();
        if session.refused.more > 0 {
            told.push(Diagnostic::warning(format!(
                "… and {} refused from other senders or for other reasons",
                count(session.refused.more, "request")
            )));
        }
        told
    }
}
