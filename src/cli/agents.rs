//! The coding agents `otelcost run` knows: the switches that turn each one's telemetry on
//! and point it at the receiver; the files an agent that cannot export to a local
//! `http://` endpoint (Copilot CLI) or has no OpenTelemetry at all (Cline, pi) writes
//! instead, in a folder of ours, read once it has exited; for Codex, which takes its
//! exporters only from its config file, a temporary `CODEX_HOME` over the user's own; and
//! for Factory Droid, whose telemetry has no usage, copies of the session files it wrote
//! in the user's own folder during the run.
//!
//! Every agent's switches are set for any command: CI runs agents through wrappers
//! (`npm run eval`, `make`, a shell script), which the command's name would not reveal.
//! The command's name only says which agent to name in a warning when nothing arrived.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// `otelcost run --help`: what is set, per agent.
pub const HELP: &str = "\
Examples:
  otelcost run --budget 1.00 -- claude -p \"Fix the failing test\"    exit 4 over $1.00
  otelcost run --save session/ -- python my_agent.py    keep the telemetry to report again later
  otelcost run --by model,service -- npm run eval

Environment set for the command (unless --no-env); every agent's switches are
set whatever the command is, so an agent a script starts is covered too:
  any OpenTelemetry SDK: OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:PORT,
    OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf, OTEL_*_EXPORTER=otlp, short
    export intervals; per-signal OTEL_EXPORTER_OTLP_*_ENDPOINT etc. removed
  Claude Code (also through the Claude Agent SDK):
    CLAUDE_CODE_ENABLE_TELEMETRY=1
  Gemini CLI: GEMINI_TELEMETRY_ENABLED=true, _TARGET=local,
    _USE_COLLECTOR=false, _OTLP_ENDPOINT=the receiver, _OTLP_PROTOCOL=http,
    _LOG_PROMPTS=false; GEMINI_TELEMETRY_OUTFILE removed
  Qwen Code: QWEN_TELEMETRY_ENABLED=true, _TARGET=local, _OTLP_ENDPOINT=the
    receiver, _OTLP_PROTOCOL=http, _LOG_PROMPTS=false; _OUTFILE and the
    per-signal endpoints removed
  GitHub Copilot CLI (it ignores http:// endpoints): COPILOT_OTEL_ENABLED=true,
    COPILOT_OTEL_EXPORTER_TYPE=file, COPILOT_OTEL_FILE_EXPORTER_PATH=a temporary
    file, read after the command exits and appended to --save DIR
  OpenCode: OPENCODE_CONFIG_CONTENT with experimental.openTelemetry=true,
    merged into an inherited one
  Codex (its exporters come only from $CODEX_HOME/config.toml): CODEX_HOME=a
    temporary folder whose config.toml is the user's own (from $CODEX_HOME,
    else ~/.codex) with [otel] exporters pointed at the receiver, and every
    other entry of the user's folder linked in (auth, sessions); the user's
    files are not changed
  Cline (no usable OpenTelemetry): CLINE_LOG_PATH=a temporary file and
    CLINE_SESSION_BACKEND_MODE=local (its per-call task.tokens events are
    logged only in its own process), read after the command exits
  pi (no OpenTelemetry): PI_CODING_AGENT_SESSION_DIR=a temporary folder, whose
    session files are read after the command exits
  Factory Droid (its telemetry has no token usage): OTEL_CUSTOMER_ENABLED=true,
    OTEL_TELEMETRY_FORMAT=genai (a span per call: the number of calls),
    OTEL_TELEMETRY_ENDPOINT=the receiver, OTEL_TELEMETRY_HEADERS removed,
    OTEL_CUSTOMER_ENDPOINT=http://127.0.0.1:0 (its metrics leg to Factory's
    collector goes nowhere); the tokens come from the session totals
    (~/.factory/sessions/*/*.settings.json, under $FACTORY_HOME_OVERRIDE if
    set) written during the run (by any Droid session: they are named), copied
    and read after the command exits; the user's files are not changed";

/// The agents recognised from the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agent {
    GeminiCli,
    QwenCode,
    CopilotCli,
    OpenCode,
    ClaudeCode,
    Codex,
    Cline,
    Pi,
    Kilo,
    ContinueCli,
    Droid,
}

impl Agent {
    pub fn name(self) -> &'static str {
        match self {
            Agent::GeminiCli => "Gemini CLI",
            Agent::QwenCode => "Qwen Code",
            Agent::CopilotCli => "GitHub Copilot CLI",
            Agent::OpenCode => "OpenCode",
            Agent::ClaudeCode => "Claude Code",
            Agent::Codex => "Codex",
            Agent::Cline => "Cline",
            Agent::Pi => "pi",
            Agent::Kilo => "Kilo Code",
            Agent::ContinueCli => "Continue CLI",
            Agent::Droid => "Factory Droid",
        }
    }

    /// What to check when the agent ran and nothing it sent was found.
    pub fn hint(self) -> &'static str {
        match self {
            Agent::GeminiCli => {
                "a `telemetry.outfile` or `telemetry.target: gcp` in its settings.json wins over otelcost's switches"
            }
            Agent::QwenCode => "a `telemetry.outfile` in its settings.json wins over otelcost's switches",
            Agent::CopilotCli => {
                "its telemetry file stayed empty; a managed-settings.json `telemetry` block may turn it off"
            }
            Agent::OpenCode => {
                "an `experimental.openTelemetry: false` in its opencode.json wins over otelcost's switch"
            }
            Agent::ClaudeCode => "a managed settings file may turn its telemetry off",
            Agent::Codex => "a managed config (requirements.toml) may set its [otel] exporters",
            Agent::Cline => {
                "its log gets task.tokens events only with telemetry not opted out (telemetryOptOut in global-settings.json)"
            }
            Agent::Pi => "a --session-dir, --no-session or sessionDir setting wins over otelcost's session folder",
            Agent::Kilo => "its telemetry carries no token usage at all; `kilo stats` shows what it recorded",
            Agent::ContinueCli => "CONTINUE_METRICS_ENABLED=0 or CONTINUE_CLI_ENABLE_TELEMETRY=0 turns its metrics off",
            Agent::Droid => {
                "an organisation's managed telemetry settings win over otelcost's switches, and its session files \
                 are looked for in ~/.factory/sessions"
            }
        }
    }
}

/// The agent a command runs: its program's name, or the package `npx`/`node` is given.
pub fn detect(command: &[OsString]) -> Option<Agent> {
    let base = |arg: &OsString| {
        let text = arg.to_string_lossy();
        Path::new(text.as_ref()).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    };
    let by_name = |name: &str| match name {
        "gemini" => Some(Agent::GeminiCli),
        "qwen" => Some(Agent::QwenCode),
        "copilot" => Some(Agent::CopilotCli),
        "opencode" => Some(Agent::OpenCode),
        "claude" => Some(Agent::ClaudeCode),
        "codex" => Some(Agent::Codex),
        "cline" => Some(Agent::Cline),
        "pi" => Some(Agent::Pi),
        "kilo" | "kilocode" => Some(Agent::Kilo),
        "cn" => Some(Agent::ContinueCli),
        "droid" => Some(Agent::Droid),
        _ => None,
    };
    // A package name or a path into one (`node …/@google/gemini-cli/bundle/gemini.js`).
    let by_package = |arg: &OsString| {
        let text = arg.to_string_lossy();
        [
            ("@google/gemini-cli", Agent::GeminiCli),
            ("@qwen-code/qwen-code", Agent::QwenCode),
            ("@github/copilot", Agent::CopilotCli),
            ("opencode-ai", Agent::OpenCode),
            ("@anthropic-ai/claude-code", Agent::ClaudeCode),
            ("@openai/codex", Agent::Codex),
            ("@mariozechner/pi-coding-agent", Agent::Pi),
            ("@kilocode/cli", Agent::Kilo),
            ("@continuedev/cli", Agent::ContinueCli),
            ("@factory/cli", Agent::Droid),
        ]
        .into_iter()
        .find(|(package, _)| text.contains(package))
        .map(|(_, agent)| agent)
    };
    let program = base(command.first()?);
    match program.as_str() {
        "npx" | "node" | "bunx" | "pnpx" => {
            let arg = command[1..].iter().find(|a| !a.to_string_lossy().starts_with('-'))?;
            by_package(arg).or_else(|| by_name(&base(arg)))
        }
        name => by_name(name),
    }
}

/// A scratch folder for the files agents write their telemetry to, removed when dropped.
/// With `run --route`, they are written in its `route=…` subfolder, so reading them (and
/// their copies in `--save DIR`) gives their calls the route, as the receiver does.
pub struct AgentFiles {
    dir: PathBuf,
    files: PathBuf,
    /// When the command was about to start: Droid's session files changed since are its.
    started: SystemTime,
}

impl AgentFiles {
    pub fn create(route: Option<&str>) -> std::io::Result<AgentFiles> {
        let dir = std::env::temp_dir().join(format!("otelcost-run-{}", std::process::id()));
        let files = route.map_or_else(|| dir.clone(), |r| dir.join(crate::model::route::dir_name(r)));
        std::fs::create_dir_all(&files)?;
        Ok(AgentFiles { dir, files, started: SystemTime::now() })
    }

    /// Where Copilot CLI writes its spans and metrics (JSON lines).
    pub fn copilot(&self) -> PathBuf {
        self.files.join("copilot-cli-otel.jsonl")
    }

    /// Where Cline writes its log.
    pub fn cline(&self) -> PathBuf {
        self.files.join("cline.log")
    }

    /// Where pi writes its session files (directly, one per session).
    pub fn pi(&self) -> PathBuf {
        self.files.join("pi-sessions")
    }

    /// Where the Droid session files of the run are copied.
    fn droid(&self) -> PathBuf {
        self.files.join("droid-sessions")
    }

    /// Where a file the agents wrote is kept in `--save DIR` (in its route's folder).
    pub fn saved_as(&self, file: &std::path::Path, save: &std::path::Path) -> PathBuf {
        save.join(file.strip_prefix(&self.dir).unwrap_or(file))
    }

    /// Whether the file states its session's whole state (a Droid session's settings),
    /// so that a newer copy replaces an older one in `--save DIR` rather than adding to it.
    pub fn is_snapshot(&self, file: &Path) -> bool {
        file.starts_with(self.droid())
    }

    /// The files the agents wrote, to be read like any input.
    pub fn written(&self) -> Vec<PathBuf> {
        [self.copilot(), self.cline()]
            .into_iter()
            .chain(listing(&self.pi()))
            .chain(listing(&self.droid()))
            .filter(|p| p.metadata().is_ok_and(|m| m.is_file() && m.len() > 0))
            .collect()
    }

    /// Copies the settings files (`<session>.settings.json`, with the session's token
    /// totals) of the Droid sessions written since the command started, from the user's
    /// `~/.factory/sessions/<project>/` (under `$FACTORY_HOME_OVERRIDE`, as Droid has it),
    /// which is only read. Returns the sessions, each with whether it began before the run
    /// (a resumed session, whose totals include the earlier runs').
    pub fn copy_droid_sessions(&self) -> std::io::Result<Vec<(String, bool)>> {
        let home = ["FACTORY_HOME_OVERRIDE", "HOME", "USERPROFILE"].iter().find_map(std::env::var_os);
        home.map_or(Ok(Vec::new()), |home| self.copy_droid_sessions_of(Path::new(&home)))
    }

    /// [`Self::copy_droid_sessions`] from the Factory home `home` (`home/.factory`).
    fn copy_droid_sessions_of(&self, home: &Path) -> std::io::Result<Vec<(String, bool)>> {
        let mut copied = Vec::new();
        for project in listing(&home.join(".factory").join("sessions")) {
            for file in listing(&project) {
                let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let Some(session) = name.strip_suffix(".settings.json") else { continue };
                let Ok(meta) = file.metadata() else { continue };
                if !meta.is_file() || meta.modified().map_or(true, |m| m < self.started) {
                    continue;
                }
                let resumed = meta.created().is_ok_and(|c| c < self.started);
                std::fs::create_dir_all(self.droid())?;
                std::fs::copy(&file, self.droid().join(&name))?;
                copied.push((session.to_string(), resumed));
            }
        }
        Ok(copied)
    }

    /// A `CODEX_HOME` for the command: the user's config with its `[otel]` exporters sent
    /// to `endpoint` (with `headers`), every other entry of the user's folder linked in
    /// (its `sessions` made first when missing).
    /// `None` (Codex left as it is) when the user's config is not TOML we can extend.
    pub fn codex_home(&self, endpoint: &str, headers: &[(&str, String)]) -> std::io::Result<Option<PathBuf>> {
        let user = std::env::var_os("CODEX_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".codex")));
        let config = match user.as_ref().map(|u| std::fs::read_to_string(u.join("config.toml"))) {
            Some(Ok(text)) => text,
            Some(Err(e)) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => String::new(),
        };
        let Some(config) = codex_config_with_otel(&config, endpoint, headers) else { return Ok(None) };
        let home = self.dir.join("codex-home");
        std::fs::create_dir_all(&home)?;
        if let Some(user) = &user {
            // Transcripts go where Codex keeps them without us, so the user's history has them.
            std::fs::create_dir_all(user.join("sessions"))?;
        }
        for entry in user.iter().flat_map(std::fs::read_dir).flatten().flatten() {
            if entry.file_name() != "config.toml" {
                link(&entry.path(), &home.join(entry.file_name()))?;
            }
        }
        std::fs::write(home.join("config.toml"), config)?;
        Ok(Some(home))
    }
}

/// The entries of a folder, sorted; none when it cannot be read.
fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
    entries.sort();
    entries
}

impl Drop for AgentFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Each agent's own switches, pointed at the OTLP/HTTP base URL `endpoint` (the receiver,
/// with `run --route`'s path); `files` holds what is written to a file.
/// `opencode_config` is the command's inherited `OPENCODE_CONFIG_CONTENT`, kept and extended.
pub fn env(endpoint: &str, files: &AgentFiles, opencode_config: Option<&str>) -> Vec<(&'static str, String)> {
    let mut env = vec![
        // Gemini CLI: OTLP/HTTP (JSON) to the receiver; prompts are not logged.
        ("GEMINI_TELEMETRY_ENABLED", "true".into()),
        ("GEMINI_TELEMETRY_TARGET", "local".into()),
        ("GEMINI_TELEMETRY_USE_COLLECTOR", "false".into()),
        ("GEMINI_TELEMETRY_OTLP_ENDPOINT", endpoint.to_string()),
        ("GEMINI_TELEMETRY_OTLP_PROTOCOL", "http".into()),
        ("GEMINI_TELEMETRY_LOG_PROMPTS", "false".into()),
        // Qwen Code, the same under its own names.
        ("QWEN_TELEMETRY_ENABLED", "true".into()),
        ("QWEN_TELEMETRY_TARGET", "local".into()),
        ("QWEN_TELEMETRY_OTLP_ENDPOINT", endpoint.to_string()),
        ("QWEN_TELEMETRY_OTLP_PROTOCOL", "http".into()),
        ("QWEN_TELEMETRY_LOG_PROMPTS", "false".into()),
        // Copilot CLI drops an http:// endpoint silently: its file exporter instead.
        ("COPILOT_OTEL_ENABLED", "true".into()),
        ("COPILOT_OTEL_EXPORTER_TYPE", "file".into()),
        ("COPILOT_OTEL_FILE_EXPORTER_PATH", files.copilot().display().to_string()),
        ("CLAUDE_CODE_ENABLE_TELEMETRY", "1".into()),
        // Cline logs a task.tokens event per call, but only for sessions in its own process.
        ("CLINE_LOG_PATH", files.cline().display().to_string()),
        ("CLINE_SESSION_BACKEND_MODE", "local".into()),
        ("PI_CODING_AGENT_SESSION_DIR", files.pi().display().to_string()),
        // Factory Droid: its customer telemetry, with a span per LLM call, to the receiver
        // (OTLP/HTTP JSON); its second metrics leg, to Factory's collector unless this
        // names another, to a port nothing listens on.
        ("OTEL_CUSTOMER_ENABLED", "true".into()),
        ("OTEL_TELEMETRY_FORMAT", "genai".into()),
        ("OTEL_TELEMETRY_ENDPOINT", endpoint.to_string()),
        ("OTEL_CUSTOMER_ENDPOINT", "http://127.0.0.1:0".into()),
    ];
    // OpenCode exports its LLM spans only with this switch in its config.
    if let Some(config) = opencode_config_with_telemetry(opencode_config) {
        env.push(("OPENCODE_CONFIG_CONTENT", config));
    }
    env
}

#[cfg(unix)]
fn link(from: &Path, to: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(from, to)
}

#[cfg(windows)]
fn link(from: &Path, to: &Path) -> std::io::Result<()> {
    if from.is_dir() {
        std::os::windows::fs::symlink_dir(from, to)
    } else {
        std::os::windows::fs::symlink_file(from, to)
    }
}

/// The user's Codex config with `[otel]`'s three exporters (logs, traces, metrics) sent to
/// the receiver as OTLP/HTTP protobuf; their other `[otel]` settings are kept. `None` when
/// the config is not TOML (Codex would refuse it anyway).
fn codex_config_with_otel(user: &str, endpoint: &str, headers: &[(&str, String)]) -> Option<String> {
    let mut config: toml_edit::DocumentMut = user.parse().ok()?;
    if !config.get("otel").is_some_and(toml_edit::Item::is_table) {
        config["otel"] = toml_edit::table();
    }
    for (key, signal) in [("exporter", "logs"), ("trace_exporter", "traces"), ("metrics_exporter", "metrics")] {
        let mut http = toml_edit::InlineTable::new();
        http.insert("endpoint", format!("{endpoint}/v1/{signal}").into());
        http.insert("protocol", "binary".into());
        if !headers.is_empty() {
            let mut table = toml_edit::InlineTable::new();
            for (name, value) in headers {
                table.insert(*name, value.as_str().into());
            }
            http.insert("headers", table.into());
        }
        let mut exporter = toml_edit::InlineTable::new();
        exporter.insert("otlp-http", http.into());
        config["otel"][key] = toml_edit::value(exporter);
    }
    Some(config.to_string())
}

/// An agent setting that would send its telemetry elsewhere than the receiver (an outfile
/// wins over the endpoint in Gemini CLI and Qwen Code), or with other headers (Droid's
/// win over the OTLP ones).
pub const ENV_REMOVED: [&str; 6] = [
    "GEMINI_TELEMETRY_OUTFILE",
    "QWEN_TELEMETRY_OUTFILE",
    "QWEN_TELEMETRY_OTLP_TRACES_ENDPOINT",
    "QWEN_TELEMETRY_OTLP_LOGS_ENDPOINT",
    "QWEN_TELEMETRY_OTLP_METRICS_ENDPOINT",
    "OTEL_TELEMETRY_HEADERS",
];

/// OpenCode's inline config with `experimental.openTelemetry` on, keeping what the user
/// had there (OpenCode merges it over its config files). `None` leaves an inherited value
/// that is not a plain JSON object (JSONC with comments, say) as it is.
fn opencode_config_with_telemetry(inherited: Option<&str>) -> Option<String> {
    let mut config = match inherited {
        None => serde_json::json!({}),
        Some(text) => serde_json::from_str::<serde_json::Value>(text).ok().filter(serde_json::Value::is_object)?,
    };
    let experimental = &mut config["experimental"];
    if !experimental.is_object() {
        *experimental = serde_json::json!({});
    }
    experimental["openTelemetry"] = serde_json::Value::Bool(true);
    Some(config.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn agents_are_known_by_program_or_package() {
        assert_eq!(detect(&args(&["gemini", "-p", "hi"])), Some(Agent::GeminiCli));
        assert_eq!(detect(&args(&["/opt/bin/qwen"])), Some(Agent::QwenCode));
        assert_eq!(detect(&args(&["npx", "-y", "@github/copilot@1.0.102", "-p", "x"])), Some(Agent::CopilotCli));
        assert_eq!(
            detect(&args(&["node", "node_modules/@google/gemini-cli/bundle/gemini.js"])),
            Some(Agent::GeminiCli)
        );
        assert_eq!(detect(&args(&["opencode", "run", "x"])), Some(Agent::OpenCode));
        assert_eq!(detect(&args(&["claude", "-p", "x"])), Some(Agent::ClaudeCode));
        assert_eq!(detect(&args(&["codex", "exec", "x"])), Some(Agent::Codex));
        assert_eq!(detect(&args(&["npx", "@mariozechner/pi-coding-agent", "-p", "x"])), Some(Agent::Pi));
        assert_eq!(detect(&args(&["droid", "exec", "x"])), Some(Agent::Droid));
        assert_eq!(detect(&args(&["python", "agent.py"])), None);
        assert_eq!(detect(&args(&["npx"])), None);
    }

    #[test]
    fn codex_config_gets_otel_exporters_and_keeps_the_rest() {
        let user = "model = \"gpt-5.5\"  # mine\n\n[otel]\nenvironment = \"ci\"\nexporter = \"none\"\n";
        let auth = [("Authorization", "Bearer t".to_string())];
        let merged = codex_config_with_otel(user, "http://127.0.0.1:9/r", &auth).unwrap();
        let doc: toml_edit::DocumentMut = merged.parse().unwrap();
        assert!(merged.starts_with("model = \"gpt-5.5\"  # mine\n"), "{merged}");
        assert_eq!(doc["otel"]["environment"].as_str(), Some("ci"));
        let logs = &doc["otel"]["exporter"]["otlp-http"];
        assert_eq!(logs["endpoint"].as_str(), Some("http://127.0.0.1:9/r/v1/logs"));
        assert_eq!(logs["headers"]["Authorization"].as_str(), Some("Bearer t"));
        assert_eq!(doc["otel"]["metrics_exporter"]["otlp-http"]["protocol"].as_str(), Some("binary"));
        assert!(codex_config_with_otel("", "http://h", &[]).unwrap().contains("[otel]"));
        assert_eq!(codex_config_with_otel("not = = toml", "http://h", &[]), None);
    }

    #[test]
    fn droid_sessions_changed_during_the_run_are_copied_and_the_users_left_as_they_are() {
        let home = tempfile::tempdir().unwrap();
        let project = home.path().join(".factory/sessions/-work");
        std::fs::create_dir_all(&project).unwrap();
        let write = |name: &str| std::fs::write(project.join(name), format!("{{\"name\":\"{name}\"}}")).unwrap();
        // Before the run: an old session, and one the run resumes.
        for name in ["old.settings.json", "resumed.settings.json", "old.jsonl"] {
            write(name);
        }
        let files = AgentFiles {
            dir: home.path().join("run"),
            files: home.path().join("run/route=x"),
            started: SystemTime::now() + std::time::Duration::from_millis(20),
        };
        std::thread::sleep(std::time::Duration::from_millis(40));
        for name in ["resumed.settings.json", "new.settings.json", "new.jsonl"] {
            write(name);
        }
        let copied = files.copy_droid_sessions_of(home.path()).unwrap();
        let created_known = std::fs::metadata(project.join("old.jsonl")).unwrap().created().is_ok();
        assert_eq!(copied, [("new".to_string(), false), ("resumed".to_string(), created_known)]);
        let read: Vec<PathBuf> = files.written();
        assert_eq!(read, [files.droid().join("new.settings.json"), files.droid().join("resumed.settings.json")]);
        assert!(read.iter().all(|f| files.is_snapshot(f)));
        assert!(project.join("new.settings.json").exists() && project.join("old.settings.json").exists());
    }

    #[test]
    fn opencode_config_is_extended_not_replaced() {
        let merged = opencode_config_with_telemetry(Some(r#"{"model":"a/b","experimental":{"x":1}}"#)).unwrap();
        let merged: serde_json::Value = serde_json::from_str(&merged).unwrap();
        assert_eq!(merged, serde_json::json!({"model":"a/b","experimental":{"x":1,"openTelemetry":true}}));
        assert_eq!(opencode_config_with_telemetry(None).unwrap(), r#"{"experimental":{"openTelemetry":true}}"#);
        // JSONC with a comment is left to OpenCode as it is.
        assert_eq!(opencode_config_with_telemetry(Some("{ // mine\n }")), None);
    }
}
