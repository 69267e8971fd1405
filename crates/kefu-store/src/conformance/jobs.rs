//! `Jobs` and `Webhooks`: the queue's claims and leases, endpoints and deliveries.

use super::*;

pub async fn jobs_lifecycle(s: DynStore) {
    let a = s.enqueue(job("a", T0, None)).await.unwrap().unwrap();
    let b = s.enqueue(job("b", T0 + 10, None)).await.unwrap().unwrap();
    let _later = s.enqueue(job("later", T0 + 1_000_000, None)).await.unwrap().unwrap();
    let got = s.claim_job("w1", T0 + 20, 1000).await.unwrap().unwrap();
    assert_eq!(
        (
            got.id,
            got.status,
            got.attempts,
            got.locked_by.as_deref(),
            got.lease_until
        ),
        (a, JobStatus::Running, 1, Some("w1"), Some(T0 + 1020))
    );
    assert_eq!(got.payload, serde_json::json!({"k": "a"}));
    let got_b = s.claim_job("w2", T0 + 20, 1000).await.unwrap().unwrap();
    assert_eq!(got_b.id, b);
    assert!(
        s.claim_job("w3", T0 + 20, 1000).await.unwrap().is_none(),
        "nothing else is due"
    );

    assert!(
        !s.heartbeat_job(a, "w2", T0 + 5000).await.unwrap(),
        "only the holder may extend the lease"
    );
    assert!(s.heartbeat_job(a, "w1", T0 + 5000).await.unwrap());
    assert!(s.complete_job(a, "w1", T0 + 30).await.unwrap());
    assert!(
        !s.complete_job(a, "w1", T0 + 31).await.unwrap(),
        "completing twice does nothing"
    );
    assert_eq!(s.get_job(a).await.unwrap().status, JobStatus::Done);

    // w2 dies holding b: the lease runs out and another worker takes it over.
    assert!(s.claim_job("w3", T0 + 1019, 1000).await.unwrap().is_none());
    let again = s.claim_job("w3", T0 + 1021, 1000).await.unwrap().unwrap();
    assert_eq!(
        (again.id, again.attempts, again.locked_by.as_deref()),
        (b, 2, Some("w3"))
    );
    assert!(
        !s.complete_job(b, "w2", T0 + 1022).await.unwrap(),
        "the old holder lost it"
    );
    assert!(s.fail_job(b, "w3", "boom", Some(T0 + 5000), T0 + 1030).await.unwrap());
    let failed = s.get_job(b).await.unwrap();
    assert_eq!(
        (failed.status, failed.run_at, failed.last_error.as_deref()),
        (JobStatus::Queued, T0 + 5000, Some("boom"))
    );
    let third = s.claim_job("w1", T0 + 5000, 1000).await.unwrap().unwrap();
    assert!(s.fail_job(third.id, "w1", "gave up", None, T0 + 5001).await.unwrap());
    assert_eq!(s.get_job(b).await.unwrap().status, JobStatus::Dead);
    let counts: std::collections::HashMap<_, _> = s.job_counts().await.unwrap().into_iter().collect();
    assert_eq!(
        (
            counts.get(&JobStatus::Done),
            counts.get(&JobStatus::Dead),
            counts.get(&JobStatus::Queued)
        ),
        (Some(&1), Some(&1), Some(&1))
    );
    assert_eq!(s.list_jobs(Some(JobStatus::Dead), 10).await.unwrap().len(), 1);
    assert_eq!(s.purge_jobs(T0 + 31).await.unwrap(), 1);
}

pub async fn jobs_enqueue_unique_once(s: DynStore) {
    let first = s.enqueue(job("tick", T0, Some("sla.scan@1000"))).await.unwrap();
    assert!(first.is_some());
    assert_eq!(s.enqueue(job("tick", T0, Some("sla.scan@1000"))).await.unwrap(), None);
    assert!(
        s.enqueue(job("tick", T0, Some("sla.scan@2000")))
            .await
            .unwrap()
            .is_some()
    );
    assert!(s.enqueue(job("plain", T0, None)).await.unwrap().is_some());
    assert!(
        s.enqueue(job("plain", T0, None)).await.unwrap().is_some(),
        "jobs without a key never collide"
    );
}

pub async fn concurrent_claims_take_each_job_once(s: DynStore) {
    for i in 0..60 {
        s.enqueue(job(&format!("j{i}"), T0, None)).await.unwrap();
    }
    let mut tasks = Vec::new();
    for w in 0..4 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            let worker = format!("w{w}");
            while let Some(j) = s.claim_job(&worker, T0 + 1, 60_000).await.unwrap() {
                assert!(s.complete_job(j.id, &worker, T0 + 2).await.unwrap());
                mine.push(j.id);
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!((all.len(), unique.len()), (60, 60), "each job claimed exactly once");
}

pub async fn webhooks_and_deliveries(s: DynStore) {
    let w = s
        .create_webhook(NewWebhook {
            url: "http://127.0.0.1:9/hook".into(),
            secret: "s3cret".into(),
            events: vec!["ticket.created".into()],
            description: "ERP".into(),
            now: T0,
        })
        .await
        .unwrap();
    let all = s
        .create_webhook(NewWebhook {
            url: "http://127.0.0.1:9/all".into(),
            secret: "x".into(),
            events: vec!["*".into()],
            description: String::new(),
            now: T0,
        })
        .await
        .unwrap();
    assert_eq!(s.list_webhooks().await.unwrap().len(), 2);
    let ids = |v: Vec<Webhook>| v.into_iter().map(|w| w.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.webhooks_for_event("ticket.created").await.unwrap()),
        vec![w.id, all.id]
    );
    assert_eq!(
        ids(s.webhooks_for_event("survey.answered").await.unwrap()),
        vec![all.id]
    );
    s.set_webhook_active(w.id, false, T0 + 1).await.unwrap();
    assert_eq!(ids(s.webhooks_for_event("ticket.created").await.unwrap()), vec![all.id]);
    for attempt in 1..=3 {
        s.record_delivery(NewDelivery {
            webhook_id: w.id,
            job_id: Some(7),
            event: "ticket.created".into(),
            attempt,
            status_code: Some(500),
            error: None,
            duration_ms: 12,
            at: T0 + i64::from(attempt),
        })
        .await
        .unwrap();
    }
    let d = s.list_deliveries(w.id, 2).await.unwrap();
    assert_eq!((d.len(), d[0].attempt, d[0].status_code), (2, 3, Some(500)));
    s.delete_webhook(w.id).await.unwrap();
    assert!(
        s.list_deliveries(w.id, 10).await.unwrap().is_empty(),
        "deliveries go with their endpoint"
    );
    assert!(matches!(s.get_webhook(w.id).await, Err(StoreError::NotFound)));
}
