//! The receiver's consumer: each request it takes goes through decode and extract like a
//! file's record, is appended to `--save` if asked, and is held in the session's store,
//! all before the receiver may acknowledge it.

use super::unit::process_unit;
use super::Collected;
use crate::extract::{self, Extracted};
use crate::input::{InputStats, Unit, UnitPayload};
use crate::model::{Problem, Problems, Signal};
use crate::price::Catalog;
use crate::receiver::save::{Record, Saver};
use crate::receiver::{Consumer, Encoding, Outcome, Request, Save};
use crate::reconcile::Store;
use rust_decimal::Decimal;
use std::sync::{Mutex, MutexGuard};

/// What a live session has counted so far.
#[derive(Clone, Copy, Debug, Default)]
pub struct SoFar {
    pub calls: u64,
    pub tokens: u64,
    pub cost: Decimal,
    pub unpriced: u64,
}

/// A live session's requests, as the pipeline holds them until the report.
pub struct LiveSink {
    config: extract::Config,
    save: Option<Save>,
    state: Mutex<State>,
}

struct State {
    store: Store,
    /// The number the store gave this session's requests.
    source: u32,
    problems: Problems,
    accepted: u64,
    bytes: u64,
    saver: Option<Saver>,
    /// Taken for the report: later requests are not held (the sender may retry).
    closed: bool,
}

impl LiveSink {
    /// `--save` is opened here: an unusable directory is an error before listening.
    pub fn new(config: extract::Config, mut store: Store, save: Option<Save>) -> std::io::Result<LiveSink> {
        let saver = save.as_ref().map(|s| Saver::open(&s.dir, s.format, s.sync)).transpose()?;
        let source = store.sources(1);
        let state = State { store, source, problems: Problems::default(), accepted: 0, bytes: 0, saver, closed: false };
        Ok(LiveSink { config, save, state: Mutex::new(state) })
    }

    // A panic elsewhere never leaves the state half-updated (merges happen whole), so a
    // poisoned lock is still usable.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The calls, tokens and cost so far (for the live status line), while what is held
    /// is small: a long session is not copied and counted every second.
    pub fn so_far(&self, catalog: &Catalog) -> Option<SoFar> {
        const MAX_COPY: usize = 16 << 20;
        let snapshot = self.state().store.copy_held(MAX_COPY)?;
        let calls = crate::reconcile::reconcile(snapshot).ok()?.calls;
        let mut so_far = SoFar::default();
        for p in crate::price::price_calls(catalog, calls, false) {
            so_far.calls += 1;
            so_far.tokens =
                so_far.tokens.saturating_add(p.call.tokens.total_input().saturating_add(p.call.tokens.output));
            match p.cost {
                Some(cost) => so_far.cost += cost,
                None => so_far.unpriced += 1,
            }
        }
        Some(so_far)
    }

    /// Everything held, with the receiver's account of the session, for the report;
    /// requests that come later are refused.
    pub fn take(&self, session: crate::receiver::Session) -> Collected {
        let mut state = self.state();
        state.closed = true;
        let files = state.saver.as_ref().map_or(0, Saver::files);
        Collected {
            store: std::mem::take(&mut state.store),
            problems: std::mem::take(&mut state.problems),
            // The receiver is the one source, and it was read (whatever it was sent).
            stats: InputStats { files, bytes: state.bytes, readable: 1, ..InputStats::default() },
            session: Some(session),
        }
    }
}

impl Consumer for LiveSink {
    fn consume(&self, request: Request<'_>) -> Outcome {
        let location = request.location.clone();
        let outcome = self.hold(request);
        if let Outcome::Invalid(message) = &outcome {
            // Refused requests are reported like unreadable records (and fail --strict).
            self.state().problems.push(Problem { location, message: format!("refused: {message}") });
        }
        outcome
    }
}

impl LiveSink {
    /// Decodes, checks, saves and holds one request.
    fn hold(&self, request: Request<'_>) -> Outcome {
        let Request { signal, encoding, body, location, route } = request;
        if encoding == Encoding::Proto {
            // A request of another signal can decode as this one: tell it by its fields.
            if let Some(found) = crate::decode::sniff_signal(body).filter(|s| *s != signal) {
                return Outcome::Invalid(wrong_signal(found, signal));
            }
        }
        let payload = match encoding {
            Encoding::Json => UnitPayload::Json(body),
            Encoding::Proto => UnitPayload::Proto(body, Some(signal)),
        };
        let mut out = Extracted::default();
        let unit = Unit { location, payload, route: route.as_ref(), context: None };
        if let Err(message) = process_unit(&unit, &self.config, &mut out) {
            return Outcome::Invalid(message);
        }
        if let Some(found) = out.tally.records.keys().copied().find(|s| *s != signal) {
            return Outcome::Invalid(wrong_signal(found, signal));
        }
        // Built before taking the lock: transcoding is the costly part of saving.
        let record = match &self.save {
            Some(save) => match Record::new(save.format, signal, encoding, body, route) {
                Ok(record) => record,
                Err(e) => return Outcome::Unavailable(format!("otelcost could not save the request: {e}")),
            },
            None => None,
        };

        // Save and merge under one lock: the saved order is the order of the live report.
        let mut state = self.state();
        if state.closed {
            return Outcome::Unavailable("the otelcost session is ending".into());
        }
        if let Some(failure) = state.store.failure() {
            // Not acknowledged: the session can no longer count it (the sender retries).
            return Outcome::Unavailable(format!("otelcost {failure}"));
        }
        if let (Some(saver), Some(record)) = (state.saver.as_mut(), &record) {
            if let Err(e) = saver.append(record) {
                return Outcome::Unavailable(format!("otelcost could not save the request: {e}"));
            }
        }
        // Values it could not use are problems of the session, the request is still accepted.
        out.problems.drain(..).for_each(|p| state.problems.push(p));
        let (source, accepted) = (state.source, state.accepted);
        state.store.add(source, accepted, out);
        state.accepted += 1;
        state.bytes += body.len() as u64;
        Outcome::Accepted
    }
}

fn wrong_signal(found: Signal, endpoint: Signal) -> String {
    format!("this is a {} request, sent to the {} endpoint: send it to its own endpoint", found.name(), endpoint.name())
}
