//! Departments, users and their departments, and the organisation settings.

use crate::portable::{Backend, Run, Values, db_err, rows};
use crate::{Db, DbStore};

#[async_trait::async_trait]
impl kefu_store::Accounts for DbStore {
    #[tracing::instrument(skip_all)]
    async fn create_department(&self, name: &str, now: i64) -> kefu_store::StoreResult<kefu_store::Department> {
        sqlx::query(
            "INSERT INTO departments (name, is_default, created_at, updated_at) VALUES ($1, FALSE, $2, $2) \
                RETURNING id, name, is_default, created_at, updated_at",
        )
        .bind(name)
        .bind(now)
        .one(self.writer(), rows::department)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn list_departments(&self) -> kefu_store::StoreResult<Vec<kefu_store::Department>> {
        sqlx::query(
            "SELECT id, name, is_default, created_at, updated_at FROM departments ORDER BY is_default DESC, name, id",
        )
        .all(self.reader(), rows::department)
        .await
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn get_department(&self, id: i64) -> kefu_store::StoreResult<kefu_store::Department> {
        sqlx::query("SELECT id, name, is_default, created_at, updated_at FROM departments WHERE id = $1")
            .bind(id)
            .one(self.reader(), rows::department)
            .await
    }
    #[tracing::instrument(skip_all)]
    async fn rename_department(
        &self,
        id: i64,
        name: &str,
        now: i64,
    ) -> kefu_store::StoreResult<kefu_store::Department> {
        sqlx::query(
            "UPDATE departments SET name = $2, updated_at = $3 WHERE id = $1 \
                RETURNING id, name, is_default, created_at, updated_at",
        )
        .bind(id)
        .bind(name)
        .bind(now)
        .one(self.writer(), rows::department)
        .await
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn delete_department(&self, id: i64) -> kefu_store::StoreResult<()> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let is_default: bool = sqlx::query_scalar("SELECT is_default FROM departments WHERE id = $1")
            .bind(id)
            .value(&mut *tx)
            .await?;
        if is_default {
            return Err(kefu_store::StoreError::Refused(
                "the default department cannot be deleted".into(),
            ));
        }
        // Members left without any department fall back to the default one.
        sqlx::query(
            "INSERT INTO user_departments (user_id, department_id) SELECT ud.user_id, (SELECT id FROM departments \
                WHERE is_default = TRUE) FROM user_departments ud WHERE ud.department_id = $1 \
                AND NOT EXISTS (SELECT 1 FROM user_departments o WHERE o.user_id = ud.user_id \
                AND o.department_id <> $1)",
        )
        .bind(id)
        .run(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM user_departments WHERE department_id = $1")
            .bind(id)
            .run(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM departments WHERE id = $1")
            .bind(id)
            .run(&mut *tx)
            .await?;
        tx.commit().await.map_err(db_err)
    }
    #[tracing::instrument(skip_all)]
    async fn default_department(&self) -> kefu_store::StoreResult<kefu_store::Department> {
        let row =
            sqlx::query("SELECT id, name, is_default, created_at, updated_at FROM departments WHERE is_default = TRUE")
                .fetch_one(self.reader())
                .await
                .map_err(db_err)?;
        rows::department(&row)
    }
    #[tracing::instrument(skip_all)]
    async fn department_member_counts(&self) -> kefu_store::StoreResult<Vec<(i64, i64)>> {
        sqlx::query_as("SELECT department_id, COUNT(*) FROM user_departments GROUP BY department_id")
            .values(self.reader())
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn create_user(&self, u: kefu_store::NewUser) -> kefu_store::StoreResult<kefu_store::User> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let user = Self::insert_user_in(&mut tx, &u).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(user)
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn get_user(&self, id: i64) -> kefu_store::StoreResult<kefu_store::User> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM users u WHERE u.id = $1",
            rows::USER_COLS
        )))
        .bind(id)
        .one(self.reader(), rows::user)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn get_user_by_email(&self, email: &str) -> kefu_store::StoreResult<kefu_store::User> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM users u WHERE u.email = $1",
            rows::USER_COLS
        )))
        .bind(email)
        .one(self.reader(), rows::user)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn list_users(&self, f: kefu_store::UserFilter) -> kefu_store::StoreResult<Vec<kefu_store::User>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM users u WHERE u.id > $1 AND ($2 IS NULL OR u.role = $2) ORDER BY u.id LIMIT $3",
            rows::USER_COLS
        )))
        .bind(f.after)
        .bind(f.role.map(|r| r.as_str()))
        .bind(i64::from(f.limit))
        .all(self.reader(), rows::user)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn count_users(&self) -> kefu_store::StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .value(self.reader())
            .await
    }
    #[tracing::instrument(skip_all)]
    async fn update_user(
        &self,
        id: i64,
        p: kefu_store::UserPatch,
        now: i64,
    ) -> kefu_store::StoreResult<kefu_store::User> {
        let set_language = p.language.is_some();
        let language = p.language.flatten().map(|l| l.code());
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE users SET name = COALESCE($2, name), role = COALESCE($3, role), language = CASE WHEN $4 THEN $5 \
                ELSE language END, password_hash = COALESCE($6, password_hash), disabled = COALESCE($7, \
                disabled), failed_logins = CASE WHEN $6 IS NULL THEN failed_logins \
                ELSE 0 END, locked_until = CASE WHEN $6 IS NULL THEN locked_until ELSE NULL END, updated_at = $8 \
                WHERE id = $1 RETURNING {}",
            rows::USER_COLS_BARE
        )))
        .bind(id)
        .bind(p.name)
        .bind(p.role.map(|r| r.as_str()))
        .bind(set_language)
        .bind(language)
        .bind(p.password_hash)
        .bind(p.disabled)
        .bind(now)
        .one(self.writer(), rows::user)
        .await
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn set_user_departments(&self, id: i64, departments: &[i64]) -> kefu_store::StoreResult<()> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        sqlx::query("SELECT id FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM user_departments WHERE user_id = $1")
            .bind(id)
            .run(&mut *tx)
            .await?;
        for d in departments {
            sqlx::query("INSERT INTO user_departments (user_id, department_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id)
                .bind(*d)
                .run(&mut *tx)
                .await?;
        }
        tx.commit().await.map_err(db_err)
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn user_departments(&self, id: i64) -> kefu_store::StoreResult<Vec<kefu_store::Department>> {
        sqlx::query(
            "SELECT d.id, d.name, d.is_default, d.created_at, d.updated_at FROM departments d \
                JOIN user_departments ud ON ud.department_id = d.id WHERE ud.user_id = $1 \
                ORDER BY d.is_default DESC, d.name",
        )
        .bind(id)
        .all(self.reader(), rows::department)
        .await
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn record_login_failure(&self, id: i64, lock_until: Option<i64>) -> kefu_store::StoreResult<u32> {
        let n: i64 = sqlx::query_scalar(
            "UPDATE users SET failed_logins = failed_logins + 1, locked_until = COALESCE($2, locked_until) \
                WHERE id = $1 RETURNING failed_logins",
        )
        .bind(id)
        .bind(lock_until)
        .value(self.writer())
        .await?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn record_login_success(&self, id: i64, now: i64) -> kefu_store::StoreResult<()> {
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .run(self.writer())
            .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl kefu_store::Settings for DbStore {
    #[tracing::instrument(skip_all)]
    async fn get_setting(&self, key: &str) -> kefu_store::StoreResult<Option<serde_json::Value>> {
        let v: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .value_if_any(self.reader())
            .await?;
        v.map(|s| serde_json::from_str(&s).map_err(|e| kefu_store::StoreError::Data(e.to_string())))
            .transpose()
    }
    #[tracing::instrument(skip_all)]
    async fn set_setting(&self, key: &str, value: &serde_json::Value, now: i64) -> kefu_store::StoreResult<()> {
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE \
                SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value.to_string())
        .bind(now)
        .run(self.writer())
        .await?;
        Ok(())
    }
}

impl DbStore {
    /// Inserts a user and its departments (the default one when none and the role has one).
    pub(crate) async fn insert_user_in(
        tx: &mut sqlx::Transaction<'_, Db>,
        u: &kefu_store::NewUser,
    ) -> kefu_store::StoreResult<kefu_store::User> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, name, role, language, password_hash, disabled, failed_logins, created_at, \
                updated_at) VALUES ($1, $2, $3, $4, $5, FALSE, 0, $6, $6) RETURNING id",
        )
        .bind(&u.email)
        .bind(&u.name)
        .bind(u.role.as_str())
        .bind(u.language.map(|l| l.code()))
        .bind(&u.password_hash)
        .bind(u.now)
        .value(&mut **tx)
        .await?;
        let mut departments = u.departments.clone();
        if departments.is_empty() && u.role.belongs_to_departments() {
            departments.push(
                sqlx::query_scalar("SELECT id FROM departments WHERE is_default = TRUE")
                    .value(&mut **tx)
                    .await?,
            );
        }
        for d in departments {
            sqlx::query("INSERT INTO user_departments (user_id, department_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id)
                .bind(d)
                .run(&mut **tx)
                .await?;
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM users u WHERE u.id = $1",
            rows::USER_COLS
        )))
        .bind(id)
        .one(&mut **tx, rows::user)
        .await
    }
}
