//! Login, logout and the language switch.

use super::{Chrome, render, render_status};
use crate::WebState;
use crate::auth::{
    Identity, LANG_COOKIE, PRE_CSRF_COOKIE, SESSION_COOKIE, cookie, cookies_secure, safe_next, set_cookie,
};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kefu_app::AppError;
use kefu_app::auth::random_secret;
use kefu_core::Language;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub page: Chrome,
    pub next: String,
    pub email: String,
    pub error: Option<String>,
    pub insecure_cookie_warning: bool,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    done: Option<String>,
}

pub async fn show(
    State(state): State<WebState>,
    id: Identity,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    if id.user.is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    let secure = cookies_secure(&state, &headers);
    let mut page = Chrome::new(&id, "/login", "login.title").with_flash(q.done.as_deref());
    let pre = pre_session_csrf(&headers);
    page.csrf = pre.clone();
    let plain_http = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) != Some("https");
    let r = render(LoginPage {
        page,
        next: safe_next(q.next.as_deref()),
        email: String::new(),
        error: None,
        insecure_cookie_warning: secure && plain_http && state.config.cookie_secure.is_none(),
    });
    with_pre_session_csrf(r, &pre, secure)
}

/// The pre-session CSRF value (double submit) for a form shown before sign-in: the browser's,
/// or a new one.
pub(crate) fn pre_session_csrf(headers: &HeaderMap) -> String {
    cookie(headers, PRE_CSRF_COOKIE)
        .filter(|c| c.len() >= 20 && c.len() < 100)
        .map(str::to_owned)
        .unwrap_or_else(random_secret)
}

/// The CSRF value a public form carries: the session's when the browser is signed in, else the
/// pre-session value `pre`.
pub(crate) fn form_csrf(id: &Identity, pre: &str) -> String {
    match &id.session {
        Some((_, csrf)) => csrf.clone(),
        None => pre.to_owned(),
    }
}

/// A page whose address is itself the secret (a follow link, a survey link): never cached, and
/// never sent on as the referrer.
pub(crate) fn unlisted(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    r
}

/// Sets the pre-session CSRF cookie on a page's response.
pub(crate) fn with_pre_session_csrf(mut r: Response, pre: &str, secure: bool) -> Response {
    if let Ok(v) = HeaderValue::from_str(&set_cookie(PRE_CSRF_COOKIE, pre, Some(3600), secure, true)) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn submit(
    State(state): State<WebState>,
    id: Identity,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let t = id.tr();
    let ua = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    match state.app.login(&f.email, &f.password, id.ip.as_deref(), ua).await {
        Ok(out) => {
            let secure = cookies_secure(&state, &headers);
            let mut r = Redirect::to(&safe_next(f.next.as_deref())).into_response();
            let max_age = state.app.config.session_absolute_ms / 1000;
            for c in [
                set_cookie(SESSION_COOKIE, &out.session_token, Some(max_age), secure, true),
                set_cookie(PRE_CSRF_COOKIE, "", Some(0), secure, true),
            ] {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    r.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            r
        }
        Err(e) => {
            let (status, message) = match &e {
                AppError::BadCredentials => (StatusCode::UNAUTHORIZED, t.t("login.bad_credentials").to_owned()),
                AppError::Disabled => (StatusCode::UNAUTHORIZED, t.t("login.disabled").to_owned()),
                AppError::RateLimited { retry_after_s } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    t.f("login.rate_limited", &[("seconds", retry_after_s)]),
                ),
                _ => return super::error_page(&id, e),
            };
            let mut page = Chrome::new(&id, "/login", "login.title");
            page.csrf = cookie(&headers, PRE_CSRF_COOKIE).unwrap_or_default().to_owned();
            let retry_after = match &e {
                AppError::RateLimited { retry_after_s } => HeaderValue::from_str(&retry_after_s.to_string()).ok(),
                _ => None,
            };
            let mut res = render_status(
                status,
                LoginPage {
                    page,
                    next: safe_next(f.next.as_deref()),
                    email: f.email,
                    error: Some(message),
                    insecure_cookie_warning: false,
                },
            );
            if let Some(v) = retry_after {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
    }
}

pub async fn logout(State(state): State<WebState>, id: Identity, headers: HeaderMap) -> Response {
    if let Some((tok, _)) = &id.session
        && let Err(e) = state.app.logout(tok).await
    {
        return super::error_page(&id, e);
    }
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&set_cookie(
        SESSION_COOKIE,
        "",
        Some(0),
        cookies_secure(&state, &headers),
        true,
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(Deserialize)]
pub struct LangForm {
    to: String,
    next: Option<String>,
}

/// Switches the language for this browser (a cookie); a signed-in user's choice is also saved.
pub async fn switch_language(
    State(state): State<WebState>,
    id: Identity,
    headers: HeaderMap,
    Form(f): Form<LangForm>,
) -> Response {
    let Some(lang) = Language::parse(&f.to) else {
        return super::error_page(
            &id,
            kefu_core::Invalid::one("to", "unknown_language", "unknown language").into(),
        );
    };
    if let Some(u) = &id.user
        && let Err(e) = state.app.set_own_language(u, Some(lang)).await
    {
        return super::error_page(&id, e);
    }
    let mut r = Redirect::to(&safe_next(f.next.as_deref())).into_response();
    if let Ok(v) = HeaderValue::from_str(&set_cookie(
        LANG_COOKIE,
        lang.code(),
        Some(365 * 86400),
        cookies_secure(&state, &headers),
        false,
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}
