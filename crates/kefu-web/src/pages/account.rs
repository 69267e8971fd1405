//! The signed-in user's own account: password and language.

use super::{Chrome, DoneQuery, done, render_status};
use crate::WebState;
use crate::auth::Caller;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kefu_app::AppError;
use kefu_core::Language;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub page: Chrome,
    pub errors: Vec<(String, String)>,
    pub language: String,
    pub departments: Vec<String>,
}

async fn page(
    state: &WebState,
    caller: &Caller,
    done_code: Option<&str>,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    let departments = match state.app.user_departments(caller.user.id).await {
        Ok(d) => d.into_iter().map(|d| d.name).collect(),
        Err(e) => return super::error_page(&caller.identity, e),
    };
    render_status(
        status,
        AccountPage {
            page: Chrome::new(&caller.identity, "/account", "account.title").with_flash(done_code),
            errors,
            language: caller.user.language.map(|l| l.code().to_owned()).unwrap_or_default(),
            departments,
        },
    )
}

pub async fn show(State(state): State<WebState>, caller: Caller, Query(q): Query<DoneQuery>) -> Response {
    page(&state, &caller, q.done.as_deref(), vec![], StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

pub async fn change_password(State(state): State<WebState>, caller: Caller, Form(f): Form<PasswordForm>) -> Response {
    let t = caller.identity.tr();
    if f.new_password != f.confirm_password {
        let errors = vec![("confirm_password".to_owned(), t.t("account.mismatch").to_owned())];
        return page(&state, &caller, None, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let keep = caller
        .identity
        .session
        .as_ref()
        .map(|(tok, _)| kefu_app::auth::sha256_hex(tok));
    match state
        .app
        .change_own_password(&caller.user, &f.current_password, &f.new_password, keep.as_deref())
        .await
    {
        Ok(()) => done("/account", "password_changed"),
        Err(AppError::Invalid(i)) => {
            let errors = field_errors(&t, i);
            page(&state, &caller, None, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => super::error_page(&caller.identity, e),
    }
}

/// An invalid input's errors as (field, translated message) pairs for a form.
pub fn field_errors(t: &crate::i18n::Tr, i: kefu_core::Invalid) -> Vec<(String, String)> {
    worded_errors(t, i, &[], |code, detail| field_message(t, code, &detail))
}

/// An invalid input's errors as (field, message) pairs for a form whose page words some codes its
/// own way: `own` pairs such a code with its message key; `other` words every other code from
/// the code and the error's detail.
pub fn worded_errors(
    t: &crate::i18n::Tr,
    i: kefu_core::Invalid,
    own: &[(&str, &str)],
    other: impl Fn(&str, String) -> String,
) -> Vec<(String, String)> {
    i.errors
        .into_iter()
        .map(|e| {
            let msg = match own.iter().find(|(code, _)| *code == e.code) {
                Some((_, key)) => t.t(key).to_owned(),
                None => other(e.code, e.message),
            };
            (e.field, msg)
        })
        .collect()
}

/// A translated message for a validation code (every code of `kefu_core::codes::CODES` has one),
/// or the detail when the code is not one of them.
pub fn field_message(t: &crate::i18n::Tr, code: &str, fallback: &str) -> String {
    if !kefu_core::codes::is_known(code) {
        return fallback.to_owned();
    }
    // The English detail says more (the length wanted, the file's name and size).
    if t.lang == Language::En
        && matches!(
            code,
            "too_short" | "empty_file" | "file_too_large" | "file_type_refused"
        )
    {
        fallback.to_owned()
    } else if matches!(code, "outside_year" | "off_and_on" | "invalid_ics" | "invalid_json") {
        // The detail names the day or the line at fault: the reader needs it in either language.
        match t.lang {
            Language::En => fallback.to_owned(),
            Language::ZhCn => format!("{}（{fallback}）", t.t(&kefu_core::codes::message_key(code))),
        }
    } else {
        t.t(&kefu_core::codes::message_key(code)).to_owned()
    }
}

#[derive(Deserialize)]
pub struct LanguageForm {
    language: String,
}

pub async fn set_language(State(state): State<WebState>, caller: Caller, Form(f): Form<LanguageForm>) -> Response {
    let lang = if f.language.is_empty() {
        None
    } else {
        Language::parse(&f.language)
    };
    match state.app.set_own_language(&caller.user, lang).await {
        Ok(_) => done("/account", "language_saved"),
        Err(e) => super::error_page(&caller.identity, e),
    }
}
