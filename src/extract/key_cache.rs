//! Verdicts on attribute keys by their text alone, remembered for the keys seen last.

/// What a judge said of the keys seen last, in slots by the key's hash: the same handful
/// of keys comes back on every record of a service, and looking one up costs a fraction
/// of judging it again. A cache, so no part of what was found: any two are equal.
#[derive(Clone)]
pub(crate) struct KeyCache<V>(Vec<(String, Option<V>)>);

impl<V: Copy> KeyCache<V> {
    const SLOTS: usize = 256;

    pub const fn new() -> Self {
        KeyCache(Vec::new())
    }

    /// What `judge` says of `key`, judged again only when another key took its slot.
    pub fn get(&mut self, key: &str, judge: impl FnOnce(&str) -> V) -> V {
        if self.0.is_empty() {
            self.0 = vec![(String::new(), None); Self::SLOTS];
        }
        let (judged, verdict) = &mut self.0[crate::model::stable_hash(&key) as usize % Self::SLOTS];
        match verdict {
            Some(v) if judged == key => *v,
            _ => {
                // Two keys of one slot take turns: the slot's text is rewritten in place.
                judged.clear();
                judged.push_str(key);
                *verdict.insert(judge(key))
            }
        }
    }
}

impl<V> Default for KeyCache<V> {
    fn default() -> Self {
        KeyCache(Vec::new())
    }
}

impl<V> PartialEq for KeyCache<V> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl<V> Eq for KeyCache<V> {}

impl<V> std::fmt::Debug for KeyCache<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyCache")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_verdict_is_the_judges_through_collisions() {
        let judge = |key: &str| key.len() * 7 % 5 + usize::from(key.ends_with('3'));
        let keys: Vec<String> = (0..300).map(|i| format!("acme.k{i}")).collect();
        let mut cache = KeyCache::new();
        let mut judged = 0;
        for key in keys.iter().chain(keys.iter().rev()).chain(keys.iter()) {
            let verdict = cache.get(key, |k| {
                judged += 1;
                judge(k)
            });
            assert_eq!(verdict, judge(key), "{key}");
        }
        // More keys than slots: some are judged again, but most are remembered.
        assert!((300..900).contains(&judged), "{judged}");
    }
}
