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
use rand::{RngExt, SeedableRng};
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
    /// Consumers in the demo channel network (`Large` has its own plan: [`NetworkPlan::LARGE`]).
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
            DemoSize::Large => 1_000_000,
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
        self.forget_desk().await;
        let mut depts = Vec::new();
        for name in DEPARTMENTS {
            depts.push(self.store.create_department(name, start).await?);
            done += 1;
            progress(done, total);
        }
        let mut used = std::collections::HashSet::new();
        let mut person = |rng: &mut StdRng| loop {
            let (s, sp) = SURNAMES[rng.random_range(0..SURNAMES.len())];
            let (g, gp) = GIVEN[rng.random_range(0..GIVEN.len())];
            let n = rng.random_range(1..100);
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
            let (name, email) = if rng.random_ratio(1, 8) {
                let n = ENGLISH[rng.random_range(0..ENGLISH.len())];
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
            let at = start + rng.random_range(0..730 * DAY_MS);
            let language = if rng.random_ratio(1, 8) {
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
        let (network, purchases) = match size {
            DemoSize::Large => self.load_demo_network_bulk(&NetworkPlan::LARGE, now, progress).await?,
            _ => {
                self.load_demo_network(&mut rng, size.consumers(), now, progress)
                    .await?
            }
        };
        let tickets = match size {
            DemoSize::Large => {
                self.load_demo_tickets_bulk(&mut rng, size.tickets(), now, progress)
                    .await?
            }
            _ => self.load_demo_tickets(&mut rng, size.tickets(), now, progress).await?,
        };
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
                    let street = STREETS[rng.random_range(0..STREETS.len())];
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
            let (s, _) = SURNAMES[rng.random_range(0..SURNAMES.len())];
            let (g, _) = GIVEN[rng.random_range(0..GIVEN.len())];
            let (seller, region) = retailers[rng.random_range(0..retailers.len())].clone();
            let phone = format!(
                "1{}{:09}",
                [3, 5, 8][rng.random_range(0..3)],
                rng.random_range(0..1_000_000_000u64)
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
                        social_style: rng
                            .random_ratio(2, 3)
                            .then(|| styles[rng.random_range(0..4)].to_owned()),
                        external_id: Some(format!("DEMO-C{:05}", i + 1)),
                        ..Default::default()
                    },
                )
                .await?;
            for k in 0..rng.random_range(1..=4) {
                let (sku, product, category, price) = PRODUCTS[rng.random_range(0..PRODUCTS.len())];
                let days_ago = rng.random_range(0..730);
                let on = today.checked_sub(jiff::Span::new().days(days_ago)).unwrap_or(today);
                self.store
                    .upsert_purchase(kefu_store::NewPurchase {
                        external_id: format!("DEMO-P{:05}-{k}", i + 1),
                        customer_id: c.id,
                        purchased_on: on.to_string(),
                        amount_minor: price - rng.random_range(0..5) * 10_000,
                        currency: "CNY".into(),
                        sku: sku.into(),
                        product_name: product.into(),
                        category: category.into(),
                        serial: format!("SN{}{:08}", sku.replace('-', ""), rng.random_range(0..100_000_000u32)),
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

/// The shape of a large demo channel network, written through the bulk import path: `agents`
/// regional agents, each with 4 wholesalers, 12 sub-wholesalers and 96 retailers above its
/// consumers, `customers_per_agent` customers in all beneath and including each agent; and
/// `purchases` over the last two years (seven in ten by consumers from their retailer, the rest
/// retailers' stock orders from their sub-wholesaler).
#[derive(Debug, Clone, Copy)]
pub struct NetworkPlan {
    pub agents: usize,
    pub customers_per_agent: usize,
    pub purchases: usize,
}

impl NetworkPlan {
    /// `kefu demo --size large`: 100,000 customers (each agent has 9,999 beneath it) and 1,000,000 purchases.
    pub const LARGE: NetworkPlan = NetworkPlan {
        agents: 10,
        customers_per_agent: 10_000,
        purchases: 1_000_000,
    };
    /// Intermediate customers per agent, the agent included: 1 + 4 + 4 × 3 + 4 × 3 × 8.
    pub const INTERMEDIATES_PER_AGENT: usize = 113;
}

/// A region of the large network: (region, agent, agent in English, four cities with their English names).
type LargeRegion = (
    &'static str,
    &'static str,
    &'static str,
    [(&'static str, &'static str); 4],
);

/// Regions of the large network.
const LARGE_REGIONS: &[LargeRegion] = &[
    (
        "华东",
        "华东总代理",
        "East China Agency",
        [
            ("上海", "Shanghai"),
            ("杭州", "Hangzhou"),
            ("宁波", "Ningbo"),
            ("温州", "Wenzhou"),
        ],
    ),
    (
        "江苏",
        "江苏总代理",
        "Jiangsu Agency",
        [
            ("南京", "Nanjing"),
            ("苏州", "Suzhou"),
            ("无锡", "Wuxi"),
            ("常州", "Changzhou"),
        ],
    ),
    (
        "华南",
        "华南总代理",
        "South China Agency",
        [
            ("广州", "Guangzhou"),
            ("深圳", "Shenzhen"),
            ("东莞", "Dongguan"),
            ("佛山", "Foshan"),
        ],
    ),
    (
        "华北",
        "华北总代理",
        "North China Agency",
        [
            ("北京", "Beijing"),
            ("天津", "Tianjin"),
            ("石家庄", "Shijiazhuang"),
            ("太原", "Taiyuan"),
        ],
    ),
    (
        "华中",
        "华中总代理",
        "Central China Agency",
        [
            ("武汉", "Wuhan"),
            ("长沙", "Changsha"),
            ("郑州", "Zhengzhou"),
            ("南昌", "Nanchang"),
        ],
    ),
    (
        "西南",
        "西南总代理",
        "Southwest China Agency",
        [
            ("成都", "Chengdu"),
            ("重庆", "Chongqing"),
            ("昆明", "Kunming"),
            ("贵阳", "Guiyang"),
        ],
    ),
    (
        "西北",
        "西北总代理",
        "Northwest China Agency",
        [
            ("西安", "Xi'an"),
            ("兰州", "Lanzhou"),
            ("银川", "Yinchuan"),
            ("西宁", "Xining"),
        ],
    ),
    (
        "东北",
        "东北总代理",
        "Northeast China Agency",
        [
            ("沈阳", "Shenyang"),
            ("大连", "Dalian"),
            ("长春", "Changchun"),
            ("哈尔滨", "Harbin"),
        ],
    ),
    (
        "山东",
        "山东总代理",
        "Shandong Agency",
        [
            ("济南", "Jinan"),
            ("青岛", "Qingdao"),
            ("烟台", "Yantai"),
            ("潍坊", "Weifang"),
        ],
    ),
    (
        "福建",
        "福建总代理",
        "Fujian Agency",
        [
            ("福州", "Fuzhou"),
            ("厦门", "Xiamen"),
            ("泉州", "Quanzhou"),
            ("漳州", "Zhangzhou"),
        ],
    ),
];
const DISTRICTS: &[(&str, &str)] = &[("东区", "East"), ("西区", "West"), ("南区", "South")];
const LARGE_STREETS: &[(&str, &str)] = &[
    ("人民路", "Renmin Rd"),
    ("中山路", "Zhongshan Rd"),
    ("解放路", "Jiefang Rd"),
    ("建设路", "Jianshe Rd"),
    ("和平街", "Heping St"),
    ("观前街", "Guanqian St"),
    ("长江路", "Changjiang Rd"),
    ("黄河路", "Huanghe Rd"),
];
/// More surnames and given names for the large network, so that a name is shared by a few dozen
/// consumers at most.
const MORE_SURNAMES: &[(&str, &str)] = &[
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
    ("唐", "tang"),
    ("许", "xu"),
    ("韩", "han"),
    ("冯", "feng"),
    ("邓", "deng"),
    ("曹", "cao"),
    ("彭", "peng"),
    ("曾", "zeng"),
    ("肖", "xiao"),
    ("田", "tian"),
    ("董", "dong"),
    ("袁", "yuan"),
    ("潘", "pan"),
    ("蒋", "jiang"),
    ("蔡", "cai"),
    ("余", "yu"),
    ("杜", "du"),
    ("叶", "ye"),
    ("程", "cheng"),
    ("苏", "su"),
    ("魏", "wei"),
    ("吕", "lv"),
    ("丁", "ding"),
    ("任", "ren"),
    ("沈", "shen"),
    ("姚", "yao"),
];
const MORE_GIVEN: &[(&str, &str)] = &[
    ("海燕", "haiyan"),
    ("桂兰", "guilan"),
    ("文", "wen"),
    ("斌", "bin"),
    ("鑫", "xin"),
    ("宇", "yu"),
    ("浩然", "haoran"),
    ("子涵", "zihan"),
    ("欣怡", "xinyi"),
    ("梓轩", "zixuan"),
    ("雨桐", "yutong"),
    ("俊杰", "junjie"),
    ("佳怡", "jiayi"),
    ("志明", "zhiming"),
    ("春梅", "chunmei"),
    ("国强", "guoqiang"),
    ("玉兰", "yulan"),
    ("晓东", "xiaodong"),
    ("红霞", "hongxia"),
    ("建国", "jianguo"),
    ("立新", "lixin"),
    ("思远", "siyuan"),
    ("嘉怡", "jiayi"),
    ("博文", "bowen"),
    ("一鸣", "yiming"),
    ("若曦", "ruoxi"),
    ("天佑", "tianyou"),
];
const FIRST_NAMES: &[&str] = &[
    "Emma", "Oliver", "Sophia", "Liam", "Mia", "Noah", "Grace", "Lucas", "Amelia", "James", "Chloe", "Henry",
];
const LAST_NAMES: &[&str] = &[
    "Clark", "Smith", "Brown", "Wilson", "Taylor", "Davies", "Evans", "Martin", "Walker", "Green", "Hall", "Wright",
];
const LARGE_PRODUCTS: &[(&str, &str, &str, i64)] = &[
    ("BCD-215", "冰箱 Refrigerator BCD-215", "refrigerator", 299_900),
    (
        "BCD-470",
        "对开门冰箱 Side-by-side refrigerator BCD-470",
        "refrigerator",
        699_900,
    ),
    ("KFR-35GW", "空调 Air conditioner KFR-35GW", "air_conditioner", 349_900),
    (
        "KFR-72LW",
        "柜式空调 Floor air conditioner KFR-72LW",
        "air_conditioner",
        799_900,
    ),
    ("XQG80", "洗衣机 Washing machine XQG80", "washing_machine", 229_900),
    (
        "XQG100-HB",
        "洗烘一体机 Washer-dryer XQG100-HB",
        "washing_machine",
        459_900,
    ),
    ("JSQ24", "燃气热水器 Gas water heater JSQ24", "water_heater", 189_900),
    ("M1-L213", "微波炉 Microwave M1-L213", "microwave", 59_900),
    ("CXW-260", "油烟机 Range hood CXW-260", "kitchen", 259_900),
    ("JZT-Q230", "燃气灶 Gas hob JZT-Q230", "kitchen", 129_900),
];

/// A network customer's primary contact: (phone as given, normalised), e-mail, social style.
type NetworkContact = (
    (String, String),
    Option<String>,
    Option<kefu_core::customer::SocialStyle>,
);

/// A customer of the large network, as an import row.
#[allow(clippy::too_many_arguments)]
fn network_row(
    external_id: String,
    name: String,
    kind: kefu_core::customer::CustomerKind,
    subkind: Option<kefu_core::customer::Subkind>,
    parent: Option<&str>,
    region: &str,
    tags: Vec<String>,
    contact: Option<NetworkContact>,
) -> kefu_store::ImportCustomer {
    let (phone, email, social_style) = match contact {
        Some((phone, email, style)) => (Some(phone), email, style),
        None => (None, None, None),
    };
    kefu_store::ImportCustomer {
        external_id,
        name,
        is_organisation: kind != kefu_core::customer::CustomerKind::End,
        kind,
        subkind,
        parent_external_id: parent.map(str::to_owned),
        region: region.to_owned(),
        tags,
        account_manager_id: None,
        notes: String::new(),
        phone,
        email,
        social_style,
    }
}

impl App {
    /// A large channel network (see [`NetworkPlan`]) with purchases, written in bulk: customers
    /// through the store's import path in chunks, then the search index, then the purchases in
    /// one import transaction, then value tiers. Deterministic (seeded).
    pub async fn load_demo_network_bulk(
        &self,
        plan: &NetworkPlan,
        now: i64,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> AppResult<(usize, usize)> {
        use kefu_core::customer::{CustomerKind, SocialStyle, Subkind};
        let mut rng = StdRng::seed_from_u64(0x6b65_6675_6c61);
        let per_agent = plan.customers_per_agent.max(NetworkPlan::INTERMEDIATES_PER_AGENT + 1);
        let consumers_per_agent = per_agent - NetworkPlan::INTERMEDIATES_PER_AGENT;
        let total = (plan.agents * per_agent + plan.purchases) as u64;
        let mut done = 0u64;
        // Intermediates first (parents before children), then consumers; (retailer, its parent) ids.
        let mut intermediates = Vec::new();
        let mut consumers = Vec::new();
        let mut retailers: Vec<(String, String, &str)> = Vec::new();
        let styles = [
            SocialStyle::Dominant,
            SocialStyle::Expressive,
            SocialStyle::Amiable,
            SocialStyle::Analytical,
        ];
        let org = |rng: &mut StdRng| -> ((String, String), Option<String>, Option<SocialStyle>) {
            let phone = format!(
                "0{}{:08}",
                rng.random_range(10..99),
                rng.random_range(0..100_000_000u32)
            );
            ((phone.clone(), phone), None, None)
        };
        for a in 0..plan.agents {
            let (region, agent, agent_en, cities) = LARGE_REGIONS[a % LARGE_REGIONS.len()];
            let round = if a < LARGE_REGIONS.len() {
                String::new()
            } else {
                format!("{}", a / LARGE_REGIONS.len() + 1)
            };
            let agent_id = format!("DEMO-A{:02}", a + 1);
            intermediates.push(network_row(
                agent_id.clone(),
                format!(
                    "{agent}{round} {agent_en}{}",
                    if round.is_empty() {
                        String::new()
                    } else {
                        format!(" {round}")
                    }
                ),
                CustomerKind::Intermediate,
                Some(Subkind::Agent),
                None,
                region,
                vec!["一级渠道".into()],
                Some(org(&mut rng)),
            ));
            for (w, (city, city_en)) in cities.iter().enumerate() {
                let w_id = format!("DEMO-W{:02}-{}", a + 1, w + 1);
                intermediates.push(network_row(
                    w_id.clone(),
                    format!("{city}家电批发 {city_en} Appliance Wholesale"),
                    CustomerKind::Intermediate,
                    Some(Subkind::WholesalerL1),
                    Some(&agent_id),
                    region,
                    vec!["二级渠道".into()],
                    Some(org(&mut rng)),
                ));
                for (d, (district, district_en)) in DISTRICTS.iter().enumerate() {
                    let s_id = format!("DEMO-S{:02}-{}-{}", a + 1, w + 1, d + 1);
                    intermediates.push(network_row(
                        s_id.clone(),
                        format!("{city}{district}分销中心 {city_en} {district_en} Distribution"),
                        CustomerKind::Intermediate,
                        Some(Subkind::WholesalerL2),
                        Some(&w_id),
                        region,
                        vec![],
                        Some(org(&mut rng)),
                    ));
                    for r in 0..8 {
                        let (street, street_en) = LARGE_STREETS[rng.random_range(0..LARGE_STREETS.len())];
                        let n = d * 8 + r + 1;
                        let r_id = format!("DEMO-R{:02}-{}-{}-{}", a + 1, w + 1, d + 1, r + 1);
                        intermediates.push(network_row(
                            r_id.clone(),
                            format!("{city}{street}{n}号店 {city_en} {street_en} Store {n}"),
                            CustomerKind::Intermediate,
                            Some(Subkind::Retailer),
                            Some(&s_id),
                            region,
                            vec![],
                            Some(org(&mut rng)),
                        ));
                        retailers.push((r_id, s_id.clone(), region));
                    }
                }
            }
        }
        let surnames: Vec<(&str, &str)> = SURNAMES.iter().chain(MORE_SURNAMES).copied().collect();
        let given: Vec<(&str, &str)> = GIVEN.iter().chain(MORE_GIVEN).copied().collect();
        // Each consumer buys through one retailer of its agent's region.
        let mut consumer_of: Vec<(String, usize)> = Vec::with_capacity(plan.agents * consumers_per_agent);
        for a in 0..plan.agents {
            let own = &retailers[a * 96..(a + 1) * 96];
            for _ in 0..consumers_per_agent {
                let i = consumer_of.len() + 1;
                let k = rng.random_range(0..own.len());
                let (retailer, _, region) = &own[k];
                let (name, email) = if rng.random_ratio(1, 8) {
                    let (f, l) = (
                        FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())],
                        LAST_NAMES[rng.random_range(0..LAST_NAMES.len())],
                    );
                    (
                        format!("{f} {l}"),
                        format!("{}.{}{i}@mail.example", f.to_lowercase(), l.to_lowercase()),
                    )
                } else {
                    let (s, sp) = surnames[rng.random_range(0..surnames.len())];
                    let (g, gp) = given[rng.random_range(0..given.len())];
                    (format!("{s}{g}"), format!("{gp}.{sp}{i}@mail.example"))
                };
                let phone = format!(
                    "1{}{:09}",
                    [3, 5, 8][rng.random_range(0..3)],
                    rng.random_range(0..1_000_000_000u64)
                );
                let normalized = phone.clone();
                let c_id = format!("DEMO-C{i:06}");
                consumers.push(network_row(
                    c_id.clone(),
                    name,
                    CustomerKind::End,
                    None,
                    Some(retailer),
                    region,
                    if rng.random_ratio(1, 10) {
                        vec!["VIP".into()]
                    } else {
                        vec![]
                    },
                    Some((
                        (phone, normalized),
                        rng.random_ratio(1, 3).then_some(email),
                        rng.random_ratio(2, 3).then(|| styles[rng.random_range(0..4)]),
                    )),
                ));
                consumer_of.push((c_id, a * 96 + k));
            }
        }
        // Customers: parents first, in chunks (a transaction each), each chunk then indexed for search.
        let rows: Vec<kefu_store::ImportCustomer> = intermediates.into_iter().chain(consumers).collect();
        let network = rows.len();
        let mut ids: std::collections::HashMap<String, i64> = std::collections::HashMap::with_capacity(network);
        for chunk in rows.chunks(10_000) {
            let (chunk_ids, _) = self.store.import_customers(chunk, now).await?;
            self.reindex_customers(&chunk_ids).await?;
            for (r, id) in chunk.iter().zip(&chunk_ids) {
                ids.insert(r.external_id.clone(), *id);
            }
            done += chunk.len() as u64;
            progress(done, total);
        }
        drop(rows);
        let id = |e: &str| {
            ids.get(e)
                .copied()
                .ok_or_else(|| crate::AppError::Refused(format!("demo customer {e} missing")))
        };
        let consumer_ids: Vec<(i64, i64)> = consumer_of
            .iter()
            .map(|(c, k)| Ok((id(c)?, id(&retailers[*k].0)?)))
            .collect::<AppResult<_>>()?;
        let retailer_ids: Vec<(i64, i64)> = retailers
            .iter()
            .map(|(r, s, _)| Ok((id(r)?, id(s)?)))
            .collect::<AppResult<_>>()?;
        // Purchases, generated a batch at a time while the database writes the previous batch.
        let today = jiff::Timestamp::from_millisecond(now)
            .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
            .unwrap_or_default();
        let days: Vec<std::sync::Arc<str>> = (0..730)
            .map(|d| {
                today
                    .checked_sub(jiff::Span::new().days(d))
                    .unwrap_or(today)
                    .to_string()
                    .into()
            })
            .collect();
        let shared = |s: &str| -> std::sync::Arc<str> { s.into() };
        let products: Vec<_> = LARGE_PRODUCTS
            .iter()
            .map(|(sku, name, category, price)| {
                (
                    shared(sku),
                    shared(name),
                    shared(category),
                    *price,
                    sku.replace('-', ""),
                )
            })
            .collect();
        let (cny, none) = (shared("CNY"), shared(""));
        // Who buys how often: seven in ten purchases by consumers, the rest retailers' stock orders.
        // Written customer by customer, so every index of purchases grows at its end.
        let mut buyers: Vec<(i64, i64, bool, usize)> = Vec::with_capacity(consumer_ids.len() + retailer_ids.len());
        let by_consumers = if consumer_ids.is_empty() {
            0
        } else {
            plan.purchases * 7 / 10
        };
        for (group, share, consumer) in [
            (&consumer_ids, by_consumers, true),
            (&retailer_ids, plan.purchases - by_consumers, false),
        ] {
            let mean = (share / group.len().max(1)).max(1);
            let first = buyers.len();
            for &(customer, seller) in group.iter() {
                buyers.push((customer, seller, consumer, rng.random_range(0..=2 * mean)));
            }
            // Nudge random buyers until the counts add up to the share exactly.
            let mut sum: usize = buyers[first..].iter().map(|b| b.3).sum();
            let end = buyers.len();
            while sum != share && end > first {
                let b = &mut buyers[rng.random_range(first..end)];
                if sum < share {
                    b.3 += 1;
                    sum += 1;
                } else if b.3 > 0 {
                    b.3 -= 1;
                    sum -= 1;
                }
            }
        }
        let mut made = 0usize;
        let mut buyer = 0usize;
        let mut next_batch = |rng: &mut StdRng| {
            let mut batch = Vec::with_capacity(20_000);
            while batch.len() < 20_000 && buyer < buyers.len() {
                let (customer_id, seller_id, consumer, n) = buyers[buyer];
                buyer += 1;
                for _ in 0..n {
                    made += 1;
                    let (sku, product, category, price, code) = &products[rng.random_range(0..products.len())];
                    let (amount_minor, serial) = if consumer {
                        (
                            price - rng.random_range(0..5) * 10_000,
                            format!("SN{code}{made:08}").into(),
                        )
                    } else {
                        (price * rng.random_range(5..40) * 8 / 10, none.clone())
                    };
                    batch.push(kefu_store::ImportPurchase {
                        external_id: format!("DEMO-P{made:07}").into(),
                        customer_id,
                        purchased_on: days[rng.random_range(0..days.len())].clone(),
                        amount_minor,
                        currency: cny.clone(),
                        sku: sku.clone(),
                        product_name: product.clone(),
                        category: category.clone(),
                        serial,
                        seller_id: Some(seller_id),
                    });
                }
            }
            batch
        };
        let mut writer = self.store.begin_purchase_import(now).await?;
        let mut batch = next_batch(&mut rng);
        while !batch.is_empty() {
            let n = batch.len() as u64;
            let (written, next) = tokio::join!(writer.write(batch), async { next_batch(&mut rng) });
            written?;
            batch = next;
            done += n;
            progress(done, total);
        }
        writer.commit().await?;
        self.recompute_value_tiers(today).await?;
        Ok((network, plan.purchases))
    }
}
