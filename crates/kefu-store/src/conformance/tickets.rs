//! `Tickets`: the story of a ticket, from filing through work, search and the SLA clock's events to
//! its escalations and its resolution.

use super::*;
use kefu_core::customer::CustomerKind;
use kefu_core::search::{analyze, parse_query};
use kefu_core::ticket::{Channel, Kind, Priority, Status};

const MINUTE: i64 = 60_000;

fn message(kind: MessageKind, author_kind: AuthorKind, author_user_id: Option<i64>, body: &str) -> NewMessage {
    NewMessage {
        kind,
        author_kind,
        author_user_id,
        author_contact_id: None,
        body: body.into(),
        body_html: None,
        channel: Channel::Email,
        call_direction: None,
        call_seconds: None,
        message_id: None,
    }
}

pub(super) fn new_ticket(
    kind: Kind,
    subject: &str,
    body: &str,
    customer_id: i64,
    department_id: i64,
    now: Millis,
) -> NewTicket {
    NewTicket {
        kind,
        status: Status::New,
        priority: Priority::Normal,
        channel: Channel::Email,
        language: Language::ZhCn,
        subject: subject.into(),
        customer_id,
        contact_id: None,
        on_behalf_of_id: None,
        department_id,
        assignee_id: None,
        created_by: None,
        category_id: None,
        purchase_id: None,
        product: String::new(),
        touchpoint: String::new(),
        classification: Default::default(),
        tags: vec![],
        customer_tier: kefu_core::rfm::ValueTier::None,
        sla_policy_id: None,
        sla_next_check_at: None,
        sla_urgent_at: None,
        sla_due_at: None,
        follow_token_hash: None,
        first_message: message(MessageKind::Public, AuthorKind::Customer, None, body),
        history: vec![],
        terms: analyze(&format!("{subject} {body}")),
        facts: None,
        actor: ActivityActor {
            id: None,
            label: "customer".into(),
        },
        now,
    }
}

fn queue(limit: u32) -> TicketFilter {
    TicketFilter {
        limit,
        ..Default::default()
    }
}

/// A customer's complaint and inquiry are filed together; the queue, the search and the lookups
/// find them; an agent takes the complaint, replies, notes and resolves it, and every step is in
/// its activity log and in the events the SLA clock replays. A change made on a stale page is
/// refused and changes nothing.
pub async fn ticket_story_filed_worked_and_resolved(s: DynStore) {
    let department = s.default_department().await.unwrap();
    let agent = add_user(&s, "agent@tickets.example", Role::Agent).await;
    let shop = add_customer(&s, "华东空调专卖店", CustomerKind::End, None).await;
    let mut complaint = new_ticket(
        Kind::Complaint,
        "空调不制冷",
        "新买的空调不制冷, compressor 不启动",
        shop.id,
        department.id,
        T0,
    );
    complaint.follow_token_hash = Some("follow-hash-1".into());
    complaint.first_message.message_id = Some("first@mail.example".into());
    complaint.sla_next_check_at = Some(T0 + 30 * MINUTE);
    let inquiry = new_ticket(
        Kind::Inquiry,
        "发票问题",
        "请问发票什么时候开",
        shop.id,
        department.id,
        T0 + MINUTE,
    );
    let created = s.create_tickets(&[complaint, inquiry]).await.unwrap();
    assert_eq!(created.len(), 2);
    let (c, i) = (created[0].clone(), created[1].clone());
    assert!(c.id < i.id, "in the order given");
    assert_eq!(
        (c.kind, c.status, c.subject.as_str()),
        (Kind::Complaint, Status::New, "空调不制冷")
    );
    assert_eq!(
        (c.customer_id, c.department_id, c.created_at),
        (shop.id, department.id, T0)
    );
    assert_eq!(s.get_ticket(c.id).await.unwrap(), c);
    assert!(matches!(s.get_ticket(i.id + 1000).await, Err(StoreError::NotFound)));
    assert_eq!(
        s.tickets_by_ids(&[i.id, c.id, i.id + 1000]).await.unwrap(),
        vec![c.clone(), i.clone()]
    );
    assert_eq!(s.ticket_by_follow_token("follow-hash-1").await.unwrap().id, c.id);
    assert!(matches!(
        s.ticket_by_follow_token("nobody").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(s.ticket_by_message_id("first@mail.example").await.unwrap().id, c.id);
    let first = s.ticket_messages(c.id).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].author_kind, first[0].created_at), (AuthorKind::Customer, T0));
    let activity = s.ticket_activity(c.id).await.unwrap();
    assert_eq!(activity.len(), 1);
    assert_eq!((activity[0].field.as_str(), activity[0].at), ("created", T0));

    // The queue, newest first, and its filters; the search reads the index.
    let ids = |ts: Vec<Ticket>| ts.into_iter().map(|t| t.id).collect::<Vec<_>>();
    assert_eq!(ids(s.list_tickets(&queue(10)).await.unwrap()), vec![i.id, c.id]);
    assert_eq!(ids(s.list_tickets(&queue(1)).await.unwrap()), vec![i.id]);
    let older = TicketFilter {
        before: i.id,
        ..queue(10)
    };
    assert_eq!(ids(s.list_tickets(&older).await.unwrap()), vec![c.id]);
    let complaints = TicketFilter {
        kind: Some(Kind::Complaint),
        ..queue(10)
    };
    assert_eq!(ids(s.list_tickets(&complaints).await.unwrap()), vec![c.id]);
    let of_shop = TicketFilter {
        customer_id: Some(shop.id),
        ..queue(10)
    };
    assert_eq!(ids(s.list_tickets(&of_shop).await.unwrap()), vec![i.id, c.id]);
    assert_eq!(
        ids(s.search_tickets(&parse_query("空调"), &queue(10)).await.unwrap()),
        vec![c.id]
    );
    assert_eq!(
        ids(s.search_tickets(&parse_query("发票"), &queue(10)).await.unwrap()),
        vec![i.id]
    );
    assert_eq!(
        ids(s.search_tickets(&parse_query("compressor"), &queue(10)).await.unwrap()),
        vec![c.id]
    );
    assert!(
        s.search_tickets(&parse_query("洗衣机"), &queue(10))
            .await
            .unwrap()
            .is_empty()
    );
    let page = s
        .ticket_page(Some(parse_query("空调").as_slice()), &queue(10))
        .await
        .unwrap();
    assert_eq!(ids(page.tickets), vec![c.id]);
    assert_eq!(page.events, vec![(c.id, T0, "customer".to_owned())]);

    // The SLA check is due once its mark passes.
    assert!(s.tickets_due_for_check(T0, 10).await.unwrap().is_empty());
    assert_eq!(s.tickets_due_for_check(T0 + 31 * MINUTE, 10).await.unwrap(), vec![c.id]);

    // The agent takes the complaint and replies, on a page that saw it new.
    let actor = ActivityActor {
        id: Some(agent.id),
        label: agent.name.clone(),
    };
    let take = TicketChange {
        expect_status: Some(Status::New),
        status: Some(Status::Open),
        assignee_id: Some(Some(agent.id)),
        ..Default::default()
    };
    let reply = message(
        MessageKind::Public,
        AuthorKind::Agent,
        Some(agent.id),
        "您好, 明天上门检修",
    );
    let (taken, sent) = s
        .change_ticket(c.id, take.clone(), Some(reply), &actor, T0 + 10 * MINUTE)
        .await
        .unwrap();
    assert_eq!((taken.status, taken.assignee_id), (Status::Open, Some(agent.id)));
    let sent = sent.expect("the reply is added");
    assert_eq!((sent.ticket_id, sent.author_user_id), (c.id, Some(agent.id)));
    // A second agent's page still shows it new: refused, and nothing changes.
    let stale = s.change_ticket(c.id, take, None, &actor, T0 + 11 * MINUTE).await;
    assert!(matches!(stale, Err(StoreError::Conflict { .. })), "{stale:?}");
    assert_eq!(s.get_ticket(c.id).await.unwrap(), taken);
    assert_eq!(s.ticket_messages(c.id).await.unwrap().len(), 2);

    // An internal note is no event of the SLA clock; the resolution is.
    let note = message(MessageKind::Internal, AuthorKind::Agent, Some(agent.id), "备件已订");
    s.change_ticket(c.id, TicketChange::default(), Some(note), &actor, T0 + 20 * MINUTE)
        .await
        .unwrap();
    let resolve = TicketChange {
        expect_status: Some(Status::Open),
        status: Some(Status::Resolved),
        priority: Some(Priority::High),
        ..Default::default()
    };
    let (resolved, _) = s
        .change_ticket(c.id, resolve, None, &actor, T0 + 30 * MINUTE)
        .await
        .unwrap();
    assert_eq!((resolved.status, resolved.priority), (Status::Resolved, Priority::High));
    assert_eq!(
        (resolved.resolved_at, resolved.closed_at),
        (Some(T0 + 30 * MINUTE), None)
    );
    let kinds: Vec<MessageKind> = s.ticket_messages(c.id).await.unwrap().iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        vec![MessageKind::Public, MessageKind::Public, MessageKind::Internal]
    );
    let logged: Vec<_> = s
        .ticket_activity(c.id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.field, a.old_value, a.new_value, a.actor_id))
        .collect();
    let line = |field: &str, old: Option<&str>, new: &str| {
        (
            field.to_owned(),
            old.map(str::to_owned),
            Some(new.to_owned()),
            Some(agent.id),
        )
    };
    assert!(logged.contains(&line("status", Some("new"), "open")), "{logged:?}");
    assert!(
        logged.contains(&line("assignee_id", None, &agent.id.to_string())),
        "{logged:?}"
    );
    assert!(logged.contains(&line("status", Some("open"), "resolved")), "{logged:?}");
    assert!(logged.contains(&line("priority", Some("normal"), "high")), "{logged:?}");
    assert_eq!(logged.len(), 5, "created, and four changed fields: {logged:?}");
    let events = s.ticket_events(&[c.id, i.id]).await.unwrap();
    let expected: Vec<(i64, Millis, String)> = vec![
        (c.id, T0, "customer".into()),
        (c.id, T0 + 10 * MINUTE, "agent".into()),
        (c.id, T0 + 10 * MINUTE, "status:open".into()),
        (c.id, T0 + 30 * MINUTE, "status:resolved".into()),
        (i.id, T0 + MINUTE, "customer".into()),
    ];
    assert_eq!(events, expected);
    assert!(s.ticket_events(&[]).await.unwrap().is_empty());
    let open = TicketFilter {
        statuses: vec![Status::New, Status::Open],
        ..queue(10)
    };
    assert_eq!(ids(s.list_tickets(&open).await.unwrap()), vec![i.id]);
    let done = TicketFilter {
        statuses: vec![Status::Resolved],
        assignee_id: Some(agent.id),
        ..queue(10)
    };
    assert_eq!(ids(s.list_tickets(&done).await.unwrap()), vec![c.id]);

    // Mail about it is logged with the ticket.
    let mail = Notification {
        id: 0,
        ticket_id: Some(c.id),
        event: "ticket.reply".into(),
        recipient: "shop@example.com".into(),
        language: Language::ZhCn,
        subject: "回复: 空调不制冷".into(),
        message_id: Some("reply@mail.example".into()),
        status: "sent".into(),
        detail: String::new(),
        created_at: T0 + 10 * MINUTE,
    };
    let mail_id = s.record_notification(&mail).await.unwrap();
    let logged = s.notifications_of(c.id).await.unwrap();
    assert_eq!(logged, vec![Notification { id: mail_id, ..mail }]);
    assert!(s.notifications_of(i.id).await.unwrap().is_empty());
    assert_eq!(s.ticket_by_message_id("reply@mail.example").await.unwrap().id, c.id);
}

/// The SLA sweep marks the inquiry, raises its priority and hands it to the agent; a sweep that
/// read values an agent has changed since leaves them be. Escalation steps are logged once each,
/// and the agent's open work counts it.
pub async fn ticket_story_sla_sweeps_and_escalations(s: DynStore) {
    let department = s.default_department().await.unwrap();
    let agent = add_user(&s, "sla@tickets.example", Role::Agent).await;
    let shop = add_customer(&s, "门店", CustomerKind::End, None).await;
    let created = s
        .create_tickets(&[
            new_ticket(Kind::Request, "上门安装", "请安排安装", shop.id, department.id, T0),
            new_ticket(Kind::Inquiry, "保修期", "保修多久", shop.id, department.id, T0 + MINUTE),
        ])
        .await
        .unwrap();
    let (a, b) = (created[0].clone(), created[1].clone());
    assert_eq!(
        s.department_agent_loads(department.id).await.unwrap(),
        vec![(agent.id, 0)]
    );
    let sweeper = ActivityActor {
        id: None,
        label: "sla".into(),
    };
    let breach = SweepChange {
        id: a.id,
        old_priority: Priority::Normal,
        priority: Priority::Urgent,
        old_assignee: None,
        assignee: Some(agent.id),
        next_check_at: Some(T0 + 60 * MINUTE),
        urgent_at: Some(T0 + 45 * MINUTE),
        due_at: Some(T0 + 30 * MINUTE),
        facts: None,
    };
    let marks_only = SweepChange {
        id: b.id,
        old_priority: Priority::Normal,
        priority: Priority::Normal,
        old_assignee: None,
        assignee: None,
        next_check_at: Some(T0 + 90 * MINUTE),
        urgent_at: None,
        due_at: Some(T0 + 100 * MINUTE),
        facts: None,
    };
    s.apply_sweep(&[breach.clone(), marks_only], &sweeper, T0 + 40 * MINUTE)
        .await
        .unwrap();
    let swept = s.get_ticket(a.id).await.unwrap();
    assert_eq!((swept.priority, swept.assignee_id), (Priority::Urgent, Some(agent.id)));
    assert_eq!(
        (swept.sla_next_check_at, swept.sla_urgent_at),
        (Some(T0 + 60 * MINUTE), Some(T0 + 45 * MINUTE))
    );
    let marked = s.get_ticket(b.id).await.unwrap();
    assert_eq!(
        (marked.priority, marked.sla_next_check_at),
        (Priority::Normal, Some(T0 + 90 * MINUTE))
    );
    let fields: Vec<(String, Option<String>)> = s
        .ticket_activity(a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|x| (x.field, x.new_value))
        .collect();
    assert!(
        fields.contains(&("priority".into(), Some("urgent".into()))),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("assignee_id".into(), Some(agent.id.to_string()))),
        "{fields:?}"
    );
    assert_eq!(s.ticket_activity(b.id).await.unwrap().len(), 1, "marks are not logged");
    // The queue now, from the marks at 50 minutes: the request is urgent and past due, the
    // inquiry falls due within the hour; the segment narrows it, a nameless one counts nothing.
    let row =
        |kind: &str, open, urgent, breached, soon| (kind.to_owned(), "none".to_owned(), open, urgent, breached, soon);
    let (now, soon) = (T0 + 50 * MINUTE, T0 + 110 * MINUTE);
    assert_eq!(
        s.queue_marks("all", now, soon).await.unwrap(),
        vec![row("inquiry", 1, 0, 0, 1), row("request", 1, 1, 1, 0)]
    );
    assert_eq!(
        s.queue_marks(&format!("agent:{}", agent.id), now, soon).await.unwrap(),
        vec![row("request", 1, 1, 1, 0)]
    );
    assert_eq!(
        s.queue_marks(&format!("department:{}", department.id), T0, T0 + 60 * MINUTE)
            .await
            .unwrap(),
        vec![row("inquiry", 1, 0, 0, 0), row("request", 1, 0, 0, 1)]
    );
    assert_eq!(
        s.queue_marks("region:华东", now, soon).await.unwrap(),
        s.queue_marks("all", now, soon).await.unwrap(),
        "the shop is in 华东"
    );
    for nothing in [
        "tier:A",
        "department:x",
        "colour:red",
        "region:西北",
        "product_category:fridge",
    ] {
        assert!(s.queue_marks(nothing, now, soon).await.unwrap().is_empty(), "{nothing}");
    }
    assert_eq!(
        s.department_agent_loads(department.id).await.unwrap(),
        vec![(agent.id, 1)]
    );
    assert_eq!(s.tickets_due_for_check(T0 + 70 * MINUTE, 10).await.unwrap(), vec![a.id]);
    assert_eq!(
        s.tickets_due_for_check(T0 + 100 * MINUTE, 10).await.unwrap(),
        vec![a.id, b.id]
    );

    // The agent lowers it; a sweep that read the old values changes the marks only.
    let lower = TicketChange {
        priority: Some(Priority::High),
        ..Default::default()
    };
    let agent_actor = ActivityActor {
        id: Some(agent.id),
        label: agent.name.clone(),
    };
    s.change_ticket(a.id, lower, None, &agent_actor, T0 + 50 * MINUTE)
        .await
        .unwrap();
    let stale = SweepChange {
        old_priority: Priority::Normal,
        priority: Priority::Urgent,
        next_check_at: None,
        urgent_at: None,
        due_at: None,
        facts: None,
        ..breach
    };
    s.apply_sweep(&[stale], &sweeper, T0 + 55 * MINUTE).await.unwrap();
    let kept = s.get_ticket(a.id).await.unwrap();
    assert_eq!((kept.priority, kept.assignee_id), (Priority::High, Some(agent.id)));
    assert_eq!((kept.sla_next_check_at, kept.sla_urgent_at), (None, None));
    assert_eq!(
        s.tickets_due_for_check(T0 + 100 * MINUTE, 10).await.unwrap(),
        vec![b.id]
    );
    s.apply_sweep(&[], &sweeper, T0).await.unwrap();

    // Each escalation step is logged once, whoever logs it again.
    assert_eq!(
        s.log_escalations(&[(a.id, "first_response.warn".into())], T0 + MINUTE)
            .await
            .unwrap(),
        vec![true]
    );
    let again = s
        .log_escalations(
            &[
                (a.id, "first_response.warn".into()),
                (a.id, "first_response.breach".into()),
            ],
            T0 + 2 * MINUTE,
        )
        .await
        .unwrap();
    assert_eq!(again, vec![false, true]);
    assert!(s.log_escalations(&[], T0).await.unwrap().is_empty());
    assert_eq!(
        s.escalations_of(a.id).await.unwrap(),
        vec!["first_response.warn".to_owned(), "first_response.breach".to_owned()]
    );
    assert!(s.escalations_of(b.id).await.unwrap().is_empty());
    assert_eq!(
        s.escalations_of_tickets(&[b.id, a.id]).await.unwrap(),
        vec![
            (a.id, "first_response.warn".to_owned()),
            (a.id, "first_response.breach".to_owned())
        ]
    );
}
