//! `otelcost dimensions`: every name `--by` and `--where` understand, and where its value
//! comes from (built in, the aliases with their attribute keys, the rules file's).

use super::{error, write_failure, Failure};
use crate::allocate::{Catalog, Rules, FIELDS, FIELD_ALIASES};
use clap::Args;
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct DimensionsArgs {
    /// A rules file whose aliases and derived dimensions to list as well.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,

    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Serialize)]
struct Entry {
    name: String,
    /// `field`, `alias` or `derived`.
    kind: &'static str,
    /// Attribute keys (alias), rules (derived) or what it is (field), in order.
    from: Vec<String>,
    origin: String,
}

pub fn run(args: DimensionsArgs) -> Result<i32, Failure> {
    let rules = match &args.rules {
        Some(path) => Rules::load(path).map_err(|e| error(format!("rules: {e:#}")))?,
        None => Rules::default(),
    };
    let catalog = Catalog::new(rules);
    let mut entries: Vec<Entry> = FIELDS
        .iter()
        .map(|(name, about)| Entry {
            name: name.to_string(),
            kind: "field",
            from: vec![about.to_string()],
            origin: "built in".into(),
        })
        .collect();
    entries.extend(FIELD_ALIASES.iter().map(|(old, new)| Entry {
        name: old.to_string(),
        kind: "field",
        from: vec![format!("the same as {new} (its older name)")],
        origin: "built in".into(),
    }));
    entries.extend(catalog.aliases.iter().map(|a| Entry {
        name: a.name.clone(),
        kind: "alias",
        from: a.keys.clone(),
        origin: a.origin.clone(),
    }));
    entries.extend(catalog.rules.derived.iter().map(|d| {
        Entry {
            name: d.name.clone(),
            kind: "derived",
            from: d
                .rules
                .iter()
                .map(|r| match &r.from {
                    Some(from) => format!("{from}: {} ({})", r.matcher.describe(), r.origin),
                    None => format!("{} ({})", r.matcher.describe(), r.origin),
                })
                .collect(),
            origin: d.rules.first().map(|r| r.origin.clone()).unwrap_or_default(),
        }
    }));
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &entries).map_err(std::io::Error::from).and_then(|_| writeln!(out))
        }
        ListFormat::Table => write_table(&mut out, &entries),
    };
    written.map_err(|e| write_failure("cannot write", &e.into()))?;
    Ok(super::exit::OK)
}

fn write_table(out: &mut dyn Write, entries: &[Entry]) -> std::io::Result<()> {
    let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
    for e in entries {
        let sep = if e.kind == "alias" { " | " } else { "; then " };
        let shadowed = e.kind == "alias" && entries.iter().any(|d| d.kind == "derived" && d.name == e.name);
        let note = if shadowed { "  (the rules derive this name; their own rules read this alias)" } else { "" };
        writeln!(out, "{:<width$}  {:<7}  {}{note}", e.name, e.kind, e.from.join(sep))?;
    }
    writeln!(out)?;
    writeln!(out, "Any other name is an attribute key (record first, then resource); `a|b` takes the first present.")
}
