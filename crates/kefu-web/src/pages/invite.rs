//! `/invite/{token}`: a customer (or anyone invited) opens the link an agent sent and chooses a
//! password. The token is used up on success; an unknown, used or expired one shows a plain
//! "not found" so a guessed link learns nothing.

use super::account::field_errors;
use super::login::{pre_session_csrf, with_pre_session_csrf};
use super::{Chrome, done, render_status};
use crate::WebState;
use crate::auth::{Identity, cookies_secure};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kefu_app::AppError;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "invite.html")]
pub struct InvitePage {
    pub page: Chrome,
    pub token: String,
    pub errors: Vec<(String, String)>,
}

fn page(
    state: &WebState,
    id: &Identity,
    headers: &HeaderMap,
    token: String,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    let mut chrome = Chrome::new(id, "/invite", "invite.title");
    let pre = pre_session_csrf(headers);
    chrome.csrf = match &id.session {
        Some((_, csrf)) => csrf.clone(),
        None => pre.clone(),
    };
    let r = render_status(
        status,
        InvitePage {
            page: chrome,
            token,
            errors,
        },
    );
    with_pre_session_csrf(r, &pre, cookies_secure(state, headers))
}

pub async fn show(
    State(state): State<WebState>,
    id: Identity,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    if let Err(e) = state.app.check_invitation(&token).await {
        return super::error_page(&id, e);
    }
    page(&state, &id, &headers, token, vec![], StatusCode::OK)
}

#[derive(Deserialize)]
pub struct InviteForm {
    password: String,
    confirm: String,
}

pub async fn accept(
    State(state): State<WebState>,
    id: Identity,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<InviteForm>,
) -> Response {
    let t = id.tr();
    if f.password != f.confirm {
        let errors = vec![("confirm".to_owned(), t.t("account.mismatch").to_owned())];
        return page(&state, &id, &headers, token, errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    match state.app.accept_invitation(&token, &f.password, id.ip.as_deref()).await {
        Ok(_) => done("/login", "password_chosen"),
        Err(AppError::Invalid(i)) => {
            let errors = field_errors(&t, i);
            page(&state, &id, &headers, token, errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => super::error_page(&id, e),
    }
}
