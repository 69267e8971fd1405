//! `Customers`: changing, merging and scoping records; portal accounts and invitations.

use super::*;

/// Edits with a move in one transaction, the tree browser, scoped reads, contact and purchase
/// changes and soft deletes, duplicate detection and merging.
pub async fn customer_records_change_merge_and_scope(s: DynStore) {
    use kefu_core::customer::CustomerKind::{End, Intermediate};
    let agent = add_customer(&s, "总代理", Intermediate, None).await;
    let shop = add_customer(&s, "门店甲", Intermediate, Some(agent.id)).await;
    let shop2 = add_customer(&s, "门店乙", Intermediate, Some(agent.id)).await;
    let wang = add_customer(&s, "王芳", End, Some(shop.id)).await;
    let wang2 = add_customer(&s, "王芳二", End, Some(shop2.id)).await;

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
    // wang2's ticket, the one its shop filed on its behalf, and its survey link go with it too.
    use kefu_core::ticket::Kind;
    let department = s.default_department().await.unwrap().id;
    let own = super::tickets::new_ticket(Kind::Inquiry, "保修", "保修多久", wang2.id, department, T0);
    let for_it = NewTicket {
        on_behalf_of_id: Some(wang2.id),
        ..super::tickets::new_ticket(Kind::Complaint, "代报修", "顾客的冰箱坏了", shop.id, department, T0)
    };
    let filed = s.create_tickets(&[own, for_it]).await.unwrap();
    let survey = add_nps_survey(&s).await;
    let asked = s
        .create_survey_links(&[super::surveys::link(
            survey.id,
            "merge-hash",
            Some(wang2.id),
            T0 + 86_400_000,
        )])
        .await
        .unwrap()
        .remove(0);
    let tickets_of = |id: i64| {
        let s = s.clone();
        async move {
            let f = TicketFilter {
                customer_id: Some(id),
                limit: 100,
                ..Default::default()
            };
            s.list_tickets(&f)
                .await
                .unwrap()
                .into_iter()
                .map(|t| t.id)
                .collect::<Vec<_>>()
        }
    };
    let wang_before = tickets_of(wang.id).await;
    assert_eq!(tickets_of(wang2.id).await, vec![filed[0].id]);
    // Merging the end customers: contacts and purchases move; the older record keeps its primary.
    let kept = s.merge_customers(wang2.id, wang.id, T0 + 8).await.unwrap();
    let wang_after = tickets_of(wang.id).await;
    assert_eq!(wang_after.len(), wang_before.len() + 1);
    assert!(wang_after.contains(&filed[0].id) && tickets_of(wang2.id).await.is_empty());
    assert_eq!(s.get_ticket(filed[1].id).await.unwrap().on_behalf_of_id, Some(wang.id));
    assert_eq!(s.get_survey_link(asked.id).await.unwrap().customer_id, Some(wang.id));
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
    let c = add_customer(&s, "顾客", End, None).await;
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
