//! Rule 1's last step: model-call spans whose counts are not what the API sent.
//!
//! Some layers end a call's span before they know its usage, or put their own estimate
//! there: OpenLLMetry's anthropic instrumentation ends a stream's span before the stream
//! is read (0 tokens of every kind), Traceloop JS's openai instrumentation counts a
//! stream's text with a tokenizer (`Observation::estimated`). No identity ties such a
//! span to its call (no response id, or counts unlike every other layer's), so each one
//! left alone after the identities is compared with the measured spans of other layers:
//! one that overlaps it, in its trace (or, across traces, one of the two a trace root),
//! of the same model family and session, is the same call, and the measured one is kept.
//! Among several, the one whose times are closest; a measured span takes one such span
//! of a layer (one layer records one call once), in every round. Left alone, the span
//! stays one request with the counts it states: a call really answered with 0 tokens
//! still counts.

use super::{fill_missing, Covers, Decisions, Match, Member, Order, Reason, Round};
use crate::model::{model_family, Observation, Role, Signal};
use std::collections::HashMap;

/// A model-call span naming its model, as the spans this step compares.
fn is_model_call_span(o: &Observation) -> bool {
    o.role == Role::ModelCall && o.signal == Signal::Traces && o.span.is_some() && o.model.is_some()
}

/// A model-call span that states no usage at all, or usage its layer may have estimated.
pub(super) fn is_unmeasured(o: &Observation) -> bool {
    (o.tokens.is_zero() || o.estimated) && is_model_call_span(o)
}

/// A span as `Member`, over its own interval (no slack: it says when the call ran).
fn span_member(o: &Observation) -> Member {
    Member { from: o.start_ns.min(o.time_ns), to: o.time_ns, ..Member::of(o) }
}

fn family(o: &Observation) -> String {
    o.model.as_deref().map(model_family).unwrap_or_default()
}

/// Joins each unmeasured span kept to the measured span of another layer that recorded
/// its call, if any (see the module's text).
pub(super) fn join(
    slots: &mut [Option<(Order, Observation)>],
    round: Round,
    decisions: &mut Decisions,
    mut covers: Option<&mut Covers>,
) {
    let is = |slot: &Option<(Order, Observation)>, unmeasured: bool| {
        slot.as_ref().is_some_and(|(_, o)| is_model_call_span(o) && is_unmeasured(o) == unmeasured)
    };
    let unmeasured: Vec<usize> = (0..slots.len()).filter(|&i| is(&slots[i], true)).collect();
    if unmeasured.is_empty() {
        return;
    }
    let mut measured: HashMap<(u64, String), Vec<usize>> = HashMap::new();
    for i in (0..slots.len()).filter(|&i| is(&slots[i], false)) {
        if let Some((_, o)) = &slots[i] {
            measured.entry((o.scope, family(o))).or_default().push(i);
        }
    }
    let across = round == Round::AcrossTraces;
    for i in unmeasured {
        let Some((_, o)) = slots[i].as_ref() else { continue };
        let me = span_member(o);
        let Some(candidates) = measured.get(&(o.scope, family(o))) else { continue };
        let closest = candidates
            .iter()
            .filter_map(|&m| {
                let (_, kept) = slots[m].as_ref()?;
                let other = span_member(kept);
                let distance = me.from.abs_diff(other.from).saturating_add(me.to.abs_diff(other.to));
                let free = kept.unmeasured_joined != me.layer && other.layer != me.layer;
                (free && me.may_share_a_call(&other, across)).then_some((distance, m))
            })
            .min();
        let Some((_, m)) = closest else { continue };
        let Some((order, dup)) = slots[i].take() else { continue };
        decisions.duplicates += 1;
        decisions.matches[Match::UnmeasuredLayer as usize] += 1;
        if let Some(covers) = covers.as_deref_mut() {
            covers.add(&dup);
        }
        if let Some((_, kept)) = slots[m].as_mut() {
            decisions.example(Reason::Duplicate, order, &dup.location, Some((&kept.location, Match::UnmeasuredLayer)));
            kept.unmeasured_joined = dup.layer;
            fill_missing(kept, dup);
        }
    }
}
