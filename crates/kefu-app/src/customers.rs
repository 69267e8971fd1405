//! Customers and the channel network (issue 3): creating and changing customers with their
//! primary contact, moving them in the channel tree, keeping the search index current, and
//! recomputing value tiers from purchases.

use crate::{Actor, App, AppError, AppResult, now_ms};
use kefu_core::account::display_name;
use kefu_core::customer::{CustomerKind, SocialStyle, Subkind, normalize_phone, parse_amount};
use kefu_core::rfm::{Rfm, value_tiers};
use kefu_core::search::analyze;
use kefu_core::{Email, Invalid, Role};
use kefu_store::{Customer, CustomerPatch, NewContact, NewCustomer};

/// The job that recomputes value tiers (enqueued after purchases arrive).
pub const VALUE_TIERS_KIND: &str = "customers.value_tiers";

/// A customer as a form, the API or a CSV row gives it.
#[derive(Debug, Clone, Default)]
pub struct CustomerInput {
    pub external_id: Option<String>,
    pub name: String,
    pub kind: String,
    pub subkind: Option<String>,
    pub is_organisation: bool,
    pub parent_id: Option<i64>,
    pub region: String,
    pub tags: Vec<String>,
    pub account_manager_id: Option<i64>,
    pub notes: String,
    /// The primary contact's (for a person: the customer's own) phone, e-mail and social style.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub social_style: Option<String>,
}

/// Tags: trimmed, non-empty, unique, at most 20 of at most 50 characters.
pub fn clean_tags(tags: &[String]) -> Result<Vec<String>, Invalid> {
    let mut out: Vec<String> = Vec::new();
    for t in tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if t.chars().count() > 50 {
            return Err(Invalid::one(
                "tags",
                "too_long",
                format!("tag {t:?} is longer than 50 characters"),
            ));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    }
    if out.len() > 20 {
        return Err(Invalid::one("tags", "too_many", "at most 20 tags"));
    }
    Ok(out)
}

fn may_write_customers(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Manager | Role::Agent)
}

/// A checked input: everything validated before anything is written.
#[derive(Debug)]
pub(crate) struct Checked {
    pub(crate) name: String,
    pub(crate) kind: CustomerKind,
    pub(crate) subkind: Option<Subkind>,
    pub(crate) tags: Vec<String>,
    pub(crate) phone: Option<(String, String)>,
    pub(crate) email: Option<String>,
    pub(crate) social_style: Option<SocialStyle>,
    pub(crate) external_id: Option<String>,
}

pub(crate) fn check(input: &CustomerInput) -> Result<Checked, Invalid> {
    let name = display_name(&input.name, "name")?;
    let kind = CustomerKind::parse(&input.kind)?;
    let subkind = match input.subkind.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if kind == CustomerKind::Intermediate => Some(Subkind::parse(s)?),
        Some(_) => {
            return Err(Invalid::one(
                "subkind",
                "subkind_needs_intermediate",
                "only intermediate customers have a subkind",
            ));
        }
        None => None,
    };
    let phone = match input.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(p) => Some((p.to_owned(), normalize_phone(p)?)),
        None => None,
    };
    let email = input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Email::parse)
        .transpose()?
        .map(|e| e.to_string());
    let social_style = input
        .social_style
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(SocialStyle::parse)
        .transpose()?;
    let external_id = input
        .external_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if external_id.as_ref().is_some_and(|e| e.chars().count() > 100) {
        return Err(Invalid::one(
            "external_id",
            "too_long",
            "external_id must have at most 100 characters",
        ));
    }
    Ok(Checked {
        name,
        kind,
        subkind,
        tags: clean_tags(&input.tags)?,
        phone,
        email,
        social_style,
        external_id,
    })
}

impl App {
    /// The parent must be an intermediate customer: only those have customers buying through them.
    async fn check_parent(&self, parent_id: Option<i64>) -> AppResult<()> {
        if let Some(p) = parent_id {
            let parent = self.store.get_customer(p).await.map_err(|e| match AppError::from(e) {
                AppError::NotFound => Invalid::one("parent_id", "unknown_parent", format!("no customer {p}")).into(),
                other => other,
            })?;
            if parent.kind != CustomerKind::Intermediate {
                return Err(Invalid::one(
                    "parent_id",
                    "parent_not_intermediate",
                    "customers buy only through an intermediate customer (agent, wholesaler, retailer)",
                )
                .into());
            }
        }
        Ok(())
    }

    pub async fn create_customer(&self, actor: &Actor, input: CustomerInput) -> AppResult<Customer> {
        if !may_write_customers(actor.role()) {
            return Err(AppError::Forbidden);
        }
        let c = check(&input)?;
        self.check_parent(input.parent_id).await?;
        let now = now_ms();
        let customer = self
            .store
            .create_customer(NewCustomer {
                external_id: c.external_id,
                name: c.name.clone(),
                kind: c.kind,
                subkind: c.subkind,
                is_organisation: input.is_organisation,
                parent_id: input.parent_id,
                region: input.region.trim().to_owned(),
                tags: c.tags,
                account_manager_id: input.account_manager_id,
                notes: input.notes.trim().to_owned(),
                now,
            })
            .await
            .map_err(crate::error::conflict_says(
                "a customer with this external_id exists already".into(),
            ))?;
        if c.phone.is_some() || c.email.is_some() || c.social_style.is_some() {
            let (phone, phone_norm) = c.phone.unwrap_or_default();
            self.store
                .add_contact(NewContact {
                    customer_id: customer.id,
                    name: c.name,
                    phone,
                    phone_norm,
                    email: c.email.unwrap_or_default(),
                    role: String::new(),
                    language: None,
                    preferred_channel: String::new(),
                    social_style: c.social_style,
                    is_primary: true,
                    now,
                })
                .await?;
        }
        self.reindex_customer(customer.id).await?;
        Ok(customer)
    }

    /// Moves a customer under another intermediate customer (or to the top of the tree).
    pub async fn move_customer(&self, actor: &Actor, id: i64, parent_id: Option<i64>) -> AppResult<Customer> {
        if !may_write_customers(actor.role()) {
            return Err(AppError::Forbidden);
        }
        self.check_parent(parent_id).await?;
        Ok(self.store.move_customer(id, parent_id, now_ms()).await?)
    }

    pub async fn update_customer(&self, actor: &Actor, id: i64, patch: CustomerPatch) -> AppResult<Customer> {
        self.change_customer(actor, id, None, patch).await
    }

    /// Changes fields and, with `parent`, the place in the tree. Everything is checked before
    /// anything is written, so a refused change (a loop, a bad name) changes nothing.
    pub async fn change_customer(
        &self,
        actor: &Actor,
        id: i64,
        parent: Option<Option<i64>>,
        patch: CustomerPatch,
    ) -> AppResult<Customer> {
        if !may_write_customers(actor.role()) {
            return Err(AppError::Forbidden);
        }
        let mut patch = patch;
        if let Some(n) = &patch.name {
            patch.name = Some(display_name(n, "name")?);
        }
        if let Some(t) = &patch.tags {
            patch.tags = Some(clean_tags(t)?);
        }
        if let Some(Some(e)) = &patch.external_id
            && e.chars().count() > 100
        {
            return Err(Invalid::one(
                "external_id",
                "too_long",
                "external_id must have at most 100 characters",
            )
            .into());
        }
        self.store.get_customer(id).await?;
        if let Some(p) = parent {
            self.check_parent(p).await?;
            self.store.move_customer(id, p, now_ms()).await?;
        }
        let c = self.store.update_customer(id, patch, now_ms()).await?;
        self.reindex_customer(id).await?;
        Ok(c)
    }

    /// Recomputes a customer's search terms from its name, ids, region, tags and contacts.
    pub async fn reindex_customer(&self, id: i64) -> AppResult<()> {
        let c = self.store.get_customer(id).await?;
        let contacts = self.store.list_contacts(id).await?;
        let mut text = vec![
            c.name.clone(),
            c.external_id.clone().unwrap_or_default(),
            c.region.clone(),
            c.tags.join(" "),
        ];
        for k in contacts {
            text.extend([k.name, k.phone_norm, k.email]);
        }
        self.store.index_customer(id, &analyze(&text.join(" "))).await?;
        Ok(())
    }

    /// Rebuilds the whole search index (after a restore, or on demand).
    pub async fn reindex_all_customers(&self) -> AppResult<u64> {
        let mut after = 0;
        let mut n = 0;
        loop {
            let page = self
                .store
                .list_customers(kefu_store::CustomerFilter {
                    after,
                    limit: 500,
                    include_deleted: true,
                    ..Default::default()
                })
                .await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for c in &page {
                self.reindex_customer(c.id).await?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Recomputes every value tier from purchases, as of `today` (YYYY-MM-DD).
    pub async fn recompute_value_tiers(&self, today: jiff::civil::Date) -> AppResult<usize> {
        let rows = self.store.rfm_rows().await?;
        let inputs: Vec<Option<Rfm>> = rows
            .iter()
            .map(|r| {
                let last: jiff::civil::Date = r.last_purchased_on.parse().ok()?;
                let days = (today - last).get_days() as f64;
                Some(Rfm {
                    days_since_last: days.max(0.0),
                    purchases: r.purchases.max(0) as u64,
                    amount: r.amount_minor as f64,
                })
            })
            .collect();
        let tiers = value_tiers(&inputs);
        let pairs: Vec<(i64, kefu_core::rfm::ValueTier)> =
            rows.iter().zip(tiers).map(|(r, t)| (r.customer_id, t)).collect();
        self.store.set_value_tiers(&pairs).await?;
        Ok(pairs.len())
    }
}

/// A contact as a form or the API gives it.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub role: String,
    pub language: Option<String>,
    pub preferred_channel: String,
    pub social_style: Option<String>,
    pub is_primary: bool,
}

/// A purchase as the API or a CSV row gives it: amounts as decimal text ("2999.00").
#[derive(Debug, Clone, Default)]
pub struct PurchaseInput {
    pub external_id: String,
    pub purchased_on: String,
    pub amount: String,
    pub currency: Option<String>,
    pub sku: String,
    pub product_name: String,
    pub category: String,
    pub serial: String,
    pub seller_id: Option<i64>,
}

impl App {
    pub async fn add_contact(
        &self,
        actor: &Actor,
        customer_id: i64,
        input: ContactInput,
    ) -> AppResult<kefu_store::Contact> {
        if !may_write_customers(actor.role()) {
            return Err(AppError::Forbidden);
        }
        self.store.get_customer(customer_id).await?;
        let name = display_name(&input.name, "name")?;
        let (phone, phone_norm) = match input.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(p) => (p.to_owned(), normalize_phone(p)?),
            None => (String::new(), String::new()),
        };
        let email = input
            .email
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Email::parse)
            .transpose()?
            .map(|e| e.to_string())
            .unwrap_or_default();
        let language = match input.language.as_deref().filter(|s| !s.is_empty()) {
            Some(l) => Some(
                kefu_core::Language::parse(l)
                    .ok_or_else(|| Invalid::one("language", "unknown_language", "language must be zh-CN or en"))?,
            ),
            None => None,
        };
        let social_style = input
            .social_style
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(SocialStyle::parse)
            .transpose()?;
        let c = self
            .store
            .add_contact(NewContact {
                customer_id,
                name,
                phone,
                phone_norm,
                email,
                role: input.role.trim().chars().take(100).collect(),
                language,
                preferred_channel: input.preferred_channel.trim().chars().take(50).collect(),
                social_style,
                is_primary: input.is_primary,
                now: now_ms(),
            })
            .await?;
        self.reindex_customer(customer_id).await?;
        Ok(c)
    }

    /// Records a purchase (or updates the one with the same `external_id`); value tiers follow by a job.
    pub async fn record_purchase(
        &self,
        actor: &Actor,
        customer_id: i64,
        input: PurchaseInput,
    ) -> AppResult<(kefu_store::Purchase, bool)> {
        if !may_write_customers(actor.role()) {
            return Err(AppError::Forbidden);
        }
        self.store.get_customer(customer_id).await?;
        let external_id = input.external_id.trim().to_owned();
        if external_id.is_empty() || external_id.chars().count() > 100 {
            return Err(Invalid::one(
                "external_id",
                "required",
                "external_id is required (at most 100 characters)",
            )
            .into());
        }
        let on: jiff::civil::Date = input.purchased_on.trim().parse().map_err(|_| {
            Invalid::one(
                "date",
                "invalid_date",
                format!("{:?} is not a date YYYY-MM-DD", input.purchased_on),
            )
        })?;
        let today = jiff::Timestamp::now().to_zoned(self.time_zone().await).date();
        if on > today {
            return Err(Invalid::one("date", "future_date", format!("{on} is in the future")).into());
        }
        let amount_minor = parse_amount(&input.amount)?;
        let currency = input
            .currency
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("CNY")
            .to_ascii_uppercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(Invalid::one(
                "currency",
                "invalid_currency",
                format!("{currency:?} is not a currency code such as CNY"),
            )
            .into());
        }
        if let Some(s) = input.seller_id {
            let seller = self.store.get_customer(s).await.map_err(|e| match AppError::from(e) {
                AppError::NotFound => Invalid::one("seller_id", "unknown_seller", format!("no customer {s}")).into(),
                other => other,
            })?;
            if seller.kind != CustomerKind::Intermediate {
                return Err(Invalid::one(
                    "seller_id",
                    "seller_not_intermediate",
                    "the seller must be an intermediate customer",
                )
                .into());
            }
        }
        let clip = |s: &str, n: usize| s.trim().chars().take(n).collect::<String>();
        let out = self
            .store
            .upsert_purchase(kefu_store::NewPurchase {
                external_id,
                customer_id,
                purchased_on: on.to_string(),
                amount_minor,
                currency,
                sku: clip(&input.sku, 100),
                product_name: clip(&input.product_name, 300),
                category: clip(&input.category, 100),
                serial: clip(&input.serial, 100),
                seller_id: input.seller_id,
                now: now_ms(),
            })
            .await?;
        self.enqueue(VALUE_TIERS_KIND, serde_json::json!({})).await?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_cleaned() {
        let t = clean_tags(&[" vip ".into(), "".into(), "vip".into(), "华东".into()]).unwrap();
        assert_eq!(t, vec!["vip", "华东"]);
        assert!(clean_tags(&["x".repeat(51)]).is_err());
        assert!(clean_tags(&(0..21).map(|i| i.to_string()).collect::<Vec<_>>()).is_err());
    }

    #[test]
    fn inputs_are_checked_before_anything_is_written() {
        let ok = CustomerInput {
            name: "王芳".into(),
            kind: "end".into(),
            phone: Some("+86 138 0013 8000".into()),
            ..Default::default()
        };
        let c = check(&ok).unwrap();
        assert_eq!(c.phone.unwrap().1, "13800138000");
        for (bad, field) in [
            (
                CustomerInput {
                    name: " ".into(),
                    kind: "end".into(),
                    ..Default::default()
                },
                "name",
            ),
            (
                CustomerInput {
                    name: "x".into(),
                    kind: "vip".into(),
                    ..Default::default()
                },
                "kind",
            ),
            (
                CustomerInput {
                    name: "x".into(),
                    kind: "end".into(),
                    subkind: Some("retailer".into()),
                    ..Default::default()
                },
                "subkind",
            ),
            (
                CustomerInput {
                    name: "x".into(),
                    kind: "intermediate".into(),
                    subkind: Some("boss".into()),
                    ..Default::default()
                },
                "subkind",
            ),
            (
                CustomerInput {
                    name: "x".into(),
                    kind: "end".into(),
                    phone: Some("call me".into()),
                    ..Default::default()
                },
                "phone",
            ),
            (
                CustomerInput {
                    name: "x".into(),
                    kind: "end".into(),
                    email: Some("nope".into()),
                    ..Default::default()
                },
                "email",
            ),
            (
                CustomerInput {
                    name: "x".into(),
                    kind: "end".into(),
                    social_style: Some("grumpy".into()),
                    ..Default::default()
                },
                "social_style",
            ),
        ] {
            assert_eq!(check(&bad).unwrap_err().errors[0].field, field);
        }
    }
}
