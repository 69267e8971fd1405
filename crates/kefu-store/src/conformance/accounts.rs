//! `Accounts` and `Settings`: departments, users, login counters, organisation settings.

use super::*;

pub async fn users_and_departments(s: DynStore) {
    let agent = add_user(&s, "agent@example.com", Role::Agent).await;
    assert_eq!(agent.role, Role::Agent);
    assert!(!agent.disabled);
    let default = s.default_department().await.unwrap();
    assert_eq!(
        s.user_departments(agent.id).await.unwrap(),
        vec![default.clone()],
        "agents without a department join the default"
    );
    let cust = add_user(&s, "c@example.com", Role::Customer).await;
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
        add_user(&s, &format!("u{i}@example.com"), Role::Technician).await;
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
    let u = add_user(&s, "l@example.com", Role::Manager).await;
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
