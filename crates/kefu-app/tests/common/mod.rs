//! What kefu-app's tests share: a fresh migrated database on either backend (a PostgreSQL one is
//! dropped when the test is done with it), apps over it, an actor per role, and the job loop.
//! Each test binary uses a part of this, hence `dead_code` is allowed here.
#![allow(dead_code)]

use kefu_app::testing::{postgres, sqlite, store::NewUser, store::Store};
use kefu_app::{Actor, App, AppConfig};
use kefu_core::Role;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;

/// A fresh, migrated database for one test, with a scratch directory beside it.
pub struct TestDb {
    pub store: Arc<dyn Store>,
    /// The database's URL: a second pool on the same database (a second node) opens it again.
    pub url: String,
    /// Holds the SQLite file, and whatever else a test writes (attachments, backups).
    dir: tempfile::TempDir,
    /// The PostgreSQL database to drop afterwards.
    postgres: Option<String>,
}

impl TestDb {
    /// A SQLite database in a new temporary directory, its pool `connections` wide.
    pub async fn sqlite(connections: u32) -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("k.db").display());
        let store: Arc<dyn Store> = Arc::new(sqlite::SqliteStore::open(&url, connections).await.unwrap());
        store.migrate().await.unwrap();
        TestDb {
            store,
            url,
            dir,
            postgres: None,
        }
    }

    /// A new PostgreSQL database on the local server, its pool `connections` wide.
    pub async fn postgres(connections: u32) -> TestDb {
        let (url, name) = postgres::testing::create_database().await;
        let store = open_postgres(&url, connections).await;
        TestDb {
            store,
            url,
            dir: tempfile::tempdir().unwrap(),
            postgres: Some(name),
        }
    }

    /// An app over this database with `config`.
    pub fn app(&self, config: AppConfig) -> App {
        App::new(self.store.clone(), config)
    }

    /// The scratch directory (the SQLite file is in it too).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Closes the pool and drops a PostgreSQL database.
    pub async fn finish(self) {
        self.store.close().await;
        if let Some(name) = &self.postgres {
            postgres::testing::drop_database(name).await;
        }
    }
}

/// Another pool on an existing PostgreSQL database (migrated: migrating again changes nothing).
pub async fn open_postgres(url: &str, connections: u32) -> Arc<dyn Store> {
    let store: Arc<dyn Store> = Arc::new(postgres::PostgresStore::open(url, connections).await.unwrap());
    store.migrate().await.unwrap();
    store
}

/// An app with the default configuration on a fresh SQLite database, and the database (keep it:
/// dropping it removes the file).
pub async fn sqlite_app() -> (App, TestDb) {
    let db = TestDb::sqlite(2).await;
    (db.app(AppConfig::default()), db)
}

/// Runs a test body on an app with the default configuration over a fresh SQLite database.
pub async fn on_sqlite<F: Future<Output = ()>>(connections: u32, body: impl FnOnce(App) -> F) {
    let db = TestDb::sqlite(connections).await;
    body(db.app(AppConfig::default())).await;
    db.finish().await;
}

/// Runs a test body on an app with the default configuration over a fresh PostgreSQL database,
/// dropped afterwards.
pub async fn on_postgres<F: Future<Output = ()>>(connections: u32, body: impl FnOnce(App) -> F) {
    let db = TestDb::postgres(connections).await;
    body(db.app(AppConfig::default())).await;
    db.finish().await;
}

/// A new staff user of `role`, with no password or department.
pub async fn staff(app: &App, email: &str, name: &str, role: Role) -> kefu_store::User {
    app.store()
        .create_user(NewUser {
            email: email.into(),
            name: name.into(),
            role,
            language: None,
            password_hash: None,
            departments: vec![],
            now: 0,
        })
        .await
        .unwrap()
}

/// A new end customer named `name`, made from the command line.
pub async fn end_customer(app: &App, name: &str) -> kefu_store::Customer {
    let input = kefu_app::customers::CustomerInput {
        name: name.into(),
        kind: "end".into(),
        ..Default::default()
    };
    app.create_customer(&Actor::Cli, input).await.unwrap()
}

/// A new staff user of `role` (named after it, `<role>@example.com`), as an actor.
pub async fn actor(app: &App, role: Role) -> Actor {
    let user = staff(app, &format!("{role}@example.com"), &role.to_string(), role).await;
    Actor::User { user, ip: None }
}

/// Runs every due job with the standard registry; the number run. More than `most` means a job
/// keeps enqueueing another.
pub async fn run_jobs(app: &App, most: usize) -> usize {
    let reg = kefu_app::jobs::JobRegistry::standard();
    let opts = kefu_app::jobs::WorkerOptions::new("test".into());
    let mut n = 0;
    while app.run_one_job(&reg, &opts).await.unwrap() {
        n += 1;
        assert!(n < most, "jobs keep coming");
    }
    n
}

/// The demo's day of an instant (its time zone is Asia/Shanghai).
pub fn day(at: jiff::Timestamp) -> jiff::civil::Date {
    at.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).date()
}

/// The day an SLA target's outcome settled, and whether it was met; `None` while unsettled
/// (`swept`: the sweep has marked its breach).
pub fn settled(t: &kefu_core::sla::TargetStatus, swept: bool) -> Option<(jiff::civil::Date, bool)> {
    use kefu_core::sla::{ClockPhase, SlaState};
    match t.state {
        SlaState::Met => Some((day(t.stopped_at?), true)),
        SlaState::Breached if t.phase == ClockPhase::Stopped || swept => Some((day(t.due_at?), false)),
        _ => None,
    }
}

/// Every ticket of the database (at most 1,000) with its SLA replayed, and the breaches the
/// sweep has logged, `(ticket, "<metric>#1:breach")`: what the facts tests compute against.
pub async fn tickets_and_sweeps(
    app: &App,
) -> (
    Vec<kefu_app::tickets::TicketView>,
    std::collections::HashSet<(i64, String)>,
) {
    let tickets = app
        .store()
        .list_tickets(&kefu_store::TicketFilter {
            limit: 1_000,
            ..Default::default()
        })
        .await
        .unwrap();
    let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
    let swept = app
        .store()
        .escalations_of_tickets(&ids)
        .await
        .unwrap()
        .into_iter()
        .collect();
    (app.view_tickets(tickets).await.unwrap(), swept)
}

/// Answers a CSAT, NPS or CES survey with `score` through a new link for `customer_id` (about
/// `ticket_id`), at the app's clock.
#[allow(dead_code)]
pub async fn answer_by_link(app: &App, survey_id: i64, customer_id: i64, ticket_id: Option<i64>, score: u8) {
    let token = kefu_app::auth::random_secret();
    app.store()
        .create_survey_links(&[kefu_app::testing::store::NewSurveyLink {
            survey_id,
            token_hash: kefu_app::auth::sha256_hex(&token),
            customer_id: Some(customer_id),
            contact_id: None,
            ticket_id,
            language: "zh-CN".into(),
            expires_at: app.now() + 86_400_000,
            now: app.now(),
            campaign_id: None,
            user_id: None,
        }])
        .await
        .unwrap();
    let a = kefu_app::surveys::Answers {
        score: Some(score),
        ..Default::default()
    };
    app.answer_survey(&token, a, "", true).await.unwrap();
}
