//! Routes: the part of an OTLP/HTTP path before `/v1/traces` (`/team-a/v1/traces` is route
//! `team-a`), which says who sent the telemetry, and how a `--save` directory keeps it:
//! each route's requests go to a subdirectory `route=<route, / as %2F>`, and a file read
//! from below a directory so named carries that route.
//!
//! A route is one to eight `/`-separated segments, at most 128 bytes in all, each made
//! of letters, digits and `-._~` (RFC 3986's unreserved characters), never `.` or `..`.
//! Percent-encoded octets are decoded first; a decoded character outside that set (a
//! space, `%2F`, non-ASCII) is refused rather than rewritten, so a route is always a
//! safe directory name and two spellings of a path never make two routes. Case is kept.

use std::sync::Arc;

/// The longest route, in bytes.
pub const MAX_LEN: usize = 128;
const MAX_SEGMENTS: usize = 8;
/// The name of a `--save` subdirectory starts with this, then the route.
const DIR_PREFIX: &str = "route=";

/// A route checked by [`parse`]; `Arc` because every call it tags shares it.
pub type Route = Arc<str>;

/// Checks and normalises a route as written in a URL path, without its leading and
/// trailing `/`: percent-decoded, validated.
pub fn parse(text: &str) -> Result<Route, String> {
    if text.is_empty() {
        return Err("the route is empty".into());
    }
    let decoded = percent_decode(text)?;
    if decoded.len() > MAX_LEN {
        return Err(format!("the route is {} bytes long, over the limit of {MAX_LEN}", decoded.len()));
    }
    let segments: Vec<&str> = decoded.split('/').collect();
    if segments.len() > MAX_SEGMENTS {
        return Err(format!("the route has {} segments, over the limit of {MAX_SEGMENTS}", segments.len()));
    }
    for segment in &segments {
        match *segment {
            "" => return Err("the route has an empty segment (`//`, or `/` at an end)".into()),
            "." | ".." => return Err(format!("the route has a {segment:?} segment")),
            _ => {}
        }
        if let Some(c) = segment.chars().find(|&c| !is_allowed(c)) {
            return Err(format!("the route has {c:?}: use letters, digits and -._~ between slashes"));
        }
    }
    Ok(decoded.into())
}

fn is_allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

/// `%XX` octets decoded; a `%` not followed by two hex digits is refused. A decoded `/`
/// is kept as `%2F` so that it fails validation as a character, not as a separator.
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(char::from(bytes[i]));
            i += 1;
            continue;
        }
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        let Some(value) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) else {
            return Err("the route has a `%` that is not followed by two hex digits".into());
        };
        if value == b'/' || !value.is_ascii() {
            return Err(format!("the route has %{:02X}: use letters, digits and -._~ between slashes", value));
        }
        out.push(char::from(value));
        i += 3;
    }
    Ok(out)
}

/// Splits an OTLP/HTTP path into its route and signal path: `/team-a/v1/traces` →
/// (`Some("team-a")`, `/v1/traces`), `/v1/traces` → (`None`, `/v1/traces`). `None` when
/// the path does not end in an OTLP/HTTP signal path at all; `Some(Err)` for a bad route.
pub fn split_path(path: &str) -> Option<(Result<Option<Route>, String>, &'static str)> {
    const SIGNALS: [&str; 3] = ["/v1/traces", "/v1/metrics", "/v1/logs"];
    let signal = SIGNALS.into_iter().find(|s| path.ends_with(s))?;
    let prefix = &path[..path.len() - signal.len()];
    let route = prefix.strip_prefix('/').unwrap_or(prefix);
    if prefix.is_empty() {
        return Some((Ok(None), signal));
    }
    if !prefix.starts_with('/') {
        return None;
    }
    Some((parse(route).map(Some), signal))
}

/// The `--save` subdirectory of a route: `route=team-a`, `route=claude-code%2Fci-1234`.
pub fn dir_name(route: &str) -> String {
    format!("{DIR_PREFIX}{}", route.replace('/', "%2F"))
}

/// The route a file read from `path` carries: that of the nearest directory above it
/// named `route=…` (the path made absolute first, so `report traces.jsonl` inside one
/// works too). `Some(Err)` names a directory so named that is not a valid route.
pub fn of_file(path: &std::path::Path) -> Option<Result<Route, String>> {
    let absolute = std::path::absolute(path).ok()?;
    let dir = absolute.parent()?.ancestors().find_map(|a| a.file_name()?.to_str()?.strip_prefix(DIR_PREFIX))?;
    let text = dir.replace("%2F", "/").replace("%2f", "/");
    Some(parse(&text).map_err(|e| format!("the directory {DIR_PREFIX}{dir} does not name a route ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn routes_are_split_from_signal_paths() {
        let route = |p: &str| split_path(p).map(|(r, s)| (r.map(|r| r.map(|r| r.to_string())), s));
        assert_eq!(route("/v1/traces"), Some((Ok(None), "/v1/traces")));
        assert_eq!(route("/team-a/v1/logs"), Some((Ok(Some("team-a".into())), "/v1/logs")));
        assert_eq!(
            route("/claude-code/ci-1234/v1/metrics"),
            Some((Ok(Some("claude-code/ci-1234".into())), "/v1/metrics"))
        );
        assert_eq!(route("/team%2Da/v1/traces"), Some((Ok(Some("team-a".into())), "/v1/traces")));
        assert_eq!(route("/v1/trace"), None);
        assert_eq!(route("/teamv1/traces"), None);
        for bad in [
            "//v1/traces",
            "/a//b/v1/traces",
            "/../v1/traces",
            "/a/./v1/traces",
            "/a%2Fb/v1/traces",
            "/a%2/v1/traces",
            "/a%20b/v1/traces",
            "/caf%C3%A9/v1/traces",
            "/a:b/v1/traces",
        ] {
            assert!(matches!(route(bad), Some((Err(_), _))), "{bad}: {:?}", route(bad));
        }
        assert!(parse(&"a".repeat(MAX_LEN)).is_ok());
        assert!(parse(&"a".repeat(MAX_LEN + 1)).is_err());
        assert!(parse("a/b/c/d/e/f/g/h").is_ok() && parse("a/b/c/d/e/f/g/h/i").is_err());
    }

    #[test]
    fn save_directories_map_back_to_their_route() {
        for route in ["team-a", "claude-code/ci-1234", "A.b_c~d"] {
            let file = Path::new("/tmp/session").join(dir_name(route)).join("traces.jsonl");
            assert_eq!(of_file(&file).unwrap().unwrap().as_ref(), route);
        }
        assert!(of_file(Path::new("/tmp/session/traces.jsonl")).is_none());
        // The nearest one wins; a file named like one is not a directory.
        assert_eq!(of_file(Path::new("/x/route=a/y/route=b/logs.pb")).unwrap().unwrap().as_ref(), "b");
        assert_eq!(of_file(Path::new("/x/route=a/y/route=b")).unwrap().unwrap().as_ref(), "a");
        assert!(of_file(Path::new("/x/route=../logs.pb")).unwrap().is_err());
    }
}
