//! `--lines`: one row per priced call instead of groups, streamed as CSV or JSON lines
//! (one object per line), or collected into Parquet.
//!
//! Columns: `time` (UTC; empty when the telemetry had none), `trace_id`, `span_id` (hex,
//! when the call was counted from a span), `emitter`, `signal`, `route`, `session`,
//! `service`, `provider` (as the catalog knows it), `provider_id` (as emitted), `operation`,
//! `model` (as the catalog knows it), `model_id` (as emitted), `model_family` (the same as
//! `model`, its older name), then every `--by` dimension not already among those,
//! `requests`, the token buckets (`input`, `cache_read`, `cache_write_5m`,
//! `cache_write_1h`, `output` with reasoning included, `reasoning`), the price applied
//! (`price_entry`, `price_source`, `price_effective_from`, `price_tier_threshold`, and
//! the list unit price per bucket, `price_<bucket>` in USD per million tokens), the user's
//! `adjustment_percent`, `list_cost`, `cost` (empty when unpriced) and `reported_cost`.

use super::rows::{self, Cell, Column, Kind, RowFormat, RowSink, TimeUnit};
use crate::allocate::{group_key, Grouping};
use crate::model::TokenType;
use crate::price::PricedCall;
use std::io::Write;

/// Columns every line has, before the extra dimensions.
const CALL_COLUMNS: [&str; 11] = [
    "emitter",
    "signal",
    "route",
    "session",
    "service",
    "provider",
    "provider_id",
    "operation",
    "model",
    "model_id",
    "model_family",
];

pub(crate) struct Lines<'a> {
    sink: Box<dyn RowSink + 'a>,
    grouping: &'a Grouping,
    /// Positions in the group key of the `--by` dimensions that get a column of their own.
    extra: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(format: RowFormat, grouping: &'a Grouping, out: &'a mut dyn Write) -> anyhow::Result<Lines<'a>> {
        let extra: Vec<usize> = (0..grouping.dimensions.len())
            .filter(|&i| !CALL_COLUMNS.contains(&grouping.dimensions[i].0.as_str()))
            .collect();
        let mut columns = vec![
            Column::new("time", Kind::Time(TimeUnit::Nanoseconds)),
            Column::new("trace_id", Kind::Str),
            Column::new("span_id", Kind::Str),
        ];
        columns.extend(CALL_COLUMNS.iter().map(|c| Column::new(*c, Kind::Str)));
        columns.extend(extra.iter().map(|&i| Column::new(&grouping.dimensions[i].0, Kind::Str)));
        columns.push(Column::new("requests", Kind::U64));
        columns.extend(TokenType::TOKENS.iter().map(|t| Column::new(t.name(), Kind::U64)));
        columns.extend([
            Column::new("price_entry", Kind::Str),
            Column::new("price_source", Kind::Str),
            Column::new("price_effective_from", Kind::Str),
            Column::new("price_tier_threshold", Kind::U64),
            Column::new("service_tier", Kind::Str),
            // Null for a call in a non-standard tier: priced at standard rates.
            Column::new("price_service_tier_entry", Kind::Str),
        ]);
        // Per million tokens; `price_request` per 1000 requests.
        columns.extend(TokenType::ALL.iter().map(|t| Column::new(format!("price_{}", t.name()), Kind::Dec)));
        for name in ["adjustment_percent", "list_cost", "cost", "reported_cost"] {
            columns.push(Column::new(name, Kind::Dec));
        }
        Ok(Lines { sink: rows::sink(format, columns, out)?, grouping, extra })
    }
}

impl super::CallSink for Lines<'_> {
    fn push(&mut self, priced: &PricedCall) -> anyhow::Result<()> {
        let call = &priced.call;
        let q = priced.quote.as_ref();
        let opt = |s: &Option<String>| Cell::Str(s.clone());
        let time = (call.time_ns != 0).then(|| i64::try_from(call.time_ns).ok()).flatten();
        let mut cells = vec![
            Cell::Time(time),
            Cell::Str(call.span.map(|(t, _)| hex(&t))),
            Cell::Str(call.span.map(|(_, s)| hex(&s))),
            Cell::str(call.emitter.id()),
            Cell::str(call.signal.name()),
            Cell::Str(call.route.as_deref().map(String::from)),
            opt(&call.session),
            opt(&call.service),
            Cell::Str(priced.provider().map(String::from)),
            opt(&call.provider),
            opt(&call.operation),
            Cell::Str(priced.model().map(String::from)),
            opt(&call.model),
            Cell::Str(priced.model().map(String::from)),
        ];
        if !self.extra.is_empty() {
            let key = group_key(self.grouping, priced);
            cells.extend(self.extra.iter().map(|&i| Cell::Str(key.get(i).cloned())));
        }
        cells.push(Cell::U64(Some(call.requests)));
        let t = &call.tokens;
        cells.extend(
            [t.input, t.cache_read, t.cache_write_5m, t.cache_write_1h, t.output, t.reasoning]
                .map(|n| Cell::U64(Some(n))),
        );
        cells.extend([
            Cell::Str(q.map(|q| q.entry.to_string())),
            Cell::Str(q.map(|q| q.source.name().to_string())),
            Cell::Str(q.and_then(|q| q.effective_from.as_deref().map(String::from))),
            Cell::U64(q.and_then(|q| q.tier_threshold)),
            Cell::str(call.tier.name()),
            Cell::Str(q.and_then(|q| q.tier_entry.as_deref().map(String::from))),
        ]);
        cells.extend(TokenType::ALL.iter().map(|&ty| Cell::Dec(q.and_then(|q| q.list_rate(ty)))));
        cells.extend([
            Cell::Dec(q.and_then(|q| q.adjustment_percent)),
            Cell::Dec(q.map(|q| q.list_cost)),
            Cell::Dec(priced.cost),
            Cell::Dec(call.reported_cost),
        ]);
        self.sink.row(cells)
    }

    fn finish(self: Box<Self>) -> anyhow::Result<Vec<String>> {
        self.sink.finish()?;
        Ok(Vec::new())
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes.iter().flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]]).map(char::from).collect()
}
