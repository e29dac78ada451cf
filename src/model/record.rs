//! The call record, its fields declared once: what extract says of one record
//! ([`Observation`]), what reconcile keeps of a counted call ([`Call`], the fields both
//! share), and their binary encoding for spill files ([`Field`]), derived from the same
//! list, so a field added here is carried everywhere and none can be dropped on disk.

use super::{CallKeys, Emitter, Location, Position, Role, Route, ServiceTier, Signal, TokenBuckets};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;

macro_rules! call_record {
    (
        shared { $( $(#[$sdoc:meta])* $shared:ident : $sty:ty, )* }
        observed { $( $(#[$odoc:meta])* $observed:ident : $oty:ty, )* }
    ) => {
        /// What one record says about one LLM call.
        #[derive(Clone, Debug, PartialEq)]
        pub struct Observation {
            $( $(#[$sdoc])* pub $shared: $sty, )*
            $( $(#[$odoc])* pub $observed: $oty, )*
        }

        /// One real LLM call, after counting once: what an observation says of the call,
        /// without what only reconcile needs.
        #[derive(Clone, Debug, PartialEq)]
        pub struct Call {
            $( $(#[$sdoc])* pub $shared: $sty, )*
        }

        impl From<Observation> for Call {
            fn from(o: Observation) -> Call {
                Call { $( $shared: o.$shared, )* }
            }
        }

        impl Observation {
            /// Every field, in declaration order.
            pub fn encode(&self, out: &mut Encoder<'_>) {
                $( self.$shared.put(out); )*
                $( self.$observed.put(out); )*
            }

            /// The fields `encode` wrote; `None` for bytes that are not such a record.
            pub fn decode(input: &mut Decoder<'_, '_>) -> Option<Observation> {
                Some(Observation {
                    $( $shared: Field::take(input)?, )*
                    $( $observed: Field::take(input)?, )*
                })
            }
        }
    };
}

call_record! {
    shared {
        emitter: Emitter,
        signal: Signal,
        /// Unix nanoseconds of the call (span end, log time).
        time_ns: u64,
        /// The model that answered if known, else the one requested.
        model: Option<String>,
        provider: Option<String>,
        /// `server.address`, kept only when `provider` does not name a well-known provider
        /// (most calls carry none: 16 bytes, no allocation).
        address: Option<Box<str>>,
        /// The service tier the call ran in (`Standard` when the record does not say).
        tier: ServiceTier,
        operation: Option<String>,
        service: Option<String>,
        tokens: TokenBuckets,
        /// Calls this record stands for: 1 for a per-call record; for metrics, the calls
        /// the points count (0 when they do not say).
        requests: u64,
        /// The cost the emitter itself stated (USD), kept beside the computed one.
        reported_cost: Option<Decimal>,
        /// The session or conversation the call belongs to, when the emitter says.
        session: Option<String>,
        /// The emitting process (`service.instance.id`, else `service.name`): with the
        /// session, what a per-call record covers of its emitter's metrics.
        instance: Option<String>,
        /// (trace id, span id) when the record is a span: to find aggregate parents, and
        /// for line-item exports.
        span: Option<([u8; 16], [u8; 8])>,
        /// Values of the attribute dimensions asked for (`--by`), record first then resource.
        dims: Vec<Option<String>>,
        /// The route the request was sent to (`/team-a/v1/traces`), or its `--save` directory.
        route: Option<Route>,
    }
    observed {
        role: Role,
        /// Identities. Observations sharing any key (within one `scope`) are one call.
        keys: CallKeys,
        /// What keeps every record of this call together (see `extract::scope_of`):
        /// reconcile matches records, and parents with children, only within one scope, so
        /// it can work on the scopes a few at a time.
        scope: u64,
        /// A wrapper's re-report of a call that the provider's own instrumentation may also
        /// record (OpenLLMetry around the anthropic SDK's spans): among records of one call
        /// in the same signal, a firsthand one is kept.
        secondhand: bool,
        /// The record leaves out part of its call's usage that another record of the same
        /// call states (Gemini CLI's `llm_call` span has neither the cache nor the thoughts
        /// split of its `api_response` event): among records of one call, a complete one is
        /// kept.
        partial: bool,
        location: Location,
        /// When the call started (a span's start), `time_ns` for a record of one instant.
        start_ns: u64,
        /// The instrumentation that made the record (emitter, instrumentation scope,
        /// signal), as a hash: one layer records one call once.
        layer: u64,
        /// A span at the root of its trace: its layer did not take a parent from the
        /// context, so another layer's span of the call may be in another trace.
        root: bool,
        /// The usage may be the instrumentation's own estimate, not what the API sent
        /// (Traceloop JS's openai instrumentation counts a stream's text with a tokenizer,
        /// and nothing on its span says it streamed): another layer's record of the call
        /// that states other counts is kept instead.
        estimated: bool,
        /// The layer of a span that measured no usage and was joined to this record as
        /// the same call (0 for none): one layer records one call once, so no other span
        /// of that layer joins it.
        unmeasured_joined: u64,
    }
}

/// Writes fields into a frame: integers as LEB128 (most are small), texts with their length.
pub struct Encoder<'b>(pub &'b mut Vec<u8>);

impl Encoder<'_> {
    pub fn uint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.0.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }

    /// Absent, or present with its length (so `Some("")` reads back as itself).
    pub fn text(&mut self, text: Option<&str>) {
        match text {
            None => self.uint(0),
            Some(t) => {
                self.uint(t.len() as u64 + 1);
                self.0.extend_from_slice(t.as_bytes());
            }
        }
    }
}

/// Reads fields back from a frame; every read is `None` for a frame cut short or not what
/// was written.
pub struct Decoder<'b, 'n> {
    pub buf: &'b [u8],
    pub names: &'n mut Names,
}

/// Names read back (file names, routes), each kept once while few; the last one is tried
/// first (records of one file mostly follow each other). A live session names every
/// request apart, so the map is emptied when full: it must not grow with the input.
#[derive(Default)]
pub struct Names {
    all: HashMap<Box<str>, Arc<str>>,
    last: Option<Arc<str>>,
}

impl Names {
    const MAX: usize = 256;

    /// How many names are kept (bounded by `MAX`).
    #[cfg(test)]
    pub fn kept(&self) -> usize {
        self.all.len()
    }
}

impl<'b> Decoder<'b, '_> {
    pub fn byte(&mut self) -> Option<u8> {
        let (b, rest) = self.buf.split_first()?;
        self.buf = rest;
        Some(*b)
    }

    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.buf.split_first_chunk::<N>()?;
        self.buf = rest;
        Some(*head)
    }

    pub fn uint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b < 0x80 {
                return Some(n);
            }
        }
        None
    }

    /// `Some(None)` for an absent text, `None` for a frame cut short.
    fn str(&mut self) -> Option<Option<&'b str>> {
        let len = usize::try_from(self.uint()?).ok()?;
        if len == 0 {
            return Some(None);
        }
        let buf: &'b [u8] = self.buf;
        let bytes = buf.get(..len - 1)?;
        self.buf = &buf[len - 1..];
        Some(Some(std::str::from_utf8(bytes).ok()?))
    }

    /// A text many records share (a file name, a route), without a copy per record.
    fn name(&mut self) -> Option<Option<Arc<str>>> {
        let Some(text) = self.str()? else { return Some(None) };
        let names = &mut *self.names;
        if let Some(last) = names.last.as_ref().filter(|last| ***last == *text) {
            return Some(Some(Arc::clone(last)));
        }
        let name = match names.all.get(text) {
            Some(name) => Arc::clone(name),
            None => {
                let name: Arc<str> = Arc::from(text);
                if names.all.len() >= Names::MAX {
                    names.all.clear();
                }
                names.all.insert(text.into(), Arc::clone(&name));
                name
            }
        };
        names.last = Some(Arc::clone(&name));
        Some(Some(name))
    }
}

/// A field of the call record, on disk.
pub trait Field: Sized {
    fn put(&self, out: &mut Encoder<'_>);
    fn take(input: &mut Decoder<'_, '_>) -> Option<Self>;
}

impl Field for u64 {
    fn put(&self, out: &mut Encoder<'_>) {
        out.uint(*self);
    }
    fn take(input: &mut Decoder<'_, '_>) -> Option<Self> {
        input.uint()
    }
}

impl Field for bool {
    fn put(&self, out: &mut Encoder<'_>) {
        out.0.push(u8::from(*self));
    }
    fn take(input: &mut Decoder<'_, '_>) -> Option<Self> {
        match input.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

impl Field for Option<String> {
    fn put(&self, out: &mut Encoder<'_>) {
        out.text(self.as_deref());
    }
    fn take(input: &mut Decoder<'_, '_>) -> Option<Self> {
        Some(input.str()?.map(str::to_owned))
    }
}

impl Field for Option<Box<str>> {
    fn put(&self, out: &mut Encoder<'_>) {
        out.text(self.as_deref());
    }
    fn take(input: &mut Decoder<'_, '_>) -> Option<Self> {
        Some(input.str()?.map(Box::from))
    }
}

/// Routes: shared by many records, read back as one name.
impl Field for Option<Route> {
    fn put(&self, out: &mut Encoder<'_>) {
        out.text(self.as_deref());
    }
    fn take(input: &mut Decoder<'_, '_>) -> Option<Self> {
        input.name()
    }
}

impl Field for Vec<Option<String>> {
    fn put(&self, out: &mut Encoder<'_>) {
        out.uint(self.len() as u64);
        self.iter().for_each(|d| d.put(out));
    }
    fn take(input: &mut Decoder<'_, '_>) -> Option<Self> {
        // Each value takes at least a byte: a count beyond what is left is not a record.
        let n = usize::try_from(input.uint()?).ok().filter(|n| *n <= input.buf.len())?;
        (0..n).map(|_| Field::take(input)).collect()
    }
}

impl Field for Option<Decimal> {
    fn put(&self, out: &mut Encoder<'_>) {
        match self {
            Some(d) => {
                out.0.push(1);
                out.0.extend_from_slice(&d.serialize());
            }
            None => out.0.push(0),
        }
    }
    fn take(input: &mut Decoder<'_, '_>) -> Option<Self> {
        match input.byte()? {
            0 => Some(None),
            1 => Some(Some(Decimal::deserialize(input.array()?))),
            _ => None,
        }
    }
}

impl Field for Option<([u8; 16], [u8; 8])> {
    fn put(&self, out: &mut Encoder<'_>) {
        match self {
            Some((trace, span)) => {
                out.0.push(1);
                out.0.extend_from_slice(trace);
                out.0.extend_from_slice(span);
            }
            None => out.0.push(0),
        }
    }
    fn take(input: &mut Decoder<'_, '_>) -> Option<Self> {
        match input.byte()? {
            0 => Some(None),
            1 => Some(Some((input.array()?, input.array()?))),
            _ => None,
        }
    }
}

impl Field for TokenBuckets {
    fn put(&self, out: &mut Encoder<'_>) {
        let t = self;
        [t.input, t.cache_read, t.cache_write_5m, t.cache_write_1h, t.output, t.reasoning]
            .iter()
            .for_each(|n| out.uint(*n));
    }
    fn take(input: &mut Decoder<'_, '_>) -> Option<Self> {
        Some(TokenBuckets {
            input: input.uint()?,
            cache_read: input.uint()?,
            cache_write_5m: input.uint()?,
            cache_write_1h: input.uint()?,
            output: input.uint()?,
            reasoning: input.uint()?,
        })
    }
}

impl Field for CallKeys {
    fn put(&self, out: &mut Encoder<'_>) {
        out.uint(self.ids().len() as u64);
        self.ids().iter().for_each(|id| out.0.extend_from_slice(&id.to_le_bytes()));
    }
    fn take(input: &mut Decoder<'_, '_>) -> Option<Self> {
        let n = usize::try_from(input.uint()?).ok().filter(|n| *n <= CallKeys::MAX)?;
        let mut ids = [0u128; CallKeys::MAX];
        for id in ids.iter_mut().take(n) {
            *id = u128::from_le_bytes(input.array()?);
        }
        Some(CallKeys::from_ids(&ids[..n]))
    }
}

impl Field for Location {
    fn put(&self, out: &mut Encoder<'_>) {
        out.text(Some(&self.file));
        let (tag, n) = match self.at {
            Position::Line(n) => (0, n),
            Position::Offset(n) => (1, n),
            Position::Whole => (2, 0),
        };
        out.0.push(tag);
        out.uint(n);
    }
    fn take(input: &mut Decoder<'_, '_>) -> Option<Self> {
        let file = input.name()??;
        let at = match (input.byte()?, input.uint()?) {
            (0, n) => Position::Line(n),
            (1, n) => Position::Offset(n),
            (2, _) => Position::Whole,
            _ => return None,
        };
        Some(Location { file, at })
    }
}

/// The enums, by their place in a list of every value.
macro_rules! enum_field {
    ($ty:ty, $all:expr) => {
        impl Field for $ty {
            fn put(&self, out: &mut Encoder<'_>) {
                let index = $all.iter().position(|v| v == self).unwrap_or(0);
                out.0.push(index as u8);
            }
            fn take(input: &mut Decoder<'_, '_>) -> Option<Self> {
                $all.get(usize::from(input.byte()?)).copied()
            }
        }
    };
}

enum_field!(Emitter, Emitter::ALL);
enum_field!(Signal, [Signal::Traces, Signal::Metrics, Signal::Logs]);
enum_field!(Role, [Role::ModelCall, Role::MaybeAggregate, Role::MetricTotal]);
enum_field!(
    ServiceTier,
    [ServiceTier::Standard, ServiceTier::Flex, ServiceTier::Priority, ServiceTier::Batch, ServiceTier::Other]
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CallKey;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(".{0,12}")
    }

    fn observation() -> impl Strategy<Value = Observation> {
        let ids = (
            proptest::sample::select(Emitter::ALL.to_vec()),
            prop_oneof![Just(Signal::Traces), Just(Signal::Metrics), Just(Signal::Logs)],
            prop_oneof![Just(Role::ModelCall), Just(Role::MaybeAggregate), Just(Role::MetricTotal)],
            prop_oneof![
                Just(ServiceTier::Standard),
                Just(ServiceTier::Flex),
                Just(ServiceTier::Priority),
                Just(ServiceTier::Batch),
                Just(ServiceTier::Other)
            ],
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            any::<bool>(),
            any::<bool>(),
        );
        let texts = (text(), text(), text(), text(), text(), text(), text(), text());
        let numbers = (
            any::<[u64; 6]>(),
            proptest::option::of((any::<i64>(), 0u32..28).prop_map(|(n, scale)| Decimal::new(n, scale))),
            proptest::option::of(any::<([u8; 16], [u8; 8])>()),
            proptest::collection::vec(text(), 0..4),
            proptest::collection::vec(".{0,6}", 0..6),
            (
                ".{1,8}",
                prop_oneof![
                    any::<u64>().prop_map(Position::Line),
                    any::<u64>().prop_map(Position::Offset),
                    Just(Position::Whole)
                ],
            ),
        );
        (ids, texts, numbers).prop_map(|(ids, texts, numbers)| {
            let (emitter, signal, role, tier, time_ns, requests, scope, secondhand, partial) = ids;
            let (model, provider, address, operation, service, session, instance, route) = texts;
            let (t, reported_cost, span, dims, key_texts, (file, at)) = numbers;
            let mut keys = CallKeys::default();
            keys.extend(key_texts.into_iter().map(|k| CallKey::Request(k, String::new())));
            Observation {
                emitter,
                signal,
                time_ns,
                model,
                provider,
                address: address.map(String::into_boxed_str),
                tier,
                operation,
                service,
                tokens: TokenBuckets {
                    input: t[0],
                    cache_read: t[1],
                    cache_write_5m: t[2],
                    cache_write_1h: t[3],
                    output: t[4],
                    reasoning: t[5],
                },
                requests,
                reported_cost,
                session,
                instance,
                span,
                dims,
                route: route.map(Route::from),
                role,
                keys,
                scope,
                secondhand,
                partial,
                location: Location { file: file.into(), at },
                start_ns: time_ns.saturating_sub(requests),
                layer: scope.rotate_left(7),
                root: secondhand != partial,
                estimated: secondhand == partial,
                unmeasured_joined: scope.rotate_left(9),
            }
        })
    }

    proptest! {
        /// Every field of the record reads back as written, and nothing is left over.
        #[test]
        fn every_field_reads_back_exactly(o in observation()) {
            let mut frame = Vec::new();
            o.encode(&mut Encoder(&mut frame));
            let mut names = Names::default();
            let mut input = Decoder { buf: &frame, names: &mut names };
            prop_assert_eq!(Observation::decode(&mut input), Some(o.clone()));
            prop_assert!(input.buf.is_empty());
            prop_assert_eq!(Call::from(o.clone()).model, o.model);
        }

        /// A frame cut short is never a record.
        #[test]
        fn a_cut_frame_is_not_a_record(o in observation(), cut in any::<proptest::sample::Index>()) {
            let mut frame = Vec::new();
            o.encode(&mut Encoder(&mut frame));
            let cut = cut.index(frame.len());
            let mut names = Names::default();
            let mut input = Decoder { buf: &frame[..cut], names: &mut names };
            prop_assert_eq!(Observation::decode(&mut input), None);
        }
    }
}
