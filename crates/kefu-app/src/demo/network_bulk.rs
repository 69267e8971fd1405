//! The large demo's channel network (`kefu demo --size large`, the benchmarks' data): a plan of
//! agents, wholesalers, sub-wholesalers, retailers and consumers, written in bulk through the
//! store's import path with a million purchases. Deterministic (seeded).

use super::names::{FIRST_NAMES, GIVEN, LAST_NAMES, MORE_GIVEN, MORE_SURNAMES, SURNAMES};
use crate::{App, AppResult};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

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
const LARGE_PRODUCTS: &[(&str, &str, &str, i64)] = &[
    ("BCD-215", "冰箱 Refrigerator BCD-215", "冰箱 Refrigerator", 299_900),
    (
        "BCD-470",
        "对开门冰箱 Side-by-side refrigerator BCD-470",
        "冰箱 Refrigerator",
        699_900,
    ),
    (
        "KFR-35GW",
        "空调 Air conditioner KFR-35GW",
        "空调 Air conditioner",
        349_900,
    ),
    (
        "KFR-72LW",
        "柜式空调 Floor air conditioner KFR-72LW",
        "空调 Air conditioner",
        799_900,
    ),
    (
        "XQG80",
        "洗衣机 Washing machine XQG80",
        "洗衣机 Washing machine",
        229_900,
    ),
    (
        "XQG100-HB",
        "洗烘一体机 Washer-dryer XQG100-HB",
        "洗衣机 Washing machine",
        459_900,
    ),
    (
        "JSQ24",
        "燃气热水器 Gas water heater JSQ24",
        "热水器 Water heater",
        189_900,
    ),
    ("M1-L213", "微波炉 Microwave M1-L213", "微波炉 Microwave", 59_900),
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
