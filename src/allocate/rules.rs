//! The allocation rules file (`--rules rules.toml`, every key documented in
//! `examples/rules.toml`): aliases of its own, dimensions derived by ordered rules
//! (lookup tables, equals, prefix, regex, copy, default), and which dimension's
//! `unallocated` cost to split.

use super::dimensions::{is_builtin, Alias};
use crate::toml_file::TomlSource;
use anyhow::{anyhow, bail, Context};
use regex::Regex;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use toml_edit::{Document, Item, Table, Value};

/// The explicit bucket for cost nobody owns; `--split-unallocated` distributes it.
pub const UNALLOCATED: &str = "unallocated";

/// What a rules file defines (empty without one).
#[derive(Debug, Default)]
pub struct Rules {
    pub aliases: Vec<Alias>,
    /// In file order: a derived dimension may read the ones before it.
    pub derived: Vec<Derived>,
    /// `split_unallocated = "team"`: the default for `--split-unallocated`.
    pub split_unallocated: Option<String>,
}

/// A dimension whose value the first matching rule gives.
#[derive(Debug)]
pub struct Derived {
    pub name: String,
    pub rules: Vec<Rule>,
}

#[derive(Debug)]
pub struct Rule {
    /// The dimension or attribute key the rule reads; `None` for `default`.
    pub from: Option<String>,
    pub matcher: Matcher,
    /// `rules.toml:12`, for `otelcost dimensions`.
    pub origin: String,
}

/// What a rule does with its input. `None` from `apply` means: not matched, try the next.
#[derive(Clone, Debug)]
pub enum Matcher {
    /// The input itself, when present.
    Copy,
    Equals(Arc<[String]>, Arc<str>),
    Prefix(Arc<[String]>, Arc<str>),
    /// With `value`, `$1`/`${name}` expanded; without, the first capture group (else the
    /// whole match).
    Regex(Regex, Option<Arc<str>>),
    /// Key → value of the chosen column; an empty cell does not match.
    Lookup(Arc<HashMap<String, String>>),
    Default(Arc<str>),
}

impl Matcher {
    pub fn apply(&self, input: Option<&str>) -> Option<String> {
        if let Matcher::Default(value) = self {
            return Some(value.to_string());
        }
        let input = input?;
        match self {
            Matcher::Copy => Some(input.to_string()),
            Matcher::Equals(list, value) => list.iter().any(|s| s == input).then(|| value.to_string()),
            Matcher::Prefix(list, value) => {
                list.iter().any(|s| input.starts_with(s.as_str())).then(|| value.to_string())
            }
            Matcher::Regex(re, value) => {
                let caps = re.captures(input)?;
                let out = match value {
                    Some(template) => {
                        let mut out = String::new();
                        caps.expand(template, &mut out);
                        out
                    }
                    None => caps.get(1).or_else(|| caps.get(0)).map_or("", |m| m.as_str()).to_string(),
                };
                Some(out).filter(|s| !s.is_empty())
            }
            Matcher::Lookup(table) => table.get(input.trim()).cloned(),
            Matcher::Default(_) => None,
        }
    }

    /// One line for `otelcost dimensions`.
    pub fn describe(&self) -> String {
        match self {
            Matcher::Copy => "its value".into(),
            Matcher::Equals(list, v) => format!("equals {} → {v}", list.join(" | ")),
            Matcher::Prefix(list, v) => format!("starts with {} → {v}", list.join(" | ")),
            Matcher::Regex(re, v) => format!("matches /{re}/ → {}", v.as_deref().unwrap_or("$1")),
            Matcher::Lookup(t) => format!("lookup ({} keys)", t.len()),
            Matcher::Default(v) => format!("default {v}"),
        }
    }
}

impl Rules {
    pub fn load(path: &Path) -> anyhow::Result<Rules> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read the rules file {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Rules::parse(&path.display().to_string(), &text, base)
    }

    /// Parses a rules file's text; lookup files are read relative to `base`.
    pub fn parse(file: &str, text: &str, base: &Path) -> anyhow::Result<Rules> {
        let doc = Document::parse(text).map_err(|e| {
            let at = TomlSource { file, text }.line(e.span());
            anyhow!("{at}: not valid TOML: {}", e.message())
        })?;
        let ctx = TomlSource { file, text };
        let mut rules = Rules::default();
        for (key, item) in doc.iter() {
            match key {
                "dimensions" => rules.aliases = aliases(item, &ctx)?,
                "rule" => {}
                "split_unallocated" => rules.split_unallocated = Some(ctx.non_empty_item(item, key)?),
                _ => bail!(
                    "{}: unknown key {key:?}; a rules file has [dimensions], [[rule]] and split_unallocated",
                    ctx.line(item.span())
                ),
            }
        }
        let tables: Vec<&Table> = match doc.get("rule") {
            None => Vec::new(),
            Some(Item::ArrayOfTables(a)) => a.iter().collect(),
            Some(i) => bail!("{}: write each rule as a [[rule]] table", ctx.line(i.span())),
        };
        let mut lookups = LookupFiles::default();
        for t in tables {
            let (name, rule) = ctx.rule(t, base, &mut lookups)?;
            match rules.derived.iter_mut().find(|d| d.name == name) {
                Some(d) => d.rules.push(rule),
                None => rules.derived.push(Derived { name, rules: vec![rule] }),
            }
        }
        Ok(rules)
    }
}

fn aliases(item: &Item, ctx: &TomlSource) -> anyhow::Result<Vec<Alias>> {
    let t = item
        .as_table()
        .ok_or_else(|| anyhow!("{}: [dimensions] must be a table of name = [\"key\", …]", ctx.line(item.span())))?;
    let mut out = Vec::new();
    for (name, v) in t.iter() {
        let at = ctx.line(v.span());
        if is_builtin(name) {
            bail!("{at}: {name:?} is a built-in dimension and cannot be redefined; choose another name");
        }
        let keys = ctx.strings(v, name)?;
        if keys.is_empty() {
            bail!("{at}: {name} lists no attribute keys; write {name} = [\"some.key\", …]");
        }
        out.push(Alias { name: name.to_string(), keys, origin: at });
    }
    Ok(out)
}

/// Lookup CSV files already read, by path.
#[derive(Default)]
struct LookupFiles(HashMap<std::path::PathBuf, Arc<Csv>>);

struct Csv {
    label: String,
    header: Vec<String>,
    rows: Vec<Record>,
}

const RULE_KEYS: &[&str] =
    &["dimension", "from", "lookup", "key_column", "column", "equals", "prefix", "regex", "value", "default"];

impl TomlSource<'_> {
    fn non_empty_item(&self, item: &Item, key: &str) -> anyhow::Result<String> {
        match item {
            Item::Value(Value::String(s)) if !s.value().trim().is_empty() => Ok(s.value().trim().to_string()),
            _ => bail!("{}: {key} must be a non-empty string", self.line(item.span())),
        }
    }

    fn non_empty(&self, t: &Table, key: &str) -> anyhow::Result<Option<String>> {
        t.get(key).map(|item| self.non_empty_item(item, key)).transpose()
    }

    /// A string or an array of strings.
    fn strings(&self, item: &Item, key: &str) -> anyhow::Result<Vec<String>> {
        let bad = || anyhow!("{}: {key} must be a string or an array of strings", self.line(item.span()));
        match item {
            Item::Value(Value::String(s)) => Ok(vec![s.value().to_string()]),
            Item::Value(Value::Array(a)) => {
                a.iter().map(|v| v.as_str().map(String::from).ok_or_else(bad)).collect::<Result<_, _>>()
            }
            _ => Err(bad()),
        }
    }

    /// One `[[rule]]`: the dimension it derives and the rule.
    fn rule(&self, t: &Table, base: &Path, lookups: &mut LookupFiles) -> anyhow::Result<(String, Rule)> {
        let at = self.line(t.span().or_else(|| t.iter().next().and_then(|(_, v)| v.span())));
        for (k, v) in t.iter() {
            if !RULE_KEYS.contains(&k) {
                bail!("{}: unknown key {k:?} in [[rule]]; allowed: {}", self.line(v.span()), RULE_KEYS.join(", "));
            }
        }
        let name = self
            .non_empty(t, "dimension")?
            .ok_or_else(|| anyhow!("{at}: [[rule]] needs dimension = \"…\", the dimension it derives"))?;
        if is_builtin(&name) {
            bail!("{at}: {name:?} is a built-in dimension and cannot be derived; choose another name");
        }
        let from = self.non_empty(t, "from")?;
        let value = self.non_empty(t, "value")?;
        let kinds: Vec<&str> =
            ["lookup", "equals", "prefix", "regex", "default"].into_iter().filter(|k| t.contains_key(k)).collect();
        if kinds.len() > 1 {
            bail!(
                "{at}: one [[rule]] does one thing, this one has {}: split it into several rules",
                kinds.join(" and ")
            );
        }
        let kind = kinds.first().copied();
        if kind != Some("lookup") && (t.contains_key("column") || t.contains_key("key_column")) {
            bail!("{at}: column and key_column belong to a lookup rule (lookup = \"file.csv\")");
        }
        let need_from = || anyhow!("{at}: this rule needs from = \"…\": the dimension or attribute key it reads");
        let need_value = |what: &str| anyhow!("{at}: {what} needs value = \"…\", the value it gives");
        let no_value = |what: &str| -> anyhow::Result<()> {
            match value {
                Some(_) => bail!("{at}: a {what} rule takes no value; remove it"),
                None => Ok(()),
            }
        };
        let list = |key: &str| -> anyhow::Result<Arc<[String]>> {
            let item = t.get(key).ok_or_else(|| anyhow!("{at}: missing {key}"))?;
            Ok(self.strings(item, key)?.into())
        };
        let matcher = match kind {
            None => {
                no_value("copy")?;
                from.as_ref().ok_or_else(need_from)?;
                Matcher::Copy
            }
            Some("default") => {
                no_value("default")?;
                if from.is_some() {
                    bail!("{at}: a default rule reads nothing; remove from");
                }
                Matcher::Default(self.non_empty(t, "default")?.unwrap_or_default().into())
            }
            Some("equals") => {
                Matcher::Equals(list("equals")?, value.clone().ok_or_else(|| need_value("equals"))?.into())
            }
            Some("prefix") => {
                Matcher::Prefix(list("prefix")?, value.clone().ok_or_else(|| need_value("prefix"))?.into())
            }
            Some("regex") => {
                let pattern = self.non_empty(t, "regex")?.unwrap_or_default();
                let re = Regex::new(&pattern).map_err(|e| {
                    anyhow!(
                        "{}: regex {pattern:?} does not compile: {e}",
                        self.line(t.get("regex").and_then(Item::span))
                    )
                })?;
                Matcher::Regex(re, value.clone().map(Into::into))
            }
            Some(_) => {
                no_value("lookup")?;
                let file = self.non_empty(t, "lookup")?.unwrap_or_default();
                let csv = lookups.get(&base.join(&file), &file).map_err(|e| anyhow!("{at}: {e:#}"))?;
                let key_column = self.non_empty(t, "key_column")?;
                let column = self.non_empty(t, "column")?;
                Matcher::Lookup(Arc::new(
                    csv.table(key_column.as_deref(), column.as_deref()).map_err(|e| anyhow!("{at}: {e}"))?,
                ))
            }
        };
        if !matches!(matcher, Matcher::Default(_)) && from.is_none() {
            return Err(need_from());
        }
        Ok((name, Rule { from, matcher, origin: at }))
    }
}

impl LookupFiles {
    fn get(&mut self, path: &Path, label: &str) -> anyhow::Result<Arc<Csv>> {
        if let Some(csv) = self.0.get(path) {
            return Ok(csv.clone());
        }
        let text = std::fs::read_to_string(path).with_context(|| {
            format!("cannot read lookup file {} (paths are relative to the rules file)", path.display())
        })?;
        let mut records = parse_csv(&text).map_err(|(line, e)| anyhow!("{label}:{line}: {e}"))?.into_iter();
        let (_, header) = records.next().ok_or_else(|| anyhow!("{label} is empty: it needs a header row"))?;
        let header: Vec<String> = header.into_iter().map(|h| h.trim().to_string()).collect();
        if header.len() < 2 {
            bail!("{label}:1: a lookup file needs at least two columns: a key and a value (header like user,team)");
        }
        let csv = Arc::new(Csv { label: label.to_string(), header, rows: records.collect() });
        self.0.insert(path.to_path_buf(), csv.clone());
        Ok(csv)
    }
}

impl Csv {
    /// Key → value of one column (by default the first and second columns).
    fn table(&self, key_column: Option<&str>, column: Option<&str>) -> Result<HashMap<String, String>, String> {
        let find = |name: &str| {
            self.header.iter().position(|h| h == name).ok_or_else(|| {
                format!("{} has no column {name:?}; its columns are {}", self.label, self.header.join(", "))
            })
        };
        let k = key_column.map(find).transpose()?.unwrap_or(0);
        let v = column.map(find).transpose()?.unwrap_or(if k == 1 { 0 } else { 1 });
        let mut table: HashMap<String, (usize, String)> = HashMap::new();
        for (line, fields) in &self.rows {
            let key = fields.get(k).map_or("", |s| s.trim());
            let value = fields.get(v).map_or("", |s| s.trim());
            if key.is_empty() || value.is_empty() {
                continue;
            }
            if let Some((first, old)) = table.get(key) {
                if old != value {
                    return Err(format!(
                        "{}:{line}: key {key:?} is also on line {first} with a different {} ({old:?} vs {value:?}); keep one",
                        self.label, self.header[v]
                    ));
                }
            }
            table.insert(key.to_string(), (*line, value.to_string()));
        }
        Ok(table.into_iter().map(|(k, (_, v))| (k, v)).collect())
    }
}

/// A CSV record: its 1-based starting line and its fields.
type Record = (usize, Vec<String>);

/// RFC 4180 records; blank lines are skipped. The error is (line, message).
fn parse_csv(text: &str) -> Result<Vec<Record>, (usize, String)> {
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let (mut line, mut start) = (1usize, 1usize);
    let mut quoted = false;
    let mut chars = text.strip_prefix('\u{feff}').unwrap_or(text).chars().peekable();
    let mut end_record = |fields: &mut Vec<String>, field: &mut String, start: usize| {
        fields.push(std::mem::take(field));
        if !(fields.len() == 1 && fields[0].trim().is_empty()) {
            records.push((start, std::mem::take(fields)));
        }
        fields.clear();
    };
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                line += usize::from(c == '\n');
                field.push(c);
            }
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                end_record(&mut fields, &mut field, start);
                line += 1;
                start = line;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err((start, "a quoted field is never closed: add the closing \"".into()));
    }
    end_record(&mut fields, &mut field, start);
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<Rules> {
        Rules::parse("rules.toml", text, Path::new("."))
    }

    #[test]
    fn csv_quotes_and_lines() {
        let got = parse_csv("a,b\n\"x, y\",\"say \"\"hi\"\"\"\r\n\n\"multi\nline\",z\n").unwrap();
        assert_eq!(got[0], (1, vec!["a".to_string(), "b".into()]));
        assert_eq!(got[1], (2, vec!["x, y".to_string(), "say \"hi\"".into()]));
        assert_eq!(got[2], (4, vec!["multi\nline".to_string(), "z".into()]));
        assert!(parse_csv("a,\"b\n").is_err());
    }

    #[test]
    fn matchers() {
        let re = Matcher::Regex(Regex::new("^user-(?P<who>[a-z]+)$").unwrap(), Some("team-${who}".into()));
        assert_eq!(re.apply(Some("user-dave")).as_deref(), Some("team-dave"));
        assert_eq!(re.apply(Some("dave")), None);
        assert_eq!(re.apply(None), None);
        let bare = Matcher::Regex(Regex::new("@(.+)$").unwrap(), None);
        assert_eq!(bare.apply(Some("a@corp.com")).as_deref(), Some("corp.com"));
        let prefix = Matcher::Prefix(vec!["a".to_string(), "b".into()].into(), "x".into());
        assert_eq!(prefix.apply(Some("bee")).as_deref(), Some("x"));
        assert_eq!(Matcher::Default("d".into()).apply(None).as_deref(), Some("d"));
        assert_eq!(Matcher::Copy.apply(Some("v")).as_deref(), Some("v"));
    }

    #[test]
    fn errors_name_the_line_and_the_fix() {
        let e = parse("[[rule]]\ndimension = \"team\"\nfrom = \"user\"\nequals = \"a\"\n").unwrap_err().to_string();
        assert!(e.starts_with("rules.toml:1:") && e.contains("needs value"), "{e}");
        let e = parse("\n[[rule]]\ndimension = \"team\"\nregex = \"(\"\nfrom = \"x\"\n").unwrap_err().to_string();
        assert!(e.starts_with("rules.toml:4:") && e.contains("does not compile"), "{e}");
        let e = parse("[[rule]]\ndimension = \"team\"\nfrom = \"x\"\nprefix = \"a\"\nvalue = \"b\"\ndefault = \"c\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("split it"), "{e}");
        let e = parse("[[rule]]\ndimension = \"day\"\ndefault = \"x\"\n").unwrap_err().to_string();
        assert!(e.contains("built-in"), "{e}");
        let e = parse("[[rule]]\ndimension = \"team\"\nlookup = \"nope.csv\"\nfrom = \"user\"\n").unwrap_err();
        assert!(format!("{e:#}").contains("relative to the rules file"), "{e:#}");
        let e = parse("colour = 1\n").unwrap_err().to_string();
        assert!(e.starts_with("rules.toml:1: unknown key"), "{e}");
        assert!(parse("[dimensions]\nteam = []\n").is_err());
    }

    #[test]
    fn rules_group_by_dimension_in_file_order() {
        let r = parse(
            "split_unallocated = \"team\"\n[dimensions]\nteam = [\"t\", \"u\"]\n\
             [[rule]]\ndimension = \"team\"\nfrom = \"team\"\n\
             [[rule]]\ndimension = \"cc\"\ndefault = \"x\"\n\
             [[rule]]\ndimension = \"team\"\ndefault = \"unallocated\"\n",
        )
        .unwrap();
        assert_eq!(r.split_unallocated.as_deref(), Some("team"));
        assert_eq!(r.aliases[0].keys, ["t", "u"]);
        assert_eq!(
            r.derived.iter().map(|d| (d.name.as_str(), d.rules.len())).collect::<Vec<_>>(),
            [("team", 2), ("cc", 1)]
        );
    }
}
