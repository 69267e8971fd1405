//! Customer use cases on both databases: the channel tree, its rules, search and value tiers, a
//! restored backup's search, and the ticket escalation sweep.

mod common;

use kefu_app::customers::CustomerInput;
use kefu_app::{Actor, App, AppError};
use kefu_core::Role;
use kefu_core::search::parse_query;
use kefu_store::NewPurchase;

use common::actor;

fn input(name: &str, kind: &str, parent: Option<i64>) -> CustomerInput {
    CustomerInput {
        name: name.into(),
        kind: kind.into(),
        parent_id: parent,
        ..Default::default()
    }
}

#[tokio::test]
async fn the_channel_tree_keeps_its_rules_on_sqlite() {
    common::on_sqlite(2, the_channel_tree_keeps_its_rules).await;
}

#[tokio::test]
async fn the_channel_tree_keeps_its_rules_on_postgres() {
    common::on_postgres(4, the_channel_tree_keeps_its_rules).await;
}

async fn the_channel_tree_keeps_its_rules(app: App) {
    let agent = actor(&app, Role::Agent).await;
    let top = app
        .create_customer(
            &agent,
            CustomerInput {
                subkind: Some("agent".into()),
                ..input("华东总代理", "intermediate", None)
            },
        )
        .await
        .unwrap();
    let shop = app
        .create_customer(
            &agent,
            CustomerInput {
                subkind: Some("retailer".into()),
                ..input("观前街门店", "intermediate", Some(top.id))
            },
        )
        .await
        .unwrap();
    let person = app
        .create_customer(
            &agent,
            CustomerInput {
                phone: Some("138-0013-8000".into()),
                email: Some("Wang.Fang@Example.com".into()),
                social_style: Some("amiable".into()),
                ..input("王芳", "end", Some(shop.id))
            },
        )
        .await
        .unwrap();
    let contacts = app.store().list_contacts(person.id).await.unwrap();
    assert_eq!(
        (
            contacts.len(),
            contacts[0].phone_norm.as_str(),
            contacts[0].email.as_str(),
            contacts[0].is_primary
        ),
        (1, "13800138000", "wang.fang@example.com", true)
    );

    // Buying through an end customer is not a channel; buying through yourself loops.
    let e = app
        .create_customer(&agent, input("李雷", "end", Some(person.id)))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Invalid(i) if i.errors[0].code == "parent_not_intermediate"),
        "{e:?}"
    );
    assert!(matches!(
        app.move_customer(&agent, top.id, Some(shop.id)).await,
        Err(AppError::Cycle)
    ));
    assert_eq!(
        app.store().get_customer(top.id).await.unwrap().parent_id,
        None,
        "the refused move changed nothing"
    );
    assert!(matches!(
        app.create_customer(&agent, input("x", "end", Some(99_999))).await,
        Err(AppError::Invalid(_))
    ));

    // Roles: technicians and customers do not write customers.
    let tech = actor(&app, Role::Technician).await;
    assert!(matches!(
        app.create_customer(&tech, input("x", "end", None)).await,
        Err(AppError::Forbidden)
    ));

    // Found by a two-character word inside the name, by phone, by e-mail and by region.
    let found = |q: &'static str| {
        let app = app.clone();
        async move {
            app.store()
                .search_customers(&parse_query(q), None, 10)
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found("王芳").await, vec![person.id]);
    assert_eq!(found("前街").await, vec![shop.id]);
    assert_eq!(found("13800138000").await, vec![person.id]);
    assert_eq!(found("wang").await, vec![person.id]);
    let renamed = app
        .change_customer(
            &agent,
            shop.id,
            kefu_store::CustomerPatch {
                name: Some("石路门店".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "石路门店");
    assert_eq!(found("前街").await, Vec::<i64>::new(), "the index follows the change");
    assert_eq!(found("石路").await, vec![shop.id]);
    assert_eq!(app.reindex_all_customers().await.unwrap(), 3);
    assert_eq!(found("石路").await, vec![shop.id]);
}

#[tokio::test]
async fn value_tiers_follow_purchases_on_sqlite() {
    common::on_sqlite(2, value_tiers_follow_purchases).await;
}

#[tokio::test]
async fn value_tiers_follow_purchases_on_postgres() {
    common::on_postgres(4, value_tiers_follow_purchases).await;
}

async fn value_tiers_follow_purchases(app: App) {
    let admin = actor(&app, Role::Admin).await;
    let mut ids = vec![];
    for i in 0..10 {
        ids.push(
            app.create_customer(&admin, input(&format!("顾客{i}"), "end", None))
                .await
                .unwrap()
                .id,
        );
    }
    // Customer i bought i+1 times, the last one (8-i)*30 days before 2026-11-23, for (i+1)*100 yuan
    // each: the higher i, the better on recency, frequency and money alike.
    let today: jiff::civil::Date = "2026-11-23".parse().unwrap();
    for (i, id) in ids.iter().enumerate().take(9) {
        for k in 0..=i {
            let on = today
                .checked_sub(jiff::Span::new().days(((8 - i) * 30 + k) as i64))
                .unwrap();
            app.store()
                .upsert_purchase(NewPurchase {
                    external_id: format!("P{i}-{k}"),
                    customer_id: *id,
                    purchased_on: on.to_string(),
                    amount_minor: (i as i64 + 1) * 10_000,
                    currency: "CNY".into(),
                    sku: String::new(),
                    product_name: String::new(),
                    category: String::new(),
                    serial: String::new(),
                    seller_id: None,
                    now: 0,
                })
                .await
                .unwrap();
        }
    }
    assert_eq!(app.recompute_value_tiers(today).await.unwrap(), 9);
    let mut tiers = vec![];
    for id in &ids {
        tiers.push(
            app.store()
                .get_customer(*id)
                .await
                .unwrap()
                .value_tier
                .as_str()
                .to_owned(),
        );
    }
    // Scores 1..5 per dimension by rank among 9 buyers; sums 3,6,6,9,9,12,12,15,15 cut into quintiles.
    assert_eq!(tiers, vec!["E", "D", "D", "C", "C", "B", "B", "A", "A", "none"]);
}

#[tokio::test]
async fn a_restored_backup_is_searchable_on_sqlite() {
    let (from, to) = (common::TestDb::sqlite(2).await, common::TestDb::sqlite(2).await);
    a_restored_backup_is_searchable(&from, &to).await;
}

#[tokio::test]
async fn a_restored_backup_is_searchable_on_postgres() {
    let (from, to) = (common::TestDb::postgres(4).await, common::TestDb::postgres(4).await);
    a_restored_backup_is_searchable(&from, &to).await;
    from.finish().await;
    to.finish().await;
}

async fn a_restored_backup_is_searchable(db: &common::TestDb, into: &common::TestDb) {
    let app = db.app(kefu_app::AppConfig::default());
    let admin = actor(&app, Role::Admin).await;
    let c = app
        .create_customer(&admin, input("客户王芳投诉", "end", None))
        .await
        .unwrap();
    let t = app
        .create_ticket(
            &admin,
            kefu_app::tickets::TicketInput {
                customer_id: c.id,
                kind: "complaint".into(),
                subject: "热水器漏水".into(),
                body: "the heater leaks".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let file = db.dir().join("b.json");
    app.backup_to(&file).await.unwrap();
    let other = into.app(kefu_app::AppConfig::default());
    other.restore_from(&file, false).await.unwrap();
    let found = other
        .store()
        .search_customers(&parse_query("王芳"), None, 10)
        .await
        .unwrap();
    assert_eq!(found.iter().map(|x| x.id).collect::<Vec<_>>(), vec![c.id]);
    // Tickets too: by subject, message and customer name.
    for q in ["漏水", "leaks", "王芳"] {
        let found = other
            .store()
            .search_tickets(
                &parse_query(q),
                &kefu_store::TicketFilter {
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(found.iter().map(|x| x.id).collect::<Vec<_>>(), vec![t.ticket.id], "{q}");
    }
}

/// The escalation sweep logs each step once, raises the priority on breach per the default
/// policy, and a second sweep (another node) does nothing more.
async fn escalation_sweep_is_once(app: App) {
    let c = app
        .create_customer(
            &Actor::Cli,
            kefu_app::customers::CustomerInput {
                name: "李娜".into(),
                kind: "end".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let v = app
        .create_ticket(
            &Actor::Cli,
            kefu_app::tickets::TicketInput {
                customer_id: c.id,
                kind: "complaint".into(),
                subject: "没人回复".into(),
                body: "三天了没人回复".into(),
                priority: Some("normal".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let id = v.ticket.id;
    assert!(
        v.ticket.sla_next_check_at.is_some(),
        "a new ticket has a mark for the sweep"
    );
    // Nothing is due yet at creation.
    let early = app.sweep_escalations(v.ticket.created_at).await.unwrap();
    assert_eq!((early.warnings, early.breaches), (0, 0));
    // Thirty days later every target is breached.
    let later = v.ticket.created_at + 30 * 86_400_000;
    let r = app.sweep_escalations(later).await.unwrap();
    assert!(r.breaches >= 1, "{r:?}");
    let logged = app.store().escalations_of(id).await.unwrap();
    assert!(
        logged
            .iter()
            .any(|k| k.starts_with("first_response") && k.ends_with(":breach")),
        "{logged:?}"
    );
    let t = app.store().get_ticket(id).await.unwrap();
    // Each breached target raises it one step: first response and resolution, normal -> urgent.
    assert_eq!(r.breaches, 2, "{r:?}");
    assert_eq!(t.priority, kefu_core::ticket::Priority::Urgent);
    let again = app.sweep_escalations(later).await.unwrap();
    assert_eq!((again.warnings, again.breaches), (0, 0), "once across sweeps and nodes");
    assert_eq!(app.store().escalations_of(id).await.unwrap(), logged);
    let activity = app.store().ticket_activity(id).await.unwrap();
    assert!(
        activity
            .iter()
            .any(|a| a.field == "priority" && a.actor == "escalation")
    );

    // Several tickets in one sweep; one an agent lowered after the sweep read it keeps the agent's
    // priority (the sweep's change applies only to the value it read) and logs no change.
    let mut ids = vec![];
    for i in 0..5 {
        let v = app
            .create_ticket(
                &Actor::Cli,
                kefu_app::tickets::TicketInput {
                    customer_id: c.id,
                    kind: "complaint".into(),
                    subject: format!("第{i}次投诉"),
                    body: "还是没人回复".into(),
                    priority: Some("low".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        ids.push(v.ticket.id);
    }
    let r = app.sweep_escalations(later).await.unwrap();
    assert_eq!(r.tickets, 5, "{r:?}");
    for id in &ids {
        let t = app.store().get_ticket(*id).await.unwrap();
        assert_eq!(t.priority, kefu_core::ticket::Priority::High, "low, raised twice");
        assert_eq!(
            app.store().escalations_of(*id).await.unwrap().len(),
            2,
            "the breach of both targets"
        );
    }
    let stale = kefu_store::SweepChange {
        id: ids[0],
        old_priority: kefu_core::ticket::Priority::Normal,
        priority: kefu_core::ticket::Priority::Urgent,
        old_assignee: None,
        assignee: None,
        next_check_at: None,
        urgent_at: None,
        due_at: None,
        facts: None,
    };
    let before = app.store().ticket_activity(ids[0]).await.unwrap().len();
    let system = kefu_store::ActivityActor {
        id: None,
        label: "escalation".into(),
    };
    app.store().apply_sweep(&[stale], &system, later).await.unwrap();
    let t = app.store().get_ticket(ids[0]).await.unwrap();
    assert_eq!(
        t.priority,
        kefu_core::ticket::Priority::High,
        "the value read no longer holds"
    );
    assert_eq!(t.sla_next_check_at, None, "the marks move regardless");
    assert_eq!(app.store().ticket_activity(ids[0]).await.unwrap().len(), before);
}

#[tokio::test]
async fn escalations_on_sqlite() {
    common::on_sqlite(2, escalation_sweep_is_once).await;
}

#[tokio::test]
async fn escalations_on_postgres() {
    common::on_postgres(4, escalation_sweep_is_once).await;
}

/// Ticket search pages newest first: the filters apply inside the search (a page is full even
/// when newer matches are filtered out) and the cursor continues below the last id.
async fn ticket_search_pages_newest_first(app: App) {
    let c = app
        .create_customer(
            &Actor::Cli,
            kefu_app::customers::CustomerInput {
                name: "张伟".into(),
                kind: "end".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut complaints = vec![];
    for i in 0..7 {
        let kind = if i % 2 == 0 { "complaint" } else { "request" };
        let v = app
            .create_ticket(
                &Actor::Cli,
                kefu_app::tickets::TicketInput {
                    customer_id: c.id,
                    kind: kind.into(),
                    subject: format!("空调不制冷 {i}"),
                    body: "the air conditioner blows warm air".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        if kind == "complaint" {
            complaints.push(v.ticket.id);
        }
    }
    complaints.reverse();
    let page = |before: i64| kefu_store::TicketFilter {
        before,
        limit: 2,
        kind: Some(kefu_core::ticket::Kind::Complaint),
        ..Default::default()
    };
    for q in ["空调", "conditioner"] {
        let mut seen = vec![];
        let mut before = 0;
        loop {
            let found = app
                .store()
                .search_tickets(&parse_query(q), &page(before))
                .await
                .unwrap();
            assert!(found.len() <= 2);
            seen.extend(found.iter().map(|t| t.id));
            match found.last() {
                Some(t) if found.len() == 2 => before = t.id,
                _ => break,
            }
        }
        assert_eq!(seen, complaints, "{q}: the complaints, newest first, each once");
    }
    let none = app
        .store()
        .search_tickets(&parse_query("洗衣机"), &page(0))
        .await
        .unwrap();
    assert!(none.is_empty());
    // A page read with its events in one statement has what the two reads give.
    app.add_to_ticket(
        &Actor::Cli,
        complaints[1],
        kefu_app::tickets::Addition::Reply {
            body: "师傅明天上门".into(),
        },
    )
    .await
    .unwrap();
    for q in [None, Some(parse_query("空调"))] {
        let filter = kefu_store::TicketFilter {
            limit: 5,
            ..Default::default()
        };
        let page = app.store().ticket_page(q.as_deref(), &filter).await.unwrap();
        let ids: Vec<i64> = page.tickets.iter().map(|t| t.id).collect();
        assert_eq!(ids.len(), 5);
        // Each ticket's events in order; the tickets newest first.
        let mut events = page.events.clone();
        events.sort_by_key(|(id, _, _)| *id);
        assert_eq!(events, app.store().ticket_events(&ids).await.unwrap(), "{q:?}");
        assert!(
            page.events
                .iter()
                .any(|(id, _, what)| *id == complaints[1] && what == "status:open")
        );
    }
    // Several statuses, paged by the keyset cursor: each ticket once, newest first.
    use kefu_core::ticket::Status;
    let everything = app
        .store()
        .list_tickets(&kefu_store::TicketFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    for statuses in [
        vec![Status::New, Status::Open],
        vec![Status::Open, Status::Pending],
        vec![Status::Pending, Status::Resolved],
    ] {
        let want: Vec<i64> = everything
            .iter()
            .filter(|t| statuses.contains(&t.status))
            .map(|t| t.id)
            .collect();
        let (mut seen, mut before) = (vec![], 0);
        loop {
            let filter = kefu_store::TicketFilter {
                before,
                limit: 2,
                statuses: statuses.clone(),
                ..Default::default()
            };
            let page = app.store().ticket_page(None, &filter).await.unwrap();
            seen.extend(page.tickets.iter().map(|t| t.id));
            match page.tickets.last() {
                Some(t) if page.tickets.len() == 2 => before = t.id,
                _ => break,
            }
        }
        assert_eq!(seen, want, "{statuses:?}");
    }
}

#[tokio::test]
async fn ticket_search_on_sqlite() {
    common::on_sqlite(2, ticket_search_pages_newest_first).await;
}

#[tokio::test]
async fn ticket_search_on_postgres() {
    common::on_postgres(4, ticket_search_pages_newest_first).await;
}
