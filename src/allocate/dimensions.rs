//! `--by` dimensions: built-in ones, time buckets in a time zone, and attribute keys.

use crate::model::Call;

/// A `--by` dimension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dimension {
    Model,
    Provider,
    /// `service.name` of the resource.
    Service,
    Operation,
    /// Calendar day of the call in the report's time zone.
    Day,
    Hour,
    /// Any attribute key: index into the attribute values extract captured.
    Attribute(usize),
}

/// How to group: dimensions with their names, and the time zone for day/hour.
pub struct Grouping {
    pub dimensions: Vec<(String, Dimension)>,
    pub time_zone: jiff::tz::TimeZone,
}

impl Grouping {
    /// Parses `--by` names. Returns the grouping and the attribute keys extract must capture.
    pub fn parse(names: &[String], time_zone: jiff::tz::TimeZone) -> (Grouping, Vec<String>) {
        let mut keys: Vec<String> = Vec::new();
        let dimensions = names
            .iter()
            .map(|name| {
                let dim = match name.as_str() {
                    "model" => Dimension::Model,
                    "provider" => Dimension::Provider,
                    "service" => Dimension::Service,
                    "operation" => Dimension::Operation,
                    "day" => Dimension::Day,
                    "hour" => Dimension::Hour,
                    key => Dimension::Attribute(keys.iter().position(|k| k == key).unwrap_or_else(|| {
                        keys.push(key.to_string());
                        keys.len() - 1
                    })),
                };
                (name.clone(), dim)
            })
            .collect();
        (Grouping { dimensions, time_zone }, keys)
    }

    pub(super) fn value(&self, dim: &Dimension, call: &Call) -> Option<String> {
        match dim {
            Dimension::Model => call.model.clone(),
            Dimension::Provider => call.provider.clone(),
            Dimension::Service => call.service.clone(),
            Dimension::Operation => call.operation.clone(),
            Dimension::Day | Dimension::Hour => {
                let ts =
                    jiff::Timestamp::from_nanosecond(i128::from(call.time_ns)).ok().filter(|_| call.time_ns != 0)?;
                let zoned = ts.to_zoned(self.time_zone.clone());
                let format = if *dim == Dimension::Day { "%Y-%m-%d" } else { "%Y-%m-%d %H:00" };
                Some(zoned.strftime(format).to_string())
            }
            Dimension::Attribute(i) => call.dims.get(*i).cloned().flatten(),
        }
    }
}
