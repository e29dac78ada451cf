//! `--usage-map FILE`: a vocabulary taught by the user, without a release.
//!
//! Each `[[usage]]` table of the file (every key documented in `examples/usage-map.toml`)
//! says which records it reads (scope name, attributes present, signal) and where their
//! usage is: attributes, or JSON paths inside string attributes, for each token kind, the
//! model, provider, operation and response id. Its records are asked before any emitter
//! module's: the user's word on a record wins.

use super::usage::{printable, InputCache, RawUsage};
use super::Record;
use crate::decode::{Double, Value};
use crate::model::{CallKey, Emitter, Observation, Problem, Role, Signal};
use crate::toml_file::TomlSource;
use anyhow::{anyhow, bail, Context};
use std::borrow::Cow;
use std::path::PathBuf;
use toml_edit::{Document, InlineTable, Item, Table};

/// One `[[usage]]` table.
#[derive(Debug)]
pub struct UsageMap {
    /// `file:line` of its table, for messages.
    origin: String,
    scope: Option<ScopeName>,
    /// Attributes that must all be present on the record (or its resource).
    when: Vec<String>,
    traces: bool,
    logs: bool,
    input_cache: InputCache,
    role: Role,
    input: Vec<Source>,
    cache_read: Vec<Source>,
    cache_write: Vec<Source>,
    output: Vec<Source>,
    reasoning: Vec<Source>,
    model: Vec<Source>,
    provider: Vec<Source>,
    operation: Vec<Source>,
    response_id: Vec<Source>,
}

#[derive(Debug)]
enum ScopeName {
    Exact(String),
    /// `acme.*`: every scope starting with `acme.`.
    Prefix(String),
}

/// Where a value is; a field lists several, the first present wins.
#[derive(Debug)]
enum Source {
    Attribute {
        key: String,
        path: Option<Vec<Step>>,
    },
    /// A constant (model, provider, operation only).
    Value(String),
}

#[derive(Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

const KEYS: &[&str] = &[
    "name",
    "scope",
    "when",
    "signal",
    "input_includes_cache",
    "role",
    "input",
    "cache_read",
    "cache_write",
    "output",
    "reasoning",
    "model",
    "provider",
    "operation",
    "response_id",
];

/// Reads every `--usage-map` file, in order (the first matching table wins).
pub fn load(paths: &[PathBuf]) -> anyhow::Result<Vec<UsageMap>> {
    let mut maps = Vec::new();
    for path in paths {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read the usage map {}", path.display()))?;
        maps.extend(parse(&path.display().to_string(), &text)?);
    }
    Ok(maps)
}

/// Parses one usage map file's text.
pub fn parse(file: &str, text: &str) -> anyhow::Result<Vec<UsageMap>> {
    let ctx = TomlSource { file, text };
    let doc = Document::parse(text).map_err(|e| anyhow!("{}: not valid TOML: {}", ctx.line(e.span()), e.message()))?;
    for (key, item) in doc.iter() {
        if key != "usage" {
            bail!("{}: unknown key {key:?}; a usage map has only [[usage]] tables", ctx.line(item.span()));
        }
    }
    let tables: Vec<&Table> = match doc.get("usage") {
        None => bail!("{file}: no [[usage]] table: nothing to read"),
        Some(Item::ArrayOfTables(a)) => a.iter().collect(),
        Some(i) => bail!("{}: write each vocabulary as a [[usage]] table", ctx.line(i.span())),
    };
    tables.into_iter().map(|t| ctx.usage_map(t)).collect()
}

impl TomlSource<'_> {
    fn usage_map(&self, t: &Table) -> anyhow::Result<UsageMap> {
        let origin = self.line(t.span());
        for (key, item) in t.iter() {
            if !KEYS.contains(&key) {
                bail!("{}: unknown key {key:?} in [[usage]]; known keys: {}", self.line(item.span()), KEYS.join(", "));
            }
        }
        let text = |key: &str| -> anyhow::Result<Option<String>> {
            t.get(key)
                .map(|item| match item.as_str().map(str::trim) {
                    Some(s) if !s.is_empty() => Ok(s.to_string()),
                    _ => Err(anyhow!("{}: {key} must be a non-empty string", self.line(item.span()))),
                })
                .transpose()
        };
        let scope = text("scope")?.map(|s| match s.strip_suffix('*') {
            Some(prefix) => ScopeName::Prefix(prefix.to_string()),
            None => ScopeName::Exact(s),
        });
        let when = match t.get("when") {
            None => Vec::new(),
            Some(item) => {
                let bad = || anyhow!("{}: when must be an array of attribute keys", self.line(item.span()));
                let list = item.as_array().ok_or_else(bad)?;
                list.iter()
                    .map(|v| v.as_str().filter(|s| !s.is_empty()).map(String::from).ok_or_else(bad))
                    .collect::<Result<_, _>>()?
            }
        };
        if scope.is_none() && when.is_empty() {
            bail!("{origin}: say which records this reads: scope = \"…\" and/or when = [\"attribute\", …]");
        }
        let (traces, logs) = match text("signal")?.as_deref() {
            None | Some("both") => (true, true),
            Some("traces") => (true, false),
            Some("logs") => (false, true),
            Some(other) => {
                bail!("{}: signal {other:?}: use traces, logs or both", self.line(t.get("signal").and_then(Item::span)))
            }
        };
        let input_cache = match t.get("input_includes_cache") {
            None => InputCache::Infer,
            Some(item) => match item.as_bool() {
                Some(true) => InputCache::Includes,
                Some(false) => InputCache::Excludes,
                None => bail!("{}: input_includes_cache must be true or false", self.line(item.span())),
            },
        };
        let role = match text("role")?.as_deref() {
            None | Some("call") => Role::ModelCall,
            Some("aggregate") => Role::MaybeAggregate,
            Some(other) => bail!("{}: role {other:?}: use call (each record one model call) or aggregate (counted only when no span below carries usage)", self.line(t.get("role").and_then(Item::span))),
        };
        let sources = |key: &str, counts: bool| match t.get(key) {
            None => Ok(Vec::new()),
            Some(item) => self.sources(item, key, counts),
        };
        let map = UsageMap {
            scope,
            when,
            traces,
            logs,
            input_cache,
            role,
            input: sources("input", true)?,
            cache_read: sources("cache_read", true)?,
            cache_write: sources("cache_write", true)?,
            output: sources("output", true)?,
            reasoning: sources("reasoning", true)?,
            model: sources("model", false)?,
            provider: sources("provider", false)?,
            operation: sources("operation", false)?,
            response_id: sources("response_id", false)?,
            origin,
        };
        if map.input.is_empty() && map.output.is_empty() {
            bail!("{}: say where the usage is: input = \"attribute\" and/or output = …", map.origin);
        }
        Ok(map)
    }

    /// A field's sources: an attribute key, `{ attribute = "k", json = "$.path" }`,
    /// `{ value = "constant" }` (not for counts), or an array of these (first present wins).
    fn sources(&self, item: &Item, key: &str, counts: bool) -> anyhow::Result<Vec<Source>> {
        let at = self.line(item.span());
        let one = |v: &toml_edit::Value| -> anyhow::Result<Source> {
            let at = self.line(v.span()).to_string();
            match v {
                toml_edit::Value::String(s) if !s.value().is_empty() => {
                    Ok(Source::Attribute { key: s.value().to_string(), path: None })
                }
                toml_edit::Value::InlineTable(t) => source_table(t, key, counts, &at),
                _ => bail!("{at}: {key} must be an attribute key, {{ attribute = \"…\", json = \"$.…\" }}{}, or an array of them", if counts { "" } else { ", { value = \"…\" }" }),
            }
        };
        match item {
            Item::Value(toml_edit::Value::Array(list)) if list.is_empty() => bail!("{at}: {key} lists no source"),
            Item::Value(toml_edit::Value::Array(list)) => list.iter().map(one).collect(),
            Item::Value(v) => Ok(vec![one(v)?]),
            _ => bail!("{at}: {key} must be a value, not a table"),
        }
    }
}

fn source_table(t: &InlineTable, key: &str, counts: bool, at: &str) -> anyhow::Result<Source> {
    for (k, _) in t.iter() {
        if !matches!(k, "attribute" | "json" | "value") {
            bail!("{at}: unknown key {k:?} in {key}; use attribute (and json), or value");
        }
    }
    let text = |k: &str| {
        t.get(k)
            .map(|v| {
                v.as_str()
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| anyhow!("{at}: {key}.{k} must be a non-empty string"))
            })
            .transpose()
    };
    match (text("attribute")?, text("json")?, text("value")?) {
        (Some(attr), json, None) => {
            let path = json.map(|p| json_path(p).map_err(|why| anyhow!("{at}: {key}: bad JSON path {p:?}: {why}; write e.g. \"$.usage.prompt_tokens\" or \"$.choices[0].model\""))).transpose()?;
            Ok(Source::Attribute { key: attr.to_string(), path })
        }
        (None, None, Some(_)) if counts => {
            bail!("{at}: {key} is a count: it must come from the record, not a constant value")
        }
        (None, None, Some(value)) => Ok(Source::Value(value.to_string())),
        _ => bail!("{at}: {key} takes either attribute (with json for a path inside it) or value"),
    }
}

/// `$`, then `.name`, `["name"]` or `[N]` steps.
fn json_path(path: &str) -> Result<Vec<Step>, &'static str> {
    let mut rest = path.trim().strip_prefix('$').ok_or("it must start with $")?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            if end == 0 {
                return Err("a . must be followed by a name");
            }
            steps.push(Step::Key(after[..end].to_string()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix("[\"") {
            let end = after.find("\"]").ok_or("a [\" has no closing \"]")?;
            steps.push(Step::Key(after[..end].to_string()));
            rest = &after[end + 2..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').ok_or("a [ has no closing ]")?;
            steps.push(Step::Index(after[..end].trim().parse().map_err(|_| "[…] takes a number or a \"name\"")?));
            rest = &after[end + 1..];
        } else {
            return Err("expected . or [ after a step");
        }
    }
    Ok(steps)
}

impl UsageMap {
    fn applies(&self, signal: Signal, record: &Record<'_, '_>) -> bool {
        let signal_ok = match signal {
            Signal::Traces => self.traces,
            Signal::Logs => self.logs,
            Signal::Metrics => false,
        };
        let scope_ok = match &self.scope {
            None => true,
            Some(ScopeName::Exact(name)) => record.scope == name,
            Some(ScopeName::Prefix(prefix)) => record.scope.starts_with(prefix.as_str()),
        };
        signal_ok && scope_ok && self.when.iter().all(|k| record.get(k).is_some())
    }
}

/// What the first map that applies to a record makes of it: `None` when none applies;
/// else the call it describes, if the record carries usage. Values the map points at that
/// are not usable are problems.
pub(super) fn read(
    maps: &[UsageMap],
    signal: Signal,
    time_ns: u64,
    span: Option<([u8; 16], [u8; 8])>,
    record: &Record<'_, '_>,
    problems: &mut Vec<Problem>,
) -> Option<Option<Observation>> {
    let map = maps.iter().find(|m| m.applies(signal, record))?;
    let mut reader = Reader { map, record, parsed: Vec::new(), problems };
    let usage = RawUsage {
        input: reader.count(&map.input, "input"),
        output: reader.count(&map.output, "output"),
        cache_read: reader.count(&map.cache_read, "cache_read"),
        cache_write: reader.count(&map.cache_write, "cache_write"),
        cache_write_1h: None,
        reasoning: reader.count(&map.reasoning, "reasoning"),
    };
    if !usage.is_present() {
        return Some(None);
    }
    let mut o = record.observation(Emitter::UsageMap, signal, map.role, time_ns, usage.buckets(map.input_cache));
    o.model = reader.text(&map.model);
    o.provider = reader.text(&map.provider);
    o.operation = reader.text(&map.operation);
    let trace = span.map_or([0; 16], |(trace, _)| trace);
    if let Some(id) = reader.text(&map.response_id) {
        o.keys.push(CallKey::Response(trace, id));
    }
    if let Some((trace, id)) = span.filter(|(_, id)| *id != [0; 8]) {
        o.keys.push(CallKey::Span(trace, id));
        o.span = Some((trace, id));
    }
    Some(Some(o))
}

/// One record's values, each JSON attribute parsed once.
struct Reader<'m, 'r, 'a, 'p> {
    map: &'m UsageMap,
    record: &'m Record<'r, 'a>,
    parsed: Vec<(String, Option<serde_json::Value>)>,
    problems: &'p mut Vec<Problem>,
}

impl Reader<'_, '_, '_, '_> {
    /// The first source present, as a count; one present but unusable is a problem (and
    /// read as absent).
    fn count(&mut self, sources: &[Source], field: &str) -> Option<u64> {
        for source in sources {
            let found = self.with_value(source, |v| v.count());
            match found {
                Some(Ok(Some(n))) => return Some(n),
                Some(Err(bad)) => self.problem(source, field, &format!("token count is {bad}")),
                Some(Ok(None)) | None => {}
            }
        }
        None
    }

    fn text(&mut self, sources: &[Source]) -> Option<String> {
        sources.iter().find_map(|source| match source {
            Source::Value(v) => Some(v.clone()),
            _ => self
                .with_value(source, |v| v.render())
                .flatten()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
        })
    }

    /// Applies `f` to the value a source points at, if it is there.
    fn with_value<T>(&mut self, source: &Source, f: impl FnOnce(&Value<'_>) -> T) -> Option<T> {
        let Source::Attribute { key, path } = source else { return None };
        let value = self.record.get(key)?;
        let Some(path) = path else { return Some(f(&value)) };
        let at = match self.parsed.iter().position(|(k, _)| k == key) {
            Some(at) => at,
            None => {
                let json = match value.as_str().map(serde_json::from_str::<serde_json::Value>) {
                    Some(Ok(json)) => Some(json),
                    Some(Err(e)) => {
                        self.problem(source, "a JSON path", &format!("the attribute is not JSON ({e})"));
                        None
                    }
                    None => {
                        self.problem(source, "a JSON path", "the attribute is not a string holding JSON");
                        None
                    }
                };
                self.parsed.push((key.clone(), json));
                self.parsed.len() - 1
            }
        };
        let mut node = self.parsed[at].1.as_ref()?;
        for step in path {
            node = match step {
                Step::Key(k) => node.get(k.as_str())?,
                Step::Index(i) => node.get(*i)?,
            };
        }
        Some(match node {
            serde_json::Value::Null => f(&Value::Empty),
            serde_json::Value::Bool(b) => f(&Value::Bool(*b)),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => f(&Value::Int(i)),
                None => f(&Value::Double(Double::Text(&n.to_string()))),
            },
            serde_json::Value::String(s) => f(&Value::Str(Cow::Borrowed(s))),
            other => f(&Value::Other(other.to_string())),
        })
    }

    fn problem(&mut self, source: &Source, field: &str, why: &str) {
        let key = match source {
            Source::Attribute { key, .. } => printable(key),
            Source::Value(_) => return,
        };
        self.problems.push(Problem {
            location: self.record.location.clone(),
            message: format!("{field} of --usage-map {}: attribute {key}: {why}; read as absent", self.map.origin),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths() {
        assert_eq!(json_path("$"), Ok(vec![]));
        assert_eq!(
            json_path("$.usage.prompt_tokens_details.cached_tokens"),
            Ok(vec![
                Step::Key("usage".into()),
                Step::Key("prompt_tokens_details".into()),
                Step::Key("cached_tokens".into())
            ])
        );
        assert_eq!(
            json_path("$.choices[0][\"a.b\"]"),
            Ok(vec![Step::Key("choices".into()), Step::Index(0), Step::Key("a.b".into())])
        );
        for bad in ["usage", "$.", "$..x", "$[x]", "$[0", "$x"] {
            assert!(json_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let err = |text: &str| parse("m.toml", text).map(|_| ()).unwrap_err().to_string();
        assert!(err("[[usage]]\nscope = \"a\"\ninput = \"x\"\nouptut = \"y\"\n")
            .starts_with("m.toml:4: unknown key \"ouptut\""));
        assert!(err("[[usage]]\nscope = \"a\"\ninput = { attribute = \"u\", json = \"usage.x\" }\n")
            .starts_with("m.toml:3: input: bad JSON path"));
        assert!(err("[[usage]]\ninput = \"x\"\n").contains("m.toml:1: say which records"));
        assert!(err("[[usage]]\nscope = \"a\"\nmodel = \"m\"\n").contains("say where the usage is"));
        assert!(err("[[usage]]\nscope = \"a\"\ninput = { value = \"3\" }\n").contains("m.toml:3: input is a count"));
        assert!(err("[usage]\nscope = \"a\"\n").contains("m.toml:1: write each vocabulary as a [[usage]] table"));
        assert!(err("[[usage]\n").starts_with("m.toml:1: not valid TOML"));
        assert!(parse("m.toml", "[[usage]]\nscope = \"acme.*\"\ninput = [\"a\", { attribute = \"b\", json = \"$.c\" }]\nmodel = { value = \"gpt-4o\" }\n").is_ok());
    }
}
