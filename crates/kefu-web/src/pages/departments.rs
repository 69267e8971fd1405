//! Admin page for departments: list with member counts, create, rename, delete.

use super::{Chrome, DoneQuery, done, render_status};
use crate::WebState;
use crate::auth::Caller;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kefu_app::AppError;
use kefu_app::model::Department;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "departments.html")]
pub struct DepartmentsPage {
    pub page: Chrome,
    pub rows: Vec<(Department, i64)>,
    pub error: Option<String>,
}

async fn page(
    state: &WebState,
    caller: &Caller,
    error: Option<String>,
    status: StatusCode,
    done_code: Option<&str>,
) -> Response {
    let actor = caller.actor();
    let (depts, counts) = match tokio::try_join!(
        state.app.list_departments(&actor),
        state.app.department_member_counts(&actor)
    ) {
        Ok(x) => x,
        Err(e) => return super::error_page(&caller.identity, e),
    };
    let rows = depts
        .into_iter()
        .map(|d| {
            let n = counts.iter().find(|(id, _)| *id == d.id).map(|(_, n)| *n).unwrap_or(0);
            (d, n)
        })
        .collect();
    render_status(
        status,
        DepartmentsPage {
            page: Chrome::new(&caller.identity, "/admin/departments", "departments.title").with_flash(done_code),
            rows,
            error,
        },
    )
}

pub async fn list(State(state): State<WebState>, caller: Caller, Query(q): Query<DoneQuery>) -> Response {
    page(&state, &caller, None, StatusCode::OK, q.done.as_deref()).await
}

#[derive(Deserialize)]
pub struct NameForm {
    name: String,
}

async fn outcome(state: &WebState, caller: &Caller, r: Result<(), AppError>, code: &str) -> Response {
    let t = caller.identity.tr();
    let (message, status) = match r {
        Ok(()) => return done("/admin/departments", code),
        Err(AppError::Invalid(i)) => {
            let msg = i
                .errors
                .first()
                .map(|e| super::account::field_message(&t, e.code, &e.message))
                .unwrap_or_default();
            (msg, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(AppError::Conflict(_)) => (t.t("departments.name_taken").to_owned(), StatusCode::CONFLICT),
        Err(AppError::Refused(_)) => (t.t("departments.default_kept").to_owned(), StatusCode::CONFLICT),
        Err(e) => return super::error_page(&caller.identity, e),
    };
    page(state, caller, Some(message), status, None).await
}

pub async fn create(State(state): State<WebState>, caller: Caller, Form(f): Form<NameForm>) -> Response {
    let r = state.app.create_department(&caller.actor(), &f.name).await.map(|_| ());
    outcome(&state, &caller, r, "department_created").await
}

pub async fn rename(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(f): Form<NameForm>,
) -> Response {
    let r = state
        .app
        .rename_department(&caller.actor(), id, &f.name)
        .await
        .map(|_| ());
    outcome(&state, &caller, r, "department_renamed").await
}

pub async fn delete(State(state): State<WebState>, caller: Caller, Path(id): Path<i64>) -> Response {
    let r = state.app.delete_department(&caller.actor(), id).await;
    outcome(&state, &caller, r, "department_deleted").await
}
