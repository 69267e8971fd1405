//! `Admin`: migrations, health, backups and their restore.

use super::*;

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
    add_user(&s, "late@example.com", Role::Customer).await;
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
    let next = add_user(&s, "next@example.com", Role::Customer).await;
    assert!(next.id > u.id);
    let again = s.dump().await.unwrap();
    assert_eq!(
        again.tables.iter().map(|t| t.rows.len()).sum::<usize>(),
        dump.tables.iter().map(|t| t.rows.len()).sum::<usize>() + 1
    );
}

pub async fn bad_restore_changes_nothing(s: DynStore) {
    let u = add_user(&s, "keep@example.com", Role::Admin).await;
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
