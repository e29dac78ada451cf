//! The command line: arguments, and each command (one file each) wiring the stages together.

use clap::{Parser, Subcommand};

mod about;
mod agents;
mod compare_bill;
mod dimensions;
mod examples;
mod inspect;
mod listen;
mod merge;
mod prices;
mod report;
mod run;
#[cfg(feature = "update")]
mod update;

/// Exit codes (documented in the README).
pub mod exit {
    /// The report was produced.
    pub const OK: i32 = 0;
    /// Nothing could be reported: unreadable input, an unwritable output, a bad value.
    pub const ERROR: i32 = 1;
    /// The command line was malformed (clap's own code).
    pub const USAGE: i32 = 2;
    /// `--strict`, and something was lost: an unreadable record or an unpriced call.
    pub const STRICT: i32 = 3;
    /// `run --budget`, and the cost went over it (before the command's own exit status).
    pub const BUDGET: i32 = 4;
    /// `compare-bill --min-coverage`, and the telemetry explains less of the bill.
    pub const COVERAGE: i32 = 5;
    /// `run`: the command was found but cannot be executed (a shell's code).
    pub const CANNOT_EXECUTE: i32 = 126;
    /// `run`: the command was not found (a shell's code).
    pub const NOT_FOUND: i32 = 127;
}

#[derive(Parser, Debug)]
#[command(
    name = "otelcost",
    version = concat!(env!("CARGO_PKG_VERSION"), " (prices bundled ", crate::price::bundled_date!(), ")"),
    about = "The cost of the LLM calls in your OpenTelemetry data.",
    after_help = examples::TOP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Price the LLM calls in OTLP dumps and report them grouped.
    #[command(after_help = examples::REPORT)]
    Report(report::ReportArgs),
    /// Show what is in OTLP dumps and what otelcost makes of them: signals, emitters,
    /// models, what was counted and what was not, and why.
    #[command(after_help = examples::INSPECT)]
    Inspect(inspect::InspectArgs),
    /// Look into the price catalog: list entries, show one, explain a model match, fetch
    /// the newest prices.
    #[command(after_help = examples::PRICES)]
    Prices(prices::PricesArgs),
    /// Receive OTLP (HTTP and gRPC) for a session, then report its LLM calls.
    #[command(after_help = examples::LISTEN)]
    Listen(listen::ListenArgs),
    /// Run a command with its OpenTelemetry pointed at otelcost, then report its LLM cost
    /// (and fail over a --budget).
    #[command(after_help = agents::HELP)]
    Run(run::RunArgs),
    /// List the dimensions --by and --where understand: built in, aliases and their
    /// attribute keys, and those a rules file derives.
    #[command(after_help = examples::DIMENSIONS)]
    Dimensions(dimensions::DimensionsArgs),
    /// Combine JSON reports made over separate inputs (shards, machines) into one exact
    /// report, as if one run had read everything.
    #[command(after_help = examples::MERGE)]
    Merge(merge::MergeArgs),
    /// Hold the telemetry's estimate against the provider's bill (OpenAI and Anthropic cost
    /// and usage exports, FOCUS datasets): how much of the bill it explains, and why the rest
    /// is not.
    #[command(after_help = examples::COMPARE_BILL)]
    CompareBill(compare_bill::CompareBillArgs),
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish.
    #[command(after_help = examples::BUILT_IN)]
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff) of otelcost, or of one of its commands.
    #[command(after_help = examples::BUILT_IN)]
    Man { command: Option<String> },
    /// Print a sample file to start from: allocation rules or price overrides.
    #[command(after_help = examples::BUILT_IN)]
    Example {
        #[arg(value_enum)]
        which: about::Example,
    },
    /// Print the JSON Schema of a JSON output: the report or the compare-bill comparison.
    #[command(after_help = examples::BUILT_IN)]
    Schema {
        #[arg(value_enum)]
        which: about::Schema,
    },
}

/// A failure that ends the command with `code`.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    /// The reader of stdout went away (`otelcost report … | head -1`): stop quietly, with
    /// success, as ripgrep and other filters do.
    pub fn closed() -> Failure {
        Failure { code: exit::OK, message: String::new() }
    }

    /// Whether there is nothing to tell (see `closed`).
    pub fn is_quiet(&self) -> bool {
        self.message.is_empty()
    }
}

/// A failed write of the output: quiet when its reader went away, else an error.
pub(crate) fn write_failure(context: &str, e: &anyhow::Error) -> Failure {
    if crate::pipeline::is_broken_pipe(e) {
        Failure::closed()
    } else {
        error(format!("{context}: {e:#}"))
    }
}

impl From<crate::pipeline::Error> for Failure {
    fn from(e: crate::pipeline::Error) -> Failure {
        match e {
            crate::pipeline::Error::Options(message) => usage(message),
            crate::pipeline::Error::Closed => Failure::closed(),
            other => error(other.to_string()),
        }
    }
}

pub(crate) fn usage(message: String) -> Failure {
    Failure { code: exit::USAGE, message }
}

pub(crate) fn error(message: String) -> Failure {
    Failure { code: exit::ERROR, message }
}

pub fn run(cli: Cli) -> Result<i32, Failure> {
    match cli.command {
        Command::Report(args) => report::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Prices(args) => prices::run(args),
        Command::Listen(args) => listen::run(args),
        Command::Run(args) => run::run(args),
        Command::Dimensions(args) => dimensions::run(args),
        Command::Merge(args) => merge::run(args),
        Command::CompareBill(args) => compare_bill::run(args),
        Command::Completions { shell } => about::completions(shell),
        Command::Man { command } => about::man(command.as_deref()),
        Command::Example { which } => about::example(which),
        Command::Schema { which } => about::schema(which),
    }
}

/// `8MiB`, `512KiB`, `1GiB`, `2TiB` (or KB/MB/GB/TB, the same binary multiples), or bytes.
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: u64 = number.parse().map_err(|_| format!("{text:?} is not a size: use e.g. 8MiB or 1GiB"))?;
    let multiple: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => return Err(format!("unknown unit {other:?} in {text:?}: use KiB, MiB, GiB or TiB")),
    };
    value.checked_mul(multiple).ok_or_else(|| format!("{text:?} is too large a size"))
}
