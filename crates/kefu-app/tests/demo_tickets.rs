//! The demo's tickets: every kind and many channels, two years of lives played out (replies,
//! waits, resolutions with root causes, closing), open ones with SLA marks, all searchable.

use kefu_app::demo::DemoSize;
mod common;

use kefu_app::AppConfig;
use kefu_core::sla::SlaState;
use kefu_core::ticket::{Kind, Status};
use kefu_store::TicketFilter;
use std::collections::HashSet;

/// Every ticket of the small demo (it has 400).
async fn every_ticket(app: &kefu_app::App) -> Vec<kefu_store::Ticket> {
    let all = TicketFilter {
        limit: 1_000,
        ..Default::default()
    };
    app.store().list_tickets(&all).await.unwrap()
}

#[tokio::test]
async fn demo_tickets_look_like_two_years_of_service() {
    let db = common::TestDb::sqlite(2).await;
    let app = db.app(AppConfig::default());
    let summary = app.load_demo(DemoSize::Small, &|_, _| {}).await.unwrap();
    assert_eq!(summary.tickets, 400);
    let all = every_ticket(&app).await;
    assert_eq!(all.len(), 400);
    let kinds: HashSet<Kind> = all.iter().map(|t| t.kind).collect();
    assert_eq!(kinds.len(), Kind::ALL.len(), "every kind: {kinds:?}");
    let channels: HashSet<_> = all.iter().map(|t| t.channel).collect();
    assert!(channels.len() >= 6, "{channels:?}");
    let now = kefu_app::now_ms();
    let oldest = all.iter().map(|t| t.created_at).min().unwrap();
    assert!(now - oldest > 365 * 86_400_000, "spread over the years");
    let closed = all.iter().filter(|t| t.status == Status::Closed).count();
    assert!(closed > 300, "most are done: {closed}");
    let open: Vec<_> = all.iter().filter(|t| t.status.is_active()).collect();
    assert!(!open.is_empty(), "the queue has work");
    assert!(
        open.iter()
            .all(|t| t.sla_next_check_at.is_none_or(|m| m > now - 60_000)),
        "the sweep left no open ticket overdue for a check"
    );
    let complaints_with_cause = all
        .iter()
        .filter(|t| t.kind == Kind::Complaint && t.status == Status::Closed && t.root_cause.is_some())
        .count();
    assert!(complaints_with_cause > 50, "{complaints_with_cause}");
    // A closed ticket's history: filed, answered, resolved, closed — and its SLA clock stopped.
    let t = all.iter().find(|t| t.status == Status::Closed).unwrap();
    let view = app.view_tickets(vec![t.clone()]).await.unwrap().remove(0);
    // The first reply stopped the clock: met when it came by the due instant, else breached.
    let due = view
        .sla
        .first_response
        .due_at
        .expect("a closed ticket's first reply was due");
    let first_reply = app
        .store()
        .ticket_messages(t.id)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.author_kind == kefu_store::AuthorKind::Agent && m.kind != kefu_store::MessageKind::Internal)
        .expect("a closed ticket was answered")
        .created_at;
    let expected = if first_reply <= due.as_millisecond() {
        "met"
    } else {
        "breached"
    };
    assert_eq!(view.sla.first_response.state.as_str(), expected);
    assert_ne!(
        view.sla.resolution.state.as_str(),
        "running",
        "resolved: the clock stopped"
    );
    assert!(view.first_contact_resolution.is_some());
    let found = app
        .store()
        .search_tickets(
            &kefu_core::search::parse_query("空调"),
            &TicketFilter {
                limit: 5,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!found.is_empty(), "searchable in Chinese");
    db.finish().await;
}

#[tokio::test]
async fn bulk_demo_tickets_on_postgres() {
    let db = common::TestDb::postgres(4).await;
    let app = db.app(AppConfig::default());
    // A few end customers to file for.
    for n in ["王芳", "李雷", "John Smith"] {
        app.create_customer(
            &kefu_app::Actor::Cli,
            kefu_app::customers::CustomerInput {
                name: n.into(),
                kind: "end".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(7);
    let now = kefu_app::now_ms();
    let n = app
        .load_demo_tickets_bulk(&mut rng, 2_500, now, &|_, _| {})
        .await
        .unwrap();
    assert_eq!(n, 2_500);
    let all = app
        .store()
        .list_tickets(&TicketFilter {
            limit: 3_000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 2_500);
    assert!(
        all.windows(2).all(|w| w[0].created_at >= w[1].created_at),
        "ids follow filing times"
    );
    assert!(all.iter().any(|t| t.status == Status::New) && all.iter().any(|t| t.status == Status::Closed));
    let found = app
        .store()
        .search_tickets(
            &kefu_core::search::parse_query("王芳"),
            &TicketFilter {
                limit: 5,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!found.is_empty(), "found by the customer's name");
    // A closed one carries its history: the reply, resolution and closing, so its SLA is settled.
    let closed: Vec<_> = all
        .iter()
        .filter(|t| t.status == Status::Closed)
        .take(20)
        .cloned()
        .collect();
    for t in &closed {
        assert!(t.resolved_at.is_some() && t.closed_at >= t.resolved_at, "{t:?}");
    }
    let views = app.view_tickets(closed).await.unwrap();
    for v in &views {
        for target in [&v.sla.first_response, &v.sla.resolution] {
            assert!(
                matches!(target.state, SlaState::Met | SlaState::Breached),
                "{}: {:?}",
                v.reference,
                target.state
            );
        }
        assert_eq!(app.store().ticket_messages(v.ticket.id).await.unwrap().len(), 2);
    }
    db.finish().await;
}

/// The small demo shows the quality half too: a year of SERVQUAL answers with reliability and
/// responsiveness the weakest until the dated change lifts them, CSAT tied to tickets and
/// agents, NPS and CES, published commitments, bilingual macros, value tiers; the demo agent
/// works a real queue and the demo customer's portal shows its customer's tickets.
#[tokio::test]
async fn demo_shows_measurements_a_queue_and_a_portal_on_sqlite() {
    common::on_sqlite(2, |app| async move {
        demo_shows_measurements_a_queue_and_a_portal(app).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_shows_measurements_a_queue_and_a_portal_on_postgres() {
    common::on_postgres(4, |app| async move {
        demo_shows_measurements_a_queue_and_a_portal(app).await
    })
    .await;
}

async fn demo_shows_measurements_a_queue_and_a_portal(app: kefu_app::App) {
    let summary = app.load_demo(DemoSize::Small, &|_, _| {}).await.unwrap();
    assert_eq!(summary.quality.surveys, 4);
    let cli = kefu_app::Actor::Cli;
    let actor = |email: &str| {
        let app = app.clone();
        let email = email.to_owned();
        async move {
            let user = app.store().get_user_by_email(&email).await.unwrap();
            kefu_app::Actor::User { user, ip: None }
        }
    };

    // SERVQUAL: answers in each of the last twelve months; before the change reliability and
    // responsiveness have the widest gaps, after it both are better.
    let servqual = app.survey_id_of(&cli, "servqual-2026").await.unwrap();
    let whole = app.survey_report(&cli, servqual, None, None, None).await.unwrap();
    // Twelve 30-day months of answers touch 12 or 13 calendar months.
    let months = whole.trend.iter().filter(|p| p.n > 0).count();
    assert!((12..=13).contains(&months), "{:?}", whole.trend);
    let tz = app.time_zone().await;
    let month = |days_ago: i64| {
        let at = jiff::Timestamp::from_millisecond(app.now() - days_ago * 86_400_000).unwrap();
        at.to_zoned(tz.clone()).strftime("%Y-%m").to_string()
    };
    let change = kefu_app::demo::CHANGE_DAYS_AGO;
    let before = app
        .survey_report(&cli, servqual, None, Some(&month(365)), Some(&month(change + 31)))
        .await
        .unwrap();
    let after = app
        .survey_report(&cli, servqual, None, Some(&month(change - 31)), None)
        .await
        .unwrap();
    let gaps = |r: &kefu_app::surveys::SurveyReport| -> Vec<(String, f64)> {
        let mut g: Vec<(String, f64)> = (r.servqual.as_ref().unwrap().dimensions.iter())
            .map(|d| (d.dimension.clone(), d.gap_mean.unwrap()))
            .collect();
        g.sort_by(|a, b| a.1.total_cmp(&b.1));
        g
    };
    let (b, a) = (gaps(&before), gaps(&after));
    let weakest: HashSet<&str> = b[..2].iter().map(|(d, _)| d.as_str()).collect();
    assert_eq!(weakest, HashSet::from(["reliability", "responsiveness"]), "{b:?}");
    for dim in ["reliability", "responsiveness"] {
        let gap = |g: &[(String, f64)]| g.iter().find(|(d, _)| d == dim).unwrap().1;
        assert!(gap(&a) > gap(&b) + 0.4, "{dim} improved: before {b:?}, after {a:?}");
    }

    // CSAT answers are about tickets and so about their agents; NPS and CES have answers.
    let csat = app.survey_id_of(&cli, "csat-after-service").await.unwrap();
    let segments = app.survey_segments(&cli, csat).await.unwrap();
    assert!(
        segments.iter().filter(|s| s.starts_with("agent:")).count() >= 3,
        "{segments:?}"
    );
    let r = app.survey_report(&cli, csat, None, None, None).await.unwrap();
    assert!(r.csat.as_ref().unwrap().n >= 50, "{:?}", r.csat);
    for slug in ["nps-relationship", "ces-requests"] {
        let id = app.survey_id_of(&cli, slug).await.unwrap();
        let r = app.survey_report(&cli, id, None, None, None).await.unwrap();
        assert!(r.n_responses >= 30, "{slug}: {}", r.n_responses);
    }

    // The manager's headlines: one per kind, over the last twelve whole months; CSAT's figure
    // and count agree with the raw answers of those months, and SERVQUAL's short planks are
    // the two dimensions the demo made weakest.
    let manager = actor("manager@kefu.example").await;
    let heads = app.quality_headlines(&manager).await.unwrap();
    let kinds: Vec<_> = heads.iter().map(|h| h.report.view.survey.kind.as_str()).collect();
    assert_eq!(kinds, ["servqual", "nps", "csat", "ces"]);
    let from = heads[0].report.from.clone().unwrap();
    let today = app.now_ts().to_zoned(tz.clone()).date();
    let first = today
        .first_of_month()
        .checked_sub(jiff::Span::new().months(11))
        .unwrap();
    assert_eq!(
        from,
        first.strftime("%Y-%m").to_string(),
        "eleven months back and this one"
    );
    let raw: Vec<u8> = (app.store().final_responses(csat).await.unwrap().iter())
        .filter(|r| {
            serde_json::from_str::<serde_json::Value>(&r.segment).unwrap()["period"]
                .as_str()
                .unwrap()
                >= from.as_str()
        })
        .map(|r| {
            serde_json::from_str::<serde_json::Value>(&r.answers).unwrap()["score"]
                .as_u64()
                .unwrap() as u8
        })
        .collect();
    let c = heads[2].report.csat.unwrap();
    assert_eq!(c.n, raw.len() as u64);
    let share = raw.iter().filter(|s| **s >= 4).count() as f64 / raw.len() as f64;
    assert!((c.csat.unwrap() - share).abs() < 1e-12, "{:?} vs {share}", c.csat);
    let planks: HashSet<&str> = heads[0].weakest.iter().map(|(d, _)| d.as_str()).collect();
    assert_eq!(planks, HashSet::from(["reliability", "responsiveness"]));
    let agent_view = app.quality_headlines(&actor("agent@kefu.example").await).await;
    assert!(matches!(agent_view, Err(kefu_app::AppError::Forbidden)));

    // Commitments on the public page, macros in both languages, value tiers from purchases.
    assert_eq!(app.published_commitments().await.unwrap().len(), 2);
    let macros = app.macros(&cli).await.unwrap();
    assert_eq!(macros.len(), 3);
    assert!(macros.iter().all(|m| !m.body_zh.is_empty() && !m.body_en.is_empty()));
    let all = kefu_store::CustomerFilter {
        limit: 1_000,
        ..Default::default()
    };
    let tiers: HashSet<_> = (app.store().list_customers(all).await.unwrap().iter())
        .map(|c| c.value_tier)
        .collect();
    assert!(tiers.len() >= 3, "value tiers computed: {tiers:?}");
    // Dealers buy their stock: the agencies, the biggest buyers, are tier A.
    let dealers = kefu_store::CustomerFilter {
        limit: 1_000,
        kind: Some(kefu_core::customer::CustomerKind::Intermediate),
        ..Default::default()
    };
    let agencies: Vec<_> = (app.store().list_customers(dealers).await.unwrap().into_iter())
        .filter(|c| c.name.contains("总代理"))
        .collect();
    assert_eq!(agencies.len(), 3);
    assert!(
        agencies.iter().all(|c| c.value_tier == kefu_core::rfm::ValueTier::A),
        "{:?}",
        agencies.iter().map(|c| c.value_tier).collect::<Vec<_>>()
    );

    // Tickets carry a category of the tree, a touchpoint, and the purchase they are about.
    let tickets = every_ticket(&app).await;
    let categories: HashSet<_> = tickets.iter().filter_map(|t| t.category_id).collect();
    assert!(categories.len() >= 6, "{categories:?}");
    assert!(tickets.iter().all(|t| !t.touchpoint.is_empty()));
    let about_purchases = tickets.iter().filter(|t| t.purchase_id.is_some()).count();
    assert!(about_purchases > 300, "{about_purchases} of 400 name their purchase");
    for t in tickets.iter().filter(|t| t.purchase_id.is_some()).take(20) {
        let p = app.store().get_purchase(t.purchase_id.unwrap()).await.unwrap();
        assert_eq!(
            (p.customer_id, p.category.as_str()),
            (t.customer_id, t.product.as_str())
        );
    }

    // The README's agent has a queue of its own; the README's customer sees its tickets.
    let agent = actor("agent@kefu.example").await;
    let mine = app
        .list_tickets(
            &agent,
            TicketFilter {
                limit: 500,
                assignee_id: agent.user_id(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(mine.len() >= 20, "agent@ works {} tickets", mine.len());
    let customer = actor("customer@kefu.example").await;
    let theirs = app
        .list_tickets(
            &customer,
            TicketFilter {
                limit: 500,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(theirs.len() >= 2, "the portal shows {} tickets", theirs.len());
}
