//! `Customers`: bulk imports (all or nothing) and the exports that page through them.

use super::*;

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

pub async fn exports_page_through_live_rows(s: DynStore) {
    use kefu_core::customer::{CustomerKind, SocialStyle, Subkind};
    let manager = add_user(&s, "manager@example.com", Role::Manager).await;
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
    let gone = add_customer(&s, "已删除", CustomerKind::End, None).await;
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
