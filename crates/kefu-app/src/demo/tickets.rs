//! Demo tickets: two years of complaints, requests, inquiries, suggestions, praise and incidents
//! across every channel, in Chinese and English, on the demo's end customers.
//!
//! The small demo files each ticket at its own moment in the past and plays its life through the
//! store as it would have happened — the agent's first reply, waiting on the customer, resolution
//! with a root cause and remedy, closing — so the SLA clocks, FCR and reopen counts come out as
//! real ones do. Recent tickets stay open, so the queue has work in every quadrant.
//!
//! The large demo (`--size large`, for the benchmarks) writes 1,000,000 tickets in batches through
//! the same multi-ticket transaction the API's writer uses: each with its first message and search
//! terms; all but the last days' are closed on filing (their lifecycle is not replayed).

use crate::tickets::ticket_terms;
use crate::{App, AppResult};
use kefu_core::Language;
use kefu_core::rfm::ValueTier;
use kefu_core::ticket::{Channel, Classification, Kind, Priority, Remedy, RootCause, Status};
use kefu_core::time::DAY_MS;
use kefu_store::{
    ActivityActor, AuthorKind, CustomerFilter, MessageKind, NewMessage, NewTicket, PastStep, TicketChange,
};
use rand::RngExt;
use rand::rngs::StdRng;

/// (product zh, product en)
const PRODUCTS: &[(&str, &str)] = &[
    ("空调", "air conditioner"),
    ("冰箱", "refrigerator"),
    ("洗衣机", "washing machine"),
    ("热水器", "water heater"),
    ("净水器", "water purifier"),
    ("油烟机", "range hood"),
];
/// (fault zh, fault en, the products it happens to: a word of their Chinese names; empty: any)
const FAULTS: &[(&str, &str, &[&str])] = &[
    ("不制冷", "stopped cooling", &["空调", "冰箱"]),
    ("漏水", "is leaking", &["空调", "冰箱", "洗衣机", "热水器", "净水器"]),
    ("噪音很大", "makes a loud noise", &[]),
    ("无法开机", "does not turn on", &[]),
    ("显示屏黑屏", "has a blank display", &[]),
    (
        "有异味",
        "smells bad",
        &["冰箱", "净水器", "油烟机", "微波炉", "洗衣机"],
    ),
];
const CHANNELS: &[Channel] = &[
    Channel::Phone,
    Channel::Phone,
    Channel::WebForm,
    Channel::Email,
    Channel::Portal,
    Channel::Qr,
    Channel::Agent,
    Channel::Api,
];

/// A ticket's words: (subject, first message) in `lang`.
fn words(rng: &mut StdRng, kind: Kind, lang: Language) -> (String, String) {
    let product = PRODUCTS[rng.random_range(0..PRODUCTS.len())];
    words_about(rng, kind, lang, product)
}

/// A ticket's words about a product named `(zh, en)`.
fn words_about(rng: &mut StdRng, kind: Kind, lang: Language, (pz, pe): (&str, &str)) -> (String, String) {
    let fits: Vec<_> = (FAULTS.iter())
        .filter(|(_, _, to)| to.is_empty() || to.iter().any(|p| pz.contains(p)))
        .collect();
    let (fz, fe, _) = fits[rng.random_range(0..fits.len())];
    let days = rng.random_range(2..60);
    let zh = lang == Language::ZhCn;
    match (kind, zh) {
        (Kind::Complaint, true) => (
            format!("{pz}{fz}"),
            format!("新买的{pz}用了{days}天就{fz}，已经打了两次电话还没人来，请尽快处理。"),
        ),
        (Kind::Complaint, false) => (
            format!("My {pe} {fe}"),
            format!("My new {pe} {fe} after {days} days. I have called twice and nobody came. Please fix it soon."),
        ),
        (Kind::Request, true) => (
            format!("预约上门安装{pz}"),
            format!("{pz}已经送到，请安排师傅这周末上门安装。"),
        ),
        (Kind::Request, false) => (
            format!("Installation of my {pe}"),
            format!("The {pe} was delivered. Please book a technician to install it this weekend."),
        ),
        (Kind::Inquiry, true) => (
            format!("{pz}的保修期是多久？"),
            format!("请问{pz}整机保修几年？压缩机单独保修吗？"),
        ),
        (Kind::Inquiry, false) => (
            format!("Warranty of the {pe}"),
            format!("How long is the warranty on the {pe}? Is the compressor covered separately?"),
        ),
        (Kind::Suggestion, true) => (
            "希望客服热线晚上也能接通".to_owned(),
            "白天上班没时间打电话，建议热线延长到晚上九点。".to_owned(),
        ),
        (Kind::Suggestion, false) => (
            "Evening hours for the hotline".to_owned(),
            "I work during the day; please keep the hotline open until 9 pm.".to_owned(),
        ),
        (Kind::Praise, true) => (
            "师傅服务很专业".to_owned(),
            format!("安装{pz}的师傅很准时，走前还把地面打扫干净了，点赞！"),
        ),
        (Kind::Praise, false) => (
            "Great technician".to_owned(),
            format!("The technician who installed my {pe} was on time and tidy. Thank you!"),
        ),
        (Kind::Incident, true) => (
            "配送中心系统故障，订单延迟".to_owned(),
            "城东配送中心调度系统宕机，约两百个订单无法按时送达。".to_owned(),
        ),
        (Kind::Incident, false) => (
            "Dispatch system outage".to_owned(),
            "The east-side dispatch system is down; about 200 deliveries will be late.".to_owned(),
        ),
    }
}

/// A public message without e-mail or call details.
fn message(author_kind: AuthorKind, author_user_id: Option<i64>, body: String, channel: Channel) -> NewMessage {
    NewMessage {
        kind: MessageKind::Public,
        author_kind,
        author_user_id,
        author_contact_id: None,
        body,
        body_html: None,
        channel,
        call_direction: None,
        call_seconds: None,
        message_id: None,
    }
}

/// What differs between demo tickets; the rest is the same for all of them.
struct DemoTicket<'a> {
    kind: Kind,
    status: Status,
    priority: Priority,
    channel: Channel,
    lang: Language,
    subject: String,
    body: String,
    customer: (i64, ValueTier, &'a str),
    department: i64,
    assignee: Option<i64>,
    policy: i64,
    check_at: Option<i64>,
    at: i64,
    /// The category, the purchase it is about (its product category as the ticket's product),
    /// and where the customer met the service.
    category: Option<i64>,
    purchase: Option<(i64, String)>,
    touchpoint: &'static str,
    /// Steps after filing, written with the ticket (the bulk demo); `status` is where they end.
    history: Vec<(i64, PastStep)>,
}

impl DemoTicket<'_> {
    fn into_new(self) -> NewTicket {
        let (customer_id, tier, name) = self.customer;
        NewTicket {
            kind: self.kind,
            status: self.status,
            priority: self.priority,
            channel: self.channel,
            language: self.lang,
            terms: ticket_terms(&self.subject, std::slice::from_ref(&self.body), name),
            subject: self.subject,
            customer_id,
            contact_id: None,
            on_behalf_of_id: None,
            department_id: self.department,
            assignee_id: self.assignee,
            created_by: None,
            category_id: self.category,
            purchase_id: self.purchase.as_ref().map(|(id, _)| *id),
            product: self.purchase.map(|(_, category)| category).unwrap_or_default(),
            touchpoint: self.touchpoint.to_owned(),
            classification: Classification::default(),
            tags: vec![],
            customer_tier: tier,
            sla_policy_id: Some(self.policy),
            sla_next_check_at: self.check_at,
            sla_urgent_at: None,
            sla_due_at: None,
            follow_token_hash: None,
            first_message: message(AuthorKind::Customer, None, self.body, self.channel),
            history: self.history,
            // Folded in after the load (App::fold_ticket_facts), in chunks.
            facts: None,
            actor: ActivityActor {
                id: None,
                label: "demo".into(),
            },
            now: self.at,
        }
    }
}

fn agent_reply(lang: Language, kind: Kind) -> &'static str {
    match (lang, kind) {
        (Language::ZhCn, Kind::Inquiry) => "您好，整机保修一年，压缩机保修十年，凭发票享受。",
        (Language::ZhCn, Kind::Praise) => "感谢您的肯定，我们会转达给师傅！",
        (Language::ZhCn, _) => "您好，已为您安排师傅明天上午上门，请保持电话畅通。",
        (Language::En, Kind::Inquiry) => "Hello, the appliance has a one-year warranty and the compressor ten years.",
        (Language::En, Kind::Praise) => "Thank you, we will pass it on to the technician!",
        (Language::En, _) => "Hello, a technician will visit you tomorrow morning; please keep your phone on.",
    }
}

fn pick_kind(rng: &mut StdRng) -> Kind {
    match rng.random_range(0..100) {
        0..35 => Kind::Complaint,
        35..60 => Kind::Request,
        60..85 => Kind::Inquiry,
        85..92 => Kind::Suggestion,
        92..99 => Kind::Praise,
        _ => Kind::Incident,
    }
}

/// A moment in business hours of a day `days_ago` days before `now` (Shanghai, UTC+8).
fn in_office_hours(rng: &mut StdRng, now: i64, days_ago: i64) -> i64 {
    let day = (now - days_ago * DAY_MS).div_euclid(DAY_MS) * DAY_MS;
    // 09:00–18:00 Shanghai is 01:00–10:00 UTC.
    day + 3_600_000 + rng.random_range(0..9 * 3_600_000)
}

impl App {
    /// Files `count` demo tickets on the end customers over the two years before `now`; the number filed.
    pub(crate) async fn load_demo_tickets(
        &self,
        rng: &mut StdRng,
        count: usize,
        now: i64,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> AppResult<usize> {
        let customers: Vec<(i64, ValueTier)> = (self.demo_end_customers(5_000).await?.into_iter())
            .map(|c| (c.id, c.value_tier))
            .collect();
        if customers.is_empty() || count == 0 {
            return Ok(0);
        }
        let setup = self.sla_setup().await?;
        let desks = self.demo_desks().await?;
        let categories = self.demo_categories().await?;
        let mut filed = 0;
        for i in 0..count {
            // Older tickets thin out: more of them are recent, as a growing business has.
            let days_ago = (730.0 * rng.random::<f64>().powf(1.6)) as i64;
            let at = in_office_hours(rng, now, days_ago).min(now - 60_000);
            let (customer_id, tier) = customers[rng.random_range(0..customers.len())];
            let kind = pick_kind(rng);
            let lang = if rng.random_bool(0.8) {
                Language::ZhCn
            } else {
                Language::En
            };
            let channel = if kind == Kind::Incident {
                Channel::Agent
            } else {
                CHANNELS[rng.random_range(0..CHANNELS.len())]
            };
            // About one of the customer's purchases, when it has one.
            let bought = self.store.list_purchases(customer_id, 20).await?;
            let purchase = (!bought.is_empty()).then(|| &bought[rng.random_range(0..bought.len())]);
            let (subject, body) = match purchase {
                Some(p) => {
                    let (zh, en) = p
                        .product_name
                        .split_once(' ')
                        .unwrap_or((&p.product_name, &p.product_name));
                    words_about(rng, kind, lang, (zh, en))
                }
                None => words(rng, kind, lang),
            };
            let priority = match (kind, rng.random_range(0..10)) {
                (Kind::Incident, _) => Priority::Urgent,
                (Kind::Complaint, 0..3) => Priority::High,
                (_, 0) => Priority::Low,
                _ => Priority::Normal,
            };
            let policy = setup.select(kind, priority, tier)?;
            let (department, agents) = desks.for_kind(kind);
            let assignee = (!agents.is_empty()).then(|| agents[i % agents.len()]);
            let customer_name = self
                .store
                .get_customer(customer_id)
                .await
                .map(|c| c.name)
                .unwrap_or_default();
            let new = DemoTicket {
                kind,
                status: Status::New,
                priority,
                channel,
                lang,
                subject,
                body,
                customer: (customer_id, tier, &customer_name),
                department,
                assignee,
                policy: policy.id,
                // The sweep recomputes the marks of the open ones on its first run.
                check_at: Some(at),
                at,
                category: categories.pick(rng, kind),
                purchase: purchase.map(|p| (p.id, p.category.clone())),
                touchpoint: touchpoint_of(channel),
                history: vec![],
            }
            .into_new();
            let t = self.store.create_tickets(&[new]).await?.remove(0);
            self.play_demo_life(rng, &t, lang, assignee, days_ago, now).await?;
            filed += 1;
            if filed % 50 == 0 || filed == count {
                progress(filed as u64, count as u64);
            }
        }
        self.sweep_demo(now).await?;
        Ok(filed)
    }

    /// Sweeps until nothing is left to look at: the open demo tickets get their SLA marks, and
    /// the escalations and breaches they have earned by `now`.
    pub(super) async fn sweep_demo(&self, now: i64) -> AppResult<()> {
        for _ in 0..1_000 {
            if self.sweep_escalations(now).await?.tickets == 0 {
                break;
            }
        }
        Ok(())
    }

    /// The departments demo tickets go to, each with its agents: complaints and incidents to the
    /// complaints centre (where `agent@` works), requests to after-sales, the rest to pre-sales;
    /// the default department where the demo's are missing.
    async fn demo_desks(&self) -> AppResult<DemoDesks> {
        let all = self.store.list_departments().await?;
        let default = self.store.default_department().await?.id;
        let find = |prefix: &str| {
            all.iter()
                .find(|d| d.name.starts_with(prefix))
                .map_or(default, |d| d.id)
        };
        let mut desks = DemoDesks::default();
        for (slot, prefix) in ["售前咨询部", "售后服务部", "投诉处理中心"].iter().enumerate() {
            let id = find(prefix);
            let agents = self
                .store
                .department_agent_loads(id)
                .await?
                .into_iter()
                .map(|(a, _)| a)
                .collect();
            desks.0[slot] = (id, agents);
        }
        Ok(desks)
    }

    /// The category tree tickets are filed under, in both languages.
    async fn demo_categories(&self) -> AppResult<DemoCategories> {
        let cli = crate::Actor::Cli;
        let quality = self
            .create_category(&cli, None, "Product quality", "产品质量")
            .await?
            .id;
        let service = self.create_category(&cli, None, "Service", "服务").await?.id;
        let other = self
            .create_category(&cli, None, "Questions and feedback", "咨询与反馈")
            .await?
            .id;
        let cli = &cli;
        let under = |parent: i64, en: &'static str, zh: &'static str| async move {
            self.create_category(cli, Some(parent), en, zh).await.map(|c| c.id)
        };
        Ok(DemoCategories {
            faults: under(quality, "Faults", "产品故障").await?,
            delivery: under(quality, "Delivery damage", "物流损坏").await?,
            installation: under(service, "Installation", "安装").await?,
            repairs: under(service, "Repairs", "维修").await?,
            attitude: under(service, "Staff attitude", "服务态度").await?,
            questions: under(other, "Product questions", "产品咨询").await?,
            feedback: under(other, "Suggestions and praise", "建议与表扬").await?,
        })
    }

    /// The end customers tickets are filed for and surveys asked of, at most `limit`.
    pub(super) async fn demo_end_customers(&self, limit: u32) -> AppResult<Vec<kefu_store::Customer>> {
        Ok(self
            .store
            .list_customers(CustomerFilter {
                limit,
                kind: Some(kefu_core::customer::CustomerKind::End),
                ..Default::default()
            })
            .await?)
    }

    /// A ticket's life after filing, each step at its own time: a reply, perhaps a wait on the
    /// customer and their answer, resolution (with root cause and remedy for complaints), closing.
    async fn play_demo_life(
        &self,
        rng: &mut StdRng,
        t: &kefu_store::Ticket,
        lang: Language,
        assignee: Option<i64>,
        days_ago: i64,
        now: i64,
    ) -> AppResult<()> {
        let actor = ActivityActor {
            id: assignee,
            label: "demo".into(),
        };
        let mut at = t.created_at;
        // Recent tickets are still being worked on.
        let stage = if days_ago >= 3 { 4 } else { rng.random_range(0..4) };
        if stage == 0 {
            return self.demo_marks(t.id, Some(at)).await;
        }
        at += rng.random_range(5..240) * 60_000;
        let reply = message(
            AuthorKind::Agent,
            assignee,
            agent_reply(lang, t.kind).to_owned(),
            Channel::Agent,
        );
        let change = TicketChange {
            status: Some(Status::Open),
            ..Default::default()
        };
        self.store
            .change_ticket(t.id, change, Some(reply), &actor, at.min(now))
            .await?;
        if stage == 1 {
            return self.demo_marks(t.id, Some(now)).await;
        }
        if rng.random_bool(0.3) {
            at += rng.random_range(30..2_000) * 60_000;
            let change = TicketChange {
                status: Some(Status::Pending),
                ..Default::default()
            };
            self.store
                .change_ticket(t.id, change, None, &actor, at.min(now))
                .await?;
            if stage == 2 {
                return self.demo_marks(t.id, Some(now)).await;
            }
            at += rng.random_range(60..3_000) * 60_000;
            let answer = message(
                AuthorKind::Customer,
                None,
                if lang == Language::ZhCn {
                    "好的，明天上午家里有人。"
                } else {
                    "Fine, someone will be home tomorrow morning."
                }
                .to_owned(),
                t.channel,
            );
            let change = TicketChange {
                status: Some(Status::Open),
                ..Default::default()
            };
            self.store
                .change_ticket(t.id, change, Some(answer), &actor, at.min(now))
                .await?;
        }
        if stage < 4 {
            return self.demo_marks(t.id, Some(now)).await;
        }
        at += rng.random_range(60..(4 * 1_440)) * 60_000;
        let mut resolve = TicketChange {
            status: Some(Status::Resolved),
            sla_marks: Some(kefu_store::SlaMarks::default()),
            ..Default::default()
        };
        if t.kind == Kind::Complaint {
            let causes = RootCause::ALL;
            resolve.root_cause = Some(Some(causes[rng.random_range(0..causes.len())].as_str().to_owned()));
            let remedy = [
                Remedy::Apology,
                Remedy::Repair,
                Remedy::Repair,
                Remedy::Exchange,
                Remedy::Compensation,
            ][rng.random_range(0..5)];
            resolve.remedy = Some(Some(remedy));
            if remedy == Remedy::Compensation {
                resolve.compensation_minor = Some(Some(rng.random_range(1..10) * 5_000));
            }
        }
        self.store
            .change_ticket(t.id, resolve, None, &actor, at.min(now))
            .await?;
        // Some complaints come back: the fault returns within days, the customer writes again
        // (the ticket reopens) and it is resolved a second time. Drawn from the ticket's own
        // seed, so the rest of the demo is what it was.
        let mut again = <StdRng as rand::SeedableRng>::seed_from_u64(0x7265_6f70_656e ^ t.id as u64);
        if t.kind == Kind::Complaint && again.random_bool(0.12) {
            let back = at + again.random_range(1..5) * DAY_MS;
            let solved = back + again.random_range(2..20) * 3_600_000;
            if solved < now {
                let (words, reply) = if lang == Language::ZhCn {
                    ("又出现同样的问题了。", "师傅明天再上门，这次更换配件。")
                } else {
                    (
                        "The same problem is back.",
                        "Our technician will come again tomorrow and replace the part.",
                    )
                };
                let reopen = TicketChange {
                    status: Some(Status::Open),
                    ..Default::default()
                };
                let words = message(AuthorKind::Customer, None, words.to_owned(), t.channel);
                self.store
                    .change_ticket(t.id, reopen, Some(words), &actor, back)
                    .await?;
                let reply = message(AuthorKind::Agent, assignee, reply.to_owned(), Channel::Agent);
                self.store
                    .change_ticket(t.id, TicketChange::default(), Some(reply), &actor, back + 3_600_000)
                    .await?;
                let resolve = TicketChange {
                    status: Some(Status::Resolved),
                    ..Default::default()
                };
                self.store.change_ticket(t.id, resolve, None, &actor, solved).await?;
                at = solved;
            }
        }
        let close_at = at + 7 * DAY_MS;
        if close_at < now {
            let close = TicketChange {
                status: Some(Status::Closed),
                ..Default::default()
            };
            self.store.change_ticket(t.id, close, None, &actor, close_at).await?;
        }
        Ok(())
    }

    /// Leaves an open demo ticket due for the escalation sweep, which recomputes its marks.
    async fn demo_marks(&self, id: i64, check_at: Option<i64>) -> AppResult<()> {
        let change = TicketChange {
            sla_marks: Some(kefu_store::SlaMarks {
                next_check_at: check_at,
                ..Default::default()
            }),
            ..Default::default()
        };
        let demo = ActivityActor {
            id: None,
            label: "demo".into(),
        };
        let at = check_at.unwrap_or(0);
        self.store.change_ticket(id, change, None, &demo, at).await?;
        Ok(())
    }
}

/// Where a customer coming in on `channel` met the service (the ticket's touchpoint).
fn touchpoint_of(channel: Channel) -> &'static str {
    match channel {
        Channel::Phone => "客服热线",
        Channel::WebForm | Channel::Portal | Channel::Api => "官网",
        Channel::Email => "电子邮件",
        Channel::Qr => "门店",
        _ => "上门服务",
    }
}

/// The demo's category tree, (id) by what a ticket is about.
struct DemoCategories {
    faults: i64,
    installation: i64,
    repairs: i64,
    attitude: i64,
    delivery: i64,
    questions: i64,
    feedback: i64,
}

impl DemoCategories {
    /// A category for a ticket of `kind`: most complaints are about faults, some about staff
    /// or deliveries.
    fn pick(&self, rng: &mut StdRng, kind: Kind) -> Option<i64> {
        Some(match kind {
            Kind::Complaint => match rng.random_range(0..10) {
                0..6 => self.faults,
                6..8 => self.attitude,
                _ => self.delivery,
            },
            Kind::Request => {
                if rng.random_bool(0.6) {
                    self.installation
                } else {
                    self.repairs
                }
            }
            Kind::Incident => self.delivery,
            Kind::Inquiry => self.questions,
            Kind::Suggestion | Kind::Praise => self.feedback,
        })
    }
}

/// Pre-sales, after-sales and complaints: (department id, its agents).
#[derive(Default)]
struct DemoDesks([(i64, Vec<i64>); 3]);

impl DemoDesks {
    fn for_kind(&self, kind: Kind) -> (i64, &[i64]) {
        let (id, agents) = match kind {
            Kind::Complaint | Kind::Incident => &self.0[2],
            Kind::Request => &self.0[1],
            _ => &self.0[0],
        };
        (*id, agents)
    }
}

/// Tickets a bulk transaction writes.
const BULK_BATCH: usize = 1_000;

impl App {
    /// Writes `count` demo tickets in bulk (the large demo): spread over two years on up to 50,000
    /// end customers; all but the last three days' closed on filing, the rest new with an SLA mark
    /// for the sweep. The number written.
    pub async fn load_demo_tickets_bulk(
        &self,
        rng: &mut StdRng,
        count: usize,
        now: i64,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> AppResult<usize> {
        let mut customers = Vec::new();
        let mut after = 0;
        while customers.len() < 50_000 {
            let page = self
                .store
                .list_customers(CustomerFilter {
                    after,
                    limit: 1_000,
                    kind: Some(kefu_core::customer::CustomerKind::End),
                    ..Default::default()
                })
                .await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            customers.extend(page.into_iter().map(|c| (c.id, c.value_tier, c.name)));
        }
        if customers.is_empty() {
            return Ok(0);
        }
        let setup = self.sla_setup().await?;
        let desks = self.demo_desks().await?;
        let mut written = 0;
        while written < count {
            let n = BULK_BATCH.min(count - written);
            let mut batch = Vec::with_capacity(n);
            for i in 0..n {
                // Evenly over two years, oldest first, so that ids follow filing times.
                let span = 730 * DAY_MS - 60_000;
                let at = now - 730 * DAY_MS + (written + i) as i64 * (span / count as i64);
                let days_ago = (now - at) / DAY_MS;
                let (customer_id, tier, name) = &customers[rng.random_range(0..customers.len())];
                let kind = pick_kind(rng);
                let lang = if rng.random_bool(0.8) {
                    Language::ZhCn
                } else {
                    Language::En
                };
                let channel = CHANNELS[rng.random_range(0..CHANNELS.len())];
                let (subject, body) = words(rng, kind, lang);
                let policy = setup.select(kind, Priority::Normal, *tier)?;
                let (department, agents) = desks.for_kind(kind);
                let assignee = (!agents.is_empty()).then(|| agents[(written + i) % agents.len()]);
                let recent = days_ago < 3;
                // An old ticket was answered, resolved and closed, each step logged as it happened.
                let history = if recent {
                    vec![]
                } else {
                    let replied = at + rng.random_range(5..240) * 60_000;
                    let resolved = replied + rng.random_range(30..2_880) * 60_000;
                    let closed = resolved + rng.random_range(1..7) * DAY_MS;
                    vec![
                        (
                            replied,
                            PastStep::Message(message(
                                AuthorKind::Agent,
                                None,
                                agent_reply(lang, kind).to_owned(),
                                channel,
                            )),
                        ),
                        (
                            replied,
                            PastStep::Status {
                                from: Status::New,
                                to: Status::Open,
                            },
                        ),
                        (
                            resolved,
                            PastStep::Status {
                                from: Status::Open,
                                to: Status::Resolved,
                            },
                        ),
                        (
                            closed.min(now - 60_000),
                            PastStep::Status {
                                from: Status::Resolved,
                                to: Status::Closed,
                            },
                        ),
                    ]
                };
                batch.push(
                    DemoTicket {
                        kind,
                        status: if recent { Status::New } else { Status::Closed },
                        priority: Priority::Normal,
                        channel,
                        lang,
                        subject,
                        body,
                        customer: (*customer_id, *tier, name),
                        department,
                        assignee,
                        policy: policy.id,
                        check_at: recent.then_some(at),
                        at,
                        category: None,
                        purchase: None,
                        touchpoint: touchpoint_of(channel),
                        history,
                    }
                    .into_new(),
                );
            }
            self.store.create_tickets(&batch).await?;
            written += n;
            progress(written as u64, count as u64);
        }
        self.store.refresh_statistics().await?;
        Ok(written)
    }
}
