//! The small demo's channel network: manufacturer → agents → wholesalers → retailers →
//! consumers, created one by one through the customer use cases, with two years of purchases.

use super::names::{GIVEN, SURNAMES};
use crate::{App, AppResult};
use rand::RngExt;
use rand::rngs::StdRng;

/// Regions with their agent and two cities' wholesalers.
const REGIONS: &[(&str, &str, [&str; 2])] = &[
    ("华东", "华东总代理 East China Agency", ["上海", "苏州"]),
    ("华南", "华南总代理 South China Agency", ["广州", "深圳"]),
    ("华北", "华北总代理 North China Agency", ["北京", "天津"]),
];
const STREETS: &[&str] = &["人民路", "中山路", "解放路", "建设路", "和平街", "观前街"];
const PRODUCTS: &[(&str, &str, &str, i64)] = &[
    ("BCD-215", "冰箱 Refrigerator BCD-215", "冰箱 Refrigerator", 299_900),
    (
        "KFR-35GW",
        "空调 Air conditioner KFR-35GW",
        "空调 Air conditioner",
        349_900,
    ),
    (
        "XQG80",
        "洗衣机 Washing machine XQG80",
        "洗衣机 Washing machine",
        229_900,
    ),
    (
        "JSQ24",
        "燃气热水器 Gas water heater JSQ24",
        "热水器 Water heater",
        189_900,
    ),
    ("M1-L213", "微波炉 Microwave M1-L213", "微波炉 Microwave", 59_900),
];

impl App {
    /// A channel network (manufacturer → agents → wholesalers → retailers → consumers) with two
    /// years of purchases, then value tiers computed from them.
    pub(super) async fn load_demo_network(
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
        // Each dealer, the one it buys its stock from (`None`: the maker itself), and the units
        // an order of its holds at most: an agent buys most, a retailer least.
        let mut dealers: Vec<(i64, Option<i64>, i64)> = Vec::new();
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
            dealers.push((agent.id, None, 200));
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
                dealers.push((w.id, Some(agent.id), 60));
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
                    dealers.push((r.id, Some(w.id), 12));
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
        // Dealers restock from the level above them: in a channel business they are the biggest
        // buyers (agents most, retailers least), and the value tiers say so.
        for (dealer, seller, units) in &dealers {
            for k in 0..rng.random_range(6..=18) {
                let (sku, product, category, price) = PRODUCTS[rng.random_range(0..PRODUCTS.len())];
                let on = today
                    .checked_sub(jiff::Span::new().days(rng.random_range(0..730)))
                    .unwrap_or(today);
                let quantity = rng.random_range(units / 2..=*units);
                self.store
                    .upsert_purchase(kefu_store::NewPurchase {
                        external_id: format!("DEMO-S{dealer:05}-{k}"),
                        customer_id: *dealer,
                        purchased_on: on.to_string(),
                        // Trade price: three quarters of the shelf price.
                        amount_minor: price * 3 / 4 * quantity,
                        currency: "CNY".into(),
                        sku: sku.into(),
                        product_name: format!("{product} ×{quantity}"),
                        category: category.into(),
                        serial: String::new(),
                        seller_id: *seller,
                        now,
                    })
                    .await?;
                purchases += 1;
            }
        }
        self.recompute_value_tiers(today).await?;
        Ok((REGIONS.len() * 9 + consumers, purchases))
    }
}
