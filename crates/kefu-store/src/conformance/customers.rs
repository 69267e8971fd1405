//! `Customers`: the channel tree, search, contacts and purchases.

use super::*;

pub async fn customers_and_the_channel_tree(s: DynStore) {
    use kefu_core::customer::CustomerKind::{End, Intermediate};
    let agent = add_customer(&s, "华东总代理", Intermediate, None).await;
    let wholesaler = add_customer(&s, "苏州批发", Intermediate, Some(agent.id)).await;
    let retailer = add_customer(&s, "观前街门店", Intermediate, Some(wholesaler.id)).await;
    let consumer = add_customer(&s, "王芳", End, Some(retailer.id)).await;
    let other = add_customer(&s, "李雷", End, Some(wholesaler.id)).await;
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

    let chain: Vec<i64> = ids(s.customer_ancestors(consumer.id).await);
    assert_eq!(
        chain,
        vec![agent.id, wholesaler.id, retailer.id],
        "upstream chain from the top"
    );
    let counts = s.subtree_counts(agent.id).await.unwrap();
    assert_eq!(counts, vec![("end".to_owned(), 2), ("intermediate".to_owned(), 2)]);
    let ends: Vec<i64> = ids(s.subtree_customers(agent.id, Some(End), 0, 50).await);
    assert_eq!(ends, vec![consumer.id, other.id]);
    let page: Vec<i64> = ids(s.subtree_customers(agent.id, None, wholesaler.id, 2).await);
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
    let chain: Vec<i64> = ids(s.customer_ancestors(consumer.id).await);
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
        let c = add_customer(&s, k, End, None).await;
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
    let shop = add_customer(&s, "门店", CustomerKind::Intermediate, None).await;
    let c = add_customer(&s, "顾客", CustomerKind::End, Some(shop.id)).await;
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
    let late_parent = add_customer(&s, "后建代理", CustomerKind::Intermediate, None).await;
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

/// The tree paths carry each descendant's kind and deleted mark (migration 0005): they follow a
/// kind change, a soft delete and its undoing, a move, and a restore from a backup made before
/// the paths had them.
pub async fn subtree_counts_follow_kind_deletion_and_restore(s: DynStore) {
    use kefu_core::customer::CustomerKind::{End, Intermediate};
    let top = add_customer(&s, "总代理", Intermediate, None).await;
    let mid = add_customer(&s, "门店", Intermediate, Some(top.id)).await;
    let e1 = add_customer(&s, "顾客一", End, Some(mid.id)).await;
    let e2 = add_customer(&s, "顾客二", End, Some(top.id)).await;
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
