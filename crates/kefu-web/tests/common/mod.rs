//! A kefu router on a fresh database of either kind, with a user and a session per role.

#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, header};
use http_body_util::BodyExt;
use kefu_app::testing::store::{NewSession, NewUser, Store, User};
use kefu_app::{App, AppConfig};
use kefu_core::Role;
use std::sync::Arc;
use tower::ServiceExt;

pub struct Harness {
    pub app: App,
    pub router: Router,
    pub users: Vec<(Role, User)>,
    pg_database: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("kefu.db").display());
    let store: Arc<dyn Store> = Arc::new(kefu_app::testing::sqlite::SqliteStore::open(&url, 4).await.unwrap());
    build(store, Some(dir), None).await
}

pub async fn postgres() -> Harness {
    let (url, name) = kefu_app::testing::postgres::testing::create_database().await;
    let store: Arc<dyn Store> = Arc::new(kefu_app::testing::postgres::PostgresStore::open(&url, 8).await.unwrap());
    build(store, None, Some(name)).await
}

/// The password of every user the harness makes.
pub const PASSWORD: &str = "correct horse battery";

/// An app on a migrated store, with a login limit no test reaches.
pub async fn app_on(store: Arc<dyn Store>) -> App {
    store.migrate().await.unwrap();
    App::new(
        store,
        AppConfig {
            login_attempts_per_minute: 1000,
            ..AppConfig::default()
        },
    )
}

/// A user row with no password, language or departments, made at time 0; a test sets what else it needs.
pub fn new_user(email: impl Into<String>, name: impl Into<String>, role: Role) -> NewUser {
    NewUser {
        email: email.into(),
        name: name.into(),
        role,
        language: None,
        password_hash: None,
        departments: vec![],
        now: 0,
    }
}

/// The router as the tests serve it: cookies over plain HTTP, a 64 KiB body limit, no proxy in front.
pub fn router(app: App) -> Router {
    kefu_web::router(
        app,
        kefu_web::WebConfig {
            cookie_secure: Some(false),
            body_limit: 64 * 1024,
            trust_forwarded_for: false,
            forwarded_hops: 1,
            ..Default::default()
        },
    )
}

async fn build(store: Arc<dyn Store>, dir: Option<tempfile::TempDir>, pg: Option<String>) -> Harness {
    let app = app_on(store).await;
    let mut users = vec![];
    for role in Role::ALL {
        let u = app
            .store()
            .create_user(NewUser {
                password_hash: Some(kefu_app::auth::hash_password(PASSWORD).await.unwrap()),
                now: app.now(),
                ..new_user(
                    format!("{}@example.com", role.as_str()),
                    format!("{} 用户", role.as_str()),
                    role,
                )
            })
            .await
            .unwrap();
        users.push((role, u));
    }
    let router = router(app.clone());
    Harness {
        app,
        router,
        users,
        pg_database: pg,
        _dir: dir,
    }
}

impl Harness {
    /// The same database and users, with an app (and a router over it) that reads the time from
    /// `clock`. The original keeps owning the database: finish that one, not this.
    pub fn with_clock(&self, clock: Arc<dyn kefu_app::clock::Clock>) -> Harness {
        let app = self.app.clone().with_clock(clock);
        Harness {
            router: router(app.clone()),
            app,
            users: self.users.clone(),
            pg_database: None,
            _dir: None,
        }
    }

    /// Every row of every kefu table but those in `except` (a table, or a `table.column`), by
    /// table: compared before and after a refused request, it shows that nothing changed. (Page tests leave out `sessions`: a
    /// session's last-seen mark moves on any request, refused or not, once a minute.)
    pub async fn rows_except(
        &self,
        except: &[&str],
    ) -> std::collections::BTreeMap<String, Vec<Vec<serde_json::Value>>> {
        let dump = self.app.store().dump().await.unwrap();
        dump.tables
            .into_iter()
            .filter(|t| !except.contains(&t.name.as_str()))
            .map(|mut t| {
                // `table.column` in `except` leaves that one column out.
                let masked: Vec<usize> = (t.columns.iter().enumerate())
                    .filter(|(_, c)| except.contains(&format!("{}.{c}", t.name).as_str()))
                    .map(|(i, _)| i)
                    .collect();
                for row in &mut t.rows {
                    for &i in &masked {
                        row[i] = serde_json::Value::Null;
                    }
                }
                (t.name, t.rows)
            })
            .collect()
    }

    /// Fails naming the first table whose rows differ between two [`Harness::rows_except`] reads.
    pub fn assert_unchanged(
        before: &std::collections::BTreeMap<String, Vec<Vec<serde_json::Value>>>,
        after: &std::collections::BTreeMap<String, Vec<Vec<serde_json::Value>>>,
        what: &str,
    ) {
        for (table, rows) in before {
            assert_eq!(
                Some(rows),
                after.get(table),
                "{what}: table {table} changed ({} rows before, {} after)",
                rows.len(),
                after.get(table).map_or(0, Vec::len)
            );
        }
    }

    pub fn user(&self, role: Role) -> &User {
        &self.users.iter().find(|(r, _)| *r == role).unwrap().1
    }

    /// A fresh browser session for a role: (cookie header, csrf secret).
    pub async fn session(&self, role: Role) -> (String, String) {
        self.session_of(self.user(role).id).await
    }

    /// A fresh browser session for any user: (cookie header, csrf secret).
    pub async fn session_of(&self, user_id: i64) -> (String, String) {
        let token = kefu_app::auth::random_secret();
        let csrf = kefu_app::auth::random_secret();
        let now = self.app.now();
        self.app
            .store()
            .create_session(NewSession {
                token_hash: kefu_app::auth::sha256_hex(&token),
                user_id,
                csrf_secret: csrf.clone(),
                ip: None,
                user_agent: None,
                created_at: now,
                expires_at: now + 3_600_000,
            })
            .await
            .unwrap();
        (format!("kefu_session={token}"), csrf)
    }

    pub async fn token(&self, role: Role) -> String {
        let (_, plain) = self
            .app
            .create_token(&kefu_app::Actor::Cli, self.user(role).id, "test")
            .await
            .unwrap();
        plain
    }

    pub async fn send(&self, req: Request<Body>) -> (Response<()>, String) {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (
            Response::from_parts(parts, ()),
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    pub async fn get_page(&self, path: &str, cookie: &str) -> (Response<()>, String) {
        self.send(
            Request::get(path)
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    pub async fn post_form(&self, path: &str, cookie: &str, body: String) -> (Response<()>, String) {
        self.send(
            Request::post(path)
                .header(header::COOKIE, cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (Response<()>, String) {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if body.is_some() {
            b = b.header(header::CONTENT_TYPE, "application/json");
        }
        self.send(
            b.body(body.map(|s| Body::from(s.to_owned())).unwrap_or_default())
                .unwrap(),
        )
        .await
    }

    pub async fn finish(mut self) {
        self.app.store().close().await;
        if let Some(name) = self.pg_database.take() {
            kefu_app::testing::postgres::testing::drop_database(&name).await;
        }
    }
}

pub fn enc(s: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    // RFC 3986's unreserved characters stay as they are.
    const KEEP: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    utf8_percent_encode(s, KEEP).to_string()
}

/// Runs a test body on SQLite and on PostgreSQL. (`crate::` is the test crate using it.)
#[macro_export]
#[allow(clippy::crate_in_macro_def)]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let h = crate::common::sqlite().await;
                    crate::$name(&h).await;
                    h.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let h = crate::common::postgres().await;
                    crate::$name(&h).await;
                    h.finish().await;
                }
            )*
        }
    };
}

impl Harness {
    /// A portal account for `contact`, made by the staff member holding `staff_token`, and an API
    /// token of it: (user id, token).
    pub async fn portal_user(&self, staff_token: &str, contact: i64) -> (i64, String) {
        let (res, text) = self
            .api(
                "POST",
                &format!("/api/v1/contacts/{contact}/portal-account"),
                Some(staff_token),
                Some(r#"{"password":"a long enough password"}"#),
            )
            .await;
        assert_eq!(res.status(), axum::http::StatusCode::CREATED, "{text}");
        let user: serde_json::Value = serde_json::from_str(&text).unwrap();
        let user = user["user_id"].as_i64().unwrap();
        let (_, token) = self.app.create_token(&kefu_app::Actor::Cli, user, "t").await.unwrap();
        (user, token)
    }
}

impl Harness {
    /// A new end customer named `name`, made through the API by the holder of `token`: its id.
    pub async fn end_customer(&self, token: &str, name: &str) -> i64 {
        let body = serde_json::json!({"name": name, "kind": "end"}).to_string();
        let (res, text) = self.api("POST", "/api/v1/customers", Some(token), Some(&body)).await;
        assert_eq!(res.status(), axum::http::StatusCode::CREATED, "{text}");
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["id"]
            .as_i64()
            .unwrap()
    }

    /// A ticket filed through the API by the holder of `token`: the answer's JSON.
    pub async fn file_ticket(&self, token: &str, body: serde_json::Value) -> serde_json::Value {
        let (res, text) = self
            .api("POST", "/api/v1/tickets", Some(token), Some(&body.to_string()))
            .await;
        assert_eq!(res.status(), axum::http::StatusCode::CREATED, "{text}");
        serde_json::from_str(&text).unwrap()
    }
}
