//! The conformance suite: what every backend must do, checked the same way on each.
//! A backend's `tests/conformance.rs` calls `conformance_tests!(async_fn_returning_arc_store)`,
//! which makes one test per case, each on a fresh, migrated database.

use crate::*;
use kefu_core::{Language, Role};
use std::collections::HashSet;
use std::sync::Arc;

pub type DynStore = Arc<dyn Store>;

#[macro_export]
macro_rules! conformance_tests {
    ($make:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let (store, cleanup) = $make().await;
                store.migrate().await.expect("migrate");
                $crate::conformance::$case(store.clone()).await;
                store.close().await;
                cleanup.await;
            }
        )*
    };
    ($make:path) => {
        $crate::conformance_tests!($make;
            migrations_are_current_and_idempotent, users_and_departments, departments_lifecycle,
            login_counters, sessions_expire_and_end, api_tokens, audit_log_is_newest_first,
            rate_limit_windows, jobs_lifecycle, jobs_enqueue_unique_once, concurrent_claims_take_each_job_once,
            webhooks_and_deliveries, settings_round_trip, dump_and_restore_round_trip,
            customers_and_the_channel_tree, customer_search_finds_cjk_inside_running_text, contacts_and_purchases,
            imports_are_all_or_nothing, bulk_customer_imports_build_the_tree, bad_restore_changes_nothing,
            customer_records_change_merge_and_scope, portal_accounts_and_invitations, exports_page_through_live_rows,
            subtree_counts_follow_kind_deletion_and_restore);
    };
}

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn new_user(email: &str, role: Role) -> NewUser {
    NewUser {
        email: email.into(),
        name: format!("用户 {email}"),
        role,
        language: None,
        password_hash: Some("$argon2id$placeholder".into()),
        departments: vec![],
        now: T0,
    }
}

fn job(kind: &str, run_at: i64, unique: Option<&str>) -> NewJob {
    NewJob {
        kind: kind.into(),
        payload: serde_json::json!({"k": kind}),
        run_at,
        max_attempts: 3,
        unique_key: unique.map(str::to_owned),
        now: T0,
    }
}

pub async fn migrations_are_current_and_idempotent(s: DynStore) {
    let st = s.schema_status().await.unwrap();
    assert!(st.is_current(), "{st:?}");
    assert!(!st.applied.is_empty());
    s.migrate().await.expect("second migrate is a no-op");
    assert!(s.is_empty().await.unwrap());
    let d = s.default_department().await.unwrap();
    assert!(d.is_default);
    s.ping().await.unwrap();
    assert!(s.pool_stats().max >= 1);
}

pub async fn users_and_departments(s: DynStore) {
    let agent = s.create_user(new_user("agent@example.com", Role::Agent)).await.unwrap();
    assert_eq!(agent.role, Role::Agent);
    assert!(!agent.disabled);
    let default = s.default_department().await.unwrap();
    assert_eq!(
        s.user_departments(agent.id).await.unwrap(),
        vec![default.clone()],
        "agents without a department join the default"
    );
    let cust = s.create_user(new_user("c@example.com", Role::Customer)).await.unwrap();
    assert!(
        s.user_departments(cust.id).await.unwrap().is_empty(),
        "customers belong to no department"
    );
    assert!(!s.is_empty().await.unwrap());

    match s.create_user(new_user("agent@example.com", Role::Manager)).await {
        Err(StoreError::Conflict { .. }) => {}
        other => panic!("duplicate e-mail must conflict, got {other:?}"),
    }
    assert_eq!(
        s.count_users().await.unwrap(),
        2,
        "the failed insert left nothing behind"
    );
    assert_eq!(s.get_user_by_email("agent@example.com").await.unwrap().id, agent.id);
    assert!(matches!(s.get_user(9_999_999).await, Err(StoreError::NotFound)));
    assert!(matches!(
        s.get_user_by_email("nobody@example.com").await,
        Err(StoreError::NotFound)
    ));

    for i in 0..5 {
        s.create_user(new_user(&format!("u{i}@example.com"), Role::Technician))
            .await
            .unwrap();
    }
    let p1 = s
        .list_users(UserFilter {
            after: 0,
            limit: 3,
            role: None,
        })
        .await
        .unwrap();
    assert_eq!(p1.len(), 3);
    let p2 = s
        .list_users(UserFilter {
            after: p1[2].id,
            limit: 10,
            role: None,
        })
        .await
        .unwrap();
    assert_eq!(p2.len(), 4);
    assert!(p1.iter().chain(&p2).map(|u| u.id).collect::<HashSet<_>>().len() == 7);
    let techs = s
        .list_users(UserFilter {
            after: 0,
            limit: 50,
            role: Some(Role::Technician),
        })
        .await
        .unwrap();
    assert_eq!(techs.len(), 5);

    let patched = s
        .update_user(
            agent.id,
            UserPatch {
                name: Some("王芳".into()),
                language: Some(Some(Language::ZhCn)),
                disabled: Some(true),
                ..Default::default()
            },
            T0 + 5,
        )
        .await
        .unwrap();
    assert_eq!(
        (
            patched.name.as_str(),
            patched.language,
            patched.disabled,
            patched.updated_at
        ),
        ("王芳", Some(Language::ZhCn), true, T0 + 5)
    );
    assert_eq!(patched.role, Role::Agent, "untouched fields stay");
    let cleared = s
        .update_user(
            agent.id,
            UserPatch {
                language: Some(None),
                ..Default::default()
            },
            T0 + 6,
        )
        .await
        .unwrap();
    assert_eq!((cleared.language, cleared.name.as_str()), (None, "王芳"));
    assert!(matches!(
        s.update_user(424242, UserPatch::default(), T0).await,
        Err(StoreError::NotFound)
    ));

    let sales = s.create_department("售后服务部", T0).await.unwrap();
    s.set_user_departments(agent.id, &[sales.id]).await.unwrap();
    assert_eq!(s.user_departments(agent.id).await.unwrap(), vec![sales.clone()]);
    assert!(
        matches!(
            s.set_user_departments(agent.id, &[987654]).await,
            Err(StoreError::Refused(_))
        ),
        "unknown department refused"
    );
    assert_eq!(
        s.user_departments(agent.id).await.unwrap(),
        vec![sales],
        "a refused change changes nothing"
    );
}

pub async fn departments_lifecycle(s: DynStore) {
    let a = s.create_department("Installation 安装部", T0).await.unwrap();
    assert!(!a.is_default);
    assert!(matches!(
        s.create_department("Installation 安装部", T0).await,
        Err(StoreError::Conflict { .. })
    ));
    let renamed = s.rename_department(a.id, "安装部", T0 + 1).await.unwrap();
    assert_eq!(renamed.name, "安装部");
    let u = s
        .create_user(NewUser {
            departments: vec![a.id],
            ..new_user("t@example.com", Role::Technician)
        })
        .await
        .unwrap();
    let default = s.default_department().await.unwrap();
    let counts = s.department_member_counts().await.unwrap();
    assert!(counts.contains(&(a.id, 1)));
    s.delete_department(a.id).await.unwrap();
    assert_eq!(
        s.user_departments(u.id).await.unwrap(),
        vec![default.clone()],
        "members fall back to the default department"
    );
    assert!(matches!(s.get_department(a.id).await, Err(StoreError::NotFound)));
    assert!(matches!(
        s.delete_department(default.id).await,
        Err(StoreError::Refused(_))
    ));
    assert!(matches!(s.delete_department(31337).await, Err(StoreError::NotFound)));
    let all = s.list_departments().await.unwrap();
    assert_eq!(all[0].id, default.id, "the default department is listed first");
}

pub async fn login_counters(s: DynStore) {
    let u = s.create_user(new_user("l@example.com", Role::Manager)).await.unwrap();
    assert_eq!(s.record_login_failure(u.id, None).await.unwrap(), 1);
    assert_eq!(s.record_login_failure(u.id, Some(T0 + 1000)).await.unwrap(), 2);
    let got = s.get_user(u.id).await.unwrap();
    assert_eq!((got.failed_logins, got.locked_until), (2, Some(T0 + 1000)));
    s.record_login_success(u.id, T0 + 2000).await.unwrap();
    let got = s.get_user(u.id).await.unwrap();
    assert_eq!(
        (got.failed_logins, got.locked_until, got.last_login_at),
        (0, None, Some(T0 + 2000))
    );
    s.record_login_failure(u.id, Some(T0 + 9000)).await.unwrap();
    let reset = s
        .update_user(
            u.id,
            UserPatch {
                password_hash: Some("$argon2id$new".into()),
                ..Default::default()
            },
            T0 + 3000,
        )
        .await
        .unwrap();
    assert_eq!(
        (reset.failed_logins, reset.locked_until),
        (0, None),
        "setting a password unlocks the account"
    );
}

pub async fn sessions_expire_and_end(s: DynStore) {
    let u = s.create_user(new_user("s@example.com", Role::Admin)).await.unwrap();
    for (h, exp) in [("h1", T0 + 100), ("h2", T0 + 1000), ("h3", T0 + 1000)] {
        s.create_session(NewSession {
            token_hash: h.into(),
            user_id: u.id,
            csrf_secret: format!("csrf-{h}"),
            ip: Some("127.0.0.1".into()),
            user_agent: None,
            created_at: T0,
            expires_at: exp,
        })
        .await
        .unwrap();
    }
    let (sess, user) = s.get_session("h1", T0 + 50).await.unwrap();
    assert_eq!((sess.csrf_secret.as_str(), user.id), ("csrf-h1", u.id));
    assert!(
        matches!(s.get_session("h1", T0 + 100).await, Err(StoreError::NotFound)),
        "expired at its expiry instant"
    );
    s.touch_session("h1", T0 + 60, T0 + 5000).await.unwrap();
    assert_eq!(s.get_session("h1", T0 + 200).await.unwrap().0.last_seen_at, T0 + 60);
    s.delete_session("h1").await.unwrap();
    assert!(matches!(s.get_session("h1", T0).await, Err(StoreError::NotFound)));
    assert_eq!(s.delete_user_sessions(u.id, Some("h2")).await.unwrap(), 1);
    assert!(s.get_session("h2", T0).await.is_ok());
    assert_eq!(s.purge_expired_sessions(T0 + 1000).await.unwrap(), 1);
    assert!(matches!(s.get_session("h2", T0).await, Err(StoreError::NotFound)));
}

pub async fn api_tokens(s: DynStore) {
    let u = s.create_user(new_user("api@example.com", Role::Agent)).await.unwrap();
    let t = s.create_token(u.id, "ci", "hash-1", T0).await.unwrap();
    assert_eq!((t.user_id, t.name.as_str(), t.last_used_at), (u.id, "ci", None));
    assert!(matches!(
        s.create_token(u.id, "dup", "hash-1", T0).await,
        Err(StoreError::Conflict { .. })
    ));
    let (found, user) = s.find_token("hash-1").await.unwrap();
    assert_eq!((found.id, user.email.as_str()), (t.id, "api@example.com"));
    s.touch_token(t.id, T0 + 60_000).await.unwrap();
    assert_eq!(s.list_tokens(u.id).await.unwrap()[0].last_used_at, Some(T0 + 60_000));
    s.revoke_token(t.id, T0 + 1).await.unwrap();
    assert!(matches!(s.find_token("hash-1").await, Err(StoreError::NotFound)));
    assert!(
        matches!(s.revoke_token(t.id, T0 + 2).await, Err(StoreError::NotFound)),
        "revoking twice is not found"
    );
}

pub async fn audit_log_is_newest_first(s: DynStore) {
    for i in 0..5 {
        s.append_audit(NewAudit {
            at: T0 + i,
            actor_id: Some(1),
            actor: "admin@example.com".into(),
            action: format!("user.create.{i}"),
            target: "user:7".into(),
            detail: serde_json::json!({"i": i, "text": "<script>alert(1)</script>"}),
            ip: Some("203.0.113.9".into()),
        })
        .await
        .unwrap();
    }
    let page = s.list_audit(0, 3).await.unwrap();
    assert_eq!(
        page.iter().map(|e| e.at).collect::<Vec<_>>(),
        vec![T0 + 4, T0 + 3, T0 + 2]
    );
    assert_eq!(page[0].detail["text"], "<script>alert(1)</script>");
    let rest = s.list_audit(page[2].id, 10).await.unwrap();
    assert_eq!(rest.len(), 2);
}

pub async fn rate_limit_windows(s: DynStore) {
    assert_eq!(s.rate_limit_hit("login:ip:1.2.3.4", T0).await.unwrap(), 1);
    assert_eq!(s.rate_limit_hit("login:ip:1.2.3.4", T0).await.unwrap(), 2);
    assert_eq!(s.rate_limit_hit("login:ip:5.6.7.8", T0).await.unwrap(), 1);
    assert_eq!(
        s.rate_limit_hit("login:ip:1.2.3.4", T0 + 60_000).await.unwrap(),
        1,
        "a new window starts afresh"
    );
    assert_eq!(s.purge_rate_limits(T0 + 60_000).await.unwrap(), 2);
}

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

pub async fn dump_and_restore_round_trip(s: DynStore) {
    let d = s.create_department("客服一部", T0).await.unwrap();
    let u = s
        .create_user(NewUser {
            departments: vec![d.id],
            language: Some(Language::ZhCn),
            ..new_user("r@example.com", Role::Agent)
        })
        .await
        .unwrap();
    s.create_token(u.id, "t", "th", T0).await.unwrap();
    s.enqueue(job("x", T0, Some("k"))).await.unwrap();
    s.append_audit(NewAudit {
        at: T0,
        actor_id: None,
        actor: "cli".into(),
        action: "a".into(),
        target: "t".into(),
        detail: serde_json::json!({"引号": "\"'"}),
        ip: None,
    })
    .await
    .unwrap();
    let dump = s.dump().await.unwrap();
    assert!(dump.schema_version > 0);
    assert_eq!(dump.tables.len(), TABLES.len());

    // Change things, then restore: everything is as it was when dumped.
    s.create_user(new_user("late@example.com", Role::Customer))
        .await
        .unwrap();
    s.update_user(
        u.id,
        UserPatch {
            name: Some("changed".into()),
            ..Default::default()
        },
        T0 + 9,
    )
    .await
    .unwrap();
    s.restore(&dump).await.unwrap();
    assert!(matches!(
        s.get_user_by_email("late@example.com").await,
        Err(StoreError::NotFound)
    ));
    let back = s.get_user(u.id).await.unwrap();
    assert_eq!(back, u);
    assert_eq!(s.user_departments(u.id).await.unwrap(), vec![d]);
    assert_eq!(s.find_token("th").await.unwrap().1.id, u.id);
    assert_eq!(
        s.list_audit(0, 10).await.unwrap()[0].detail,
        serde_json::json!({"引号": "\"'"})
    );
    // New rows after a restore get fresh ids (sequences follow the restored rows).
    let next = s
        .create_user(new_user("next@example.com", Role::Customer))
        .await
        .unwrap();
    assert!(next.id > u.id);
    let again = s.dump().await.unwrap();
    assert_eq!(
        again.tables.iter().map(|t| t.rows.len()).sum::<usize>(),
        dump.tables.iter().map(|t| t.rows.len()).sum::<usize>() + 1
    );
}

pub async fn bad_restore_changes_nothing(s: DynStore) {
    let u = s.create_user(new_user("keep@example.com", Role::Admin)).await.unwrap();
    let mut dump = s.dump().await.unwrap();
    let users = dump.tables.iter_mut().find(|t| t.name == "users").unwrap();
    users.rows.push(users.rows[0].clone()); // duplicate primary key and e-mail
    assert!(s.restore(&dump).await.is_err());
    assert_eq!(s.get_user(u.id).await.unwrap(), u);
    let mut evil = s.dump().await.unwrap();
    evil.tables[0].name = "users; DROP TABLE users".into();
    assert!(matches!(s.restore(&evil).await, Err(StoreError::Refused(_))));
    let mut evil = s.dump().await.unwrap();
    evil.tables[0].columns[0] = "id) VALUES (1); --".into();
    assert!(matches!(s.restore(&evil).await, Err(StoreError::Refused(_))));
    assert_eq!(s.count_users().await.unwrap(), 1);
}

pub async fn settings_round_trip(s: DynStore) {
    assert_eq!(s.get_setting("organisation").await.unwrap(), None);
    let v = serde_json::json!({"name": "华信家电 Huaxin Appliances", "time_zone": "Asia/Shanghai"});
    s.set_setting("organisation", &v, T0).await.unwrap();
    assert_eq!(s.get_setting("organisation").await.unwrap(), Some(v));
    s.set_setting("organisation", &serde_json::json!({"name": "x"}), T0 + 1)
        .await
        .unwrap();
    assert_eq!(s.get_setting("organisation").await.unwrap().unwrap()["name"], "x");
}

fn new_customer(name: &str, kind: kefu_core::customer::CustomerKind, parent: Option<i64>) -> NewCustomer {
    NewCustomer {
        external_id: Some(format!("ext-{name}")),
        name: name.into(),
        kind,
        subkind: None,
        is_organisation: kind != kefu_core::customer::CustomerKind::End,
        parent_id: parent,
        region: "华东".into(),
        tags: vec!["vip".into(), "<b>标签</b>".into()],
        account_manager_id: None,
        notes: String::new(),
        now: T0,
    }
}

pub async fn customers_and_the_channel_tree(s: DynStore) {
    use kefu_core::customer::CustomerKind::{End, Intermediate};
    let agent = s
        .create_customer(new_customer("华东总代理", Intermediate, None))
        .await
        .unwrap();
    let wholesaler = s
        .create_customer(new_customer("苏州批发", Intermediate, Some(agent.id)))
        .await
        .unwrap();
    let retailer = s
        .create_customer(new_customer("观前街门店", Intermediate, Some(wholesaler.id)))
        .await
        .unwrap();
    let consumer = s
        .create_customer(new_customer("王芳", End, Some(retailer.id)))
        .await
        .unwrap();
    let other = s
        .create_customer(new_customer("李雷", End, Some(wholesaler.id)))
        .await
        .unwrap();
    assert_eq!(
        (consumer.parent_id, consumer.tags.clone(), consumer.value_tier),
        (
            Some(retailer.id),
            vec!["vip".to_owned(), "<b>标签</b>".to_owned()],
            kefu_core::rfm::ValueTier::None
        )
    );
    assert!(
        matches!(
            s.create_customer(new_customer("孤儿", End, Some(999_999))).await,
            Err(StoreError::Refused(_))
        ),
        "the parent must exist"
    );
    assert!(
        matches!(
            s.create_customer(new_customer("王芳", End, None)).await,
            Err(StoreError::Conflict { .. })
        ),
        "external ids are unique"
    );

    let chain: Vec<i64> = s
        .customer_ancestors(consumer.id)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(
        chain,
        vec![agent.id, wholesaler.id, retailer.id],
        "upstream chain from the top"
    );
    let counts = s.subtree_counts(agent.id).await.unwrap();
    assert_eq!(counts, vec![("end".to_owned(), 2), ("intermediate".to_owned(), 2)]);
    let ends: Vec<i64> = s
        .subtree_customers(agent.id, Some(End), 0, 50)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ends, vec![consumer.id, other.id]);
    let page: Vec<i64> = s
        .subtree_customers(agent.id, None, wholesaler.id, 2)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(page, vec![retailer.id, consumer.id], "pages go by id");

    // Cycles are refused and change nothing.
    assert!(matches!(
        s.move_customer(agent.id, Some(consumer.id), T0).await,
        Err(StoreError::Cycle)
    ));
    assert!(matches!(
        s.move_customer(retailer.id, Some(retailer.id), T0).await,
        Err(StoreError::Cycle)
    ));
    assert_eq!(s.customer_ancestors(consumer.id).await.unwrap().len(), 3);
    // Move the retailer (with its consumer) straight under the agent.
    let moved = s.move_customer(retailer.id, Some(agent.id), T0 + 1).await.unwrap();
    assert_eq!(moved.parent_id, Some(agent.id));
    let chain: Vec<i64> = s
        .customer_ancestors(consumer.id)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(chain, vec![agent.id, retailer.id], "the subtree moved along");
    assert_eq!(
        s.subtree_counts(wholesaler.id).await.unwrap(),
        vec![("end".to_owned(), 1)]
    );
    let top = s.move_customer(retailer.id, None, T0 + 2).await.unwrap();
    assert_eq!(top.parent_id, None);
    assert_eq!(s.customer_ancestors(consumer.id).await.unwrap().len(), 1);

    // Soft delete hides from the tree and lists; restore brings back.
    s.set_customer_deleted(other.id, Some(T0 + 3), T0 + 3).await.unwrap();
    assert_eq!(s.subtree_counts(wholesaler.id).await.unwrap(), vec![]);
    assert!(
        s.list_customers(CustomerFilter {
            after: 0,
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap()
        .iter()
        .all(|c| c.id != other.id)
    );
    assert_eq!(
        s.list_customers(CustomerFilter {
            after: 0,
            limit: 50,
            include_deleted: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .len(),
        5
    );
    s.set_customer_deleted(other.id, None, T0 + 4).await.unwrap();
    assert_eq!(s.count_customers().await.unwrap(), 5);

    let patched = s
        .update_customer(
            consumer.id,
            CustomerPatch {
                name: Some("王芳芳".into()),
                tags: Some(vec![]),
                external_id: Some(None),
                ..Default::default()
            },
            T0 + 5,
        )
        .await
        .unwrap();
    assert_eq!(
        (
            patched.name.as_str(),
            patched.tags.len(),
            patched.external_id,
            patched.region.as_str()
        ),
        ("王芳芳", 0, None, "华东")
    );
    assert!(matches!(
        s.update_customer(424242, CustomerPatch::default(), T0).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(s.get_customer_by_external_id("ext-李雷").await.unwrap().id, other.id);
}

pub async fn customer_search_finds_cjk_inside_running_text(s: DynStore) {
    use kefu_core::customer::CustomerKind::End;
    use kefu_core::search::{analyze, parse_query};
    let texts = [
        ("a", "客户王芳投诉冰箱不制冷 13800138000 wang.fang@example.com"),
        ("b", "北京海淀区 张伟 Zhang Wei"),
        ("c", "王芳华 上海浦东"),
        ("d", "Emma Clark, Shanghai"),
    ];
    let mut ids = std::collections::HashMap::new();
    for (k, text) in texts {
        let c = s.create_customer(new_customer(k, End, None)).await.unwrap();
        s.index_customer(c.id, &analyze(text)).await.unwrap();
        ids.insert(k, c.id);
    }
    let find = |q: &'static str| {
        let s = s.clone();
        async move {
            s.search_customers(&parse_query(q), None, 50)
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        find("王芳").await,
        vec!["a", "c"],
        "a two-character name inside running text"
    );
    assert_eq!(find("北京").await, vec!["b"]);
    assert_eq!(find("芳投").await, vec!["a"]);
    assert_eq!(find("王 浦东").await, vec!["c"], "all parts must match");
    assert_eq!(find("shang").await, vec!["d"], "Latin words match by prefix");
    assert_eq!(find("13800138000").await, vec!["a"]);
    assert_eq!(find("ZHANG").await, vec!["b"]);
    assert_eq!(
        find("投王").await,
        Vec::<String>::new(),
        "bigrams in the wrong order do not match"
    );
    assert_eq!(find("\" OR 1=1 --").await, Vec::<String>::new(), "operators are text");
    // Re-indexing replaces the terms; deleted customers are not found.
    s.index_customer(ids["a"], &analyze("已改名")).await.unwrap();
    assert_eq!(find("王芳").await, vec!["c"]);
    s.set_customer_deleted(ids["c"], Some(T0), T0).await.unwrap();
    assert_eq!(find("王芳").await, Vec::<String>::new());
}

pub async fn contacts_and_purchases(s: DynStore) {
    use kefu_core::customer::{CustomerKind, SocialStyle};
    let shop = s
        .create_customer(new_customer("门店", CustomerKind::Intermediate, None))
        .await
        .unwrap();
    let c = s
        .create_customer(new_customer("顾客", CustomerKind::End, Some(shop.id)))
        .await
        .unwrap();
    let contact = |name: &str, phone: &str, email: &str, primary: bool| NewContact {
        customer_id: c.id,
        name: name.into(),
        phone: phone.into(),
        phone_norm: phone.replace('-', ""),
        email: email.into(),
        role: String::new(),
        language: Some(kefu_core::Language::ZhCn),
        preferred_channel: "phone".into(),
        social_style: Some(SocialStyle::Analytical),
        is_primary: primary,
        now: T0,
    };
    s.add_contact(contact("甲", "138-0013-8000", "", true)).await.unwrap();
    let b = s.add_contact(contact("乙", "", "yi@example.com", true)).await.unwrap();
    let list = s.list_contacts(c.id).await.unwrap();
    assert_eq!(
        (list.len(), list[0].id, list[1].is_primary),
        (2, b.id, false),
        "one primary contact"
    );
    assert_eq!(list[0].social_style, Some(SocialStyle::Analytical));
    assert_eq!(s.find_contacts("13800138000", "").await.unwrap().len(), 1);
    assert_eq!(s.find_contacts("", "yi@example.com").await.unwrap()[0].id, b.id);
    assert!(
        s.find_contacts("", "").await.unwrap().is_empty(),
        "empty values match nothing"
    );

    let purchase = |ext: &str, on: &str, amount: i64| NewPurchase {
        external_id: ext.into(),
        customer_id: c.id,
        purchased_on: on.into(),
        amount_minor: amount,
        currency: "CNY".into(),
        sku: "BCD-215".into(),
        product_name: "冰箱".into(),
        category: "refrigerator".into(),
        serial: "SN1".into(),
        seller_id: Some(shop.id),
        now: T0,
    };
    let (p1, created) = s.upsert_purchase(purchase("P1", "2025-03-01", 299_900)).await.unwrap();
    assert!(created);
    let (p1b, created) = s.upsert_purchase(purchase("P1", "2025-03-02", 289_900)).await.unwrap();
    assert!(!created, "a re-import updates by external id");
    assert_eq!(
        (p1b.id, p1b.amount_minor, p1b.purchased_on.as_str()),
        (p1.id, 289_900, "2025-03-02")
    );
    s.upsert_purchase(purchase("P2", "2026-01-15", 9_900)).await.unwrap();
    assert!(
        matches!(
            s.upsert_purchase(purchase("P3", "2026-01-15", -1)).await,
            Err(StoreError::Refused(_))
        ),
        "negative amounts refused by the schema"
    );
    let ps = s.list_purchases(c.id, 10).await.unwrap();
    assert_eq!(
        ps.iter().map(|p| p.external_id.as_str()).collect::<Vec<_>>(),
        vec!["P2", "P1"]
    );
    let rfm = s.rfm_rows().await.unwrap();
    assert_eq!(
        rfm,
        vec![RfmRow {
            customer_id: c.id,
            last_purchased_on: "2026-01-15".into(),
            purchases: 2,
            amount_minor: 299_800
        }]
    );
    s.set_value_tiers(&[(c.id, kefu_core::rfm::ValueTier::A)])
        .await
        .unwrap();
    assert_eq!(
        s.get_customer(c.id).await.unwrap().value_tier,
        kefu_core::rfm::ValueTier::A
    );

    // A tree moved after creation still backs up and restores (parents with higher ids).
    let late_parent = s
        .create_customer(new_customer("后建代理", CustomerKind::Intermediate, None))
        .await
        .unwrap();
    s.move_customer(shop.id, Some(late_parent.id), T0 + 1).await.unwrap();
    let dump = s.dump().await.unwrap();
    s.restore(&dump).await.unwrap();
    assert_eq!(
        s.customer_ancestors(c.id)
            .await
            .unwrap()
            .iter()
            .map(|x| x.id)
            .collect::<Vec<_>>(),
        vec![late_parent.id, shop.id]
    );
    assert_eq!(s.list_purchases(c.id, 10).await.unwrap().len(), 2);
}

fn import_row(ext: &str, name: &str, kind: kefu_core::customer::CustomerKind, parent: Option<&str>) -> ImportCustomer {
    ImportCustomer {
        external_id: ext.into(),
        name: name.into(),
        kind,
        subkind: None,
        is_organisation: false,
        parent_external_id: parent.map(str::to_owned),
        region: String::new(),
        tags: vec![],
        account_manager_id: None,
        notes: String::new(),
        phone: Some(("138-0013-8000".into(), "13800138000".into())),
        email: None,
        social_style: Some(kefu_core::customer::SocialStyle::Expressive),
    }
}

pub async fn imports_are_all_or_nothing(s: DynStore) {
    use kefu_core::customer::CustomerKind::{End, Intermediate};
    let rows = vec![
        import_row("A1", "华东总代理", Intermediate, None),
        import_row("R1", "门店", Intermediate, Some("A1")),
        import_row("C1", "王芳", End, Some("R1")),
    ];
    let (ids, counts) = s.import_customers(&rows, T0).await.unwrap();
    assert_eq!(
        (ids.len(), counts),
        (
            3,
            ImportCounts {
                inserted: 3,
                updated: 0
            }
        )
    );
    assert_eq!(s.customer_ancestors(ids[2]).await.unwrap().len(), 2);
    assert_eq!(
        s.list_contacts(ids[2]).await.unwrap()[0].social_style,
        Some(kefu_core::customer::SocialStyle::Expressive)
    );
    // A re-import updates by external id (and moves C1 straight under A1) without duplicating.
    let again = vec![import_row("C1", "王芳芳", End, Some("A1"))];
    let (ids2, counts) = s.import_customers(&again, T0 + 1).await.unwrap();
    assert_eq!(
        (ids2[0], counts),
        (
            ids[2],
            ImportCounts {
                inserted: 0,
                updated: 1
            }
        )
    );
    assert_eq!(s.customer_ancestors(ids[2]).await.unwrap().len(), 1);
    assert_eq!(
        s.list_contacts(ids[2]).await.unwrap().len(),
        1,
        "the primary contact is updated, not added"
    );
    // A bad row anywhere leaves nothing written.
    let before = s.count_customers().await.unwrap();
    let bad = vec![
        import_row("N1", "新客户", End, None),
        import_row("N2", "孤儿", End, Some("NOPE")),
    ];
    assert!(matches!(
        s.import_customers(&bad, T0).await,
        Err(StoreError::Refused(_))
    ));
    assert_eq!(s.count_customers().await.unwrap(), before);
    assert!(matches!(
        s.get_customer_by_external_id("N1").await,
        Err(StoreError::NotFound)
    ));
    // A loop through the database's tree is refused whole too.
    assert!(matches!(
        s.import_customers(&[import_row("A1", "华东总代理", Intermediate, Some("R1"))], T0)
            .await,
        Err(StoreError::Cycle)
    ));
    let known = s
        .existing_customer_external_ids(&["A1".into(), "X9".into(), "C1".into()])
        .await
        .unwrap();
    assert_eq!(known.len(), 2);

    let (c1, r1) = (ids[2], ids[1]);
    let purchase = |ext: &str, customer_id: i64, seller_id: Option<i64>| ImportPurchase {
        external_id: ext.into(),
        customer_id,
        purchased_on: "2026-01-15".into(),
        amount_minor: 1_000,
        currency: "CNY".into(),
        sku: "SKU".into(),
        product_name: "冰箱".into(),
        category: "c".into(),
        serial: "".into(),
        seller_id,
    };
    // More rows than one batch of either backend, written in pieces of uneven size.
    let many: Vec<ImportPurchase> = (0..25_000).map(|i| purchase(&format!("P{i}"), c1, Some(r1))).collect();
    let mut w = s.begin_purchase_import(T0).await.unwrap();
    let mut rest = many;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(7_777));
        w.write(rest).await.unwrap();
        rest = tail;
    }
    assert_eq!(
        s.rfm_rows().await.unwrap().len(),
        0,
        "nothing is visible before the commit"
    );
    assert_eq!(
        w.commit().await.unwrap(),
        ImportCounts {
            inserted: 25_000,
            updated: 0
        }
    );
    let mut mixed: Vec<ImportPurchase> = (24_900..25_100).map(|i| purchase(&format!("P{i}"), c1, None)).collect();
    mixed[0].amount_minor = 7;
    assert_eq!(
        s.import_purchases(mixed, T0).await.unwrap(),
        ImportCounts {
            inserted: 100,
            updated: 100
        }
    );
    let rfm = s.rfm_rows().await.unwrap();
    assert_eq!(
        (rfm[0].purchases, rfm[0].amount_minor),
        (25_100, 25_100 * 1_000 - 1_000 + 7)
    );
    let p = s.list_purchases(c1, 1_000_000).await.unwrap();
    let updated = p.iter().find(|p| p.external_id == "P24900").unwrap();
    assert_eq!(
        (updated.amount_minor, updated.seller_id),
        (7, None),
        "a re-import updates by external id"
    );
    assert_eq!(p.iter().find(|p| p.external_id == "P0").unwrap().seller_id, Some(r1));
    let bad = vec![purchase("Q1", c1, None), purchase("Q2", c1 + 1_000_000, None)];
    assert!(s.import_purchases(bad, T0).await.is_err());
    let mut w = s.begin_purchase_import(T0).await.unwrap();
    w.write(vec![purchase("Q3", c1, None)]).await.unwrap();
    drop(w);
    assert_eq!(
        s.rfm_rows().await.unwrap()[0].purchases,
        25_100,
        "nothing of a failed or unfinished import was kept"
    );
}

pub async fn bulk_customer_imports_build_the_tree(s: DynStore) {
    use kefu_core::customer::CustomerKind::{End, Intermediate};
    // More rows per level than one multi-row statement holds; a level below an existing customer.
    let top = s
        .import_customers(&[import_row("TOP", "总代理", Intermediate, None)], T0)
        .await
        .unwrap()
        .0[0];
    let mut rows = vec![];
    for w in 0..3 {
        rows.push(import_row(&format!("W{w}"), "批发", Intermediate, Some("TOP")));
    }
    for c in 0..1_200 {
        let mut r = import_row(&format!("C{c}"), "顾客", End, Some(&format!("W{}", c % 3)));
        if c % 2 == 0 {
            (r.phone, r.social_style) = (None, None);
        }
        rows.push(r);
    }
    let (ids, counts) = s.import_customers(&rows, T0).await.unwrap();
    assert_eq!((ids.len(), counts.inserted, counts.updated), (1_203, 1_203, 0));
    assert_eq!(
        s.subtree_counts(top).await.unwrap(),
        vec![("end".to_owned(), 1_200), ("intermediate".to_owned(), 3)]
    );
    let last = *ids.last().unwrap();
    assert_eq!(
        s.customer_ancestors(last)
            .await
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>(),
        vec![top, ids[(1_199 % 3) as usize]]
    );
    assert_eq!(
        s.get_customer(last).await.unwrap().external_id.as_deref(),
        Some("C1199")
    );
    let contacts = s.contacts_of_customers(&ids[3..]).await.unwrap();
    assert_eq!(
        contacts.len(),
        600,
        "a contact only for rows with a phone, e-mail or style"
    );
    assert!(
        contacts
            .iter()
            .all(|c| c.is_primary && c.name == "顾客" && c.phone_norm == "13800138000")
    );
    let got = s.customers_by_ids(&[ids[5], ids[0], -1]).await.unwrap();
    assert_eq!(got.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ids[0], ids[5]]);
    // Re-importing new and existing rows together: N1 is new under W2, and C0 moves under it.
    let again = vec![
        import_row("N1", "新门店", Intermediate, Some("W2")),
        import_row("C0", "顾客零", End, Some("N1")),
    ];
    let (ids2, counts) = s.import_customers(&again, T0 + 1).await.unwrap();
    assert_eq!((counts.inserted, counts.updated, ids2[1]), (1, 1, ids[3]));
    assert_eq!(s.customer_ancestors(ids[3]).await.unwrap().len(), 3);
    assert_eq!(s.subtree_counts(ids2[0]).await.unwrap(), vec![("end".to_owned(), 1)]);
    // A child before its parent is a caller's mistake, refused whole.
    let wrong = vec![
        import_row("X2", "下级", End, Some("X1")),
        import_row("X1", "上级", Intermediate, None),
    ];
    assert!(matches!(
        s.import_customers(&wrong, T0).await,
        Err(StoreError::Refused(_))
    ));
    assert!(matches!(
        s.get_customer_by_external_id("X1").await,
        Err(StoreError::NotFound)
    ));
    let terms = kefu_core::search::analyze("王芳 wang");
    s.index_customers(&[(ids[4], terms.clone()), (ids[5], terms)])
        .await
        .unwrap();
    s.index_customers(&[(ids[5], kefu_core::search::analyze("李雷"))])
        .await
        .unwrap();
    let found = s
        .search_customers(&kefu_core::search::parse_query("王芳"), None, 10)
        .await
        .unwrap();
    assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ids[4]]);
}

fn simple_contact(customer_id: i64, name: &str, phone_norm: &str, email: &str) -> NewContact {
    NewContact {
        customer_id,
        name: name.into(),
        phone: phone_norm.into(),
        phone_norm: phone_norm.into(),
        email: email.into(),
        role: String::new(),
        language: None,
        preferred_channel: String::new(),
        social_style: None,
        is_primary: true,
        now: T0,
    }
}

fn simple_purchase(ext: &str, customer_id: i64, amount_minor: i64, seller_id: Option<i64>) -> NewPurchase {
    NewPurchase {
        external_id: ext.into(),
        customer_id,
        purchased_on: "2026-03-01".into(),
        amount_minor,
        currency: "CNY".into(),
        sku: "SKU".into(),
        product_name: "空气净化器".into(),
        category: "家电".into(),
        serial: String::new(),
        seller_id,
        now: T0,
    }
}

/// Edits with a move in one transaction, the tree browser, scoped reads, contact and purchase
/// changes and soft deletes, duplicate detection and merging.
pub async fn customer_records_change_merge_and_scope(s: DynStore) {
    use kefu_core::customer::CustomerKind::{End, Intermediate};
    let agent = s
        .create_customer(new_customer("总代理", Intermediate, None))
        .await
        .unwrap();
    let shop = s
        .create_customer(new_customer("门店甲", Intermediate, Some(agent.id)))
        .await
        .unwrap();
    let shop2 = s
        .create_customer(new_customer("门店乙", Intermediate, Some(agent.id)))
        .await
        .unwrap();
    let wang = s
        .create_customer(new_customer("王芳", End, Some(shop.id)))
        .await
        .unwrap();
    let wang2 = s
        .create_customer(new_customer("王芳二", End, Some(shop2.id)))
        .await
        .unwrap();

    // A refused move (a loop) changes nothing, not even the fields sent with it.
    let loop_patch = CustomerPatch {
        parent_id: Some(Some(shop.id)),
        name: Some("改名".into()),
        ..Default::default()
    };
    assert!(matches!(
        s.update_customer(agent.id, loop_patch, T0 + 1).await,
        Err(StoreError::Cycle)
    ));
    assert_eq!(s.get_customer(agent.id).await.unwrap().name, "总代理");
    let moved = s
        .update_customer(
            wang.id,
            CustomerPatch {
                parent_id: Some(Some(shop2.id)),
                notes: Some("搬家".into()),
                ..Default::default()
            },
            T0 + 2,
        )
        .await
        .unwrap();
    assert_eq!((moved.parent_id, moved.notes.as_str()), (Some(shop2.id), "搬家"));
    assert!(s.is_within(shop2.id, wang.id).await.unwrap());
    assert!(
        s.is_within(wang.id, wang.id).await.unwrap(),
        "a customer is within itself"
    );
    assert!(!s.is_within(shop.id, wang.id).await.unwrap());

    // The tree browser: top level, then one level down with counts beneath.
    let top = s.tree_children(None, 0, 10).await.unwrap();
    assert_eq!((top.len(), top[0].customer.id, top[0].beneath), (1, agent.id, 4));
    let level: Vec<(i64, i64)> = s
        .tree_children(Some(agent.id), 0, 10)
        .await
        .unwrap()
        .iter()
        .map(|n| (n.customer.id, n.beneath))
        .collect();
    assert_eq!(level, vec![(shop.id, 0), (shop2.id, 2)]);
    assert_eq!(s.tree_children(Some(agent.id), 1, 10).await.unwrap().len(), 1, "offset");

    // Scoped list and search.
    let within: Vec<i64> = s
        .list_customers(CustomerFilter {
            limit: 10,
            within: Some(shop2.id),
            ..Default::default()
        })
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(within, vec![shop2.id, wang.id, wang2.id]);
    for c in [&wang, &wang2] {
        let terms = kefu_core::search::analyze(&c.name);
        s.index_customer(c.id, &terms).await.unwrap();
    }
    let q = kefu_core::search::parse_query("王芳");
    assert_eq!(s.search_customers(&q, None, 10).await.unwrap().len(), 2);
    assert_eq!(s.search_customers(&q, Some(shop.id), 10).await.unwrap().len(), 0);
    assert_eq!(
        s.search_customers(&q, Some(wang2.id), 10).await.unwrap()[0].id,
        wang2.id
    );

    // Contacts: change, make primary, soft delete.
    let k1 = s
        .add_contact(simple_contact(wang.id, "王芳", "13800138000", ""))
        .await
        .unwrap();
    let k2 = s
        .add_contact(simple_contact(wang2.id, "王芳", "13800138001", "wf@example.com"))
        .await
        .unwrap();
    let changed = s
        .update_contact(
            k2.id,
            ContactPatch {
                phone: Some(("138 0013 8000".into(), "13800138000".into())),
                social_style: Some(Some(kefu_core::customer::SocialStyle::Amiable)),
                ..Default::default()
            },
            T0 + 3,
        )
        .await
        .unwrap();
    assert_eq!(
        (
            changed.phone_norm.as_str(),
            changed.email.as_str(),
            changed.social_style
        ),
        (
            "13800138000",
            "wf@example.com",
            Some(kefu_core::customer::SocialStyle::Amiable)
        )
    );
    let extra = s.add_contact(simple_contact(wang2.id, "秘书", "", "")).await.unwrap();
    assert!(
        !s.get_contact(k2.id).await.unwrap().is_primary,
        "the newer primary took over"
    );
    s.update_contact(
        k2.id,
        ContactPatch {
            is_primary: Some(true),
            ..Default::default()
        },
        T0 + 4,
    )
    .await
    .unwrap();
    assert!(!s.get_contact(extra.id).await.unwrap().is_primary);
    s.delete_contact(extra.id, T0 + 5).await.unwrap();
    assert!(matches!(s.get_contact(extra.id).await, Err(StoreError::NotFound)));
    assert!(matches!(
        s.delete_contact(extra.id, T0 + 5).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(s.list_contacts(wang2.id).await.unwrap().len(), 1);

    // Duplicates: the shared phone pairs the two records.
    let pairs = s.duplicate_pairs(10).await.unwrap();
    assert_eq!(pairs.len(), 1);
    assert_eq!(
        (pairs[0].first_id, pairs[0].second_id, pairs[0].reason.as_str()),
        (wang.id, wang2.id, "phone")
    );

    // Purchases: replace, soft delete, and value tiers forget deleted ones.
    let (p1, _) = s
        .upsert_purchase(simple_purchase("P-1", wang.id, 10_000, Some(shop.id)))
        .await
        .unwrap();
    let (p2, _) = s
        .upsert_purchase(simple_purchase("P-2", wang2.id, 5_000, Some(shop2.id)))
        .await
        .unwrap();
    let replaced = s
        .replace_purchase(p1.id, simple_purchase("P-1b", wang.id, 12_000, Some(shop.id)))
        .await
        .unwrap();
    assert_eq!((replaced.external_id.as_str(), replaced.amount_minor), ("P-1b", 12_000));
    assert!(matches!(
        s.replace_purchase(p1.id, simple_purchase("P-2", wang.id, 1, None))
            .await,
        Err(StoreError::Conflict { .. })
    ));
    s.delete_purchase(p2.id, T0 + 6).await.unwrap();
    assert!(matches!(s.get_purchase(p2.id).await, Err(StoreError::NotFound)));
    assert!(s.list_purchases(wang2.id, 10).await.unwrap().is_empty());
    let rfm: Vec<i64> = s.rfm_rows().await.unwrap().iter().map(|r| r.customer_id).collect();
    assert_eq!(rfm, vec![wang.id], "deleted purchases do not count");
    let (again, inserted) = s
        .upsert_purchase(simple_purchase("P-2", wang2.id, 5_000, None))
        .await
        .unwrap();
    assert!(
        !inserted && again.id == p2.id,
        "posting the external id again brings it back"
    );
    assert_eq!(s.get_purchase(p2.id).await.unwrap().id, p2.id);

    // Merge refusals: itself, two kinds, into its own subtree.
    assert!(matches!(
        s.merge_customers(wang.id, wang.id, T0).await,
        Err(StoreError::Refused(_))
    ));
    assert!(matches!(
        s.merge_customers(wang.id, shop.id, T0).await,
        Err(StoreError::Refused(_))
    ));
    assert!(matches!(
        s.merge_customers(agent.id, shop2.id, T0).await,
        Err(StoreError::Cycle)
    ));
    // Merging shop2 into shop moves its customers, the purchases it sold and bought.
    let kept = s.merge_customers(shop2.id, shop.id, T0 + 7).await.unwrap();
    assert_eq!(kept.id, shop.id);
    let gone = s.get_customer(shop2.id).await.unwrap();
    assert_eq!((gone.deleted_at, gone.merged_into), (Some(T0 + 7), Some(shop.id)));
    assert_eq!(s.get_customer(wang2.id).await.unwrap().parent_id, Some(shop.id));
    assert!(s.is_within(agent.id, wang2.id).await.unwrap());
    assert!(s.is_within(shop.id, wang2.id).await.unwrap(), "paths follow the move");
    assert_eq!(s.get_purchase(p2.id).await.unwrap().seller_id, None);
    // Merging the end customers: contacts and purchases move; the older record keeps its primary.
    let kept = s.merge_customers(wang2.id, wang.id, T0 + 8).await.unwrap();
    assert_eq!(kept.id, wang.id);
    let contacts = s.list_contacts(wang.id).await.unwrap();
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts.iter().filter(|k| k.is_primary).count(), 1);
    assert_eq!(contacts[0].id, k1.id);
    assert_eq!(s.list_purchases(wang.id, 10).await.unwrap().len(), 2);
    assert!(
        s.duplicate_pairs(10).await.unwrap().is_empty(),
        "a merged record is no duplicate"
    );
    assert!(
        matches!(
            s.merge_customers(wang2.id, wang.id, T0).await,
            Err(StoreError::Refused(_))
        ),
        "deleted"
    );
}

/// Portal accounts link a customer-role user to one contact; invitations set the password once.
pub async fn portal_accounts_and_invitations(s: DynStore) {
    use kefu_core::customer::CustomerKind::End;
    let c = s.create_customer(new_customer("顾客", End, None)).await.unwrap();
    let k = s
        .add_contact(simple_contact(c.id, "顾客", "", "guke@example.com"))
        .await
        .unwrap();
    let mut u = new_user("guke@example.com", Role::Customer);
    u.password_hash = None;
    let a = s.create_portal_user(u.clone(), k.id).await.unwrap();
    assert_eq!((a.contact_id, a.customer_id, a.user.role), (k.id, c.id, Role::Customer));
    assert!(
        s.user_departments(a.user.id).await.unwrap().is_empty(),
        "customers join no department"
    );
    assert_eq!(s.portal_account(a.user.id).await.unwrap(), Some(a.clone()));
    assert_eq!(s.portal_accounts_of(c.id).await.unwrap(), vec![a.clone()]);
    let mut other = new_user("other@example.com", Role::Customer);
    other.password_hash = None;
    assert!(
        matches!(
            s.create_portal_user(other.clone(), k.id).await,
            Err(StoreError::Conflict { .. })
        ),
        "one account per contact"
    );
    assert!(
        matches!(
            s.get_user_by_email("other@example.com").await,
            Err(StoreError::NotFound)
        ),
        "the refused account left no user behind"
    );
    assert!(matches!(
        s.create_portal_user(other, 999_999).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(s.delete_contact(k.id, T0).await, Err(StoreError::Refused(_))));

    s.create_invitation(a.user.id, "hash-1", T0 + 1_000, T0).await.unwrap();
    s.create_invitation(a.user.id, "hash-old", T0 + 10, T0).await.unwrap();
    assert!(
        matches!(
            s.accept_invitation("hash-old", "pw", T0 + 11).await,
            Err(StoreError::NotFound)
        ),
        "expired"
    );
    assert!(matches!(
        s.accept_invitation("nope", "pw", T0).await,
        Err(StoreError::NotFound)
    ));
    assert!(s.invitation_is_live("hash-1", T0 + 20).await.unwrap());
    assert!(!s.invitation_is_live("hash-old", T0 + 11).await.unwrap(), "expired");
    assert!(!s.invitation_is_live("nope", T0).await.unwrap());
    assert!(
        s.invitation_is_live("hash-1", T0 + 20).await.unwrap(),
        "looking does not use it"
    );
    let user = s.accept_invitation("hash-1", "$argon2id$new", T0 + 20).await.unwrap();
    assert_eq!(user.password_hash.as_deref(), Some("$argon2id$new"));
    assert!(
        matches!(
            s.accept_invitation("hash-1", "pw", T0 + 21).await,
            Err(StoreError::NotFound)
        ),
        "used once"
    );
    assert!(!s.invitation_is_live("hash-1", T0 + 21).await.unwrap(), "used");
}

pub async fn exports_page_through_live_rows(s: DynStore) {
    use kefu_core::customer::{CustomerKind, SocialStyle, Subkind};
    let manager = s
        .create_user(new_user("manager@example.com", Role::Manager))
        .await
        .unwrap();
    let agent = s
        .create_customer(NewCustomer {
            subkind: Some(Subkind::Agent),
            account_manager_id: Some(manager.id),
            ..new_customer("华东总代理", CustomerKind::Intermediate, None)
        })
        .await
        .unwrap();
    let shop = s
        .create_customer(NewCustomer {
            external_id: None,
            ..new_customer("观前街门店", CustomerKind::Intermediate, Some(agent.id))
        })
        .await
        .unwrap();
    let consumer = s
        .create_customer(NewCustomer {
            notes: "=1+1 备注".into(),
            ..new_customer("王芳", CustomerKind::End, Some(shop.id))
        })
        .await
        .unwrap();
    let gone = s
        .create_customer(new_customer("已删除", CustomerKind::End, None))
        .await
        .unwrap();
    s.set_customer_deleted(gone.id, Some(T0), T0).await.unwrap();
    let contact = |primary: bool, phone: &str| NewContact {
        customer_id: consumer.id,
        name: "王芳".into(),
        phone: phone.into(),
        phone_norm: phone.replace('-', ""),
        email: if primary {
            "wang@example.com".into()
        } else {
            String::new()
        },
        role: String::new(),
        language: None,
        preferred_channel: String::new(),
        social_style: primary.then_some(SocialStyle::Amiable),
        is_primary: primary,
        now: T0,
    };
    s.add_contact(contact(true, "138-0013-8000")).await.unwrap();
    s.add_contact(contact(false, "139-0000-0000")).await.unwrap();

    let first = s.export_customers(0, 2).await.unwrap();
    let rest = s.export_customers(first[1].customer.id, 2).await.unwrap();
    assert_eq!(
        first.iter().chain(&rest).map(|c| c.customer.id).collect::<Vec<_>>(),
        vec![agent.id, shop.id, consumer.id],
        "pages by id, without the deleted customer"
    );
    assert_eq!(
        (
            first[0].customer.subkind,
            first[0].account_manager_email.as_deref(),
            first[0].parent_external_id.as_deref()
        ),
        (Some(Subkind::Agent), Some("manager@example.com"), None)
    );
    assert_eq!(
        (first[1].customer.external_id.as_deref(), first[1].customer.parent_id),
        (None, Some(agent.id))
    );
    assert_eq!(
        rest[0],
        ExportCustomer {
            customer: s.get_customer(consumer.id).await.unwrap(),
            parent_external_id: None,
            phone: "138-0013-8000".into(),
            email: "wang@example.com".into(),
            social_style: Some(SocialStyle::Amiable),
            account_manager_email: None,
        },
        "the primary contact, the parent without an external id"
    );

    let purchase = |ext: &str, customer_id: i64, seller_id: Option<i64>| NewPurchase {
        external_id: ext.into(),
        customer_id,
        purchased_on: "2026-01-15".into(),
        amount_minor: 299_950,
        currency: "CNY".into(),
        sku: "BCD-215".into(),
        product_name: "冰箱".into(),
        category: "refrigerator".into(),
        serial: "SN1".into(),
        seller_id,
        now: T0,
    };
    s.upsert_purchase(purchase("P1", consumer.id, Some(shop.id)))
        .await
        .unwrap();
    s.upsert_purchase(purchase("P2", gone.id, None)).await.unwrap();
    s.upsert_purchase(purchase("P3", consumer.id, Some(agent.id)))
        .await
        .unwrap();
    assert_eq!(
        s.count_export_purchases().await.unwrap(),
        2,
        "not the deleted customer's"
    );
    let p = s.export_purchases(0, 1).await.unwrap();
    assert_eq!(
        (
            p.len(),
            p[0].purchase.external_id.as_str(),
            p[0].customer_external_id.as_deref(),
            p[0].purchase.seller_id,
            p[0].seller_external_id.as_deref()
        ),
        (1, "P1", Some("ext-王芳"), Some(shop.id), None)
    );
    let p = s.export_purchases(p[0].purchase.id, 10).await.unwrap();
    assert_eq!(
        (
            p.len(),
            p[0].purchase.external_id.as_str(),
            p[0].purchase.amount_minor,
            p[0].seller_external_id.as_deref()
        ),
        (1, "P3", 299_950, Some("ext-华东总代理"))
    );

    // Customers without an external id get `prefix || id`, once; a taken one is refused whole.
    assert_eq!(s.assign_external_ids("kefu-", T0 + 1).await.unwrap(), vec![shop.id]);
    assert_eq!(
        s.get_customer(shop.id).await.unwrap().external_id,
        Some(format!("kefu-{}", shop.id))
    );
    assert!(s.assign_external_ids("kefu-", T0 + 2).await.unwrap().is_empty());
    let bare = s
        .create_customer(NewCustomer {
            external_id: None,
            ..new_customer("无编号", CustomerKind::End, None)
        })
        .await
        .unwrap();
    s.update_customer(
        consumer.id,
        CustomerPatch {
            external_id: Some(Some(format!("kefu-{}", bare.id))),
            ..Default::default()
        },
        T0,
    )
    .await
    .unwrap();
    assert!(matches!(
        s.assign_external_ids("kefu-", T0 + 3).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        s.get_customer(bare.id).await.unwrap().external_id,
        None,
        "nothing changed"
    );
}

/// The tree paths carry each descendant's kind and deleted mark (migration 0005): they follow a
/// kind change, a soft delete and its undoing, a move, and a restore from a backup made before
/// the paths had them.
pub async fn subtree_counts_follow_kind_deletion_and_restore(s: DynStore) {
    use kefu_core::customer::CustomerKind::{End, Intermediate};
    let top = s
        .create_customer(new_customer("总代理", Intermediate, None))
        .await
        .unwrap();
    let mid = s
        .create_customer(new_customer("门店", Intermediate, Some(top.id)))
        .await
        .unwrap();
    let e1 = s
        .create_customer(new_customer("顾客一", End, Some(mid.id)))
        .await
        .unwrap();
    let e2 = s
        .create_customer(new_customer("顾客二", End, Some(top.id)))
        .await
        .unwrap();
    let counts = |id: i64| {
        let s = s.clone();
        async move { s.subtree_counts(id).await.unwrap() }
    };
    let ends = |id: i64| {
        let s = s.clone();
        async move {
            s.subtree_customers(id, Some(End), 0, 50)
                .await
                .unwrap()
                .iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };
    let both = |end: i64, intermediate: i64| {
        [("end", end), ("intermediate", intermediate)]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| (k.to_owned(), n))
            .collect::<Vec<_>>()
    };
    assert_eq!(counts(top.id).await, both(2, 1));
    assert_eq!(ends(top.id).await, vec![e1.id, e2.id]);

    s.update_customer(
        e2.id,
        CustomerPatch {
            kind: Some(Intermediate),
            ..Default::default()
        },
        T0 + 1,
    )
    .await
    .unwrap();
    assert_eq!(counts(top.id).await, both(1, 2), "a kind change is counted");
    assert_eq!(ends(top.id).await, vec![e1.id]);

    s.set_customer_deleted(e1.id, Some(T0 + 2), T0 + 2).await.unwrap();
    assert_eq!(counts(top.id).await, both(0, 2), "a deleted customer is not");
    assert_eq!(counts(mid.id).await, vec![]);
    assert!(ends(top.id).await.is_empty());
    s.set_customer_deleted(e1.id, None, T0 + 3).await.unwrap();
    assert_eq!(counts(top.id).await, both(1, 2), "a restored one is again");

    s.move_customer(mid.id, Some(e2.id), T0 + 4).await.unwrap();
    assert_eq!(counts(e2.id).await, both(1, 1), "a moved subtree keeps its kinds");

    // A backup from before the paths carried the kind and the mark restores right.
    let mut dump = s.dump().await.unwrap();
    let paths = dump.tables.iter_mut().find(|t| t.name == "customer_paths").unwrap();
    let keep: Vec<usize> = (0..paths.columns.len())
        .filter(|&i| !paths.columns[i].starts_with("descendant_") || paths.columns[i] == "descendant_id")
        .collect();
    assert_eq!(keep.len(), 3, "{:?}", paths.columns);
    paths.columns = keep.iter().map(|&i| paths.columns[i].clone()).collect();
    for row in paths.rows.iter_mut() {
        *row = keep.iter().map(|&i| row[i].clone()).collect();
    }
    s.restore(&dump).await.unwrap();
    assert_eq!(counts(top.id).await, both(1, 2));
    assert_eq!(ends(top.id).await, vec![e1.id]);
}
