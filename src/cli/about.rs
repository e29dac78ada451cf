//! What the binary prints about itself: shell completions, the manual page, the sample
//! files (`cargo install` leaves no `examples/` behind) and the JSON outputs' schemas.

use super::{error, exit, usage, Cli, Failure};
use clap::{CommandFactory, ValueEnum};
use std::io::Write;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Example {
    /// Allocation rules for --rules (examples/rules.toml).
    Rules,
    /// The lookup table those rules read from beside them (teams.csv).
    Teams,
    /// A price overrides file for --prices (pricing/overrides.example.toml).
    Prices,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Schema {
    /// `report --format json` (and `merge --format json`).
    Report,
    /// `compare-bill --format json`.
    Bill,
}

pub fn completions(shell: clap_complete::Shell) -> Result<i32, Failure> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "otelcost", &mut out);
    print(&out)
}

/// The manual page (roff) of `otelcost`, or of one of its commands (`otelcost-report`).
pub fn man(command: Option<&str>) -> Result<i32, Failure> {
    let cli = Cli::command();
    let page = match command {
        None => cli,
        Some(name) => {
            let sub = cli.find_subcommand(name).ok_or_else(|| {
                let names: Vec<&str> = cli.get_subcommands().map(|s| s.get_name()).collect();
                usage(format!("no command {name:?}: one of {}", names.join(", ")))
            })?;
            sub.clone().name(format!("otelcost-{}", sub.get_name()))
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page).render(&mut out).map_err(|e| error(format!("cannot write the manual page: {e}")))?;
    print(&out)
}

pub fn example(which: Example) -> Result<i32, Failure> {
    print(match which {
        Example::Rules => include_str!("../../examples/rules.toml"),
        Example::Teams => include_str!("../../examples/teams.csv"),
        Example::Prices => include_str!("../../pricing/overrides.example.toml"),
    })
}

pub fn schema(which: Schema) -> Result<i32, Failure> {
    print(match which {
        Schema::Report => crate::report::json::SCHEMA,
        Schema::Bill => crate::report::coverage::SCHEMA,
    })
}

fn print(text: impl AsRef<[u8]>) -> Result<i32, Failure> {
    std::io::stdout().lock().write_all(text.as_ref()).map_err(|e| error(format!("cannot write: {e}")))?;
    Ok(exit::OK)
}
