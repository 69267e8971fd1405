//! Demo data: a believable bilingual organisation — a home-appliance maker with a service centre —
//! with departments, staff of every role and customer accounts, dated across the two years up to
//! today. Deterministic for a given size (seeded), so screenshots and tests can rely on it.
//! Later capabilities extend it (customers' records, tickets, surveys, visits).

use crate::auth::hash_password;
use crate::{App, AppResult, now_ms};
use kefu_core::time::DAY_MS;
use kefu_core::{Language, Role};
use kefu_store::NewUser;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

/// Every demo account's password (documented in the README; demo databases are not for production).
pub const DEMO_PASSWORD: &str = "kefu-demo-2026";
pub const DEMO_DOMAIN: &str = "kefu.example";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoSize {
    Small,
    Large,
    Customers(u32),
}

impl DemoSize {
    pub fn parse(s: &str) -> Option<DemoSize> {
        match s {
            "small" => Some(DemoSize::Small),
            "large" => Some(DemoSize::Large),
            n => n.parse().ok().filter(|n| *n <= 1_000_000).map(DemoSize::Customers),
        }
    }
    /// Consumers in the demo channel network.
    fn consumers(self) -> usize {
        match self {
            DemoSize::Small => 150,
            DemoSize::Large => 2_000,
            DemoSize::Customers(n) => (n as usize).min(2_000),
        }
    }

    /// Demo tickets (the large size writes its million in bulk, see `demo_tickets`).
    fn tickets(self) -> usize {
        match self {
            DemoSize::Small => 400,
            DemoSize::Large => 2_000,
            DemoSize::Customers(n) => (n as usize).min(5_000),
        }
    }

    fn customers(self) -> u32 {
        match self {
            DemoSize::Small => 40,
            DemoSize::Large => 5_000,
            DemoSize::Customers(n) => n,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoSummary {
    pub departments: usize,
    pub staff: usize,
    pub customers: u32,
    /// Customer records in the channel network (agents, wholesalers, retailers, consumers).
    pub network: usize,
    pub purchases: usize,
    pub tickets: usize,
    pub admin_email: String,
    pub password: &'static str,
}

const SURNAMES: &[(&str, &str)] = &[
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("林", "lin"),
    ("罗", "luo"),
    ("高", "gao"),
];
const GIVEN: &[(&str, &str)] = &[
    ("芳", "fang"),
    ("伟", "wei"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("磊", "lei"),
    ("洋", "yang"),
    ("艳", "yan"),
    ("勇", "yong"),
    ("军", "jun"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀英", "xiuying"),
    ("建华", "jianhua"),
    ("丽", "li"),
    ("强", "qiang"),
    ("婷", "ting"),
    ("晨", "chen"),
    ("雪梅", "xuemei"),
    ("志强", "zhiqiang"),
];
const ENGLISH: &[&str] = &[
    "Emma Clark",
    "Oliver Smith",
    "Sophia Brown",
    "Liam Wilson",
    "Mia Taylor",
    "Noah Davies",
    "Grace Evans",
    "Lucas Martin",
];

/// A staff account to create: name, e-mail, role, departments, language.
type StaffSeed = (String, String, Role, Vec<i64>, Option<Language>);

const DEPARTMENTS: &[&str] = &[
    "售前咨询部 Pre-sales",
    "售后服务部 After-sales",
    "投诉处理中心 Complaints",
    "安装维修部 Field service",
    "质量管理部 Quality",
];

impl App {
    /// Loads the demo organisation into an empty database; `progress(done, total)` is called as it goes.
    pub async fn load_demo(&self, size: DemoSize, progress: &(dyn Fn(u64, u64) + Sync)) -> AppResult<DemoSummary> {
        let mut rng = StdRng::seed_from_u64(0x6b65_6675);
        let now = now_ms();
        let start = now - 730 * DAY_MS;
        let hash = hash_password(DEMO_PASSWORD).await?;
        let customers = size.customers();
        let total = DEPARTMENTS.len() as u64 + 17 + u64::from(customers);
        let mut done = 0u64;

        self.store
            .set_setting(
                "organisation",
                &json!({"name": "华信家电 Huaxin Appliances", "time_zone": "Asia/Shanghai"}),
                start,
            )
            .await?;
        let mut depts = Vec::new();
        for name in DEPARTMENTS {
            depts.push(self.store.create_department(name, start).await?);
            done += 1;
            progress(done, total);
        }
        let mut used = std::collections::HashSet::new();
        let mut person = |rng: &mut StdRng| loop {
            let (s, sp) = SURNAMES[rng.gen_range(0..SURNAMES.len())];
            let (g, gp) = GIVEN[rng.gen_range(0..GIVEN.len())];
            let n = rng.gen_range(1..100);
            let email = format!("{gp}.{sp}{n}@{DEMO_DOMAIN}");
            if used.insert(email.clone()) {
                return (format!("{s}{g}"), email);
            }
        };
        // Staff: one admin, two managers, agents in the service departments, technicians in the field team.
        let mut staff: Vec<StaffSeed> = vec![
            (
                "系统管理员 Admin".into(),
                format!("admin@{DEMO_DOMAIN}"),
                Role::Admin,
                vec![],
                None,
            ),
            (
                "服务经理 Li Na".into(),
                format!("manager@{DEMO_DOMAIN}"),
                Role::Manager,
                vec![depts[4].id],
                Some(Language::ZhCn),
            ),
            (
                ENGLISH[0].into(),
                format!("emma.clark@{DEMO_DOMAIN}"),
                Role::Manager,
                vec![depts[1].id, depts[2].id],
                Some(Language::En),
            ),
            (
                "客服 王芳".into(),
                format!("agent@{DEMO_DOMAIN}"),
                Role::Agent,
                vec![depts[2].id],
                None,
            ),
            (
                "技师 张伟".into(),
                format!("technician@{DEMO_DOMAIN}"),
                Role::Technician,
                vec![depts[3].id],
                None,
            ),
            (
                "顾客 陈静".into(),
                format!("customer@{DEMO_DOMAIN}"),
                Role::Customer,
                vec![],
                Some(Language::ZhCn),
            ),
        ];
        for i in 0..8 {
            let (name, email) = person(&mut rng);
            staff.push((name, email, Role::Agent, vec![depts[i % 3].id], None));
        }
        for _ in 0..3 {
            let (name, email) = person(&mut rng);
            staff.push((name, email, Role::Technician, vec![depts[3].id], None));
        }
        let staff_count = staff.len();
        for (i, (name, email, role, departments, language)) in staff.into_iter().enumerate() {
            let at = start + (i as i64) * DAY_MS;
            self.store
                .create_user(NewUser {
                    email,
                    name,
                    role,
                    language,
                    password_hash: Some(hash.clone()),
                    departments,
                    now: at,
                })
                .await?;
            done += 1;
            progress(done, total);
        }
        for i in 0..customers {
            let (name, email) = if rng.gen_ratio(1, 8) {
                let n = ENGLISH[rng.gen_range(0..ENGLISH.len())];
                let mut parts = n.split(' ');
                let (first, last) = (parts.next().unwrap_or("guest"), parts.next().unwrap_or("user"));
                (
                    n.to_owned(),
                    format!("{}.{}{i}@{DEMO_DOMAIN}", first.to_lowercase(), last.to_lowercase()),
                )
            } else {
                let (name, email) = person(&mut rng);
                (name, email.replace('@', &format!("{i}@")))
            };
            let at = start + rng.gen_range(0..730 * DAY_MS);
            let language = if rng.gen_ratio(1, 8) {
                Some(Language::En)
            } else {
                Some(Language::ZhCn)
            };
            self.store
                .create_user(NewUser {
                    email,
                    name,
                    role: Role::Customer,
                    language,
                    password_hash: Some(hash.clone()),
                    departments: vec![],
                    now: at,
                })
                .await?;
            done += 1;
            if done.is_multiple_of(50) || done == total {
                progress(done, total);
            }
        }
        let (network, purchases) = self
            .load_demo_network(&mut rng, size.consumers(), now, progress)
            .await?;
        let tickets = self.load_demo_tickets(&mut rng, size.tickets(), now, progress).await?;
        Ok(DemoSummary {
            network,
            purchases,
            tickets,
            departments: depts.len() + 1,
            staff: staff_count,
            customers,
            admin_email: format!("admin@{DEMO_DOMAIN}"),
            password: DEMO_PASSWORD,
        })
    }
}

/// Regions with their agent and two cities' wholesalers.
const REGIONS: &[(&str, &str, [&str; 2])] = &[
    ("华东", "华东总代理 East China Agency", ["上海", "苏州"]),
    ("华南", "华南总代理 South China Agency", ["广州", "深圳"]),
    ("华北", "华北总代理 North China Agency", ["北京", "天津"]),
];
const STREETS: &[&str] = &["人民路", "中山路", "解放路", "建设路", "和平街", "观前街"];
const PRODUCTS: &[(&str, &str, &str, i64)] = &[
    ("BCD-215", "冰箱 Refrigerator BCD-215", "refrigerator", 299_900),
    ("KFR-35GW", "空调 Air conditioner KFR-35GW", "air_conditioner", 349_900),
    ("XQG80", "洗衣机 Washing machine XQG80", "washing_machine", 229_900),
    ("JSQ24", "燃气热水器 Gas water heater JSQ24", "water_heater", 189_900),
    ("M1-L213", "微波炉 Microwave M1-L213", "microwave", 59_900),
];

impl App {
    /// The channel network of seed 001 (manufacturer → agents → wholesalers → retailers →
    /// consumers) with two years of purchases, then value tiers computed from them.
    async fn load_demo_network(
        &self,
        rng: &mut StdRng,
        consumers: usize,
        now: i64,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> AppResult<(usize, usize)> {
        use crate::customers::CustomerInput;
        let actor = crate::Actor::Cli;
        let total = (REGIONS.len() * 9 + consumers) as u64;
        let mut done = 0u64;
        let mut retailers: Vec<(i64, String)> = Vec::new();
        for (region, agent_name, cities) in REGIONS {
            let agent = self
                .create_customer(
                    &actor,
                    CustomerInput {
                        name: (*agent_name).into(),
                        kind: "intermediate".into(),
                        subkind: Some("agent".into()),
                        is_organisation: true,
                        region: (*region).into(),
                        tags: vec!["一级渠道".into()],
                        ..Default::default()
                    },
                )
                .await?;
            done += 1;
            for city in cities {
                let w = self
                    .create_customer(
                        &actor,
                        CustomerInput {
                            name: format!("{city}家电批发"),
                            kind: "intermediate".into(),
                            subkind: Some("wholesaler_l1".into()),
                            is_organisation: true,
                            parent_id: Some(agent.id),
                            region: (*region).into(),
                            ..Default::default()
                        },
                    )
                    .await?;
                done += 1;
                for k in 0..3 {
                    let street = STREETS[rng.gen_range(0..STREETS.len())];
                    let name = format!("{city}{street}{}号店", k + 1);
                    let r = self
                        .create_customer(
                            &actor,
                            CustomerInput {
                                name: name.clone(),
                                kind: "intermediate".into(),
                                subkind: Some("retailer".into()),
                                is_organisation: true,
                                parent_id: Some(w.id),
                                region: (*region).into(),
                                ..Default::default()
                            },
                        )
                        .await?;
                    retailers.push((r.id, (*region).to_owned()));
                    done += 1;
                }
            }
            progress(done, total);
        }
        let styles = ["dominant", "expressive", "amiable", "analytical"];
        let today = jiff::Timestamp::from_millisecond(now)
            .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
            .unwrap_or_default();
        let mut purchases = 0;
        for i in 0..consumers {
            let (s, _) = SURNAMES[rng.gen_range(0..SURNAMES.len())];
            let (g, _) = GIVEN[rng.gen_range(0..GIVEN.len())];
            let (seller, region) = retailers[rng.gen_range(0..retailers.len())].clone();
            let phone = format!(
                "1{}{:09}",
                [3, 5, 8][rng.gen_range(0..3)],
                rng.gen_range(0..1_000_000_000u64)
            );
            let c = self
                .create_customer(
                    &actor,
                    CustomerInput {
                        name: format!("{s}{g}"),
                        kind: "end".into(),
                        parent_id: Some(seller),
                        region,
                        phone: Some(phone),
                        social_style: rng.gen_ratio(2, 3).then(|| styles[rng.gen_range(0..4)].to_owned()),
                        external_id: Some(format!("DEMO-C{:05}", i + 1)),
                        ..Default::default()
                    },
                )
                .await?;
            for k in 0..rng.gen_range(1..=4) {
                let (sku, product, category, price) = PRODUCTS[rng.gen_range(0..PRODUCTS.len())];
                let days_ago = rng.gen_range(0..730);
                let on = today.checked_sub(jiff::Span::new().days(days_ago)).unwrap_or(today);
                self.store
                    .upsert_purchase(kefu_store::NewPurchase {
                        external_id: format!("DEMO-P{:05}-{k}", i + 1),
                        customer_id: c.id,
                        purchased_on: on.to_string(),
                        amount_minor: price - rng.gen_range(0..5) * 10_000,
                        currency: "CNY".into(),
                        sku: sku.into(),
                        product_name: product.into(),
                        category: category.into(),
                        serial: format!("SN{}{:08}", sku.replace('-', ""), rng.gen_range(0..100_000_000u32)),
                        seller_id: Some(seller),
                        now,
                    })
                    .await?;
                purchases += 1;
            }
            done += 1;
            if done.is_multiple_of(25) || done == total {
                progress(done, total);
            }
        }
        self.recompute_value_tiers(today).await?;
        Ok((REGIONS.len() * 9 + consumers, purchases))
    }
}
