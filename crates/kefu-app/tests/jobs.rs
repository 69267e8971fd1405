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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_is_signed_retried_and_logged() {
    let db = common::TestDb::sqlite(2).await;
    let app = db.app(AppConfig {
        job_retry_base_ms: 50,
        ..AppConfig::default()
    });
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_jobs_dead_letter_after_their_attempts() {
    let db = common::TestDb::sqlite(2).await;
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
