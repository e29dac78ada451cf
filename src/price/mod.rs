//! Price stage: a catalog of dated model prices, and `price_calls`, its one entry point.
//!
//! CONTRACT (used by the pipeline; keep these signatures):
//! - `Catalog::embedded()` loads the bundled catalog (compiled into the binary).
//! - `Catalog::quote(model, provider, time_ns, &tokens) -> Option<Quote>`.
//! - `price_calls(&catalog, calls) -> Vec<PricedCall>`.

use crate::model::{Call, PricedCall, TokenBuckets};
use rust_decimal::Decimal;
use std::sync::Arc;

pub struct Catalog {}

/// The price of one call.
#[derive(Clone, Debug, PartialEq)]
pub struct Quote {
    pub cost: Decimal,
    /// `source:provider/model-id`, e.g. `genai-prices:anthropic/claude-sonnet-4-5`.
    pub entry: Arc<str>,
}

impl Catalog {
    pub fn embedded() -> anyhow::Result<Catalog> {
        todo!()
    }

    pub fn quote(&self, _model: &str, _provider: Option<&str>, _time_ns: u64, _tokens: &TokenBuckets) -> Option<Quote> {
        todo!()
    }
}

pub fn price_calls(catalog: &Catalog, calls: Vec<Call>) -> Vec<PricedCall> {
    calls
        .into_iter()
        .map(|call| {
            let quote = call
                .model
                .as_deref()
                .and_then(|m| catalog.quote(m, call.provider.as_deref(), call.time_ns, &call.tokens));
            PricedCall { cost: quote.as_ref().map(|q| q.cost), price_ref: quote.map(|q| q.entry), call }
        })
        .collect()
}
