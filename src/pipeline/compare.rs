//! The flow of `compare-bill`: what was collected, reconciled and priced as for a report,
//! then held against the provider's bills instead of grouped.

use super::finish::{typos_fail, Selected};
use super::{Collected, Error, Plan};
use crate::bill::compare::{self, Comparison};
use crate::bill::{Bill, ScopeField};
use crate::model::Problems;
use crate::price;

/// The comparison, and what went into it.
pub struct Compared {
    pub comparison: Comparison,
    /// Calls compared (inside the window, before `--where`).
    pub calls: usize,
    pub duplicates: u64,
    pub files: u64,
    pub problems: Problems,
    /// `--where` values no call has, with the nearest ones seen.
    pub unmatched: Vec<String>,
}

/// Reconciles and prices what was collected and compares it with `bills`; `scope` names
/// the bill field a dimension's values are matched against (`--scope`).
pub fn compare_bills(
    plan: &Plan,
    collected: Collected,
    bills: &[Bill],
    scope: Option<(ScopeField, String)>,
) -> Result<Compared, Error> {
    if collected.read_nothing() {
        let first = collected.problems.iter().next().map(|p| format!(": {}: {}", p.location, p.message));
        return Err(Error::ReadNothing(first.unwrap_or_default()));
    }
    let Collected { problems, stats, store, session: _ } = collected;
    let mut selected = Selected::new(store)?;
    let catalog = plan.catalog()?;
    let mut calls = 0usize;
    let mut check = crate::allocate::NameCheck::new(&plan.grouping);
    let comparison = {
        let counted = selected.calls(&plan.window).inspect(|_| calls += 1);
        let priced = price::price_calls(&catalog, counted, false)
            .inspect(|p| check.observe(p))
            .filter(|p| plan.grouping.admits(p));
        let scope = scope.map(|(field, text)| compare::Scope { field, text, grouping: &plan.grouping });
        compare::compare(&catalog, priced, bills, scope.as_ref())
    };
    selected.complete()?;
    typos_fail(&check, None)?;
    let unmatched = check.unmatched_values();
    Ok(Compared {
        comparison,
        calls,
        duplicates: selected.decisions.duplicates,
        files: stats.files,
        problems,
        unmatched,
    })
}
