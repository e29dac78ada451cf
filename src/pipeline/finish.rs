//! The second half of the flow: reconcile → price → allocate → report, over what the
//! sources collected, ending in the written report and what the user must be told.

use super::plan::{shape, Plan, Window};
use super::safety::Losses;
use super::{Collected, Diagnostic, Error, Outcome, Verdict};
use crate::allocate;
use crate::model::{Call, Problems};
use crate::price::{self, PricedCall};
use crate::reconcile::{self, Calls, Decisions};
use crate::report;
use std::collections::BTreeMap;
use std::io::Write;

/// The counted calls inside `--since`/`--until`, and how many fell outside.
pub(super) struct Selected {
    pub calls: Calls,
    pub decisions: Decisions,
    /// Calls outside the window (of them, with no timestamp), counted as they are read.
    pub outside: (usize, usize),
}

impl Selected {
    /// Reconciles what was extracted into calls (`--where` is applied once they are
    /// priced: the catalog model is known only then).
    pub fn new(store: reconcile::Store) -> Result<Selected, Error> {
        let reconciled = reconcile::reconcile(store).map_err(Error::Reconcile)?;
        Ok(Selected { calls: reconciled.calls, decisions: reconciled.decisions, outside: (0, 0) })
    }

    /// The calls in `window`, read once.
    pub fn calls<'s>(&'s mut self, window: &'s Window) -> impl Iterator<Item = Call> + 's {
        let outside = &mut self.outside;
        self.calls.by_ref().filter(move |c| {
            let inside = window.contains(c.time_ns);
            if !inside {
                outside.0 += 1;
                outside.1 += usize::from(c.time_ns == 0);
            }
            inside
        })
    }

    /// After the calls were read: an error if reading spilled calls back failed (what was
    /// reported is then incomplete).
    pub fn complete(&self) -> Result<(), Error> {
        self.calls.complete().map_err(Error::Reconcile)
    }
}

/// Reconciles, prices, allocates and writes what was collected.
pub fn report(plan: &Plan, collected: Collected) -> Result<Outcome, Error> {
    let opts = &plan.options;
    if collected.read_nothing() {
        return Ok(read_nothing(&collected));
    }
    let records: u64 = collected.store.tally.records.values().sum();
    let losses: Vec<&str> = crate::extract::known_losses(&collected.store.tally).map(|(_, text)| text).collect();
    let spilled = collected.store.spilled();
    let spilled_to_memory = collected.store.spilled_to_memory();
    let Collected { problems, stats, mut store, session } = collected;
    let unread = std::mem::take(&mut store.tally.unread);
    let mut selected = Selected::new(store)?;
    let catalog = plan.catalog()?;
    // `--where` after pricing: a dimension such as the catalog model is known only then.
    let mut filtered = 0usize;
    // Calls found in the window, before `--where`.
    let mut found = 0usize;
    // Calls in a service tier their model has no price for: priced at standard rates, and
    // said once per model.
    let mut tier_missing: BTreeMap<(&'static str, String), u64> = BTreeMap::new();
    let what_if = plan.what_if.as_ref().map(|(scenario, _)| {
        let mut scenario_text = scenario.description.clone();
        scenario_text.extend(opts.what_if_where.iter().map(|w| format!("only where {w}")));
        let notes =
            if scenario.switches_models() { vec![price::what_if::MODEL_SWITCH_NOTE.to_string()] } else { Vec::new() };
        allocate::WhatIf { scenario: scenario_text, notes }
    });

    // Opened once there is something to write: a run that fails first leaves no file.
    let open_output = || -> Result<Box<dyn Write>, Error> {
        Ok(match &opts.output {
            Some(path) => Box::new(std::io::BufWriter::new(
                std::fs::File::create(path)
                    .map_err(|e| Error::Output(format!("cannot write {}: {e}", path.display())))?,
            )),
            None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
        })
    };
    let mut check = allocate::NameCheck::new(&plan.grouping);
    // `--what-if-where`'s conditions follow `--where`'s in the scope's grouping.
    let mut scope_check = plan
        .what_if
        .as_ref()
        .and_then(|(_, scope)| scope.as_ref())
        .map(|scope| allocate::NameCheck::of_flag(scope, "--what-if-where", opts.filters.len()));
    let cannot_write = |e: anyhow::Error| {
        if super::is_broken_pipe(&e) {
            Error::Closed
        } else {
            Error::Output(format!("cannot write the report: {e:#}"))
        }
    };
    // The split and the row order shape the report; exports see the calls themselves.
    let shaped = |mut report: allocate::Report| -> Result<(allocate::Report, allocate::Unshared), Error> {
        report.what_if = what_if.clone();
        report.prices_date = Some(catalog.prices_date().to_string());
        let unshared = match &plan.split {
            Some(dim) => allocate::split_unallocated(&mut report, dim).map_err(Error::Options)?,
            None => allocate::Unshared::default(),
        };
        shape(&mut report, opts.sort, opts.top);
        Ok((report, unshared))
    };
    let (report, unshared, notes, mut out) = {
        // One step per call, not a chain of adapters: each would move the priced call again.
        let priced = price::price_calls(&catalog, selected.calls(&plan.window), opts.explain).filter_map(|p| {
            check.observe(&p);
            if let Some(scope_check) = &mut scope_check {
                scope_check.observe(&p);
            }
            found += 1;
            if !plan.grouping.admits(&p) {
                filtered += 1;
                return None;
            }
            if p.quote.as_ref().is_some_and(|q| q.tier_missing()) {
                let model = p.call.model.clone().unwrap_or_default();
                *tier_missing.entry((p.call.tier.name(), model)).or_default() += p.call.requests.max(1);
            }
            Some(what_if_priced(plan, &catalog, p))
        });
        match plan.export {
            None => {
                let (report, unshared) = shaped(allocate::group(priced, &plan.grouping, opts.cost, opts.explain))?;
                typos_fail(&check, scope_check.as_ref())?;
                let mut out = open_output()?;
                let style = report::Style { charts: !opts.no_charts };
                report::write(&report, plan.format, style, &mut out).map_err(cannot_write)?;
                (report, unshared, Vec::new(), out)
            }
            Some(export) => {
                let mut out = open_output()?;
                let (report, unshared, notes) = {
                    // The export sees every call as it streams into the report (kept for
                    // the summary and --strict); the first write error stops the export.
                    let mut sink = report::call_sink(export, &plan.grouping, &mut out).map_err(cannot_write)?;
                    let mut failed = None;
                    let exported = priced.inspect(|p| {
                        if failed.is_none() {
                            failed = sink.push(p).err();
                        }
                    });
                    let (report, unshared) =
                        shaped(allocate::group(exported, &plan.grouping, opts.cost, opts.explain))?;
                    let notes = match failed {
                        Some(e) => Err(e),
                        None => sink.finish(),
                    }
                    .map_err(cannot_write)?;
                    (report, unshared, notes)
                };
                // The calls are written as they come: a typo is known only after them.
                typos_fail(&check, scope_check.as_ref())?;
                (report, unshared, notes, out)
            }
        }
    };
    out.flush().map_err(|e| cannot_write(e.into()))?;
    selected.complete()?;
    let (outside, outside_untimed) = selected.outside;

    let mut told = problem_diagnostics(&problems);
    told.extend(losses.into_iter().map(|text| Diagnostic::warning(text.to_string())));
    told.extend(check.unmatched_values().into_iter().map(Diagnostic::warning));
    told.extend(scope_check.iter().flat_map(|c| c.unmatched_values()).map(Diagnostic::warning));
    for u in &report.unpriced {
        let provider = u.provider.as_deref().map(|p| format!(" (provider {p})")).unwrap_or_default();
        told.push(Diagnostic::warning(format!(
            "no price for model {:?}{provider}: {} calls, {} tokens reported without a cost",
            u.model,
            u.requests,
            u.tokens.total_input().saturating_add(u.tokens.output)
        )));
    }
    for ((tier, model), calls) in &tier_missing {
        told.push(Diagnostic::warning(format!(
            "service tier {tier} has no price for model {model:?}; priced at standard rates ({calls} calls)"
        )));
    }
    let d = &selected.decisions;
    if let Some((_, first)) = d.first_estimate.as_ref().filter(|_| d.estimates > 0) {
        told.push(Diagnostic::warning(format!(
            "{} calls counted from usage their instrumentation may have estimated itself rather than read from the API \
             (instrumentation {} estimates a streamed call's, and its span does not say it streamed), with no other \
             layer's record of them stating the API's; the first at {first}",
            d.estimates,
            crate::extract::ESTIMATING_SCOPES.join(", ")
        )));
    }
    if filtered > 0 {
        told.push(Diagnostic::note(format!("{filtered} calls left out by --where")));
    }
    if unshared.slices > 0 {
        told.push(Diagnostic::warning(format!(
            "{} of unallocated cost in {} groups was not split: no other value there has a cost to share it by",
            crate::model::exact_cost(unshared.cost),
            unshared.slices
        )));
    }
    if !plan.window.is_open() && outside > 0 {
        let note = if outside_untimed > 0 { format!(" ({outside_untimed} with no timestamp)") } else { String::new() };
        told.push(Diagnostic::note(format!("{outside} calls outside --since/--until left out{note}")));
    }
    told.extend(notes.into_iter().map(Diagnostic::note));
    if let Some(bytes) = spilled {
        told.push(Diagnostic::note(format!(
            "{} of records went to temporary files to keep within --memory-limit {}, and were counted from there",
            human_size(bytes),
            human_size(opts.memory_limit)
        )));
        if spilled_to_memory {
            told.push(Diagnostic::warning(
                "the temporary files were on a file system kept in memory (tmpfs): choose one on disk with --temp-dir"
                    .into(),
            ));
        }
    }
    told.extend(skipped_note(&stats));
    for (file, text) in &stats.text_lines {
        told.push(Diagnostic::note(format!(
            "{file}: {} lines that are not telemetry (a program's own output?) were skipped, the first at line {}",
            text.count, text.first_line
        )));
    }
    let read_nothing = stats.bytes == 0 && !problems.is_empty();
    let losses = Losses {
        unread: &unread,
        calls: found + outside,
        records,
        stats: &stats,
        session: session.as_ref(),
        read_nothing,
    };
    told.extend(losses.diagnostics());
    told.push(Diagnostic::summary(format!(
        "{}, {} → {} counted ({} duplicates, {} aggregate parents not counted); prices of {}{}",
        count(stats.files, "file"),
        count(records, "record"),
        count(report.total.requests, "call"),
        selected.decisions.duplicates,
        selected.decisions.aggregates,
        catalog.prices_date(),
        if problems.is_empty() {
            String::new()
        } else {
            format!("; {} (listed above)", count(problems.len(), "problem"))
        },
    )));

    let lost = losses.strict_reasons();
    let verdict = if opts.strict && (!problems.is_empty() || !report.unpriced.is_empty() || !lost.is_empty()) {
        let lost: String = lost.iter().map(|why| format!(", {why}")).collect();
        told.push(Diagnostic::verdict(format!(
            "--strict: {}, {}{lost}",
            count(problems.len(), "problem"),
            count(report.unpriced.len() as u64, "unpriced model")
        )));
        Verdict::Strict
    } else if !stats.unreadable.is_empty() {
        told.push(Diagnostic::verdict(format!(
            "{} could not be read (listed above): the report leaves {} out",
            count(stats.unreadable.len() as u64, "input"),
            if stats.unreadable.len() == 1 { "it" } else { "them" }
        )));
        Verdict::Unreadable
    } else {
        Verdict::Ok
    };
    Ok(Outcome { report, diagnostics: told, verdict })
}

/// A `--by`/`--where`/`--what-if-where` name that is no dimension and no attribute of any
/// call: an error (each name once).
pub(super) fn typos_fail(check: &allocate::NameCheck, scope_check: Option<&allocate::NameCheck>) -> Result<(), Error> {
    let mut unknown = check.unknown_names();
    for name in scope_check.map(|c| c.unknown_names()).unwrap_or_default() {
        if !unknown.contains(&name) {
            unknown.push(name);
        }
    }
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(Error::Options(unknown.join("\n")))
    }
}

/// No input could be read: what was wrong with each, and no report (an empty one would
/// read as a success).
fn read_nothing(collected: &Collected) -> Outcome {
    let mut told = problem_diagnostics(&collected.problems);
    told.extend(skipped_note(&collected.stats));
    told.push(Diagnostic::verdict("no input could be read: no report".into()));
    Outcome { report: allocate::Report::default(), diagnostics: told, verdict: Verdict::ReadNothing }
}

/// The files in directories passed over as not OTLP data, if any.
fn skipped_note(stats: &crate::input::InputStats) -> Option<Diagnostic> {
    let first = stats.skipped_not_otlp.first()?;
    let others = stats.skipped_not_otlp.len() - 1;
    let more = if others > 0 { format!(" and {others} more") } else { String::new() };
    Some(Diagnostic::note(format!("files that are not OTLP data were skipped: {first}{more}")))
}

/// A call's cost under `--what-if`, when there is one (`--what-if-where` scopes it).
fn what_if_priced(plan: &Plan, catalog: &price::Catalog, mut p: PricedCall) -> PricedCall {
    if let Some((scenario, scope)) = &plan.what_if {
        let applies = scope.as_ref().is_none_or(|s| s.admits(&p));
        p.what_if = Some(if applies { scenario.reprice(catalog, &p.call) } else { p.cost });
    }
    p
}

/// The first problems in input order (at most 20), then how many more there were.
pub fn problem_diagnostics(problems: &Problems) -> Vec<Diagnostic> {
    const SHOWN: usize = 20;
    let mut told: Vec<Diagnostic> =
        problems.iter().take(SHOWN).map(|p| Diagnostic::error(format!("{}: {}", p.location, p.message))).collect();
    if problems.len() > SHOWN as u64 {
        told.push(Diagnostic::error(format!("… and {} more problems like these", problems.len() - SHOWN as u64)));
    }
    told
}

/// `n` and the noun, plural unless `n` is 1 ("1 file", "2 files").
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Bytes for people, in the units `--memory-limit` takes: `12.3MiB`.
pub(super) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut unit = 0;
    let mut scaled = rust_decimal::Decimal::from(bytes);
    while scaled >= rust_decimal::Decimal::from(1024) && unit < UNITS.len() - 1 {
        scaled /= rust_decimal::Decimal::from(1024);
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes}B")
    } else {
        format!("{}{}", scaled.round_dp(1).normalize(), UNITS[unit])
    }
}
