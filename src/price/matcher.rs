//! genai-prices match clauses (`equals`, `starts_with`, `ends_with`, `contains`, `regex`,
//! `or`, `and`), compiled once at load. All matching is case-insensitive: literals are
//! lowercased at load, the model string is lowercased once per lookup, regexes are
//! compiled case-insensitive, on first use.

use super::load::RawClause;
use super::names::is_qualifier;
use regex::{Regex, RegexBuilder};
use std::sync::OnceLock;

/// A case-insensitive regex compiled on first use: the bundled catalog holds ~50 and a
/// report meets few of them, while compiling them all took a large part of a small
/// report's start-up. A price file's are compiled at load ([`Clause::check`]), so a bad
/// one is an error there; the bundled ones are checked by a test.
#[derive(Debug)]
pub(crate) struct LazyRegex {
    pattern: String,
    compiled: OnceLock<Result<Regex, String>>,
}

impl LazyRegex {
    pub(crate) fn new(pattern: String) -> LazyRegex {
        LazyRegex { pattern, compiled: OnceLock::new() }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.pattern
    }

    /// The compiled regex, or why the pattern is not one.
    pub(crate) fn get(&self) -> Result<&Regex, &str> {
        let compiled = self
            .compiled
            .get_or_init(|| RegexBuilder::new(&self.pattern).case_insensitive(true).build().map_err(|e| e.to_string()));
        compiled.as_ref().map_err(String::as_str)
    }

    /// A pattern that does not compile matches nothing.
    pub(crate) fn is_match(&self, s: &str) -> bool {
        self.get().is_ok_and(|r| r.is_match(s))
    }
}

#[derive(Debug)]
pub(crate) enum Clause {
    Equals(String),
    StartsWith(String),
    EndsWith(String),
    Contains(String),
    Regex(LazyRegex),
    Or(Vec<Clause>),
    And(Vec<Clause>),
}

impl Clause {
    pub(crate) fn compile(raw: RawClause) -> anyhow::Result<Clause> {
        Ok(match raw {
            RawClause::Equals(s) => Clause::Equals(s.to_lowercase()),
            RawClause::StartsWith(s) => Clause::StartsWith(s.to_lowercase()),
            RawClause::EndsWith(s) => Clause::EndsWith(s.to_lowercase()),
            RawClause::Contains(s) => Clause::Contains(s.to_lowercase()),
            RawClause::Regex(r) => Clause::Regex(LazyRegex::new(r)),
            RawClause::Or(v) => Clause::Or(v.into_iter().map(Clause::compile).collect::<anyhow::Result<_>>()?),
            RawClause::And(v) => Clause::And(v.into_iter().map(Clause::compile).collect::<anyhow::Result<_>>()?),
        })
    }

    /// Compiles every regex of the clause now: a price file's bad regex is an error at load.
    pub(crate) fn check(&self) -> anyhow::Result<()> {
        match self {
            Clause::Regex(r) => {
                r.get().map_err(|e| anyhow::anyhow!("bad regex {:?} in pricing data: {e}", r.as_str()))?;
            }
            Clause::Or(v) | Clause::And(v) => v.iter().try_for_each(Clause::check)?,
            _ => {}
        }
        Ok(())
    }

    /// Plain boolean match, genai-prices semantics (used for `provider_match` / `model_match`).
    /// `s` must already be lowercase.
    pub(crate) fn is_match(&self, s: &str) -> bool {
        match self {
            Clause::Equals(l) => s == l,
            Clause::StartsWith(l) => s.starts_with(l.as_str()),
            Clause::EndsWith(l) => s.ends_with(l.as_str()),
            Clause::Contains(l) => s.contains(l.as_str()),
            Clause::Regex(r) => r.is_match(s),
            Clause::Or(v) => v.iter().any(|c| c.is_match(s)),
            Clause::And(v) => v.iter().all(|c| c.is_match(s)),
        }
    }

    /// Match for model rules, with the "never swallow a longer, different id" guard.
    /// Returns the strength of the match: the length of the literal (or regex span) that
    /// matched, longest wins, and whether the match is exact (nothing but a qualifier
    /// left, see `names::is_qualifier`). `s` must already be lowercase.
    pub(crate) fn score(&self, s: &str) -> Option<Score> {
        let lit = |l: &str, rest: &str| Score { len: l.len(), exact: is_qualifier(rest) };
        match self {
            Clause::Equals(l) => (s == l).then(|| lit(l, "")),
            Clause::StartsWith(l) => {
                let rest = s.strip_prefix(l.as_str())?;
                acceptable_rest(l, rest).then(|| lit(l, rest))
            }
            Clause::EndsWith(l) => s.ends_with(l.as_str()).then(|| Score { len: l.len(), exact: s == l }),
            Clause::Contains(l) => {
                // Any occurrence whose right-hand remainder is acceptable.
                let mut from = 0;
                while let Some(i) = s.get(from..).and_then(|t| t.find(l.as_str())) {
                    let at = from + i;
                    let end = at + l.len();
                    if acceptable_rest(l, &s[end..]) {
                        return Some(lit(l, &s[end..]));
                    }
                    from = at + s[at..].chars().next().map_or(1, char::len_utf8);
                }
                None
            }
            Clause::Regex(r) => r.get().ok()?.find(s).map(|m| Score { len: m.len(), exact: m.len() == s.len() }),
            Clause::Or(v) => v.iter().filter_map(|c| c.score(s)).max(),
            Clause::And(v) => {
                let mut best = Score { len: 0, exact: true };
                for c in v {
                    let sc = c.score(s)?;
                    best = Score { len: best.len.max(sc.len), exact: best.exact && sc.exact };
                }
                Some(best)
            }
        }
    }
}

/// How well a rule matched: exact matches beat prefix matches, then the longer literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Score {
    pub exact: bool,
    pub len: usize,
}

impl std::fmt::Display for Clause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |f: &mut std::fmt::Formatter<'_>, op: &str, v: &[Clause]| {
            write!(f, "{op}(")?;
            for (i, c) in v.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{c}")?;
            }
            f.write_str(")")
        };
        match self {
            Clause::Equals(l) => write!(f, "equals {l:?}"),
            Clause::StartsWith(l) => write!(f, "starts_with {l:?}"),
            Clause::EndsWith(l) => write!(f, "ends_with {l:?}"),
            Clause::Contains(l) => write!(f, "contains {l:?}"),
            Clause::Regex(r) => write!(f, "regex {:?}", r.as_str()),
            Clause::Or(v) => list(f, "or", v),
            Clause::And(v) => list(f, "and", v),
        }
    }
}

/// May `rest`, what follows a `starts_with`/`contains` literal in a model id, be a mere
/// qualifier of the same model (accept) rather than a different, longer model id (reject)?
///
/// Accepted: nothing; `@…` and `:…` (Vertex `@20250929`, Bedrock `:0`, OpenRouter `:beta`);
/// a separator followed by a letter (`-latest`, `-v1:0`, `-preview`, `-exp`); a separator
/// followed by a number of 4+ digits (dates `-20250929`, `-2024-07-18`, `-0613`) or with a
/// leading zero (revisions `-001`); a direct digit continuation that completes a digit
/// run of 6+ digits,
/// or continues a separated run that starts with 0 (a revision),
/// i.e. a date (the rule `claude-sonnet-4-2025` on `claude-sonnet-4-20250514`).
///
/// Rejected: a separator (`-`, `.`, `_`) followed by a short version number of 1-3 digits
/// without a leading zero (`claude-opus-5` must not take `claude-opus-5-5`, `…-5.1`, nor
/// `gemini-1.5-flash` take `gemini-1.5-flash-8b`); any other direct alphanumeric
/// continuation of an alphanumeric literal (`claude-opus-4` must not take `claude-opus-45`,
/// `gpt-4` must not take `gpt-4o`).
pub(crate) fn acceptable_rest(literal: &str, rest: &str) -> bool {
    let Some(first) = rest.chars().next() else {
        return true;
    };
    match first {
        '@' | ':' => true,
        '-' | '.' | '_' => {
            let after = &rest[1..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            digits == 0 || digits >= 4 || after.starts_with('0')
        }
        c if c.is_ascii_alphanumeric() => {
            let last = literal.chars().last();
            match last {
                Some(l) if l.is_ascii_digit() && c.is_ascii_digit() => {
                    let tail = literal.bytes().rev().take_while(u8::is_ascii_digit).count();
                    let head = rest.bytes().take_while(u8::is_ascii_digit).count();
                    // A revision split by the rule (`gemini-2.0-flash-0` on `…-001`), as
                    // `-001` is accepted after a separator.
                    let run = &literal.as_bytes()[literal.len() - tail..];
                    let revision = run.first() == Some(&b'0')
                        && matches!(
                            literal.as_bytes().get(literal.len().wrapping_sub(tail + 1)),
                            Some(b'-' | b'.' | b'_')
                        );
                    tail + head >= 6 || revision
                }
                Some(l) if l.is_ascii_alphanumeric() => false,
                _ => true,
            }
        }
        _ => true,
    }
}
