//! The flow, owned in one place: `input → decode → extract → reconcile → price →
//! allocate → report`.
//!
//! A run is a [`Plan`] (its [`Options`] checked once), one or more sources pushing units
//! into one store, and the stages in order over what was collected:
//! - [`collect`]: files, directories and stdin, read and extracted on all cores;
//! - [`LiveSink`]: the consumer a [`crate::receiver`] hands each request to (the receiver
//!   is one more source: it sees nothing after its consumer);
//! - [`report`]: reconcile → price → allocate → write, returning an [`Outcome`] with what
//!   the user must be told ([`Diagnostic`]s) and the run's [`Verdict`].
//!
//! Stages never reach back: no module imports from a later stage into an earlier one, and
//! only this module knows them all. The command line maps its flags to [`Options`] and
//! prints what comes back.

mod collect;
mod compare;
mod finish;
mod live;
mod plan;
mod safety;
mod unit;

pub use collect::{collect, Collected};
pub use compare::{compare_bills, Compared};
pub use finish::{count, problem_diagnostics, report};
pub use live::{LiveSink, SoFar};
pub use plan::{output_format, shape, time_bound, Options, Plan};
pub use unit::process_unit;

/// Why a run could not finish.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The options are malformed or do not go together.
    #[error("{0}")]
    Options(String),
    /// The price catalog, or a price file, could not be loaded.
    #[error("{0}")]
    Prices(String),
    /// The rules file could not be loaded.
    #[error("rules: {0}")]
    Rules(String),
    /// A usage map could not be loaded.
    #[error("--usage-map: {0}")]
    UsageMap(String),
    /// Spilling to disk, or reading spilled records back, failed.
    #[error("{0}")]
    Reconcile(String),
    /// The report could not be written.
    #[error("{0}")]
    Output(String),
    /// No input could be read at all (the first problem follows).
    #[error("no input could be read{0}")]
    ReadNothing(String),
    /// The reader of the output went away (a pipe into `head`): nothing more to do.
    #[error("the output was closed")]
    Closed,
}

/// Whether writing failed because the reader of a pipe went away.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// A message for the user about a run, in the order it should be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub level: Level,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Something in the input that was not read: always shown.
    Error,
    Warning,
    Note,
    /// The closing count of what was read and counted.
    Summary,
    /// Why the run fails (`--strict`): always shown.
    Verdict,
}

impl Diagnostic {
    pub fn error(text: String) -> Diagnostic {
        Diagnostic { level: Level::Error, text }
    }
    pub fn warning(text: String) -> Diagnostic {
        Diagnostic { level: Level::Warning, text }
    }
    pub fn note(text: String) -> Diagnostic {
        Diagnostic { level: Level::Note, text }
    }
    pub fn summary(text: String) -> Diagnostic {
        Diagnostic { level: Level::Summary, text }
    }
    pub fn verdict(text: String) -> Diagnostic {
        Diagnostic { level: Level::Verdict, text }
    }

    /// Whether `--quiet` still shows it.
    pub fn shown_when_quiet(&self) -> bool {
        matches!(self.level, Level::Error | Level::Verdict)
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let prefix = match self.level {
            Level::Error => "error: ",
            Level::Warning => "warning: ",
            Level::Note => "note: ",
            Level::Summary | Level::Verdict => "otelcost: ",
        };
        write!(f, "{prefix}{}", self.text)
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// No input could be read at all: no report was written.
    ReadNothing,
    /// An input named on the command line could not be read; the report covers the rest.
    Unreadable,
    /// `--strict`, and something was lost.
    Strict,
}

/// A finished run: the report written, and what to tell.
pub struct Outcome {
    pub report: crate::allocate::Report,
    pub diagnostics: Vec<Diagnostic>,
    pub verdict: Verdict,
}
