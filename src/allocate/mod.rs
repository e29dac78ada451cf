//! Allocate stage: group priced calls by dimensions into a `Report`.

use crate::model::TokenBuckets;
use rust_decimal::Decimal;

/// The grouped result every output format renders.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Dimension names, in the order asked for (`--by`).
    pub group_by: Vec<String>,
    /// Sorted by cost, highest first; ties by group values.
    pub rows: Vec<Row>,
    pub total: Totals,
    /// Every model that could not be priced, with its tokens. Never folded into a $0 cost.
    pub unpriced: Vec<Unpriced>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    /// One value per `group_by` dimension; a missing value is `(none)`.
    pub group: Vec<String>,
    pub totals: Totals,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Totals {
    pub requests: u64,
    pub tokens: TokenBuckets,
    /// Sum over the priced calls; `None` when no call in the group could be priced.
    pub cost: Option<Decimal>,
    /// Calls in the group whose model has no price (their tokens are in `tokens`).
    pub unpriced_requests: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Unpriced {
    pub model: String,
    pub provider: Option<String>,
    pub requests: u64,
    pub tokens: TokenBuckets,
}

pub const NONE: &str = "(none)";
