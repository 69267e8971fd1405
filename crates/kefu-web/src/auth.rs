//! Who is calling: a session cookie on pages, a bearer token on the API. `identify` resolves it
//! once per request into an `Identity` extension; `enforce` applies each route's `Access`.

use crate::access::{RouteDef, Surface};
use crate::error::{error_page, problem};
pub use crate::identity::{Caller, Identity};
use crate::{WebConfig, WebState};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use kefu_app::AppError;
use kefu_app::model::User;
use kefu_core::Language;

pub const SESSION_COOKIE: &str = "kefu_session";
pub const LANG_COOKIE: &str = "kefu_lang";
pub const PRE_CSRF_COOKIE: &str = "kefu_csrf";

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The client address: the socket peer, or — when configured to trust reverse proxies — the address
/// the farthest trusted one saw (see [`forwarded_client`]).
pub fn client_ip(req: &Request, config: &WebConfig) -> Option<String> {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if config.trust_forwarded_for {
        let chain = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        if let Some(ip) = forwarded_client(chain, config.forwarded_hops) {
            return Some(ip.to_string());
        }
    }
    peer.map(|ip| ip.to_string())
}

/// The client behind `hops` trusted proxies, from the `X-Forwarded-For` headers (in order): each
/// proxy appends the address it was reached from, so the entry `hops` places from the right is the
/// one the farthest trusted proxy appended. Everything left of it was written by the client and is
/// never believed. `None` (use the socket peer) when that entry is missing or not an address.
pub fn forwarded_client<'a>(headers: impl Iterator<Item = &'a str>, hops: u32) -> Option<std::net::IpAddr> {
    let entries: Vec<&str> = headers.flat_map(|h| h.split(',')).map(str::trim).collect();
    let hops = usize::try_from(hops.max(1)).ok()?;
    let entry = entries.len().checked_sub(hops).map(|i| entries[i])?;
    entry.parse().ok()
}

/// The language of a request: the switch's cookie, else the user's choice, else Accept-Language, else English.
pub fn language(headers: &HeaderMap, user: Option<&User>) -> Language {
    cookie(headers, LANG_COOKIE)
        .and_then(Language::parse)
        .or(user.and_then(|u| u.language))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Language::negotiate)
        })
        .unwrap_or_default()
}

pub async fn identify(State(state): State<WebState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let ip = client_ip(&req, &state.config);
    let mut user = None;
    let mut session = None;
    if path.starts_with("/api/v1/") {
        if let Some(h) = req.headers().get(header::AUTHORIZATION) {
            let token = h.to_str().ok().and_then(|s| s.strip_prefix("Bearer ")).map(str::trim);
            match token {
                Some(t) => match state.app.authenticate_token(t).await {
                    Ok(u) => user = Some(u),
                    Err(AppError::BadCredentials) => {
                        return problem(
                            StatusCode::UNAUTHORIZED,
                            "unauthorized",
                            Some("the API token is not valid".into()),
                            vec![],
                        );
                    }
                    Err(e) => return crate::error::ApiError(e).into_response(),
                },
                None => {
                    return problem(
                        StatusCode::UNAUTHORIZED,
                        "unauthorized",
                        Some("use Authorization: Bearer <token>".into()),
                        vec![],
                    );
                }
            }
        }
    } else if !path.starts_with("/assets/")
        && path != "/healthz"
        && path != "/metrics"
        && path != "/readyz"
        && let Some(tok) = cookie(req.headers(), SESSION_COOKIE).map(str::to_owned)
    {
        {
            match state.app.session(&tok).await {
                Ok((s, u)) => {
                    session = Some((tok, s.csrf_secret));
                    user = Some(u);
                }
                Err(AppError::NotFound) => {}
                Err(e) => {
                    tracing::error!(error = %e, "session lookup failed");
                    return error_page(
                        &Identity {
                            user: None,
                            session: None,
                            ip,
                            lang: language(req.headers(), None),
                            calendar_gaps: vec![],
                        },
                        e,
                    );
                }
            }
        }
    }
    let lang = language(req.headers(), user.as_ref());
    // A page for someone who sets service standards: warn when a calendar runs out.
    let calendar_gaps = match (&session, &user) {
        (Some(_), Some(u)) if u.role.is_in(kefu_core::roles::MANAGERS) => {
            state.app.calendar_gaps().await.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "calendar coverage not checked");
                vec![]
            })
        }
        _ => vec![],
    };
    req.extensions_mut().insert(Identity {
        user,
        session,
        ip,
        lang,
        calendar_gaps,
    });
    next.run(req).await
}

pub async fn enforce(def: RouteDef, req: Request, next: Next) -> Response {
    let id = req.extensions().get::<Identity>().cloned();
    let role = id.as_ref().and_then(|i| i.user.as_ref()).map(|u| u.role);
    if def.access.allows(role) {
        return next.run(req).await;
    }
    let signed_in = role.is_some();
    match def.surface {
        Surface::Api | Surface::Ops if !signed_in => problem(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            Some("use Authorization: Bearer <token>".into()),
            vec![],
        ),
        Surface::Api | Surface::Ops => problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            Some("not allowed for your role".into()),
            vec![],
        ),
        Surface::Page if !signed_in => {
            let next_path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let target = if req.method() == axum::http::Method::GET && next_path != "/" {
                format!("/login?next={}", urlencode(next_path))
            } else {
                "/login".to_owned()
            };
            Redirect::to(&target).into_response()
        }
        Surface::Page => {
            let id = id.unwrap_or(Identity {
                user: None,
                session: None,
                ip: None,
                lang: Language::En,
                calendar_gaps: vec![],
            });
            error_page(&id, AppError::Forbidden)
        }
    }
}

pub fn urlencode(s: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    // RFC 3986's unreserved characters and the path separator stay as they are.
    const KEEP: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    utf8_percent_encode(s, KEEP).to_string()
}

/// A local redirect target from a `next` parameter: only paths on this site, never `//host`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => n.to_owned(),
        _ => "/".to_owned(),
    }
}

/// A path on this site and nothing else, as it is and once more percent-decoded: it starts with `/`,
/// its second character is neither `/` nor `\` (which browsers read as another host), and it has
/// no backslash and no control character (browsers drop tabs and line breaks, so `/\t/evil.example`
/// would become `//evil.example`).
fn is_local_path(n: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(n).decode_utf8_lossy();
    [n, decoded.as_ref()].iter().all(|p| {
        let mut chars = p.chars();
        chars.next() == Some('/')
            && !matches!(chars.next(), Some('/' | '\\'))
            && !p.chars().any(|c| c == '\\' || c.is_control())
    })
}

/// A `Set-Cookie` value with the house attributes.
pub fn set_cookie(name: &str, value: &str, max_age_s: Option<i64>, secure: bool, http_only: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; SameSite=Lax");
    if let Some(a) = max_age_s {
        c.push_str(&format!("; Max-Age={a}"));
    }
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// Whether cookies get `Secure`: as configured, else unless the page was served over http to a loopback host.
pub fn cookies_secure(state: &WebState, headers: &HeaderMap) -> bool {
    if let Some(s) = state.config.cookie_secure {
        return s;
    }
    let proto_https = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https");
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let hostname = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
    let loopback = matches!(hostname, "localhost" | "127.0.0.1" | "[::1]");
    proto_https || !loopback
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_entry_the_nearest_trusted_proxy_appended() {
        let ip = |h: &[&str], hops| forwarded_client(h.iter().copied(), hops).map(|a| a.to_string());
        // The client wrote the first entry itself; the proxy appended the real address.
        assert_eq!(ip(&["6.6.6.6, 203.0.113.7"], 1).as_deref(), Some("203.0.113.7"));
        assert_eq!(
            ip(&["6.6.6.6", "203.0.113.7"], 1).as_deref(),
            Some("203.0.113.7"),
            "two headers"
        );
        assert_eq!(
            ip(&["6.6.6.6, 203.0.113.7, 10.0.0.2"], 2).as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(ip(&["2001:db8::1"], 1).as_deref(), Some("2001:db8::1"));
        assert_eq!(
            ip(&["203.0.113.7"], 0).as_deref(),
            Some("203.0.113.7"),
            "0 hops is read as 1"
        );
        assert_eq!(
            ip(&["203.0.113.7"], 2),
            None,
            "fewer entries than proxies: the socket peer"
        );
        assert_eq!(ip(&["6.6.6.6, not-an-address"], 1), None);
        assert_eq!(ip(&[], 1), None);
    }

    #[test]
    fn next_targets_stay_local() {
        assert_eq!(safe_next(Some("/admin/users?x=1")), "/admin/users?x=1");
        assert_eq!(safe_next(Some("/")), "/");
        assert_eq!(safe_next(Some("/tickets/7#reply")), "/tickets/7#reply");
        assert_eq!(safe_next(Some("/customers?q=%E7%8E%8B")), "/customers?q=%E7%8E%8B");
        // Known bypasses of "starts with one slash": each would leave the site in some browser.
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "javascript:alert(1)",
            "/a\r\nSet-Cookie: x",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "\t//evil.example",
            " //evil.example",
            "/%09/evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%5c%5cevil.example",
            "/\\/evil.example",
            "/x\\..\\..\\evil",
            "/\u{0}/evil.example",
            "/\u{7f}/evil.example",
            "/\u{85}/evil.example",
            "%2F%2Fevil.example",
            "evil.example",
            "",
            "///evil.example",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn cookies_parse() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; kefu_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "zzz"), None);
    }

    #[test]
    fn language_precedence() {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9".parse().unwrap());
        assert_eq!(language(&h, None), Language::ZhCn);
        h.insert(header::COOKIE, "kefu_lang=en".parse().unwrap());
        assert_eq!(language(&h, None), Language::En);
    }
}
