//! Which catalog entry a telemetry model string resolves to, and why.
//!
//! Order (each step is tried with every primary name of the string, see `names.rs`; when
//! nothing matches, the whole chain runs again with the variant names):
//! 1. User aliases (`[aliases]` in an overrides file) rewrite the model, exactly.
//! 2. User models (`[[model]]`), those scoped to the call's provider first.
//! 3. The provider: the telemetry's (`gen_ai.provider.name` / `gen_ai.system`); when that
//!    is absent or no catalog provider, the one whose `api_pattern` matches the call's
//!    `server.address` (`bedrock-runtime.us-east-1.amazonaws.com` → aws); else the one
//!    implied by the string (ARN → aws, Vertex path → google, `openrouter/` prefix).
//!    Within it an exact id (`equals`, or a rule that leaves only a date/version) beats a
//!    prefix rule; among rules the longest literal wins; a tie between differently priced
//!    entries is ambiguous. Then its `fallback_model_providers`.
//! 4. Providers whose `model_match` accepts the name (`claude…` → anthropic).
//! 5. An exact id in any provider, if all such agree on price.
//! 6. LiteLLM by exact key: provider-prefixed (`vertex_ai/…`) first, then as given.
//!
//! A prefix match (step 3/4 with a remainder such as `-preview`) is kept only when LiteLLM
//! has no exact key for the string: an exact id in any source beats a prefix rule in
//! another. A rule never takes a longer, different id (`matcher::acceptable_rest`).
//! 7. The user's fallback price, if one is set. Otherwise the call is unpriced.

use super::{Catalog, Provider, Source};
use serde::Serialize;
use std::sync::Arc;

/// Why a model string resolved to an entry, or to none.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MatchExplanation {
    pub model: String,
    pub provider: Option<String>,
    /// The catalog provider searched first, and where it came from.
    pub catalog_provider: Option<String>,
    /// Names derived from the string, in the order tried.
    pub names: Vec<String>,
    /// Names tried only when no name above matched.
    pub variants: Vec<String>,
    pub notes: Vec<String>,
    pub entry: Option<Arc<str>>,
    pub source: Option<Source>,
    /// The step that decided (or why nothing matched).
    pub step: String,
    /// The rule or key that matched.
    pub rule: Option<String>,
    /// Candidates seen and not taken, with the reason.
    pub rejected: Vec<String>,
    #[serde(skip)]
    pub(crate) index: Option<usize>,
}

enum Found {
    One { i: usize, exact: bool, rule: String },
    Ambiguous,
    None,
}

impl Catalog {
    pub(crate) fn explain_uncached(
        &self,
        model: &str,
        provider: Option<&str>,
        address: Option<&str>,
    ) -> MatchExplanation {
        let mut x =
            MatchExplanation { model: model.to_string(), provider: provider.map(str::to_string), ..Default::default() };
        let mut full = model.trim().to_lowercase();
        if full.is_empty() {
            x.step = "no model name".into();
            return x;
        }
        let mut provider = provider.map(str::trim).filter(|p| !p.is_empty()).map(str::to_lowercase);
        if let Some(a) = self.user.aliases.get(&full) {
            x.notes.push(format!("alias {full:?} → {:?} ({})", a.target, a.origin));
            full = a.target.to_lowercase();
            if a.provider.is_some() {
                provider = a.provider.clone();
            }
        }
        let names = super::names::names_for(&full, &|p| self.find_provider(p).is_some());
        x.names = names.primary.clone();
        x.variants = names.variants.clone();
        x.notes.extend(names.notes.iter().cloned());

        let given = provider.as_deref().and_then(|p| self.find_provider(p));
        let hinted = names.hint.as_deref().and_then(|h| self.find_provider(h));
        // The address only stands in for a provider the telemetry does not name usably.
        let addressed = if given.is_none() { address.and_then(|a| self.provider_at(a)) } else { None };
        let chosen = given.or(addressed).or(hinted);
        x.catalog_provider = chosen.map(|pi| {
            let how = if given.is_some() {
                "from the telemetry provider".to_string()
            } else if addressed.is_some() {
                format!("from server.address {:?}", address.unwrap_or_default())
            } else {
                "implied by the model string".to_string()
            };
            format!("{} ({how})", self.providers[pi].id)
        });
        if provider.is_some() && given.is_none() {
            x.notes.push(format!("provider {:?} is not a catalog provider", provider.as_deref().unwrap_or("")));
        }

        let primary: Vec<&str> = names.primary.iter().map(String::as_str).collect();
        let variants: Vec<&str> = names.variants.iter().map(String::as_str).collect();
        for (pass, list) in [("", &primary), ("variant: ", &variants)] {
            if list.is_empty() {
                continue;
            }
            if let Some((i, step, rule)) = self.user_match(list, provider.as_deref(), &mut x.rejected) {
                return x.found(self, i, format!("{pass}{step}"), rule);
            }
            if let Some((i, step, rule)) = self.catalog_match(list, chosen, &mut x.rejected) {
                return x.found(self, i, format!("{pass}{step}"), rule);
            }
        }
        if let Some(i) = self.user.fallback {
            return x.found(self, i, "user fallback price for unknown models".into(), None);
        }
        x.step = "no entry matched: unpriced (add an alias or a [[model]] in an overrides file)".into();
        x
    }

    /// Steps 3–6 for one list of names.
    fn catalog_match(
        &self,
        names: &[&str],
        chosen: Option<usize>,
        rejected: &mut Vec<String>,
    ) -> Option<(usize, String, Option<String>)> {
        // A prefix match waits: an exact LiteLLM key for the string beats it.
        let mut prefix: Option<(usize, String, String)> = None;
        let mut tried = vec![false; self.providers.len()];
        let mut visit = |pi: usize, why: String, rejected: &mut Vec<String>, prefix: &mut Option<_>| {
            if std::mem::replace(&mut tried[pi], true) {
                return None;
            }
            match self.find_in(&self.providers[pi], names, rejected) {
                Found::One { i, exact: true, rule } => Some((i, why, Some(rule))),
                Found::One { i, exact: false, rule } => {
                    if prefix.is_none() {
                        *prefix = Some((i, why, rule));
                    }
                    None
                }
                Found::Ambiguous | Found::None => None,
            }
        };
        if let Some(pi) = chosen {
            let p = &self.providers[pi];
            if let Some(hit) = visit(pi, format!("provider {}", p.id), rejected, &mut prefix) {
                return Some(hit);
            }
            for &f in &p.fallbacks {
                let why = format!("fallback provider {} of {}", self.providers[f].id, p.id);
                if let Some(hit) = visit(f, why, rejected, &mut prefix) {
                    return Some(hit);
                }
            }
        }
        if prefix.is_none() {
            for (pi, p) in self.providers.iter().enumerate() {
                if !p.model_match.as_ref().is_some_and(|mm| names.iter().any(|n| mm.is_match(n))) {
                    continue;
                }
                let why = format!("provider {} (its model_match accepts the name)", p.id);
                if let Some(hit) = visit(pi, why, rejected, &mut prefix) {
                    return Some(hit);
                }
            }
        }
        if prefix.is_none() {
            let mut exact: Option<(usize, &str)> = None;
            let mut agree = true;
            for p in &self.providers {
                if let Some((n, &i)) = names.iter().find_map(|n| p.exact.get(*n).map(|i| (n, i))) {
                    match exact {
                        None => exact = Some((i, n)),
                        Some((e, _)) if self.entries[e].prices.get() != self.entries[i].prices.get() => {
                            agree = false;
                            rejected.push(format!("{} also has exact id {n:?} at other prices", self.entries[i].name));
                        }
                        Some(_) => {}
                    }
                }
            }
            match (exact, agree) {
                (Some((i, n)), true) => {
                    return Some((i, "exact id in another provider".into(), Some(format!("equals {n:?}"))))
                }
                (Some((i, _)), false) => {
                    rejected.push(format!("{}: providers disagree on price", self.entries[i].name))
                }
                _ => {}
            }
        }
        match (self.litellm_key(names, chosen), prefix) {
            (Some((i, k)), prefix) => {
                if let Some((p, _, rule)) = prefix {
                    rejected.push(format!("{} by prefix rule {rule}: LiteLLM has the exact id", self.entries[p].name));
                }
                Some((i, "LiteLLM exact key".into(), Some(format!("key {k:?}"))))
            }
            (None, Some((i, why, rule))) => Some((i, format!("{why}, prefix rule"), Some(rule))),
            (None, None) => None,
        }
    }

    /// LiteLLM by exact key: the provider's prefixed keys (`vertex_ai/…`) first.
    pub(crate) fn litellm_key(&self, names: &[&str], chosen: Option<usize>) -> Option<(usize, String)> {
        self.litellm_keys(names, chosen).next()
    }

    /// Every LiteLLM entry of `names`, in `litellm_key` order.
    pub(crate) fn litellm_keys<'s>(
        &'s self,
        names: &'s [&'s str],
        chosen: Option<usize>,
    ) -> impl Iterator<Item = (usize, String)> + 's {
        chosen
            .into_iter()
            .flat_map(|pi| super::litellm_prefixes(&self.providers[pi].id))
            .flat_map(|pre| names.iter().map(move |n| format!("{pre}{n}")))
            .chain(names.iter().map(|n| n.to_string()))
            .filter_map(|k| self.entries.litellm(&k).map(|i| (i, k)))
    }

    /// User models: those scoped to the call's provider, then unscoped ones.
    fn user_match(
        &self,
        names: &[&str],
        provider: Option<&str>,
        rejected: &mut Vec<String>,
    ) -> Option<(usize, String, Option<String>)> {
        let norm = provider.map(|p| self.provider_key(p));
        // Newest file first; within the files, provider-scoped models before open ones.
        let scoped = self.user.models.iter().rev().filter(|(s, _)| s.is_some() && s.as_deref() == norm.as_deref());
        let open = self.user.models.iter().rev().filter(|(s, _)| s.is_none());
        for (scope, p) in scoped.chain(open) {
            if let Found::One { i, rule, .. } = self.find_in(p, names, rejected) {
                let step = match scope {
                    Some(s) => format!("user model for provider {s}"),
                    None => "user model".into(),
                };
                return Some((i, step, Some(rule)));
            }
        }
        None
    }

    /// A provider's id in the catalog if it is one, else the name as given (lowercase):
    /// how user scopes and adjustments compare providers.
    pub(crate) fn provider_key(&self, raw: &str) -> String {
        self.find_provider(raw).map_or_else(|| raw.trim().to_lowercase(), |i| self.providers[i].id.clone())
    }

    /// The provider whose API URL pattern matches a `server.address` (a host, or a URL),
    /// first in data order.
    pub(crate) fn provider_at(&self, address: &str) -> Option<usize> {
        let a = address.trim().to_ascii_lowercase();
        if a.is_empty() {
            return None;
        }
        let url = if a.contains("://") { a } else { format!("https://{a}") };
        self.providers.iter().position(|p| p.api_pattern.as_ref().is_some_and(|re| re.is_match(&url)))
    }

    pub(crate) fn find_provider(&self, raw: &str) -> Option<usize> {
        let s = raw.trim().to_lowercase();
        let by_id = |id: &str| self.provider_ids.get(id).copied();
        if let Some(i) = crate::model::provider::alias(&s).and_then(by_id) {
            return Some(i);
        }
        if let Some(i) = by_id(&s) {
            return Some(i);
        }
        if let Some((head, _)) = s.split_once(['.', '-']) {
            if let Some(i) = crate::model::provider::alias(head).and_then(by_id).or_else(|| by_id(head)) {
                return Some(i);
            }
        }
        self.providers.iter().position(|p| p.provider_match.as_ref().is_some_and(|m| m.is_match(&s)))
    }

    fn find_in(&self, p: &Provider, names: &[&str], rejected: &mut Vec<String>) -> Found {
        if let Some((n, &i)) = names.iter().find_map(|n| p.exact.get(*n).map(|i| (n, i))) {
            return Found::One { i, exact: true, rule: format!("{}: equals {n:?}", p.id) };
        }
        let mut best: Option<(super::matcher::Score, usize, &super::matcher::Clause)> = None;
        let mut tie: Option<usize> = None;
        for (rule, i) in &p.rules {
            let Some(score) = names.iter().filter_map(|n| rule.score(n)).max() else {
                if names.iter().any(|n| rule.is_match(n)) {
                    rejected.push(format!(
                        "{} by {rule}: the rest of the name makes it a different model",
                        self.entries[*i].name
                    ));
                }
                continue;
            };
            match best {
                Some((s, _, _)) if score < s => {}
                Some((s, b, _)) if score == s => {
                    if b != *i && self.entries[b].prices.get() != self.entries[*i].prices.get() {
                        tie = Some(*i);
                    }
                }
                _ => {
                    best = Some((score, *i, rule));
                    tie = None;
                }
            }
        }
        match (best, tie) {
            (Some((_, b, _)), Some(t)) => {
                rejected.push(format!(
                    "ambiguous in {}: {} and {} match equally well at different prices",
                    p.id, self.entries[b].name, self.entries[t].name
                ));
                Found::Ambiguous
            }
            (Some((s, i, rule)), None) => Found::One { i, exact: s.exact, rule: format!("{}: {rule}", p.id) },
            (None, _) => Found::None,
        }
    }
}

impl MatchExplanation {
    fn found(mut self, c: &Catalog, i: usize, step: String, rule: Option<String>) -> MatchExplanation {
        self.index = Some(i);
        self.entry = Some(c.entries[i].name.clone());
        self.source = Some(c.entries[i].source);
        self.step = step;
        self.rule = rule;
        self
    }
}
