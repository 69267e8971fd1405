//! Jobs across nodes and webhooks against a real receiver.

mod common;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use kefu_app::jobs::{JobRegistry, Periodic, WorkerOptions};
use kefu_app::{Actor, App, AppConfig};
use kefu_store::JobStatus;
use sha2::Sha256;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn pg_node(url: &str) -> App {
    let store = common::open_postgres(url, 6).await;
    App::new(
        store,
        AppConfig {
            job_retry_base_ms: 50,
            ..AppConfig::default()
        },
    )
}

/// Two nodes (two pools on one PostgreSQL database), each with a worker: every job runs once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_postgres_run_each_job_exactly_once() {
    let db = common::TestDb::postgres(1).await;
    let (a, b) = (pg_node(&db.url).await, pg_node(&db.url).await);
    let n = 300;
    for i in 0..n {
        a.enqueue("count", serde_json::json!({"i": i})).await.unwrap();
    }
    let runs: Arc<Mutex<Vec<(String, i64)>>> = Arc::default();
    let make_registry = |node: &'static str| {
        let runs = runs.clone();
        let mut r = JobRegistry::default();
        r.register("count", move |_app, job| {
            let runs = runs.clone();
            Box::pin(async move {
                tokio::task::yield_now().await;
                runs.lock()
                    .unwrap()
                    .push((node.to_owned(), job.payload["i"].as_i64().unwrap()));
                Ok(())
            })
        });
        r
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut opts_a = WorkerOptions::new("node-a".into());
    opts_a.idle_poll = Duration::from_millis(20);
    let mut opts_b = WorkerOptions::new("node-b".into());
    opts_b.idle_poll = Duration::from_millis(20);
    let wa = tokio::spawn({
        let (a, r, rx) = (a.clone(), make_registry("a"), stop_rx.clone());
        async move { a.run_worker(r, opts_a, rx).await }
    });
    let wb = tokio::spawn({
        let (b, r, rx) = (b.clone(), make_registry("b"), stop_rx.clone());
        async move { b.run_worker(r, opts_b, rx).await }
    });
    // Wait until the queue is drained (bounded: 60 s).
    for _ in 0..600 {
        let counts: HashMap<_, _> = a.store().job_counts().await.unwrap().into_iter().collect();
        if counts.get(&JobStatus::Done).copied().unwrap_or(0) == n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop_tx.send(true).unwrap();
    wa.await.unwrap();
    wb.await.unwrap();
    let runs = runs.lock().unwrap().clone();
    let distinct: HashSet<i64> = runs.iter().map(|(_, i)| *i).collect();
    assert_eq!(runs.len(), n as usize, "every job ran, and none twice");
    assert_eq!(distinct.len(), n as usize);
    let by_a = runs.iter().filter(|(node, _)| node == "a").count();
    assert!(
        by_a > 0 && by_a < n as usize,
        "both nodes took work (a ran {by_a} of {n})"
    );

    // The scheduler on both nodes enqueues each tick once.
    let schedule = vec![Periodic {
        name: "test-tick",
        kind: "count",
        period_ms: 3_600_000,
    }];
    let (mut la, mut lb) = (HashMap::new(), HashMap::new());
    let (ea, eb) = tokio::join!(a.schedule_due(&schedule, &mut la), b.schedule_due(&schedule, &mut lb));
    assert_eq!(ea.unwrap() + eb.unwrap(), 1);
    a.store().close().await;
    b.store().close().await;
    db.finish().await;
}

#[derive(Default)]
struct Received {
    bodies: Vec<(HeaderMap, Bytes)>,
}

/// A real HTTP receiver on loopback: fails the first delivery with 500, accepts the next.
async fn receiver() -> (String, Arc<Mutex<Received>>) {
    let got: Arc<Mutex<Received>> = Arc::default();
    let g = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let g = g.clone();
            async move {
                let mut r = g.lock().unwrap();
                r.bodies.push((headers, body));
                if r.bodies.len() == 1 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), got)
}

/// An app for webhook tests: fast retries, and private addresses allowed (the receiver is on loopback).
fn hook_app(db: &common::TestDb) -> App {
    db.app(AppConfig {
        job_retry_base_ms: 50,
        webhook_allow_private: true,
        ..AppConfig::default()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_is_signed_retried_and_logged_on_sqlite() {
    let db = common::TestDb::sqlite(2).await;
    webhook_is_signed_retried_and_logged(hook_app(&db)).await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_is_signed_retried_and_logged_on_postgres() {
    let db = common::TestDb::postgres(2).await;
    webhook_is_signed_retried_and_logged(hook_app(&db)).await;
    db.finish().await;
}

async fn webhook_is_signed_retried_and_logged(app: App) {
    let (hook_url, got) = receiver().await;
    let w = app
        .create_webhook(&Actor::Cli, &hook_url, vec!["user.created".into()], "test")
        .await
        .unwrap();
    app.create_webhook(&Actor::Cli, &hook_url, vec!["ticket.created".into()], "other event")
        .await
        .unwrap();
    assert_eq!(
        app.emit("user.created", serde_json::json!({"id": 7, "name": "王芳"}))
            .await
            .unwrap(),
        1,
        "only the subscribed endpoint"
    );

    let reg = JobRegistry::standard();
    let opts = WorkerOptions::new("t".into());
    assert!(app.run_one_job(&reg, &opts).await.unwrap());
    let job = app
        .store()
        .list_jobs(None, 10)
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.kind == "webhook.deliver")
        .unwrap();
    assert_eq!(
        (job.status, job.attempts),
        (JobStatus::Queued, 1),
        "failed once, queued for a retry"
    );
    assert!(job.last_error.unwrap().contains("500"));
    // The retry waits for its backoff (50 ms here), then succeeds.
    let mut ran = false;
    for _ in 0..100 {
        if app.run_one_job(&reg, &opts).await.unwrap() {
            ran = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ran);
    assert_eq!(app.store().get_job(job.id).await.unwrap().status, JobStatus::Done);

    let (_, deliveries) = app.webhook_deliveries(&Actor::Cli, w.id).await.unwrap();
    let codes: Vec<_> = deliveries.iter().map(|d| (d.attempt, d.status_code)).collect();
    assert_eq!(
        codes,
        vec![(2, Some(204)), (1, Some(500))],
        "the log keeps every attempt, newest first"
    );

    let r = got.lock().unwrap();
    assert_eq!(r.bodies.len(), 2);
    let (headers, body) = &r.bodies[1];
    assert_eq!(headers["x-kefu-event"], "user.created");
    let sig = headers["x-kefu-signature"].to_str().unwrap();
    let (t, v1) = sig.split_once(',').unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(w.secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    assert_eq!(
        v1.strip_prefix("v1=").unwrap(),
        hex::encode(mac.finalize().into_bytes()),
        "a receiver can verify the signature"
    );
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(
        (v["event"].as_str(), v["data"]["name"].as_str()),
        (Some("user.created"), Some("王芳"))
    );
}

/// Webhooks go to the internet only, unless the operator allows private addresses: refused on
/// create with 422 naming `url`, and at delivery on the address connected to (an endpoint saved
/// while they were allowed, a name that resolves to this machine). Nothing reaches the receiver.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_to_private_addresses_are_refused_on_create_and_at_delivery() {
    let db = common::TestDb::sqlite(2).await;
    let (hook_url, got) = receiver().await;
    let port = hook_url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let guarded = db.app(AppConfig {
        job_retry_base_ms: 10,
        job_max_attempts: 1,
        ..AppConfig::default()
    });
    let before = guarded.store().list_webhooks().await.unwrap().len();
    for url in [
        hook_url.clone(),
        format!("http://localhost:{port}/hook"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[::ffff:127.0.0.1]/".to_owned(),
    ] {
        let e = guarded
            .create_webhook(&Actor::Cli, &url, vec!["ping".into()], "")
            .await
            .unwrap_err();
        let kefu_app::AppError::Invalid(inv) = e else {
            panic!("{url}: {e:?}")
        };
        assert_eq!(inv.errors[0].field, "url", "{url}");
        assert_eq!(inv.errors[0].code, "private_address", "{url}");
    }
    assert_eq!(
        guarded.store().list_webhooks().await.unwrap().len(),
        before,
        "nothing saved"
    );

    // Saved while allowed (or before kefu checked), delivered once they are not.
    let open = db.app(AppConfig {
        webhook_allow_private: true,
        ..AppConfig::default()
    });
    let literal = open
        .create_webhook(&Actor::Cli, &hook_url, vec!["ping".into()], "")
        .await
        .unwrap();
    let by_name = open
        .create_webhook(
            &Actor::Cli,
            &format!("http://localhost:{port}/hook"),
            vec!["ping".into()],
            "",
        )
        .await
        .unwrap();
    let reg = JobRegistry::standard();
    let opts = WorkerOptions::new("t".into());
    for w in [&literal, &by_name] {
        guarded.ping_webhook(&Actor::Cli, w.id).await.unwrap();
        assert!(guarded.run_one_job(&reg, &opts).await.unwrap());
        let (_, deliveries) = guarded.webhook_deliveries(&Actor::Cli, w.id).await.unwrap();
        assert_eq!(deliveries.len(), 1, "{}", w.url);
        assert_eq!(deliveries[0].status_code, None, "{}", w.url);
        let error = deliveries[0].error.as_deref().unwrap();
        assert!(error.contains("not a public address"), "{}: {error}", w.url);
    }
    assert!(got.lock().unwrap().bodies.is_empty(), "the receiver heard nothing");

    // Allowed, the same endpoint is delivered to.
    open.ping_webhook(&Actor::Cli, literal.id).await.unwrap();
    assert!(open.run_one_job(&reg, &opts).await.unwrap());
    assert_eq!(got.lock().unwrap().bodies.len(), 1);
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_jobs_dead_letter_after_their_attempts_on_sqlite() {
    let db = common::TestDb::sqlite(2).await;
    failing_jobs_dead_letter_after_their_attempts(&db).await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_jobs_dead_letter_after_their_attempts_on_postgres() {
    let db = common::TestDb::postgres(2).await;
    failing_jobs_dead_letter_after_their_attempts(&db).await;
    db.finish().await;
}

async fn failing_jobs_dead_letter_after_their_attempts(db: &common::TestDb) {
    let app = db.app(AppConfig {
        job_retry_base_ms: 10,
        job_max_attempts: 3,
        ..AppConfig::default()
    });
    let mut reg = JobRegistry::default();
    reg.register("boom", |_app, _job| Box::pin(async { Err("it broke".to_owned()) }));
    let id = app.enqueue("boom", serde_json::json!({})).await.unwrap().unwrap();
    app.enqueue("no-such-kind", serde_json::json!({})).await.unwrap();
    let opts = WorkerOptions::new("w".into());
    for _ in 0..400 {
        let _ = app.run_one_job(&reg, &opts).await.unwrap();
        if app.store().get_job(id).await.unwrap().status == JobStatus::Dead {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let j = app.store().get_job(id).await.unwrap();
    assert_eq!(
        (j.status, j.attempts, j.last_error.as_deref()),
        (JobStatus::Dead, 3, Some("it broke"))
    );
    let other = app
        .store()
        .list_jobs(None, 10)
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.kind == "no-such-kind")
        .unwrap();
    assert!(other.last_error.unwrap().contains("no handler"));
}
