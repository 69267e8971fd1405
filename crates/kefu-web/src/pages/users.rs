//! Admin pages for users: list, create, edit (role, name, departments, enabled), set password.

use super::account::field_errors;
use super::{Chrome, DoneQuery, done, fmt_time, render, render_status, time_zone};
use crate::WebState;
use crate::auth::Caller;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kefu_app::AppError;
use kefu_app::accounts::CreateUser;
use kefu_app::model::{Department, User, UserFilter};
use kefu_core::page::{PageRequest, split_page};
use kefu_core::{Language, Role};
use serde::Deserialize;

pub struct UserRow {
    pub user: User,
    pub created: String,
    pub last_login: String,
}

#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub page: Chrome,
    pub rows: Vec<UserRow>,
    pub next_cursor: Option<String>,
    pub can_edit: bool,
    pub role_filter: String,
    pub roles: Vec<Role>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
    role: Option<String>,
    done: Option<String>,
}

pub async fn list(State(state): State<WebState>, caller: Caller, Query(q): Query<ListQuery>) -> Response {
    let id = &caller.identity;
    let page_req = match PageRequest::parse(None, q.cursor.as_deref()) {
        Ok(p) => p,
        Err(e) => return super::error_page(id, e.into()),
    };
    let role = q
        .role
        .as_deref()
        .filter(|r| !r.is_empty())
        .and_then(|r| r.parse::<Role>().ok());
    let users = match state
        .app
        .list_users(
            &caller.actor(),
            UserFilter {
                after: page_req.after,
                limit: page_req.limit + 1,
                role,
            },
        )
        .await
    {
        Ok(u) => u,
        Err(e) => return super::error_page(id, e),
    };
    let (users, next_cursor) = split_page(users, page_req.limit, |u| u.id);
    let tz = time_zone(&state).await;
    let rows = users
        .into_iter()
        .map(|u| UserRow {
            created: fmt_time(u.created_at, &tz),
            last_login: u.last_login_at.map(|t| fmt_time(t, &tz)).unwrap_or_default(),
            user: u,
        })
        .collect();
    render(UsersPage {
        page: Chrome::new(id, "/admin/users", "users.title").with_flash(q.done.as_deref()),
        rows,
        next_cursor,
        can_edit: caller.user.role == Role::Admin,
        role_filter: role.map(|r| r.as_str().to_owned()).unwrap_or_default(),
        roles: Role::ALL.to_vec(),
    })
}

#[derive(Template)]
#[template(path = "user_form.html")]
pub struct UserFormPage {
    pub page: Chrome,
    pub departments: Vec<Department>,
    pub roles: Vec<Role>,
    pub values: NewUserForm,
    pub errors: Vec<(String, String)>,
    pub min_chars: usize,
    pub password_hint: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct NewUserForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub departments: Vec<i64>,
}

impl NewUserForm {
    pub fn has_department(&self, id: &i64) -> bool {
        self.departments.contains(id)
    }
}

async fn form_page(
    state: &WebState,
    caller: &Caller,
    values: NewUserForm,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    let departments = match state.app.list_departments(&caller.actor()).await {
        Ok(d) => d,
        Err(e) => return super::error_page(&caller.identity, e),
    };
    render_status(
        status,
        UserFormPage {
            page: Chrome::new(&caller.identity, "/admin/users", "users.new_title"),
            departments,
            roles: Role::ALL.to_vec(),
            values,
            errors,
            min_chars: state.app.config.password_policy.min_chars,
            password_hint: caller.identity.tr().f(
                "users.password_hint",
                &[("n", &state.app.config.password_policy.min_chars)],
            ),
        },
    )
}

pub async fn new_form(State(state): State<WebState>, caller: Caller) -> Response {
    let values = NewUserForm {
        role: "agent".into(),
        ..Default::default()
    };
    form_page(&state, &caller, values, vec![], StatusCode::OK).await
}

/// Parses a urlencoded body where `departments` may repeat.
fn parse_form(body: &str) -> Result<NewUserForm, String> {
    let mut f = NewUserForm::default();
    for (k, v) in form_urlencoded_pairs(body) {
        match k.as_str() {
            "email" => f.email = v,
            "name" => f.name = v,
            "role" => f.role = v,
            "password" => f.password = v,
            "language" => f.language = v,
            "departments" => f
                .departments
                .push(v.parse().map_err(|_| format!("bad department id {v:?}"))?),
            _ => {}
        }
    }
    Ok(f)
}

pub(crate) fn form_urlencoded_pairs(body: &str) -> Vec<(String, String)> {
    crate::form::pairs(body.as_bytes())
}

pub async fn create(State(state): State<WebState>, caller: Caller, body: String) -> Response {
    let t = caller.identity.tr();
    let values = match parse_form(&body) {
        Ok(v) => v,
        Err(m) => {
            return super::error_page(
                &caller.identity,
                kefu_core::Invalid::one("departments", "invalid", m).into(),
            );
        }
    };
    let role = match values.role.parse::<Role>() {
        Ok(r) => r,
        Err(_) => {
            let errors = vec![("role".to_owned(), t.t("validation.unknown_role").to_owned())];
            return form_page(&state, &caller, values, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let input = CreateUser {
        email: values.email.clone(),
        name: Some(values.name.clone()),
        role,
        password: Some(values.password.clone()).filter(|p| !p.is_empty()),
        language: Language::parse(&values.language),
        departments: values.departments.clone(),
    };
    let (errors, status) = match state.app.create_user(&caller.actor(), input).await {
        Ok(_) => return done("/admin/users", "user_created"),
        Err(AppError::Invalid(i)) => (field_errors(&t, i), StatusCode::UNPROCESSABLE_ENTITY),
        Err(AppError::Conflict(_)) => (
            vec![("email".to_owned(), t.t("users.email_taken").to_owned())],
            StatusCode::CONFLICT,
        ),
        Err(e) => return super::error_page(&caller.identity, e),
    };
    // The form comes back filled in, but for the password.
    let values = NewUserForm {
        password: String::new(),
        ..values
    };
    form_page(&state, &caller, values, errors, status).await
}

#[derive(Template)]
#[template(path = "user_edit.html")]
pub struct UserEditPage {
    pub page: Chrome,
    pub subject: User,
    pub departments: Vec<Department>,
    pub member_of: Vec<i64>,
    pub roles: Vec<Role>,
    pub errors: Vec<(String, String)>,
    pub can_edit: bool,
    pub min_chars: usize,
}

impl UserEditPage {
    pub fn is_member(&self, id: &i64) -> bool {
        self.member_of.contains(id)
    }
}

async fn edit_page(
    state: &WebState,
    caller: &Caller,
    id: i64,
    errors: Vec<(String, String)>,
    status: StatusCode,
    done_code: Option<&str>,
) -> Response {
    let actor = caller.actor();
    let subject = match state.app.get_user(&actor, id).await {
        Ok(u) => u,
        Err(e) => return super::error_page(&caller.identity, e),
    };
    let member_of = match state.app.user_departments(id).await {
        Ok(d) => d.into_iter().map(|d| d.id).collect(),
        Err(e) => return super::error_page(&caller.identity, e),
    };
    let departments = match state.app.list_departments(&actor).await {
        Ok(d) => d,
        Err(e) => return super::error_page(&caller.identity, e),
    };
    render_status(
        status,
        UserEditPage {
            page: Chrome::new(&caller.identity, "/admin/users", "users.edit_title").with_flash(done_code),
            subject,
            departments,
            member_of,
            roles: Role::ALL.to_vec(),
            errors,
            can_edit: caller.user.role == Role::Admin,
            min_chars: state.app.config.password_policy.min_chars,
        },
    )
}

pub async fn edit_form(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Response {
    edit_page(&state, &caller, id, vec![], StatusCode::OK, q.done.as_deref()).await
}

pub async fn update(State(state): State<WebState>, caller: Caller, Path(id): Path<i64>, body: String) -> Response {
    let t = caller.identity.tr();
    let pairs = form_urlencoded_pairs(&body);
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let role = match get("role").map(|r| r.parse::<Role>()) {
        Some(Ok(r)) => Some(r),
        Some(Err(_)) => {
            let errors = vec![("role".to_owned(), t.t("validation.unknown_role").to_owned())];
            return edit_page(&state, &caller, id, errors, StatusCode::UNPROCESSABLE_ENTITY, None).await;
        }
        None => None,
    };
    let departments: Result<Vec<i64>, _> = pairs
        .iter()
        .filter(|(k, _)| k == "departments")
        .map(|(_, v)| v.parse::<i64>())
        .collect();
    let Ok(departments) = departments else {
        return super::error_page(
            &caller.identity,
            kefu_core::Invalid::one("departments", "invalid", "bad department id").into(),
        );
    };
    let disabled = Some(get("disabled").is_some());
    match state
        .app
        .update_user(&caller.actor(), id, get("name"), role, disabled, Some(departments))
        .await
    {
        Ok(_) => done(&format!("/admin/users/{id}"), "user_updated"),
        Err(AppError::Invalid(i)) => {
            let errors = field_errors(&t, i);
            edit_page(&state, &caller, id, errors, StatusCode::UNPROCESSABLE_ENTITY, None).await
        }
        Err(AppError::Refused(m)) => {
            edit_page(
                &state,
                &caller,
                id,
                vec![("form".into(), m)],
                StatusCode::CONFLICT,
                None,
            )
            .await
        }
        Err(e) => super::error_page(&caller.identity, e),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    password: String,
}

pub async fn set_password(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<PasswordForm>,
) -> Response {
    let t = caller.identity.tr();
    match state.app.set_password(&caller.actor(), id, &f.password).await {
        Ok(()) => done(&format!("/admin/users/{id}"), "password_set"),
        Err(AppError::Invalid(i)) => {
            let errors = field_errors(&t, i);
            edit_page(&state, &caller, id, errors, StatusCode::UNPROCESSABLE_ENTITY, None).await
        }
        Err(e) => super::error_page(&caller.identity, e),
    }
}

/// `/admin/users/download?format=csv|xlsx`: every user (no password, no secret), audited.
pub async fn download(
    State(state): State<WebState>,
    caller: Caller,
    Query(q): Query<crate::download::FormatQuery>,
) -> Response {
    let actor = caller.actor();
    let columns = kefu_app::tables::USER_COLUMNS;
    crate::download::records(
        &state,
        &caller,
        q.format.as_deref(),
        "users",
        "",
        columns,
        move |app, after| {
            let actor = actor.clone();
            async move { app.user_table_page(&actor, after).await }
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn repeated_departments() {
        let f =
            super::parse_form("email=a%40b.c&name=%E7%8E%8B+%E8%8A%B3&role=agent&departments=1&departments=3&csrf=x")
                .unwrap();
        assert_eq!(
            (f.email.as_str(), f.name.as_str(), f.departments),
            ("a@b.c", "王 芳", vec![1, 3])
        );
        assert!(super::parse_form("departments=x").is_err());
    }
}
