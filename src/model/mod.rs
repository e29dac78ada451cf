//! The types that flow between stages. Each stage owns its logic; these are only the
//! hand-offs: what extract says about one record (`Observation`), what reconcile keeps
//! (`Call`), and what price adds (`PricedCall`).

pub mod problem;
pub mod provider;
pub mod record;
pub mod route;

pub use problem::{Problem, Problems, UnorderedProblems};
pub use record::{Call, Observation};
pub use route::Route;

use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

/// Token counts in exclusive buckets: every token is billed in exactly one of
/// `input`, `cache_read`, `cache_write_5m`, `cache_write_1h`, `output`.
/// `reasoning` is a subset of `output`, reported but never billed on its own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TokenBuckets {
    /// Uncached input tokens, billed at the input rate.
    pub input: u64,
    pub cache_read: u64,
    /// Cache writes with the default (5 minute) lifetime, or of unknown lifetime.
    pub cache_write_5m: u64,
    pub cache_write_1h: u64,
    /// All output tokens, reasoning included.
    pub output: u64,
    pub reasoning: u64,
}

impl TokenBuckets {
    // Counts come from user data: sums saturate instead of overflowing.
    pub fn cache_write(&self) -> u64 {
        self.cache_write_5m.saturating_add(self.cache_write_1h)
    }

    /// Every input-side token of the request, cached or not: what long-context tiers look at.
    pub fn total_input(&self) -> u64 {
        self.input.saturating_add(self.cache_read).saturating_add(self.cache_write())
    }

    pub fn is_zero(&self) -> bool {
        *self == TokenBuckets::default()
    }

    pub fn add(&mut self, other: &TokenBuckets) {
        self.input = self.input.saturating_add(other.input);
        self.cache_read = self.cache_read.saturating_add(other.cache_read);
        self.cache_write_5m = self.cache_write_5m.saturating_add(other.cache_write_5m);
        self.cache_write_1h = self.cache_write_1h.saturating_add(other.cache_write_1h);
        self.output = self.output.saturating_add(other.output);
        self.reasoning = self.reasoning.saturating_add(other.reasoning);
    }
}

/// The components a call is billed by, in the order of every per-type array
/// (`[T; TokenType::COUNT]`): the token types, then `Request` (a per-request fee, when the
/// price has one). `Reasoning` is billed on its own only when the price has a distinct
/// reasoning rate; otherwise reasoning tokens are billed as `Output`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenType {
    Input,
    CacheRead,
    CacheWrite5m,
    CacheWrite1h,
    Output,
    Reasoning,
    /// Requests, priced per 1000 (genai-prices `requests_kcount`).
    Request,
}

impl TokenType {
    pub const COUNT: usize = 7;
    pub const ALL: [TokenType; TokenType::COUNT] = [
        TokenType::Input,
        TokenType::CacheRead,
        TokenType::CacheWrite5m,
        TokenType::CacheWrite1h,
        TokenType::Output,
        TokenType::Reasoning,
        TokenType::Request,
    ];
    /// The token types alone (`ALL` without `Request`, its last), the order of token columns.
    pub const TOKENS: &'static [TokenType] = TokenType::ALL.split_at(TokenType::COUNT - 1).0;

    /// The bucket name used in every machine format.
    pub fn name(self) -> &'static str {
        match self {
            TokenType::Input => "input",
            TokenType::CacheRead => "cache_read",
            TokenType::CacheWrite5m => "cache_write_5m",
            TokenType::CacheWrite1h => "cache_write_1h",
            TokenType::Output => "output",
            TokenType::Reasoning => "reasoning",
            TokenType::Request => "request",
        }
    }

    /// How many units one unit price is for: a million tokens, or a thousand requests.
    pub fn per(self) -> u32 {
        match self {
            TokenType::Request => 1000,
            _ => 1_000_000,
        }
    }

    /// What is counted: `Tokens` or `Requests` (FOCUS `ConsumedUnit`).
    pub fn unit(self) -> &'static str {
        match self {
            TokenType::Request => "Requests",
            _ => "Tokens",
        }
    }
}

/// The service tier a call ran in, as the telemetry says (`service_tier`). Flex, priority
/// and batch have prices of their own; every other value OpenAI, Anthropic or Google send
/// for ordinary processing (`default`, `standard`, `auto`, `scale`) is `Standard`, and a
/// value not known here is `Other` (priced at standard rates, and said so).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceTier {
    #[default]
    Standard,
    Flex,
    Priority,
    Batch,
    Other,
}

impl ServiceTier {
    /// Case-insensitive; an empty value is `Standard`.
    pub fn parse(s: &str) -> ServiceTier {
        let s = s.trim();
        let is = |w: &str| s.eq_ignore_ascii_case(w);
        if s.is_empty() || is("default") || is("standard") || is("auto") || is("scale") || is("standard_only") {
            ServiceTier::Standard
        } else if is("flex") {
            ServiceTier::Flex
        } else if is("priority") {
            ServiceTier::Priority
        } else if is("batch") || is("batches") {
            ServiceTier::Batch
        } else {
            ServiceTier::Other
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ServiceTier::Standard => "standard",
            ServiceTier::Flex => "flex",
            ServiceTier::Priority => "priority",
            ServiceTier::Batch => "batch",
            ServiceTier::Other => "other",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Signal {
    Traces,
    Metrics,
    Logs,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
            Signal::Metrics => "metrics",
            Signal::Logs => "logs",
        }
    }
}

/// Where a record came from, precise enough for a user to find it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    pub file: Arc<str>,
    pub at: Position,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Position {
    /// 1-based line of a JSON-lines file.
    Line(u64),
    /// Byte offset of a frame or document in the (decompressed) stream.
    Offset(u64),
    /// The whole input (a single request body).
    Whole,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Position::Line(n) => write!(f, "{}:{}", self.file, n),
            Position::Offset(n) => write!(f, "{} at byte {}", self.file, n),
            Position::Whole => write!(f, "{}", self.file),
        }
    }
}

/// Declares [`Emitter`] with its id (the name of the module that reads it,
/// `src/extract/<id>.rs`, used in every machine format and the `emitter` dimension) and
/// its name for people, each written once.
macro_rules! emitters {
    ($($(#[$doc:meta])* $variant:ident => $id:literal, $name:literal;)*) => {
        /// Which emitter's conventions a record was read with.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Emitter {
            $($(#[$doc])* $variant,)*
        }

        impl Emitter {
            pub const ALL: &[Emitter] = &[$(Emitter::$variant),*];

            pub fn id(self) -> &'static str {
                match self {
                    $(Emitter::$variant => $id,)*
                }
            }

            pub fn name(self) -> &'static str {
                match self {
                    $(Emitter::$variant => $name,)*
                }
            }
        }
    };
}

emitters! {
    /// The OpenTelemetry `gen_ai` semantic conventions (every version).
    Semconv => "semconv", "gen_ai semconv";
    ClaudeCode => "claude_code", "Claude Code";
    Codex => "codex", "Codex";
    LiteLlm => "litellm", "LiteLLM";
    OpenLlmetry => "openllmetry", "OpenLLMetry";
    OpenInference => "openinference", "OpenInference";
    VercelAi => "vercel_ai", "Vercel AI SDK";
    PydanticAi => "pydantic_ai", "pydantic-ai";
    Strands => "strands", "Strands Agents";
    GoogleAdk => "google_adk", "Google ADK";
    GeminiCli => "gemini_cli", "Gemini CLI";
    QwenCode => "qwen_code", "Qwen Code";
    Copilot => "copilot", "GitHub Copilot";
    OpenLit => "openlit", "OpenLIT";
    Mlflow => "mlflow", "MLflow";
    Langfuse => "langfuse", "Langfuse";
    Logfire => "logfire", "Logfire";
    Laminar => "laminar", "Laminar";
    Cline => "cline", "Cline";
    Pi => "pi", "pi coding agent";
    ContinueCli => "continue_cli", "Continue CLI";
    Kilo => "kilo", "Kilo Code";
    Droid => "droid", "Factory Droid";
    OpenCodeExport => "opencode_export", "OpenCode / Kilo Code export";
    Haystack => "haystack", "Haystack";
    /// A vocabulary the user taught with `--usage-map` (no module of its own).
    UsageMap => "usage_map", "--usage-map";
}

impl Serialize for Emitter {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

/// What a record is to the count: a model call, or usage that may repeat its children's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// One call to a model (an inference/embeddings span, a per-request event).
    ModelCall,
    /// Usage on a span that is not itself a model call (agent, workflow, unknown operation):
    /// counted only when no descendant span carries usage.
    MaybeAggregate,
    /// Usage summed from metric points over an interval: counted only where no per-call
    /// record of the same emitter, session and model exists.
    MetricTotal,
}

/// An identity under which the same call may be seen more than once.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CallKey {
    /// A span, or a log record emitted inside that span: (trace id, span id).
    Span([u8; 16], [u8; 8]),
    /// The provider's response id (`gen_ai.response.id`), within its trace (all-zero
    /// when the record has none): ids are unique per provider, not across every dump a
    /// user may combine, and a repeat of one call stays inside its trace.
    Response([u8; 16], String),
    /// A request id the emitter assigned, within its session (empty when it has none):
    /// the same call seen as an event and as a span (Claude Code `request_id`).
    Request(String, String),
    /// For records with no id at all: a call's exclusive token counts (input, cache read,
    /// 5m and 1h writes, output, reasoning) within a time slot. Each record gets a slot on
    /// two grids offset by half a slot (`grid` 0 and 1), so two records of one call less
    /// than half a slot apart always share a key.
    UsageAt { grid: u8, slot: u64, tokens: [u64; 6] },
    /// An id the emitter itself gives one model response and nothing else (Google ADK's
    /// event id), within its trace: as strong as a span.
    Event([u8; 16], String),
    /// A model-call span's model family and output count within its trace: what two
    /// instrumentation layers of one call (LangChain's span and the SDK's own) still share
    /// when one of them lost the response id and the input.
    Sibling([u8; 16], String, u64),
    /// A model-call span's model family and output count within its process: what two
    /// layers of one call still share when one of them made its span the root of a trace
    /// of its own (a bare LangChain model call and the SDK's span of it).
    ProcessSibling(String, u64),
}

/// How much a shared identity proves (see the spec in `reconcile`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// One record, or records made inside it: always one call.
    Strong,
    /// A response or request id, or counts at a time: one call unless the records tell
    /// they are two (same layer, times apart, different sessions).
    Hint,
    /// A sibling key: a hint that also needs the same usage once normalised.
    Sibling,
    /// A process sibling key: a sibling key across the traces of one process, where one
    /// of the two spans is a trace root.
    ProcessSibling,
}

impl CallKey {
    pub fn kind(&self) -> KeyKind {
        match self {
            CallKey::Span(..) | CallKey::Event(..) => KeyKind::Strong,
            CallKey::Response(..) | CallKey::Request(..) | CallKey::UsageAt { .. } => KeyKind::Hint,
            CallKey::Sibling(..) => KeyKind::Sibling,
            CallKey::ProcessSibling(..) => KeyKind::ProcessSibling,
        }
    }

    /// The sibling keys of a model-call span in `trace`, within its trace and within its
    /// process (in that order: a record with no room left keeps the first), if it has a
    /// model and output.
    pub fn siblings(trace: [u8; 16], model: Option<&str>, output: u64) -> Option<[CallKey; 2]> {
        let family = model_family(model?);
        (trace != [0; 16] && output > 0 && !family.is_empty())
            .then(|| [CallKey::Sibling(trace, family.clone(), output), CallKey::ProcessSibling(family, output)])
    }
}

/// A model id without what layers disagree on: case, a date or version suffix
/// (`claude-sonnet-4-5-20250929`, `gpt-4o-2024-08-06`, `…@20250929`, `…-v1:0`).
pub fn model_family(model: &str) -> String {
    // On bytes: every suffix looked for is ASCII (this runs once per model-call span).
    let mut m = model.trim().to_ascii_lowercase();
    if let Some(at) = m.rfind('@') {
        m.truncate(at);
    }
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    let b = m.as_bytes();
    if let Some(dash) = b.windows(2).rposition(|w| w == b"-v") {
        if b[dash + 2..].split(|&c| c == b':').all(digits) {
            m.truncate(dash);
        }
    }
    let b = m.as_bytes();
    let dated = |n: usize, dashed: bool| {
        b.len() > n && b[b.len() - n - 1] == b'-' && {
            let tail = &b[b.len() - n..];
            if dashed {
                tail[4] == b'-' && tail[7] == b'-' && digits(&tail[..4]) && digits(&tail[5..7]) && digits(&tail[8..])
            } else {
                digits(tail)
            }
        }
    };
    if dated(10, true) {
        m.truncate(m.len() - 11);
    } else if dated(8, false) {
        m.truncate(m.len() - 9);
    }
    m
}

#[cfg(test)]
mod family_tests {
    /// `model_family` as first written, on strings: what the byte version must agree with.
    fn family_on_strings(model: &str) -> String {
        let mut m = model.trim().to_ascii_lowercase();
        if let Some(at) = m.rfind('@') {
            m.truncate(at);
        }
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if let Some((head, _)) = m.rsplit_once("-v").filter(|(_, version)| version.split(':').all(digits)) {
            m = head.to_string();
        }
        let dated = |n: usize, dashed: bool| {
            m.len() > n && m.as_bytes()[m.len() - n - 1] == b'-' && {
                let tail = &m[m.len() - n..];
                if dashed {
                    tail.split('-').map(str::len).eq([4, 2, 2]) && tail.split('-').all(digits)
                } else {
                    digits(tail)
                }
            }
        };
        if dated(10, true) {
            m.truncate(m.len() - 11);
        } else if dated(8, false) {
            m.truncate(m.len() - 9);
        }
        m
    }

    proptest::proptest! {
        #[test]
        fn the_family_on_bytes_is_the_family_on_strings(
            model in "[ a-zA-Z0-9é@:._-]{0,12}(-[vV][0-9:]{0,4})?(@[0-9a-z]{0,3})?(-[0-9-]{8,10})?[ ]?"
        ) {
            proptest::prop_assert_eq!(super::model_family(&model), family_on_strings(&model));
        }
    }
}

impl CallKey {
    /// Slot width of [`CallKey::UsageAt`]: records of one call arrive milliseconds apart;
    /// two different calls with the very same counts within seconds are rare.
    pub const USAGE_SLOT_NS: u64 = 10_000_000_000;

    /// The two `UsageAt` keys of a call with `tokens` seen at `time_ns`.
    pub fn usage_at(time_ns: u64, tokens: &TokenBuckets) -> [CallKey; 2] {
        let t = tokens;
        let tokens = [t.input, t.cache_read, t.cache_write_5m, t.cache_write_1h, t.output, t.reasoning];
        let slot = |grid: u8| {
            let offset = u64::from(grid) * (Self::USAGE_SLOT_NS / 2);
            CallKey::UsageAt { grid, slot: time_ns.saturating_add(offset) / Self::USAGE_SLOT_NS, tokens }
        };
        [slot(0), slot(1)]
    }
}

/// A hash that is the same on every run and thread: scopes, layers and series are grouped,
/// spilled and compared by it. Not for identities that must never collide (fingerprints).
pub fn stable_hash(value: &impl Hash) -> u64 {
    STABLE.hash_one(value)
}

/// [`stable_hash`] fed piece by piece.
pub fn stable_hasher() -> impl std::hash::Hasher {
    STABLE.build_hasher()
}

/// A hash map hashed as [`stable_hash`] does: fast, and the same on every run.
pub type StableMap<K, V> = std::collections::HashMap<K, V, foldhash::quality::FixedState>;

/// An empty [`StableMap`].
pub fn stable_map<K, V>() -> StableMap<K, V> {
    StableMap::with_hasher(STABLE)
}

const STABLE: foldhash::quality::FixedState = foldhash::quality::FixedState::with_seed(0x6f74_656c_636f_7374);

/// The identities of one observation as 128-bit fingerprints, stored inline: a record
/// carries at most a few (span, response or request id, usage slots), and millions of
/// records must not each hold heap-allocated keys. Two different identities share a
/// fingerprint with odds of about 1 in 10^38.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallKeys {
    ids: [u128; CallKeys::MAX],
    len: u8,
}

impl CallKeys {
    /// The most any emitter gives one record (Codex: span + two usage slots; a model-call
    /// span: span, response id, sibling and process sibling).
    pub const MAX: usize = 4;

    /// The key's hash, with its [`KeyKind`] in the top two bits (maps hash the low 64).
    fn fingerprint(key: &CallKey) -> u128 {
        use siphasher::sip128::{Hasher128, SipHasher13};
        let mut h = SipHasher13::new();
        key.hash(&mut h);
        let kind: u128 = match key.kind() {
            KeyKind::Strong => 0,
            KeyKind::Hint => 1,
            KeyKind::Sibling => 2,
            KeyKind::ProcessSibling => 3,
        };
        (h.finish128().as_u128() & (u128::MAX >> 2)) | kind << 126
    }

    /// What a stored key proves.
    pub fn kind(id: u128) -> KeyKind {
        match id >> 126 {
            0 => KeyKind::Strong,
            1 => KeyKind::Hint,
            2 => KeyKind::Sibling,
            _ => KeyKind::ProcessSibling,
        }
    }

    /// Adds an identity (beyond `MAX`, further ones are ignored: none is needed).
    pub fn push(&mut self, key: CallKey) {
        let id = Self::fingerprint(&key);
        if (self.len as usize) < Self::MAX && !self.ids[..self.len as usize].contains(&id) {
            self.ids[self.len as usize] = id;
            self.len += 1;
        }
    }

    pub fn extend(&mut self, keys: impl IntoIterator<Item = CallKey>) {
        keys.into_iter().for_each(|k| self.push(k));
    }

    /// The keys as stored (for spilling to disk and reading back).
    pub fn ids(&self) -> &[u128] {
        &self.ids[..self.len as usize]
    }

    /// Keys read back from `ids` (at most `MAX` are kept).
    pub fn from_ids(ids: &[u128]) -> CallKeys {
        let mut keys = CallKeys::default();
        for id in ids.iter().take(Self::MAX) {
            keys.ids[keys.len as usize] = *id;
            keys.len += 1;
        }
        keys
    }

    pub fn contains(&self, key: &CallKey) -> bool {
        self.iter().any(|id| *id == Self::fingerprint(key))
    }

    pub fn iter(&self) -> impl Iterator<Item = &u128> {
        self.ids[..self.len as usize].iter()
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Hashes a fingerprint map by taking the fingerprint's low bits: they are already the
/// output of a strong hash, and hashing them again was a visible cost of reconcile.
#[derive(Default)]
pub struct FingerprintHasher(u64);

impl std::hash::Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u128` fingerprints are hashed with this; other input still spreads.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

pub type FingerprintMap<V> = std::collections::HashMap<u128, V, std::hash::BuildHasherDefault<FingerprintHasher>>;

/// Money exactly, for machines: full precision, no trailing zeros, `0` for zero.
pub fn exact_cost(c: Decimal) -> String {
    let n = c.normalize();
    if n.is_zero() {
        "0".to_string()
    } else {
        n.to_string()
    }
}
