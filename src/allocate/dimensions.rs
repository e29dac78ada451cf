//! `--by` and `--where` dimensions: call fields, time buckets in a time zone, aliases
//! (a name for several attribute keys, first present wins), dimensions derived by the
//! rules file, and plain attribute keys.

use super::rules::{Derived, Matcher, Rules};
use crate::price::PricedCall;
use jiff::civil::Weekday;
use std::borrow::Cow;
use std::collections::HashMap;

/// Built-in aliases: name, attribute keys in order (first present wins), what it is.
/// The keys cover what the emitters in `testdata/` really send; a rules file can replace
/// or extend them (`[dimensions]`).
pub const BUILTIN_ALIASES: &[(&str, &[&str], &str)] = &[
    (
        "user",
        &[
            "user.email",
            "user.id",
            "enduser.id",
            "user.account_uuid",
            "metadata.user_api_key_user_id",
            "metadata.user_api_key_end_user_id",
            "litellm.end_user.id",
            "llm.user",
            "traceloop.association.properties.user_id",
            "ai.telemetry.metadata.userId",
            "gen_ai.user",
        ],
        "the person who made the call",
    ),
    (
        "team",
        &[
            "team",
            "team.name",
            "team.id",
            "metadata.user_api_key_team_id",
            "metadata.user_api_key_team_alias",
            "traceloop.association.properties.team",
            "ai.telemetry.metadata.team",
        ],
        "the team that owns the call",
    ),
    ("agent", &["gen_ai.agent.name", "agent_name", "gen_ai.agent.id"], "the agent that made the call"),
    (
        "session",
        &[
            "session.id",
            "gen_ai.conversation.id",
            "conversation.id",
            "traceloop.association.properties.session_id",
            "ai.telemetry.metadata.sessionId",
        ],
        "the session or conversation (else the one the emitter names)",
    ),
    ("host", &["host.name", "host.id"], "the machine"),
    (
        "environment",
        &["deployment.environment.name", "deployment.environment", "environment"],
        "the deployment environment",
    ),
];

/// Dimensions read from the call itself.
pub const FIELDS: &[(&str, &str)] = &[
    (
        "model",
        "the model as the price catalog knows it: dated snapshots, provider prefixes and Bedrock/Vertex ids of one model share it; unpriced: as emitted (alias: model_family)",
    ),
    ("model_id", "the model as emitted: the one that answered, else the one requested"),
    ("provider", "the provider whose catalog entry priced the call (who bills it); unpriced: as emitted"),
    ("provider_id", "the provider as emitted: gen_ai.provider.name / gen_ai.system"),
    ("service", "the resource's service.name"),
    ("operation", "chat, embeddings, …"),
    ("route", "where it was sent: /ROUTE/v1/traces (listen, run --route), or a --save directory route=ROUTE"),
    ("emitter", "the module that read the call: semconv, claude_code, codex, litellm, openllmetry, …"),
    ("signal", "the record counted: traces, logs or metrics"),
    ("hour", "time bucket, in --timezone"),
    ("day", "time bucket, in --timezone"),
    ("week", "time bucket: the date of its first day (--week-start)"),
    ("month", "time bucket: YYYY-MM"),
];

/// Older names of built-in dimensions, still understood: (old name, dimension).
pub const FIELD_ALIASES: &[(&str, &str)] = &[("model_family", "model")];

/// Whether `name` is a built-in dimension (or an older name of one): no alias or rule
/// may redefine it.
pub fn is_builtin(name: &str) -> bool {
    FIELDS.iter().any(|(f, _)| *f == name) || FIELD_ALIASES.iter().any(|(old, _)| *old == name)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// As the catalog knows it, else as emitted.
    Model,
    /// As emitted.
    ModelId,
    Route,
    Emitter,
    Signal,
    /// As the catalog knows it, else as emitted.
    Provider,
    /// As emitted.
    ProviderId,
    Service,
    Operation,
    /// The session the emitter names (`Call.session`).
    Session,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    Hour,
    Day,
    Week,
    Month,
}

/// How one dimension's value is found for a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dimension {
    Field(Field),
    /// Time bucket of the call in the report's time zone.
    Time(Bucket),
    /// A slot of `Call.dims`: the first present of some attribute keys.
    Attribute(usize),
    /// The first of these that has a value.
    FirstOf(Vec<Dimension>),
    /// A dimension derived by the rules file: index into `Grouping::derived`.
    Derived(usize),
}

/// An alias: a dimension name standing for attribute keys, first present wins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alias {
    pub name: String,
    pub keys: Vec<String>,
    /// Where it is defined: `built in` or `rules.toml:3`.
    pub origin: String,
}

/// Every named dimension: the built-in aliases, the rules file's aliases and derived ones.
#[derive(Debug, Default)]
pub struct Catalog {
    pub aliases: Vec<Alias>,
    pub rules: Rules,
}

impl Catalog {
    /// The built-in aliases, replaced or extended by the rules file's.
    pub fn new(rules: Rules) -> Catalog {
        let mut aliases: Vec<Alias> = BUILTIN_ALIASES
            .iter()
            .map(|(name, keys, _)| Alias {
                name: name.to_string(),
                keys: keys.iter().map(|k| k.to_string()).collect(),
                origin: "built in".into(),
            })
            .collect();
        for alias in &rules.aliases {
            match aliases.iter_mut().find(|a| a.name == alias.name) {
                Some(existing) => *existing = alias.clone(),
                None => aliases.push(alias.clone()),
            }
        }
        Catalog { aliases, rules }
    }

    pub fn alias(&self, name: &str) -> Option<&Alias> {
        self.aliases.iter().find(|a| a.name == name)
    }

    /// Every name that means a dimension of its own: built in, aliases, derived.
    pub fn names(&self) -> Vec<&str> {
        let builtin = FIELDS.iter().map(|(n, _)| *n).chain(FIELD_ALIASES.iter().map(|(n, _)| *n));
        builtin
            .chain(self.aliases.iter().map(|a| a.name.as_str()))
            .chain(self.rules.derived.iter().map(|d| d.name.as_str()))
            .collect()
    }
}

/// A derived dimension ready to evaluate: its rules with their inputs resolved.
#[derive(Debug)]
pub struct CompiledDerived {
    rules: Vec<(Option<Dimension>, Matcher)>,
}

/// A `--where` condition: `key=value` or `key!=value`.
#[derive(Debug)]
pub struct Filter {
    pub(super) key: String,
    pub(super) dimension: Dimension,
    pub(super) value: String,
    pub(super) negate: bool,
}

/// How to group: dimensions with their names, filters, the derived dimensions they use,
/// and the time zone and week start for time buckets.
#[derive(Debug)]
pub struct Grouping {
    pub dimensions: Vec<(String, Dimension)>,
    pub filters: Vec<Filter>,
    pub derived: Vec<CompiledDerived>,
    pub time_zone: jiff::tz::TimeZone,
    pub week_start: Weekday,
    /// The `--by` and `--where` names that are none of the named dimensions: attribute
    /// keys (or typos), with their dimension.
    pub plain: Vec<(String, Dimension)>,
    /// Every name of a dimension of its own (built in, aliases, derived): what a typo is
    /// likely a typo of.
    pub known: Vec<String>,
}

/// Resolves names into dimensions, collecting the attribute keys extract must capture.
struct Resolver<'a> {
    catalog: &'a Catalog,
    /// One entry per `Call.dims` slot: keys joined by `|` (first present wins).
    slots: Vec<String>,
    derived: Vec<CompiledDerived>,
    derived_ids: HashMap<String, usize>,
    /// Names read as attribute keys (see `Grouping::plain`).
    plain: Vec<(String, Dimension)>,
}

impl Resolver<'_> {
    fn slot(&mut self, keys: String) -> Dimension {
        let i = self.slots.iter().position(|k| *k == keys).unwrap_or_else(|| {
            self.slots.push(keys);
            self.slots.len() - 1
        });
        Dimension::Attribute(i)
    }

    /// A name as `--by`, `--where` or a rule's `from` use it. `skip_derived` names the
    /// derived dimension being defined, so that its own name in its rules means the alias
    /// or attribute underneath, not itself.
    fn resolve(&mut self, name: &str, skip_derived: Option<&str>) -> Dimension {
        let name = FIELD_ALIASES.iter().find(|(old, _)| *old == name).map_or(name, |(_, new)| new);
        let field = match name {
            "model" => Some(Dimension::Field(Field::Model)),
            "model_id" => Some(Dimension::Field(Field::ModelId)),
            "provider_id" => Some(Dimension::Field(Field::ProviderId)),
            "route" => Some(Dimension::Field(Field::Route)),
            "emitter" => Some(Dimension::Field(Field::Emitter)),
            "signal" => Some(Dimension::Field(Field::Signal)),
            "provider" => Some(Dimension::Field(Field::Provider)),
            "service" => Some(Dimension::Field(Field::Service)),
            "operation" => Some(Dimension::Field(Field::Operation)),
            "hour" => Some(Dimension::Time(Bucket::Hour)),
            "day" => Some(Dimension::Time(Bucket::Day)),
            "week" => Some(Dimension::Time(Bucket::Week)),
            "month" => Some(Dimension::Time(Bucket::Month)),
            _ => None,
        };
        if let Some(field) = field {
            return field;
        }
        if skip_derived != Some(name) {
            if let Some(&i) = self.derived_ids.get(name) {
                return Dimension::Derived(i);
            }
            if let Some(position) = self.catalog.rules.derived.iter().position(|d| d.name == name) {
                return self.compile(position);
            }
        }
        if let Some(alias) = self.catalog.alias(name) {
            let slot = self.slot(alias.keys.join("|"));
            // Without an attribute, the session the emitter itself names.
            return if name == "session" {
                Dimension::FirstOf(vec![slot, Dimension::Field(Field::Session)])
            } else {
                slot
            };
        }
        let slot = self.slot(name.to_string());
        if !self.plain.iter().any(|(n, _)| n == name) {
            self.plain.push((name.to_string(), slot.clone()));
        }
        slot
    }

    fn compile(&mut self, position: usize) -> Dimension {
        let catalog = self.catalog;
        let derived: &Derived = &catalog.rules.derived[position];
        // Rules may only read dimensions derived before this one (file order), so there
        // is no cycle; its own name means what is underneath it.
        let earlier: Vec<&str> = catalog.rules.derived[..position].iter().map(|d| d.name.as_str()).collect();
        let rules = derived
            .rules
            .iter()
            .map(|rule| {
                let from = rule.from.as_deref().map(|from| {
                    let later = !earlier.contains(&from) && from != derived.name;
                    let skip = if later { Some(from) } else { Some(derived.name.as_str()) };
                    self.resolve(from, skip)
                });
                (from, rule.matcher.clone())
            })
            .collect();
        self.derived.push(CompiledDerived { rules });
        let id = self.derived.len() - 1;
        self.derived_ids.insert(derived.name.clone(), id);
        Dimension::Derived(id)
    }
}

impl Grouping {
    /// `--by` names with the built-in dimensions only. Returns the grouping and the keys
    /// extract must capture.
    pub fn parse(names: &[String], time_zone: jiff::tz::TimeZone) -> (Grouping, Vec<String>) {
        let catalog = Catalog::new(Rules::default());
        Grouping::new(&catalog, names, &[], time_zone, Weekday::Monday).unwrap_or_else(|_| unreachable!())
    }

    /// `--by` names and `--where` conditions against `catalog`. Returns the grouping and
    /// the keys extract must capture (`Config::dim_keys`), or a message for a bad filter.
    pub fn new(
        catalog: &Catalog,
        names: &[String],
        filters: &[String],
        time_zone: jiff::tz::TimeZone,
        week_start: Weekday,
    ) -> Result<(Grouping, Vec<String>), String> {
        let mut r = Resolver {
            catalog,
            slots: Vec::new(),
            derived: Vec::new(),
            derived_ids: HashMap::new(),
            plain: Vec::new(),
        };
        let dimensions = names.iter().map(|name| (name.clone(), r.resolve(name.trim(), None))).collect();
        let filters: Vec<Filter> = filters
            .iter()
            .map(|text| {
                let (key, value, negate) = match text.split_once("!=") {
                    Some((k, v)) => (k, v, true),
                    None => match text.split_once('=') {
                        Some((k, v)) => (k, v, false),
                        None => return Err(format!("--where {text:?}: write key=value or key!=value")),
                    },
                };
                let key = key.trim();
                if key.is_empty() {
                    return Err(format!("--where {text:?}: the key is empty; write e.g. team=payments"));
                }
                let dimension = r.resolve(key, None);
                Ok(Filter { key: key.to_string(), dimension, value: value.trim().to_string(), negate })
            })
            .collect::<Result<_, _>>()?;
        // A rule's `from` read as an attribute is the rules file's business, not a typo here.
        let asked: Vec<&str> = names.iter().map(|n| n.trim()).chain(filters.iter().map(|f| f.key.as_str())).collect();
        let plain = r.plain.into_iter().filter(|(name, _)| asked.contains(&name.as_str())).collect();
        let known = catalog.names().into_iter().map(String::from).collect();
        let grouping = Grouping { dimensions, filters, derived: r.derived, time_zone, week_start, plain, known };
        Ok((grouping, r.slots))
    }

    /// Whether a call passes every `--where` condition (a missing value is `(none)`).
    pub fn admits(&self, priced: &PricedCall) -> bool {
        self.filters.iter().all(|f| {
            let value = self.value(&f.dimension, priced);
            (value.as_deref().unwrap_or(super::NONE) == f.value) != f.negate
        })
    }

    /// A call's value for `dim`: borrowed from the call where it is one of its fields.
    pub(super) fn value<'a>(&'a self, dim: &Dimension, priced: &'a PricedCall) -> Option<Cow<'a, str>> {
        let call = &priced.call;
        let field = |value: Option<&'a str>| value.map(Cow::Borrowed);
        match dim {
            Dimension::Field(Field::Model) => field(priced.model()),
            Dimension::Field(Field::ModelId) => field(call.model.as_deref()),
            Dimension::Field(Field::Route) => field(call.route.as_deref()),
            Dimension::Field(Field::Emitter) => field(Some(call.emitter.id())),
            Dimension::Field(Field::Signal) => field(Some(call.signal.name())),
            Dimension::Field(Field::Provider) => field(priced.provider()),
            Dimension::Field(Field::ProviderId) => field(call.provider.as_deref()),
            Dimension::Field(Field::Service) => field(call.service.as_deref()),
            Dimension::Field(Field::Operation) => field(call.operation.as_deref()),
            Dimension::Field(Field::Session) => field(call.session.as_deref()),
            Dimension::Time(bucket) => {
                time_bucket(call.time_ns, *bucket, &self.time_zone, self.week_start).map(Cow::Owned)
            }
            Dimension::Attribute(i) => field(call.dims.get(*i).and_then(Option::as_deref)),
            Dimension::FirstOf(dims) => dims.iter().find_map(|d| self.value(d, priced)),
            Dimension::Derived(i) => {
                let derived = self.derived.get(*i)?;
                derived.rules.iter().find_map(|(from, matcher)| {
                    let input = from.as_ref().and_then(|d| self.value(d, priced));
                    matcher.apply(input.as_deref()).map(Cow::Owned)
                })
            }
        }
    }
}

/// The bucket a call's time falls in, in `tz`: `2026-11-22 13:00`, `2026-11-22`, the
/// date of the week's first day, `2026-11`. `None` for a call without a timestamp.
pub fn time_bucket(time_ns: u64, bucket: Bucket, tz: &jiff::tz::TimeZone, week_start: Weekday) -> Option<String> {
    if time_ns == 0 {
        return None;
    }
    let local = tz.to_datetime(jiff::Timestamp::from_nanosecond(i128::from(time_ns)).ok()?);
    civil_bucket(local, bucket, week_start)
}

/// The bucket a local date and time falls in (see `time_bucket`).
pub fn civil_bucket(local: jiff::civil::DateTime, bucket: Bucket, week_start: Weekday) -> Option<String> {
    Some(match bucket {
        Bucket::Hour => local.strftime("%Y-%m-%d %H:00").to_string(),
        Bucket::Day => local.strftime("%Y-%m-%d").to_string(),
        Bucket::Month => local.strftime("%Y-%m").to_string(),
        Bucket::Week => {
            let date = local.date();
            let back = (date.weekday().to_monday_zero_offset() - week_start.to_monday_zero_offset()).rem_euclid(7);
            date.checked_sub(jiff::Span::new().days(back)).ok()?.to_string()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZone;

    fn ns(rfc3339: &str) -> u64 {
        rfc3339.parse::<jiff::Timestamp>().unwrap().as_nanosecond() as u64
    }

    #[test]
    fn weeks_start_on_the_chosen_day_in_the_time_zone() {
        // Sunday 2026-11-22 23:30 UTC is Monday 2026-11-23 00:30 in Berlin.
        let t = ns("2026-11-22T23:30:00Z");
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let week = |tz: &TimeZone, start| time_bucket(t, Bucket::Week, tz, start).unwrap();
        assert_eq!(week(&TimeZone::UTC, Weekday::Monday), "2026-11-16");
        assert_eq!(week(&berlin, Weekday::Monday), "2026-11-23");
        assert_eq!(week(&TimeZone::UTC, Weekday::Sunday), "2026-11-22");
        assert_eq!(week(&berlin, Weekday::Sunday), "2026-11-22");
        // A week across a month and year boundary keeps its first day.
        assert_eq!(
            time_bucket(ns("2027-01-01T12:00:00Z"), Bucket::Week, &TimeZone::UTC, Weekday::Monday).unwrap(),
            "2026-12-28"
        );
        assert_eq!(
            time_bucket(ns("2026-11-30T23:30:00Z"), Bucket::Month, &berlin, Weekday::Monday).unwrap(),
            "2026-12"
        );
        assert_eq!(time_bucket(0, Bucket::Month, &berlin, Weekday::Monday), None);
    }

    #[test]
    fn aliases_capture_one_slot_each() {
        let catalog = Catalog::new(Rules::default());
        let by = ["user".to_string(), "team".into(), "model".into(), "user".into(), "x.y".into()];
        let (g, slots) = Grouping::new(&catalog, &by, &["team!=a".into()], TimeZone::UTC, Weekday::Monday).unwrap();
        assert_eq!(slots.len(), 3);
        assert!(slots[0].starts_with("user.email|user.id|"));
        assert_eq!(slots[2], "x.y");
        assert_eq!(g.dimensions[0].1, g.dimensions[3].1);
        assert!(Grouping::new(&catalog, &by, &["team".into()], TimeZone::UTC, Weekday::Monday).is_err());
    }
}
