//! Failed sign-ins, on both databases: they slow down the address that makes
//! them, growing with each failure and answered at once; they never lock the account itself, so
//! its owner signs in from elsewhere; an unknown account is answered exactly like a known one; and
//! the owner is mailed (through a real SMTP peer) when the slowing starts.

mod common;

use kefu_app::accounts::CreateUser;
use kefu_app::notify::MailOut;
use kefu_app::{Actor, App, AppConfig, AppError};
use kefu_core::Role;
use kefu_core::account::ThrottleRule;
use kefu_mail::sink::Sink;
use kefu_mail::{InboundLimits, parse_inbound};
use kefu_store::Store;
use std::sync::Arc;

const RIGHT: &str = "correct horse battery";

fn app(store: Arc<dyn Store>, sink: &Sink) -> App {
    App::new(
        store,
        AppConfig {
            mail_out: Some(
                MailOut::new(&sink.url(), "客服 <support@kefu.example>", Some("https://kefu.example")).unwrap(),
            ),
            login_throttle: ThrottleRule {
                free_failures: 3,
                first_delay_ms: 60_000,
                max_delay_ms: 15 * 60_000,
            },
            login_attempts_per_minute: 1000,
            ..AppConfig::default()
        },
    )
}

/// The seconds to wait, when refused for that.
fn wait(r: Result<kefu_app::auth::LoginOutcome, AppError>) -> Result<u64, String> {
    match r {
        Err(AppError::RateLimited { retry_after_s }) => Ok(retry_after_s),
        Err(e) => Err(e.to_string()),
        Ok(_) => Err("signed in".into()),
    }
}

async fn scenario(store: Arc<dyn Store>) {
    let sink = Sink::start();
    let app = app(store, &sink);
    let owner = app
        .create_user(
            &Actor::Cli,
            CreateUser {
                email: "admin@kefu.example".into(),
                name: Some("管理员".into()),
                role: Role::Admin,
                password: Some(RIGHT.into()),
                language: Some(kefu_core::Language::ZhCn),
                departments: vec![],
            },
        )
        .await
        .unwrap();
    let attacker = Some("198.51.100.66");
    let login = |email: &'static str, pw: &'static str, ip: Option<&'static str>| {
        let app = app.clone();
        async move { app.login(email, pw, ip, None).await }
    };

    // Three free failures, answered as bad credentials, for a known and an unknown account alike.
    for email in ["admin@kefu.example", "nobody@kefu.example"] {
        for _ in 0..3 {
            assert!(matches!(
                login(email, "wrong wrong wrong", attacker).await,
                Err(AppError::BadCredentials)
            ));
        }
        // Now the attacker's address waits a minute for that account, even with the right password.
        let first = wait(login(email, RIGHT, attacker).await).unwrap();
        assert!((55..=60).contains(&first), "{email}: {first}");
    }

    // The owner, elsewhere, signs in: nothing locks the account itself.
    let signed = app.login("admin@kefu.example", RIGHT, Some("203.0.113.7"), None).await;
    assert!(signed.is_ok(), "{:?}", signed.err());
    let user = app.store().get_user(owner.id).await.unwrap();
    assert!(user.locked_until.is_none());

    // The owner was told, once, in their language.
    assert_eq!(common::run_jobs(&app, 10).await, 1);
    assert_eq!(sink.filed(), 1, "the unknown account mails nobody");
    let (raw, envelope) = sink.message(1);
    assert!(envelope.contains("admin@kefu.example"), "{envelope}");
    let m = parse_inbound(&raw, &InboundLimits::default()).unwrap();
    assert!(m.subject.contains("登录失败"), "{}", m.subject);
    assert!(
        m.text.contains("198.51.100.66") && m.text.contains("3 次"),
        "{}",
        m.text
    );

    // The delays grow: once the wait is over (as if a minute had passed), another failure
    // doubles it.
    let pair = "pair:admin@kefu.example|198.51.100.66";
    app.store().block_login(pair, 0).await.unwrap();
    assert!(matches!(
        login("admin@kefu.example", "still wrong", attacker).await,
        Err(AppError::BadCredentials)
    ));
    let second = wait(login("admin@kefu.example", RIGHT, attacker).await).unwrap();
    assert!((115..=120).contains(&second), "{second}");
    assert_eq!(
        common::run_jobs(&app, 10).await,
        0,
        "the owner is told once an hour at most"
    );
}

#[tokio::test]
async fn sign_in_failures_on_sqlite() {
    let db = common::TestDb::sqlite(2).await;
    scenario(db.store.clone()).await;
}

#[tokio::test]
async fn sign_in_failures_on_postgres() {
    let db = common::TestDb::postgres(4).await;
    scenario(db.store.clone()).await;
    db.finish().await;
}
