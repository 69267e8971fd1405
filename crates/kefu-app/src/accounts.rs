//! Users and departments: creating, changing, disabling; passwords; the admin's audit trail.

use crate::auth::{hash_password, verify_password};
use crate::{Actor, App, AppError, AppResult};
use kefu_core::account::display_name;
use kefu_core::{Email, Invalid, Language, Role};
use kefu_store::{Department, NewUser, User, UserFilter, UserPatch};
use serde_json::json;
use std::sync::Arc;

/// What creating a user takes (from a form, the API or the CLI).
#[derive(Debug, Clone)]
pub struct CreateUser {
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    pub password: Option<String>,
    pub language: Option<Language>,
    pub departments: Vec<i64>,
}

/// The figures an admin's home page shows.
#[derive(Debug, Clone, Copy)]
pub struct AdminFigures {
    pub users: i64,
    pub departments: i64,
}

impl App {
    /// Every id names an existing department, or the input is invalid.
    async fn check_departments(&self, ids: &[i64]) -> AppResult<()> {
        for d in ids {
            if let Err(e) = self.store.get_department(*d).await {
                return Err(match AppError::from(e) {
                    AppError::NotFound => Invalid::one(
                        "departments",
                        "unknown_department",
                        format!("no department with id {d}"),
                    )
                    .into(),
                    other => other,
                });
            }
        }
        Ok(())
    }

    pub async fn create_user(&self, actor: &Actor, input: CreateUser) -> AppResult<User> {
        actor.require_admin()?;
        let email = Email::parse(&input.email)?;
        let name = match input.name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(n) => display_name(n, "name")?,
            None => email.as_str().split('@').next().unwrap_or_default().to_owned(),
        };
        let password_hash = match &input.password {
            Some(p) => {
                self.config.password_policy.check(p)?;
                Some(hash_password(p).await?)
            }
            None => None,
        };
        self.check_departments(&input.departments).await?;
        let user = self
            .store
            .create_user(NewUser {
                email: email.to_string(),
                name,
                role: input.role,
                language: input.language,
                password_hash,
                departments: input.departments,
                now: self.now(),
            })
            .await
            .map_err(crate::error::conflict_says(format!(
                "a user with e-mail {email} exists already"
            )))?;
        self.audit(
            actor,
            "user.create",
            format!("user:{}", user.id),
            json!({"email": user.email, "role": user.role}),
        )
        .await?;
        *self.assignee_cache.write().await = None;
        self.emit_user_created(&user).await;
        Ok(user)
    }

    pub async fn list_users(&self, actor: &Actor, filter: UserFilter) -> AppResult<Vec<User>> {
        if !actor.role().may_read_users() {
            return Err(AppError::Forbidden);
        }
        Ok(self.store.list_users(filter).await?)
    }

    /// Whom a ticket may be assigned to: the enabled staff who work the desk, `(id, name)` by
    /// name. Desk staff read it (they pick an assignee on the ticket page); no e-mail or role.
    /// Kept for a few seconds (a change of users here empties it at once).
    pub async fn assignees(&self, actor: &Actor) -> AppResult<Arc<Vec<(i64, String)>>> {
        actor.require(kefu_core::roles::DESK)?;
        if let Some(kept) = crate::tickets::fresh(&self.assignee_cache).await {
            return Ok(kept);
        }
        let mut out = Vec::new();
        // By role: the customers' portal accounts (thousands) are users too.
        for role in [Role::Admin, Role::Manager, Role::Agent] {
            let mut after = 0;
            loop {
                let page = self
                    .store
                    .list_users(UserFilter {
                        after,
                        limit: 500,
                        role: Some(role),
                    })
                    .await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                let done = page.len() < 500;
                out.extend(page.into_iter().filter(|u| !u.disabled).map(|u| (u.id, u.name)));
                if done {
                    break;
                }
            }
        }
        out.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        let out = Arc::new(out);
        *self.assignee_cache.write().await = Some((std::time::Instant::now(), out.clone()));
        Ok(out)
    }

    /// A user as an admin or manager sees it; others may only see themselves.
    pub async fn get_user(&self, actor: &Actor, id: i64) -> AppResult<User> {
        if !actor.role().may_read_users() && actor.user_id() != Some(id) {
            return Err(AppError::NotFound);
        }
        Ok(self.store.get_user(id).await?)
    }

    pub async fn find_user_by_email(&self, email: &str) -> AppResult<User> {
        let email = Email::parse(email)?;
        Ok(self.store.get_user_by_email(email.as_str()).await?)
    }

    /// Changes a user's name, role, language, enabled state and departments (admin only).
    pub async fn update_user(
        &self,
        actor: &Actor,
        id: i64,
        name: Option<String>,
        role: Option<Role>,
        disabled: Option<bool>,
        departments: Option<Vec<i64>>,
    ) -> AppResult<User> {
        actor.require_admin()?;
        let before = self.store.get_user(id).await?;
        if actor.user_id() == Some(id) && (disabled == Some(true) || role.is_some_and(|r| r != Role::Admin)) {
            return Err(AppError::Refused(
                "you cannot disable yourself or take away your own admin role".into(),
            ));
        }
        let name = name.map(|n| display_name(&n, "name")).transpose()?;
        if let Some(ds) = &departments {
            self.check_departments(ds).await?;
        }
        let user = self
            .store
            .update_user(
                id,
                UserPatch {
                    name,
                    role,
                    disabled,
                    ..Default::default()
                },
                self.now(),
            )
            .await?;
        if let Some(ds) = &departments {
            self.store.set_user_departments(id, ds).await?;
        }
        *self.assignee_cache.write().await = None;
        if disabled == Some(true) {
            self.store.delete_user_sessions(id, None).await?;
        }
        self.audit(
            actor,
            "user.update",
            format!("user:{id}"),
            json!({"email": user.email, "role": [before.role, user.role], "disabled": [before.disabled, user.disabled], "name": [before.name, user.name], "departments": departments}),
        )
        .await?;
        Ok(user)
    }

    pub async fn disable_user(&self, actor: &Actor, id: i64) -> AppResult<User> {
        self.update_user(actor, id, None, None, Some(true), None).await
    }

    /// An admin sets someone's password; every session of that user ends.
    pub async fn set_password(&self, actor: &Actor, id: i64, password: &str) -> AppResult<()> {
        actor.require_admin()?;
        self.config.password_policy.check(password)?;
        let hash = hash_password(password).await?;
        let user = self
            .store
            .update_user(
                id,
                UserPatch {
                    password_hash: Some(hash),
                    ..Default::default()
                },
                self.now(),
            )
            .await?;
        self.store.delete_user_sessions(id, None).await?;
        self.audit(
            actor,
            "user.set_password",
            format!("user:{id}"),
            json!({"email": user.email}),
        )
        .await
    }

    /// A user changes their own password, proving the current one; their other sessions end.
    pub async fn change_own_password(
        &self,
        user: &User,
        current: &str,
        new: &str,
        keep_session: Option<&str>,
    ) -> AppResult<()> {
        let fresh = self.store.get_user(user.id).await?;
        let ok = match fresh.password_hash.as_deref() {
            Some(h) => verify_password(current, h).await,
            None => false,
        };
        if !ok {
            return Err(Invalid::one("current_password", "wrong_password", "the current password is wrong").into());
        }
        self.config.password_policy.check(new).map_err(|mut e| {
            e.errors.iter_mut().for_each(|f| f.field = "new_password".into());
            e
        })?;
        let hash = hash_password(new).await?;
        self.store
            .update_user(
                user.id,
                UserPatch {
                    password_hash: Some(hash),
                    ..Default::default()
                },
                self.now(),
            )
            .await?;
        self.store.delete_user_sessions(user.id, keep_session).await?;
        Ok(())
    }

    pub async fn set_own_language(&self, user: &User, language: Option<Language>) -> AppResult<User> {
        Ok(self
            .store
            .update_user(
                user.id,
                UserPatch {
                    language: Some(language),
                    ..Default::default()
                },
                self.now(),
            )
            .await?)
    }

    pub async fn user_departments(&self, id: i64) -> AppResult<Vec<Department>> {
        Ok(self.store.user_departments(id).await?)
    }

    pub async fn list_departments(&self, actor: &Actor) -> AppResult<Vec<Department>> {
        if !actor.role().is_staff() {
            return Err(AppError::Forbidden);
        }
        Ok(self.store.list_departments().await?)
    }

    /// How many users belong to each department, by department id (those who may list them).
    pub async fn department_member_counts(&self, actor: &Actor) -> AppResult<Vec<(i64, i64)>> {
        if !actor.role().is_staff() {
            return Err(AppError::Forbidden);
        }
        Ok(self.store.department_member_counts().await?)
    }

    /// What an admin's home page counts: users and departments.
    pub async fn admin_figures(&self, actor: &Actor) -> AppResult<AdminFigures> {
        actor.require_admin()?;
        let (users, departments) = tokio::try_join!(self.store.count_users(), self.store.list_departments())?;
        Ok(AdminFigures {
            users,
            departments: departments.len() as i64,
        })
    }

    pub async fn create_department(&self, actor: &Actor, name: &str) -> AppResult<Department> {
        actor.require_admin()?;
        let name = display_name(name, "name")?;
        let d = self
            .store
            .create_department(&name, self.now())
            .await
            .map_err(crate::error::conflict_says(format!(
                "a department named {name} exists already"
            )))?;
        self.audit(
            actor,
            "department.create",
            format!("department:{}", d.id),
            json!({"name": d.name}),
        )
        .await?;
        Ok(d)
    }

    pub async fn rename_department(&self, actor: &Actor, id: i64, name: &str) -> AppResult<Department> {
        actor.require_admin()?;
        let name = display_name(name, "name")?;
        let before = self.store.get_department(id).await?;
        let d = self
            .store
            .rename_department(id, &name, self.now())
            .await
            .map_err(crate::error::conflict_says(format!(
                "a department named {name} exists already"
            )))?;
        self.audit(
            actor,
            "department.rename",
            format!("department:{id}"),
            json!({"name": [before.name, d.name]}),
        )
        .await?;
        Ok(d)
    }

    pub async fn delete_department(&self, actor: &Actor, id: i64) -> AppResult<()> {
        actor.require_admin()?;
        let d = self.store.get_department(id).await?;
        self.store.delete_department(id).await?;
        self.forget_desk().await;
        self.audit(
            actor,
            "department.delete",
            format!("department:{id}"),
            json!({"name": d.name}),
        )
        .await
    }
}
