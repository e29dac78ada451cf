//! What could not be read, with where it is: every stage reports problems this way, and
//! a run keeps the first ones in input order.

use super::Location;

/// Something in the input that was not read, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub location: Location,
    pub message: String,
}

/// The problems of a run: the first [`Problems::KEPT`] in input order in full, and how many
/// there were in all (millions of bad records must not fill memory with messages).
#[derive(Clone, Debug, Default)]
pub struct Problems {
    kept: Vec<Problem>,
    total: u64,
}

impl Problems {
    pub const KEPT: usize = 1000;

    /// Adds a problem that comes after every one added before.
    pub fn push(&mut self, problem: Problem) {
        self.total += 1;
        if self.kept.len() < Self::KEPT {
            self.kept.push(problem);
        }
    }

    /// Adds the problems of a later input.
    pub fn append(&mut self, later: Problems) {
        let extra = later.total - later.kept.len() as u64;
        later.kept.into_iter().for_each(|p| self.push(p));
        self.total += extra;
    }

    /// How many problems there were.
    pub fn len(&self) -> u64 {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The first ones, in input order.
    pub fn iter(&self) -> std::slice::Iter<'_, Problem> {
        self.kept.iter()
    }
}

/// Problems found in any order, each with its place in the input (`K`): the first
/// [`Problems::KEPT`] of them by place are kept, the others only counted.
#[derive(Debug, Default)]
pub struct UnorderedProblems<K> {
    kept: Vec<(K, Problem)>,
    total: u64,
}

impl<K: Ord> UnorderedProblems<K> {
    pub fn add(&mut self, place: K, problem: Problem) {
        self.total += 1;
        self.kept.push((place, problem));
        if self.kept.len() >= 2 * Problems::KEPT {
            self.keep_first();
        }
    }

    /// How many were added.
    pub fn count(&self) -> u64 {
        self.total
    }

    fn keep_first(&mut self) {
        self.kept.sort_by(|a, b| a.0.cmp(&b.0));
        self.kept.truncate(Problems::KEPT);
    }

    pub fn finish(mut self) -> Problems {
        self.keep_first();
        Problems { kept: self.kept.into_iter().map(|(_, p)| p).collect(), total: self.total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Position;

    fn problem(line: u64) -> Problem {
        Problem { location: Location { file: "f".into(), at: Position::Line(line) }, message: String::new() }
    }

    #[test]
    fn the_first_problems_in_input_order_are_kept_however_they_come() {
        let mut found = UnorderedProblems::default();
        // Two workers' chunks interleaved, the later chunk first.
        for n in (0..3000u64).rev() {
            found.add(n, problem(n));
        }
        let problems = found.finish();
        assert_eq!(problems.len(), 3000);
        let lines: Vec<Position> = problems.iter().map(|p| p.location.at).collect();
        assert_eq!(lines, (0..Problems::KEPT as u64).map(Position::Line).collect::<Vec<_>>());

        let mut all = problems.clone();
        all.append(problems);
        assert_eq!((all.len(), all.iter().count()), (6000, Problems::KEPT));
    }
}
