//! Typos are never silent: a `--by`/`--where` name that is no dimension and that no call
//! has as an attribute is an error naming the nearest dimensions, and a `--where` value
//! that no call has is a warning naming the nearest values seen.

use super::dimensions::Grouping;
use crate::price::PricedCall;
use std::collections::BTreeSet;

/// Distinct values kept per `--where` key for suggestions: enough to find a near one.
const VALUES_KEPT: usize = 10_000;

/// What the names and values of `--by` and `--where` met in the calls read (before
/// `--where` selects).
pub struct NameCheck<'g> {
    grouping: &'g Grouping,
    /// The flag the checked conditions came from, for the messages.
    flag: &'static str,
    /// Per attribute-key name: whether some call had it.
    present: Vec<bool>,
    /// Per `--where key=value`: whether some call had the value, and the values seen.
    matched: Vec<(bool, BTreeSet<String>)>,
}

impl<'g> NameCheck<'g> {
    /// The check of `--by` and `--where`.
    pub fn new(grouping: &'g Grouping) -> NameCheck<'g> {
        NameCheck::of_flag(grouping, "--where", 0)
    }

    /// The check of the conditions from `first_filter` on, given with `flag`: the ones
    /// before are checked elsewhere (`--what-if-where`'s grouping holds `--where`'s first).
    pub fn of_flag(grouping: &'g Grouping, flag: &'static str, first_filter: usize) -> NameCheck<'g> {
        let mut matched = vec![(false, BTreeSet::new()); grouping.filters.len()];
        for done in matched.iter_mut().take(first_filter) {
            done.0 = true;
        }
        NameCheck { grouping, flag, present: vec![false; grouping.plain.len()], matched }
    }

    pub fn observe(&mut self, priced: &PricedCall) {
        for (seen, (_, dim)) in self.present.iter_mut().zip(&self.grouping.plain) {
            if !*seen {
                *seen = self.grouping.value(dim, priced).is_some();
            }
        }
        for ((matched, values), filter) in self.matched.iter_mut().zip(&self.grouping.filters) {
            if *matched || filter.negate {
                continue;
            }
            let value =
                self.grouping.value(&filter.dimension, priced).unwrap_or(std::borrow::Cow::Borrowed(super::NONE));
            if value == filter.value {
                *matched = true;
                values.clear();
            } else if values.len() < VALUES_KEPT {
                values.insert(value.into_owned());
            }
        }
    }

    /// The names that are no dimension and no attribute of any call: a message for each,
    /// with the nearest dimension names.
    pub fn unknown_names(&self) -> Vec<String> {
        self.grouping
            .plain
            .iter()
            .zip(&self.present)
            .filter(|(_, seen)| !**seen)
            .map(|((name, _), _)| {
                let near = nearest(name, self.grouping.known.iter().map(String::as_str));
                let hint = if near.is_empty() {
                    "see `otelcost dimensions`".to_string()
                } else {
                    format!("did you mean {}? (see `otelcost dimensions`)", near.join(" or "))
                };
                format!("unknown dimension {name:?}: no built-in, alias or rules dimension, and no call read has such an attribute; {hint}")
            })
            .collect()
    }

    /// `--where key=value` conditions no call met, with the nearest values seen.
    pub fn unmatched_values(&self) -> Vec<String> {
        self.grouping
            .filters
            .iter()
            .zip(&self.matched)
            .filter(|(filter, (matched, _))| !filter.negate && !matched)
            .filter(|(filter, _)| {
                !self.grouping.plain.iter().any(|(name, _)| *name == filter.key) || self.is_present(&filter.key)
            })
            .map(|(filter, (_, values))| {
                let near = nearest(&filter.value, values.iter().map(String::as_str));
                let hint =
                    if near.is_empty() { String::new() } else { format!("; did you mean {}?", near.join(" or ")) };
                format!("{} {}={}: no call has this value{hint}", self.flag, filter.key, filter.value)
            })
            .collect()
    }

    fn is_present(&self, key: &str) -> bool {
        self.grouping.plain.iter().zip(&self.present).any(|((name, _), seen)| name == key && *seen)
    }
}

/// Up to three candidates nearest to `word` (edit distance, case-insensitive), each near
/// enough to be a typo of it: within a third of its length, or one containing the other.
fn nearest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<String> {
    let word_lower = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(1);
    let mut scored: Vec<(usize, &str)> = candidates
        .filter(|c| *c != word)
        .filter_map(|c| {
            let lower = c.to_lowercase();
            let distance = edit_distance(&word_lower, &lower);
            let contains = word_lower.len() >= 3 && (lower.contains(&word_lower) || word_lower.contains(&lower));
            (distance <= limit || contains).then_some((distance, c))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, c)| c.to_string()).collect()
}

/// Edit distance over chars, a swap of two neighbours counting as one edit (optimal
/// string alignment): `modle` is one edit from `model`.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let width = b.len() + 1;
    let mut d: Vec<usize> = vec![0; (a.len() + 1) * width];
    for (i, row) in d.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best =
                (d[(i - 1) * width + j] + 1).min(d[i * width + j - 1] + 1).min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_names() {
        assert_eq!(edit_distance("modle", "model"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        let names = ["model", "model_id", "provider", "service", "team", "day"];
        assert_eq!(nearest("modle", names.into_iter()), ["model"]);
        assert_eq!(nearest("servce", names.into_iter()), ["service"]);
        assert!(nearest("x.y.z", names.into_iter()).is_empty());
        let values = ["gpt-4.1", "gpt-4o-mini", "o4-mini"];
        assert_eq!(nearest("gpt4.1", values.into_iter()), ["gpt-4.1"]);
    }
}
