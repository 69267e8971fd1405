//! `Sessions`, `Tokens`, `Audit` and `RateLimits`.

use super::*;

pub async fn sessions_expire_and_end(s: DynStore) {
    let u = add_user(&s, "s@example.com", Role::Admin).await;
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
    let u = add_user(&s, "api@example.com", Role::Agent).await;
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
