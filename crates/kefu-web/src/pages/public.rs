//! The public complaint / request form (`/complaint`), the private follow page
//! (`/follow/{token}`), and the QR code that opens the form from a touchpoint (`/qr.svg`).
//! The form and follow page need no account: they carry a pre-session CSRF value, and the app
//! applies the honeypot and the per-address rate limit.

use super::account::{field_errors, field_message, worded_errors};
use super::login::{form_csrf, pre_session_csrf, unlisted, with_pre_session_csrf};
use super::{
    BodyForm, Chrome, CustomerMessage, DoneQuery, ErrorPage, customer_messages, done, fmt_time, render_status,
};
use crate::WebState;
use crate::auth::{Identity, cookies_secure};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kefu_app::AppError;
use kefu_app::public::{PublicTicketInput, check_pretags};
use kefu_core::ticket::Kind;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

/// The kinds the public may file.
const PUBLIC_KINDS: &[Kind] = &[
    Kind::Complaint,
    Kind::Request,
    Kind::Inquiry,
    Kind::Suggestion,
    Kind::Praise,
];

/// The form's fields (all optional, so a missing one is a validation error, not a rejection).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ComplaintForm {
    pub name: String,
    pub phone: String,
    pub email: String,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub touchpoint: String,
    pub tag: String,
    pub via: String,
    /// The honeypot: hidden from people.
    pub website: String,
}

#[derive(Template)]
#[template(path = "complaint.html")]
pub struct ComplaintPage {
    pub page: Chrome,
    pub values: ComplaintForm,
    pub errors: Vec<(String, String)>,
    pub kinds: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "complaint_done.html")]
pub struct DonePage {
    pub page: Chrome,
    /// The reference and the follow path; `None` after the honeypot (nothing was filed).
    pub filed: Option<(String, String)>,
}

/// A page shown before sign-in: it carries the pre-session CSRF value (or the session's).
fn public_page(
    state: &WebState,
    id: &Identity,
    headers: &HeaderMap,
    status: StatusCode,
    mut page: Chrome,
    fill: impl FnOnce(Chrome) -> Response,
) -> Response {
    let pre = pre_session_csrf(headers);
    page.csrf = form_csrf(id, &pre);
    let mut r = fill(page);
    *r.status_mut() = status;
    with_pre_session_csrf(r, &pre, cookies_secure(state, headers))
}

fn form_page(
    state: &WebState,
    id: &Identity,
    headers: &HeaderMap,
    values: ComplaintForm,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    let lang = id.lang;
    let chrome = Chrome::new(id, "/complaint", "public.title");
    public_page(state, id, headers, status, chrome, |page| {
        super::render(ComplaintPage {
            page,
            values,
            errors,
            kinds: PUBLIC_KINDS.iter().map(|k| (k.as_str(), k.label(lang))).collect(),
        })
    })
}

/// Validation messages in the page's language.
fn errors_of(id: &Identity, i: kefu_core::Invalid) -> Vec<(String, String)> {
    let t = id.tr();
    let own = [
        ("invalid_phone", "public.invalid_phone"),
        ("contact_required", "public.contact_required"),
        ("closed_for_good", "public.closed_for_good"),
    ];
    worded_errors(&t, i, &own, |code, detail| field_message(&t, code, &detail))
}

fn rate_limited(id: &Identity, retry_after_s: u64) -> Response {
    let t = id.tr();
    let mut r = render_status(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorPage {
            page: Chrome::new(id, "", "error.title"),
            status: 429,
            message: t.f("public.rate_limited", &[("minutes", &retry_after_s.div_ceil(60))]),
        },
    );
    if let Ok(v) = retry_after_s.to_string().parse() {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FormQuery {
    touchpoint: String,
    tag: String,
    via: String,
}

pub async fn form(
    State(state): State<WebState>,
    id: Identity,
    headers: HeaderMap,
    Query(q): Query<FormQuery>,
) -> Response {
    let mut values = ComplaintForm {
        kind: "complaint".into(),
        via: if q.via == "qr" { "qr".into() } else { String::new() },
        ..Default::default()
    };
    match check_pretags(&q.touchpoint, &q.tag) {
        Ok((touchpoint, tags)) => {
            values.touchpoint = touchpoint;
            values.tag = tags.into_iter().next().unwrap_or_default();
            form_page(&state, &id, &headers, values, vec![], StatusCode::OK)
        }
        Err(i) => {
            let errors = field_errors(&id.tr(), i);
            form_page(&state, &id, &headers, values, errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

pub async fn submit(
    State(state): State<WebState>,
    id: Identity,
    headers: HeaderMap,
    Form(f): Form<ComplaintForm>,
) -> Response {
    let input = PublicTicketInput {
        name: f.name.clone(),
        phone: f.phone.clone(),
        email: f.email.clone(),
        kind: f.kind.clone(),
        subject: f.subject.clone(),
        body: f.body.clone(),
        language: Some(id.tr().code().to_owned()),
        touchpoint: f.touchpoint.clone(),
        tag: f.tag.clone(),
        via_qr: f.via == "qr",
        honeypot: f.website.clone(),
    };
    match state.app.file_public_ticket(input, id.ip.as_deref()).await {
        Ok(filed) => {
            let filed = filed.map(|x| (x.view.reference.to_string(), kefu_app::links::follow(&x.follow_token)));
            let mut r = super::render(DonePage {
                page: Chrome::new(&id, "/complaint", "public.done_title"),
                filed,
            });
            r.headers_mut()
                .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            r
        }
        Err(AppError::Invalid(i)) => {
            let errors = errors_of(&id, i);
            form_page(&state, &id, &headers, f, errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(AppError::RateLimited { retry_after_s }) => rate_limited(&id, retry_after_s),
        Err(e) => super::error_page(&id, e),
    }
}

#[derive(Template)]
#[template(path = "follow.html")]
pub struct FollowPage {
    pub page: Chrome,
    pub token: String,
    pub reference: String,
    pub subject: String,
    pub status: &'static str,
    pub messages: Vec<CustomerMessage>,
    pub errors: Vec<(String, String)>,
}

/// The ticket a follow link opens, with its conversation (an unknown or expired link answers
/// the error page).
async fn follow_page(
    state: &WebState,
    id: &Identity,
    headers: &HeaderMap,
    token: String,
    done: Option<&str>,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    let (view, messages) = match state.app.followed_ticket(&token).await {
        Ok(found) => found,
        Err(e) => return super::error_page(id, e),
    };
    let tz = super::time_zone(state).await;
    let chrome = Chrome::new(id, "/follow", "public.follow_title").with_flash(done);
    let status_label = view.ticket.status.label(id.lang);
    let r = public_page(state, id, headers, status, chrome, |page| {
        super::render(FollowPage {
            page,
            token,
            reference: view.reference.to_string(),
            subject: view.ticket.subject.clone(),
            status: status_label,
            messages: customer_messages(messages, &tz),
            errors,
        })
    });
    unlisted(r)
}

pub async fn follow(
    State(state): State<WebState>,
    id: Identity,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    // Counted per address before the token is looked up: a robot trying tokens is stopped.
    if let Err(e) = state
        .app
        .public_rate_limit(kefu_app::public::PublicAction::FollowView, id.ip.as_deref())
        .await
    {
        return super::error_page(&id, e);
    }
    follow_page(&state, &id, &headers, token, q.done.as_deref(), vec![], StatusCode::OK).await
}

pub async fn reply(
    State(state): State<WebState>,
    id: Identity,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<BodyForm>,
) -> Response {
    match state.app.reply_followed_ticket(&token, &f.body, id.ip.as_deref()).await {
        Ok(_) => done(&kefu_app::links::follow(&token), "follow_replied"),
        Err(AppError::Invalid(i)) => {
            let errors = errors_of(&id, i);
            follow_page(
                &state,
                &id,
                &headers,
                token,
                None,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::RateLimited { retry_after_s }) => rate_limited(&id, retry_after_s),
        Err(e) => super::error_page(&id, e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QrQuery {
    touchpoint: String,
    tag: String,
}

/// An SVG QR code of the form's absolute address for a touchpoint (staff print it).
pub async fn qr_svg(id: Identity, headers: HeaderMap, Query(q): Query<QrQuery>) -> Response {
    let (touchpoint, tags) = match check_pretags(&q.touchpoint, &q.tag) {
        Ok(x) => x,
        Err(i) => return super::error_page(&id, AppError::Invalid(i)),
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)))
        .unwrap_or("localhost");
    let scheme = match headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) {
        Some("https") => "https",
        _ => "http",
    };
    let mut url = format!("{scheme}://{host}/complaint?via=qr");
    if !touchpoint.is_empty() {
        url.push_str(&format!(
            "&touchpoint={}",
            utf8_percent_encode(&touchpoint, NON_ALPHANUMERIC)
        ));
    }
    if let Some(tag) = tags.first() {
        url.push_str(&format!("&tag={}", utf8_percent_encode(tag, NON_ALPHANUMERIC)));
    }
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(240, 240)
                .quiet_zone(true)
                .build();
            ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
        }
        Err(e) => super::error_page(&id, AppError::Refused(format!("no QR code: {e}"))),
    }
}

#[derive(Template)]
#[template(path = "incident.html")]
pub struct IncidentPage {
    pub page: Chrome,
    pub reference: String,
    pub subject: String,
    pub status: &'static str,
    /// (when, what was done)
    pub steps: Vec<(String, String)>,
}

/// The shared recovery log of an incident: what happened and every step taken, read-only.
pub async fn incident(State(state): State<WebState>, id: Identity, Path(token): Path<String>) -> Response {
    let (view, steps) = match state.app.shared_incident(&token).await {
        Ok(found) => found,
        Err(e) => return super::error_page(&id, e),
    };
    let tz = super::time_zone(&state).await;
    let mut r = render_status(
        StatusCode::OK,
        IncidentPage {
            page: Chrome::new(&id, "/incident", "public.incident_title"),
            reference: view.reference.to_string(),
            subject: view.ticket.subject.clone(),
            status: view.ticket.status.label(id.lang),
            steps: steps.into_iter().map(|s| (fmt_time(s.at, &tz), s.body)).collect(),
        },
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
    r
}

/// One promise on the public page.
pub struct PromiseView {
    pub title: String,
    pub target_percent: i64,
    /// `87.5 %`, or empty when nothing was decided yet.
    pub share: String,
    pub keeps: Option<bool>,
    pub decided: u64,
}

#[derive(Template)]
#[template(path = "commitments.html")]
pub struct CommitmentsPage {
    pub page: Chrome,
    pub promises: Vec<PromiseView>,
    pub days: i64,
}

/// The published service commitments with how well each was kept over the last 30 days.
pub async fn commitments(State(state): State<WebState>, id: Identity) -> Response {
    let all = match state.app.published_commitments().await {
        Ok(all) => all,
        Err(e) => return super::error_page(&id, e),
    };
    let promises = all
        .iter()
        .map(|(c, a)| PromiseView {
            title: if id.lang == kefu_core::Language::ZhCn {
                c.title_zh.clone()
            } else {
                c.title_en.clone()
            },
            target_percent: c.target_percent,
            share: a.share.map(|s| format!("{:.1} %", s * 100.0)).unwrap_or_default(),
            keeps: a.keeps(u8::try_from(c.target_percent).unwrap_or(100)),
            decided: a.met + a.missed,
        })
        .collect();
    render_status(
        StatusCode::OK,
        CommitmentsPage {
            page: Chrome::new(&id, "/commitments", "public.commitments_title"),
            promises,
            days: kefu_app::commitments::WINDOW_DAYS,
        },
    )
}

#[derive(Template)]
#[template(path = "confirm_requester.html")]
pub struct ConfirmPage {
    pub page: Chrome,
    pub token: String,
    /// After confirming: the reference confirmed.
    pub confirmed: Option<String>,
}

/// The page the confirmation mail links to: a button that confirms (a link a mail scanner opens
/// must not confirm anything by itself).
pub async fn confirm_requester_page(
    State(state): State<WebState>,
    id: Identity,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let chrome = Chrome::new(&id, "/confirm", "public.confirm_title");
    public_page(&state, &id, &headers, StatusCode::OK, chrome, |page| {
        super::render(ConfirmPage {
            page,
            token,
            confirmed: None,
        })
    })
}

/// Confirms the requester behind the mailed link: from now on the follow link shows the
/// staff's replies, and the ticket is the customer's.
pub async fn confirm_requester(
    State(state): State<WebState>,
    id: Identity,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    match state.app.confirm_requester_by_link(&token, id.ip.as_deref()).await {
        Ok(reference) => {
            let chrome = Chrome::new(&id, "/confirm", "public.confirm_title");
            public_page(&state, &id, &headers, StatusCode::OK, chrome, |page| {
                super::render(ConfirmPage {
                    page,
                    token: String::new(),
                    confirmed: Some(reference.to_string()),
                })
            })
        }
        Err(AppError::RateLimited { retry_after_s }) => rate_limited(&id, retry_after_s),
        Err(e) => super::error_page(&id, e),
    }
}
