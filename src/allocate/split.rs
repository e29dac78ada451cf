//! `--split-unallocated DIM`: the cost nobody owns (`unallocated` or `(none)` in DIM) is
//! shared out among the rows with other values of DIM in proportion to their own cost, so
//! each value of DIM takes the share its cost warrants whatever else the rows are broken
//! down by. With a time bucket in `--by` (hour, day, week, month) each period's
//! unallocated cost is shared within that period. It goes in its own column (`shared_cost`):
//! each recipient row gets its share, each unallocated row gives its whole cost away (a
//! negative share), so `cost` and the totals are unchanged and the column sums to zero.
//!
//! Exact to the last digit: shares are truncated to 12 decimal places (or the pool's own
//! scale if finer), and the units left over are handed out one each to the rows with the
//! largest truncated remainder (ties: group order), so the shares add up to the pool.

use super::rules::UNALLOCATED;
use super::{Report, Row, NONE};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;

/// What could not be shared: slices whose pool has no recipient with a positive cost.
#[derive(Debug, Default, PartialEq)]
pub struct Unshared {
    pub slices: usize,
    pub cost: Decimal,
}

pub fn is_pool(value: &str) -> bool {
    value == UNALLOCATED || value == NONE
}

pub fn split_unallocated(report: &mut Report, dimension: &str) -> Result<Unshared, String> {
    let Some(at) = report.group_by.iter().position(|d| d == dimension) else {
        return Err(format!(
            "--split-unallocated {dimension}: {dimension} is not in --by ({}); add it",
            report.group_by.join(",")
        ));
    };
    // Rows by period: the values of the time-bucket dimensions (names no rule can take).
    let periods: Vec<usize> = (report.group_by.iter().enumerate())
        .filter(|(_, d)| matches!(d.as_str(), "hour" | "day" | "week" | "month"))
        .map(|(i, _)| i)
        .collect();
    let mut slices: BTreeMap<Vec<&str>, Vec<usize>> = BTreeMap::new();
    for (i, row) in report.rows.iter().enumerate() {
        let key: Vec<&str> = periods.iter().filter_map(|&p| row.group.get(p).map(String::as_str)).collect();
        slices.entry(key).or_default().push(i);
    }
    let slices: Vec<Vec<usize>> = slices.into_values().collect();
    let mut shares = vec![Decimal::ZERO; report.rows.len()];
    let mut unshared = Unshared::default();
    for members in slices {
        let (pool, recipients): (Vec<usize>, Vec<usize>) =
            members.into_iter().partition(|&i| is_pool(&report.rows[i].group[at]));
        let pooled: Decimal = pool.iter().filter_map(|&i| report.rows[i].totals.cost).sum();
        if pooled <= Decimal::ZERO {
            continue;
        }
        let weights: Vec<(usize, Decimal)> = recipients
            .iter()
            .filter_map(|&i| report.rows[i].totals.cost.filter(|c| *c > Decimal::ZERO).map(|c| (i, c)))
            .collect();
        let Some(divided) = divide(pooled, &weights, &report.rows) else {
            unshared.slices += 1;
            unshared.cost += pooled;
            continue;
        };
        for (i, share) in divided {
            shares[i] = share;
        }
        for &i in &pool {
            shares[i] = -report.rows[i].totals.cost.unwrap_or_default();
        }
    }
    for (row, share) in report.rows.iter_mut().zip(&shares) {
        row.totals.shared_cost = Some(*share);
    }
    report.total.shared_cost = Some(shares.iter().sum());
    Ok(unshared)
}

/// `pool` divided in proportion to `weights` (all positive), summing exactly to `pool`.
/// `None` when there is nothing to divide among.
fn divide(pool: Decimal, weights: &[(usize, Decimal)], rows: &[Row]) -> Option<Vec<(usize, Decimal)>> {
    let total: Decimal = weights.iter().map(|(_, w)| *w).sum();
    if total <= Decimal::ZERO {
        return None;
    }
    let scale = pool.scale().clamp(12, 26);
    let unit = Decimal::new(1, scale);
    let mut parts: Vec<(usize, Decimal, Decimal)> = weights
        .iter()
        .map(|&(i, w)| {
            // pool × w / total, multiplying first when it fits (more digits kept).
            let exact = pool.checked_mul(w).and_then(|p| p.checked_div(total)).unwrap_or_else(|| w / total * pool);
            let floor = exact.round_dp_with_strategy(scale, RoundingStrategy::ToZero);
            (i, floor, exact - floor)
        })
        .collect();
    // Largest remainder first; ties in row order (rows are sorted), so it is deterministic.
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| {
        parts[b].2.cmp(&parts[a].2).then_with(|| rows[parts[a].0].group.cmp(&rows[parts[b].0].group))
    });
    let mut left = pool - parts.iter().map(|p| p.1).sum::<Decimal>();
    for &k in order.iter().cycle().take(parts.len() * 2) {
        if left < unit {
            break;
        }
        parts[k].1 += unit;
        left -= unit;
    }
    // Whatever Decimal's own rounding left (below one unit) goes to the first in line.
    parts[order[0]].1 += left;
    Some(parts.into_iter().map(|(i, share, _)| (i, share)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allocate::Totals;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn row(group: &[&str], cost: Option<&str>) -> Row {
        Row {
            group: group.iter().map(|s| s.to_string()).collect(),
            totals: Totals { requests: 1, cost: cost.map(d), ..Default::default() },
        }
    }

    fn report(rows: Vec<Row>, by: &[&str]) -> Report {
        let total = Totals { cost: Some(rows.iter().filter_map(|r| r.totals.cost).sum()), ..Default::default() };
        Report { group_by: by.iter().map(|s| s.to_string()).collect(), rows, total, ..Default::default() }
    }

    #[test]
    fn thirds_sum_exactly_and_the_remainder_is_placed_deterministically() {
        let mut r = report(
            vec![
                row(&["a"], Some("1")),
                row(&["b"], Some("1")),
                row(&["c"], Some("1")),
                row(&["unallocated"], Some("1")),
            ],
            &["team"],
        );
        assert_eq!(split_unallocated(&mut r, "team").unwrap(), Unshared::default());
        let shares: Vec<String> = r.rows.iter().map(|r| r.totals.shared_cost.unwrap().to_string()).collect();
        assert_eq!(shares, ["0.333333333334", "0.333333333333", "0.333333333333", "-1"]);
        assert_eq!(r.total.shared_cost, Some(Decimal::ZERO));
        assert_eq!(r.total.cost, Some(d("4")));
    }

    #[test]
    fn proportional_within_each_period_and_none_counts_as_unallocated() {
        let mut r = report(
            vec![
                row(&["a", "d1"], Some("3")),
                row(&["b", "d1"], Some("1")),
                row(&["(none)", "d1"], Some("2")),
                row(&["unallocated", "d1"], Some("0.1")),
                row(&["a", "d2"], None),
                row(&["unallocated", "d2"], Some("5")),
            ],
            &["team", "day"],
        );
        let unshared = split_unallocated(&mut r, "team").unwrap();
        let share = |i: usize| r.rows[i].totals.shared_cost.unwrap();
        assert_eq!((share(0), share(1)), (d("1.575"), d("0.525")));
        assert_eq!((share(2), share(3)), (d("-2"), d("-0.1")));
        // d2 has no priced recipient: its pool stays where it is, and is reported.
        assert_eq!((share(4), share(5)), (Decimal::ZERO, Decimal::ZERO));
        assert_eq!(unshared, Unshared { slices: 1, cost: d("5") });
        assert_eq!(r.total.shared_cost, Some(Decimal::ZERO));
    }

    #[test]
    fn other_dimensions_do_not_change_a_values_share() {
        // team a: 3 + 1 = 4 of 5 allocated, so 80% of the 10 unallocated, whatever the model.
        let mut r = report(
            vec![
                row(&["a", "m1"], Some("3")),
                row(&["a", "m2"], Some("1")),
                row(&["b", "m2"], Some("1")),
                row(&["unallocated", "m3"], Some("10")),
            ],
            &["team", "model"],
        );
        split_unallocated(&mut r, "team").unwrap();
        let share = |i: usize| r.rows[i].totals.shared_cost.unwrap();
        assert_eq!((share(0), share(1), share(2), share(3)), (d("6"), d("2"), d("2"), d("-10")));
    }

    #[test]
    fn fine_pools_keep_their_scale() {
        let mut r = report(
            vec![row(&["a"], Some("2")), row(&["b"], Some("1")), row(&["unallocated"], Some("0.00000000000000001"))],
            &["team"],
        );
        split_unallocated(&mut r, "team").unwrap();
        let a = r.rows[0].totals.shared_cost.unwrap();
        let b = r.rows[1].totals.shared_cost.unwrap();
        assert_eq!(a + b, d("0.00000000000000001"));
        assert!(split_unallocated(&mut r, "user").unwrap_err().contains("not in --by"));
    }
}
