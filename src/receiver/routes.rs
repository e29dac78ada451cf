//! Which route a request belongs to and whether it may send there: the route from the
//! path (`/team-a/v1/traces`), `run --route` for requests without one, `--routes-only`,
//! and the bearer tokens (a route's own `--route-token`, else `--auth-token`).

use super::Options;
use crate::model::route::{self, Route};
use crate::model::Signal;
use hyper::header::{HeaderMap, AUTHORIZATION};
use hyper::StatusCode;

/// Why a request is refused before its body is read.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

impl Refusal {
    /// The same refusal as a gRPC status.
    pub fn grpc(&self) -> tonic::Status {
        match self.status {
            StatusCode::UNAUTHORIZED => tonic::Status::unauthenticated(&self.message),
            StatusCode::NOT_FOUND => tonic::Status::not_found(&self.message),
            _ => tonic::Status::invalid_argument(&self.message),
        }
    }
}

/// The signal and route of an OTLP/HTTP path: `None` when it is no OTLP/HTTP path at all
/// (404); a bad route is a 400 naming what is wrong with it.
pub fn signal_of(path: &str) -> Option<(Signal, Result<Option<Route>, Refusal>)> {
    let (route, signal_path) = route::split_path(path)?;
    let signal = match signal_path {
        "/v1/traces" => Signal::Traces,
        "/v1/metrics" => Signal::Metrics,
        _ => Signal::Logs,
    };
    let route = route.map_err(|why| Refusal {
        status: StatusCode::BAD_REQUEST,
        message: format!(
            "{path:?}: {why} (a route is up to {} bytes of letters, digits and -._~ between slashes, before /v1/{})",
            route::MAX_LEN,
            signal.name()
        ),
    });
    Some((signal, route))
}

/// The route a request is taken under (`None`: no route), or why it is refused.
pub fn admit(options: &Options, route: Option<Route>, headers: &HeaderMap) -> Result<Option<Route>, Refusal> {
    let route = route.or_else(|| options.default_route.clone());
    if options.routes_only && route.is_none() {
        return Err(Refusal {
            status: StatusCode::NOT_FOUND,
            message: "this otelcost listener takes only routed requests (--routes-only): send to \
                      /ROUTE/v1/traces, e.g. OTEL_EXPORTER_OTLP_ENDPOINT=http://HOST:PORT/team-a (OTLP/HTTP)"
                .into(),
        });
    }
    let own = route.as_ref().and_then(|r| options.route_tokens.iter().find(|(name, _)| name == r));
    let (token, needed) = match (own, &options.auth_token) {
        (Some((name, token)), _) => (token, format!("route {name:?} needs its own token (--route-token)")),
        (None, Some(token)) => (token, "this otelcost listener needs its --auth-token".to_string()),
        (None, None) => return Ok(route),
    };
    if bearer(headers).is_some_and(|given| constant_time_eq(given.as_bytes(), token.as_bytes())) {
        return Ok(route);
    }
    Err(Refusal {
        status: StatusCode::UNAUTHORIZED,
        message: format!(
            "{needed} as `Authorization: Bearer <token>`; set it with \
             OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>"
        ),
    })
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let given = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, value) = given.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| value.trim())
}

/// Compares without stopping at the first difference, so timing does not reveal the token.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A `--route-token ROUTE=TOKEN`.
pub fn parse_route_token(text: &str) -> Result<(Route, String), String> {
    let (name, token) = text.split_once('=').ok_or_else(|| format!("{text:?}: write ROUTE=TOKEN"))?;
    token_entry(name, token)
}

/// A route and its token, both checked.
fn token_entry(name: &str, token: &str) -> Result<(Route, String), String> {
    let route = route::parse(name.trim().trim_matches('/')).map_err(|e| format!("route {name:?}: {e}"))?;
    if token.trim().is_empty() || token.contains(char::is_whitespace) {
        return Err(format!("route {name:?}: the token must be non-empty and without spaces"));
    }
    Ok((route, token.to_string()))
}

/// A route-token file: `[tokens]` with one `"ROUTE" = "TOKEN"` a line.
pub fn load_route_tokens(path: &std::path::Path) -> Result<Vec<(Route, String)>, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{file}: {e}"))?;
    let source = crate::toml_file::TomlSource { file: &file, text: &text };
    let doc = toml_edit::Document::parse(text.as_str())
        .map_err(|e| format!("{}: not valid TOML: {}", source.line(e.span()), e.message()))?;
    let mut out = Vec::new();
    for (key, item) in doc.iter() {
        let Some(table) = item.as_table().filter(|_| key == "tokens") else {
            return Err(format!("{}: unknown key {key:?}: write a [tokens] table", source.line(item.span())));
        };
        for (name, value) in table.iter() {
            let Some(token) = value.as_str() else {
                return Err(format!("{}: the token of route {name:?} must be a string", source.line(value.span())));
            };
            out.push(token_entry(name, token).map_err(|e| format!("{}: {e}", source.line(value.span())))?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn options(auth: Option<&str>, tokens: &[(&str, &str)], routes_only: bool) -> Options {
        Options {
            http: "127.0.0.1:0".parse().unwrap(),
            grpc: None,
            max_body: 1024,
            auth_token: auth.map(String::from),
            route_tokens: tokens.iter().map(|(r, t)| (Route::from(*r), t.to_string())).collect(),
            routes_only,
            default_route: None,
            max_requests: None,
            max_connections: 16,
            client_timeout: std::time::Duration::from_secs(30),
        }
    }

    fn with(token: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(t) = token {
            h.insert(AUTHORIZATION, HeaderValue::from_str(&format!("Bearer {t}")).unwrap());
        }
        h
    }

    #[test]
    fn a_routes_token_opens_only_that_route() {
        let o = options(Some("admin"), &[("team-a", "ta")], false);
        let a = || Some(Route::from("team-a"));
        assert_eq!(admit(&o, a(), &with(Some("ta"))), Ok(a()));
        assert_eq!(admit(&o, a(), &with(Some("admin"))).unwrap_err().status, StatusCode::UNAUTHORIZED);
        assert_eq!(admit(&o, a(), &with(None)).unwrap_err().status, StatusCode::UNAUTHORIZED);
        assert_eq!(admit(&o, Some("team-b".into()), &with(Some("admin"))), Ok(Some("team-b".into())));
        assert_eq!(admit(&o, None, &with(Some("ta"))).unwrap_err().status, StatusCode::UNAUTHORIZED);
        let open = options(None, &[("team-a", "ta")], false);
        assert_eq!(admit(&open, None, &with(None)), Ok(None));
        assert!(admit(&open, a(), &with(Some("tb"))).is_err());
    }

    #[test]
    fn routes_only_refuses_the_plain_paths_unless_run_gives_a_route() {
        let mut o = options(None, &[], true);
        assert_eq!(admit(&o, None, &with(None)).unwrap_err().status, StatusCode::NOT_FOUND);
        assert_eq!(admit(&o, Some("x".into()), &with(None)), Ok(Some("x".into())));
        o.default_route = Some("ci/7".into());
        assert_eq!(admit(&o, None, &with(None)), Ok(Some("ci/7".into())));
    }

    #[test]
    fn token_files_and_flags() {
        assert_eq!(parse_route_token("/team-a/=t0k").unwrap(), (Route::from("team-a"), "t0k".to_string()));
        assert!(parse_route_token("team-a").is_err() && parse_route_token("a/../b=t").is_err());
        assert!(parse_route_token("team-a=").is_err() && parse_route_token("team-a=a b").is_err());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(&path, "[tokens]\n\"team-a\" = \"ta\"\n\"claude-code/ci-1\" = \"tc\"\n").unwrap();
        let tokens = load_route_tokens(&path).unwrap();
        assert_eq!(tokens[1], (Route::from("claude-code/ci-1"), "tc".to_string()));
        std::fs::write(&path, "[tokens]\n\"team-a\" = \"ta\"\n\"x y\" = \"tc\"\n").unwrap();
        assert!(load_route_tokens(&path).unwrap_err().contains("t.toml:3"), "{:?}", load_route_tokens(&path));
        std::fs::write(&path, "team-a = \"ta\"\n").unwrap();
        assert!(load_route_tokens(&path).unwrap_err().contains("[tokens]"));
    }
}
