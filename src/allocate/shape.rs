//! Shaping a grouped report: `--sort`, `--top N` (the rest as one `(other)` row), and
//! `merge`, which sums reports made over separate inputs into one.

use super::{Report, Row, Totals, Unpriced};
use rust_decimal::Decimal;
use std::collections::{BTreeSet, HashMap};

/// The group value of the row `--top` sums the rest into.
pub const OTHER: &str = "(other)";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SortBy {
    /// Cost, highest first (fully unpriced rows last).
    #[default]
    Cost,
    /// Requests, most first.
    Requests,
    /// All tokens (input, cache, output), most first.
    Tokens,
    /// Group values, A to Z.
    Name,
}

/// Sorts rows; ties (and `name`) by group values, so the order is always the same.
pub fn sort(rows: &mut [Row], by: SortBy) {
    let tokens = |t: &Totals| t.tokens.total_input().saturating_add(t.tokens.output);
    rows.sort_by(|a, b| {
        let (x, y) = (&a.totals, &b.totals);
        match by {
            SortBy::Cost => y.cost.cmp(&x.cost),
            SortBy::Requests => y.requests.cmp(&x.requests),
            SortBy::Tokens => tokens(y).cmp(&tokens(x)),
            SortBy::Name => std::cmp::Ordering::Equal,
        }
        .then_with(|| a.group.cmp(&b.group))
    });
}

/// Keeps the first `n` rows; the rest are summed into one last row whose every group value
/// is `(other)`, so the total still adds up.
pub fn top(report: &mut Report, n: usize) {
    if report.rows.len() <= n {
        return;
    }
    let rest = report.rows.split_off(n);
    let mut other = Row { group: vec![OTHER.to_string(); report.group_by.len()], totals: Totals::default() };
    for row in &rest {
        other.totals.absorb(&row.totals);
    }
    report.rows.push(other);
}

impl Totals {
    /// Adds another group's totals to this one (exactly: costs are decimals).
    pub fn absorb(&mut self, other: &Totals) {
        // Every field named, so a new field cannot be forgotten here.
        let Totals {
            requests,
            tokens,
            cost,
            unpriced_requests,
            reported_cost,
            computed_where_reported,
            price_entries,
            shared_cost,
            list_cost,
            cost_by_type,
            what_if_cost,
            what_if_unpriced_requests,
        } = other;
        self.requests = self.requests.saturating_add(*requests);
        self.tokens.add(tokens);
        add_money(&mut self.cost, *cost);
        self.unpriced_requests = self.unpriced_requests.saturating_add(*unpriced_requests);
        add_money(&mut self.reported_cost, *reported_cost);
        add_money(&mut self.computed_where_reported, *computed_where_reported);
        self.price_entries.extend(price_entries.iter().cloned());
        add_money(&mut self.shared_cost, *shared_cost);
        add_money(&mut self.list_cost, *list_cost);
        for (sum, part) in self.cost_by_type.iter_mut().zip(cost_by_type) {
            *sum += *part;
        }
        add_money(&mut self.what_if_cost, *what_if_cost);
        self.what_if_unpriced_requests = self.what_if_unpriced_requests.saturating_add(*what_if_unpriced_requests);
    }
}

/// `None` + `None` stays `None` (nothing priced); otherwise the sum.
fn add_money(into: &mut Option<Decimal>, add: Option<Decimal>) {
    if let Some(add) = add {
        *into = Some(into.unwrap_or_default() + add);
    }
}

/// Sums reports made over separate inputs (shards of one dump, or many machines) into the
/// one report a single run over everything would give: rows with the same group values,
/// totals and unpriced models are added exactly. Each report comes with a label for
/// messages (its file name). Refuses what cannot be summed: different dimensions or cost
/// columns, and `--top`'s `(other)` rows or split shares, which depend on all the data.
/// What could be merged only in part (the timeline) is said in `notes`.
pub fn merge(reports: Vec<(String, Report)>, notes: &mut Vec<String>) -> Result<Report, String> {
    let mut iter = reports.into_iter();
    let Some((first_label, mut merged)) = iter.next() else {
        return Err("nothing to merge: give JSON reports made with `otelcost report --format json`".into());
    };
    check_summable(&first_label, &merged)?;
    let mut rows: HashMap<Vec<String>, usize> =
        merged.rows.iter().enumerate().map(|(i, r)| (r.group.clone(), i)).collect();
    let mut unpriced: HashMap<(String, Option<String>), usize> =
        merged.unpriced.iter().enumerate().map(|(i, u)| ((u.model.clone(), u.provider.clone()), i)).collect();
    for (label, report) in iter {
        check_summable(&label, &report)?;
        if report.group_by != merged.group_by {
            return Err(format!(
                "{label}: grouped by {} but {first_label} by {}: merge reports made with the same --by",
                report.group_by.join(","),
                merged.group_by.join(",")
            ));
        }
        if report.cost_mode != merged.cost_mode {
            return Err(format!(
                "{label}: made with a different --cost than {first_label}: merge reports made with the same --cost"
            ));
        }
        if report.what_if != merged.what_if {
            return Err(format!(
                "{label}: made with a different --what-if than {first_label}: merge reports of the same scenario"
            ));
        }
        for row in report.rows {
            match rows.get(&row.group) {
                Some(&i) => merged.rows[i].totals.absorb(&row.totals),
                None => {
                    rows.insert(row.group.clone(), merged.rows.len());
                    merged.rows.push(row);
                }
            }
        }
        merged.total.absorb(&report.total);
        notes.extend(merged.overview.absorb(report.overview, &label));
        for u in report.unpriced {
            match unpriced.get(&(u.model.clone(), u.provider.clone())) {
                Some(&i) => {
                    let into: &mut Unpriced = &mut merged.unpriced[i];
                    into.requests = into.requests.saturating_add(u.requests);
                    into.tokens.add(&u.tokens);
                }
                None => {
                    unpriced.insert((u.model.clone(), u.provider.clone()), merged.unpriced.len());
                    merged.unpriced.push(u);
                }
            }
        }
        merged.prices_date = match (merged.prices_date.take(), report.prices_date) {
            (Some(a), Some(b)) if a != b && !a.split(", ").any(|d| d == b) => Some(format!("{a}, {b}")),
            (a, b) => a.or(b),
        };
        merged.prices_used = match (merged.prices_used.take(), report.prices_used) {
            (None, None) => None,
            (a, b) => {
                let all: BTreeSet<_> = a.into_iter().flatten().chain(b.into_iter().flatten()).collect();
                Some(all.into_iter().collect())
            }
        };
    }
    sort(&mut merged.rows, SortBy::Cost);
    super::sort_unpriced(&mut merged.unpriced);
    Ok(merged)
}

fn check_summable(label: &str, report: &Report) -> Result<(), String> {
    if report.rows.iter().any(|r| !r.group.is_empty() && r.group.iter().all(|v| v == OTHER)) {
        return Err(format!(
            "{label}: has an {OTHER} row from --top: which groups it sums is lost, so it cannot be merged \
             exactly; make the per-shard reports without --top and use --top on the merge"
        ));
    }
    if report.total.shared_cost.is_some() {
        return Err(format!(
            "{label}: was made with --split-unallocated, whose shares depend on all the data; make the \
             per-shard reports without it and use --split-unallocated on the merge"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn row(group: &str, requests: u64, cost: Option<&str>) -> Row {
        Row {
            group: vec![group.into()],
            totals: Totals {
                requests,
                cost: cost.map(|c| Decimal::from_str(c).unwrap()),
                unpriced_requests: if cost.is_none() { requests } else { 0 },
                ..Default::default()
            },
        }
    }

    #[test]
    fn top_sums_the_rest_into_other() {
        let mut r = Report {
            group_by: vec!["team".into()],
            rows: vec![row("a", 1, Some("3")), row("b", 5, Some("2")), row("c", 2, None), row("d", 1, Some("0.5"))],
            ..Default::default()
        };
        sort(&mut r.rows, SortBy::Requests);
        assert_eq!(r.rows.iter().map(|r| r.group[0].as_str()).collect::<Vec<_>>(), ["b", "c", "a", "d"]);
        sort(&mut r.rows, SortBy::Cost);
        top(&mut r, 1);
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows[1].group, [OTHER]);
        assert_eq!(r.rows[1].totals.cost, Some(Decimal::from_str("2.5").unwrap()));
        assert_eq!((r.rows[1].totals.requests, r.rows[1].totals.unpriced_requests), (8, 2));
        let e = merge(vec![("a.json".into(), r)], &mut Vec::new()).unwrap_err();
        assert!(e.starts_with("a.json: has an (other) row"), "{e}");
    }

    #[test]
    fn merge_sums_equal_groups_and_keeps_unpriced_null() {
        let a = Report {
            group_by: vec!["m".into()],
            rows: vec![row("x", 1, Some("1")), row("y", 1, None)],
            ..Default::default()
        };
        let b = Report {
            group_by: vec!["m".into()],
            rows: vec![row("y", 2, None), row("x", 1, Some("0.5"))],
            ..Default::default()
        };
        let m = merge(vec![("a".into(), a), ("b".into(), b)], &mut Vec::new()).unwrap();
        assert_eq!(m.rows[0].totals.cost, Some(Decimal::from_str("1.5").unwrap()));
        assert_eq!((m.rows[1].totals.cost, m.rows[1].totals.requests), (None, 3));
        let c = Report { group_by: vec!["n".into()], ..Default::default() };
        let e = merge(vec![("a".into(), m), ("c".into(), c)], &mut Vec::new()).unwrap_err();
        assert!(e.contains("same --by"), "{e}");
    }
}
