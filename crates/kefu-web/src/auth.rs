//! Who is calling: a session cookie on pages, a bearer token on the API. `identify` resolves it
//! once per request into an `Identity` extension; `enforce` applies each route's `Access`.

use crate::WebState;
use crate::access::{RouteDef, Surface};
use crate::error::{error_page, problem};
pub use crate::identity::{Caller, Identity};
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

/// The client address: the socket peer, or — when configured to trust a reverse proxy — the
/// first `X-Forwarded-For` hop.
pub fn client_ip(req: &Request, trust_forwarded_for: bool) -> Option<String> {
    if trust_forwarded_for
        && let Some(xff) = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok())
        && let Some(first) = xff
            .split(',')
            .next()
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.len() < 64)
    {
        return Some(first.to_owned());
    }
    req.extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
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
    let ip = client_ip(&req, state.config.trust_forwarded_for);
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
                        },
                        e,
                    );
                }
            }
        }
    }
    let lang = language(req.headers(), user.as_ref());
    req.extensions_mut().insert(Identity {
        user,
        session,
        ip,
        lang,
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
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") && !n.contains(['\r', '\n']) => {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
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
    fn next_targets_stay_local() {
        assert_eq!(safe_next(Some("/admin/users?x=1")), "/admin/users?x=1");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "javascript:alert(1)",
            "/a\r\nSet-Cookie: x",
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
