//! The types that flow between stages. Each stage owns its logic; these are only the
//! hand-offs: what extract says about one record (`Observation`), what reconcile keeps
//! (`Call`), and what price adds (`PricedCall`).

pub mod problem;
pub mod provider;
pub mod route;

pub use problem::{Problem, Problems, UnorderedProblems};
pub use route::Route;

use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt;
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
    /// The most any emitter gives one record (Codex: span + two usage slots).
    pub const MAX: usize = 4;

    fn fingerprint(key: &CallKey) -> u128 {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let half = |salt: u8| {
            let mut h = DefaultHasher::new();
            (salt, key).hash(&mut h);
            h.finish()
        };
        (u128::from(half(0)) << 64) | u128::from(half(1))
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

/// What one record says about one LLM call.
#[derive(Clone, Debug)]
pub struct Observation {
    pub emitter: Emitter,
    pub signal: Signal,
    pub role: Role,
    /// Unix nanoseconds of the call (span end, log time).
    pub time_ns: u64,
    /// The model that answered if known, else the one requested.
    pub model: Option<String>,
    pub provider: Option<String>,
    /// `server.address`, kept only when `provider` does not name a well-known provider
    /// (most calls carry none: 16 bytes, no allocation).
    pub address: Option<Box<str>>,
    /// The service tier the call ran in (`Standard` when the record does not say).
    pub tier: ServiceTier,
    pub operation: Option<String>,
    pub service: Option<String>,
    pub tokens: TokenBuckets,
    /// Calls this record stands for: 1 for a per-call record; for metrics, the calls the
    /// points count (0 when they do not say).
    pub requests: u64,
    /// The cost the emitter itself stated (USD), kept beside the computed one.
    pub reported_cost: Option<Decimal>,
    /// The session or conversation the call belongs to, when the emitter says.
    pub session: Option<String>,
    /// The emitting process (`service.instance.id`, else `service.name`): with the session,
    /// what a per-call record covers of its emitter's metrics.
    pub instance: Option<String>,
    /// Identities. Observations sharing any key (within one `scope`) are one call.
    pub keys: CallKeys,
    /// What keeps every record of this call together (see `extract::scope_of`): reconcile
    /// matches records, and parents with children, only within one scope, so it can work
    /// on the scopes a few at a time.
    pub scope: u64,
    /// A wrapper's re-report of a call that the provider's own instrumentation may also
    /// record (OpenLLMetry around the anthropic SDK's spans): among records of one call
    /// in the same signal, a firsthand one is kept.
    pub secondhand: bool,
    /// The record leaves out part of its call's usage that another record of the same call
    /// states (Gemini CLI's `llm_call` span has neither the cache nor the thoughts split
    /// of its `api_response` event): among records of one call, a complete one is kept.
    pub partial: bool,
    /// This record's span, if it is a span: used to find aggregate parents.
    pub span: Option<([u8; 16], [u8; 8])>,
    /// Values of the attribute dimensions asked for (`--by`), record first then resource.
    pub dims: Vec<Option<String>>,
    /// The route the request was sent to (`/team-a/v1/traces`), or its `--save` directory.
    pub route: Option<Route>,
    pub location: Location,
}

/// One real LLM call, after counting once.
#[derive(Clone, Debug)]
pub struct Call {
    pub time_ns: u64,
    pub requests: u64,
    pub reported_cost: Option<Decimal>,
    pub session: Option<String>,
    pub instance: Option<String>,
    pub model: Option<String>,
    pub provider: Option<String>,
    /// `server.address` when the provider is absent or not well known (see `Observation`).
    pub address: Option<Box<str>>,
    pub tier: ServiceTier,
    pub operation: Option<String>,
    pub service: Option<String>,
    pub tokens: TokenBuckets,
    pub dims: Vec<Option<String>>,
    pub route: Option<Route>,
    pub emitter: Emitter,
    pub signal: Signal,
    /// (trace id, span id) when the record counted is a span: for line-item exports.
    pub span: Option<([u8; 16], [u8; 8])>,
}

impl From<Observation> for Call {
    fn from(o: Observation) -> Call {
        Call {
            time_ns: o.time_ns,
            requests: o.requests,
            reported_cost: o.reported_cost,
            session: o.session,
            instance: o.instance,
            model: o.model,
            provider: o.provider,
            address: o.address,
            tier: o.tier,
            operation: o.operation,
            service: o.service,
            tokens: o.tokens,
            dims: o.dims,
            route: o.route,
            emitter: o.emitter,
            signal: o.signal,
            span: o.span,
        }
    }
}

/// Money exactly, for machines: full precision, no trailing zeros, `0` for zero.
pub fn exact_cost(c: Decimal) -> String {
    let n = c.normalize();
    if n.is_zero() {
        "0".to_string()
    } else {
        n.to_string()
    }
}
