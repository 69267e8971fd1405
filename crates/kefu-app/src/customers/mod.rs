//! Customers and the channel network: creating and changing customers with their primary contact,
//! moving them in the channel tree, keeping the search index current, and recomputing value tiers
//! from purchases.

use crate::{Actor, App, AppError, AppResult};
use kefu_core::account::display_name;
use kefu_core::customer::{CustomerKind, SocialStyle, Subkind, normalize_phone, parse_amount};
use kefu_core::rfm::{Rfm, value_tiers};
use kefu_core::search::analyze;
use kefu_core::{Email, Invalid, Role};
use kefu_store::{Contact, Customer, CustomerPatch, NewContact, NewCustomer};

mod archive;
mod chain;
mod contacts;

pub use archive::CustomerArchive;
pub use chain::{CustomerBrief, CustomerChain};
pub use contacts::{ContactChange, ContactInput, PurchaseChange, PurchaseInput};

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
        kefu_core::text::check_text("tags", t, 50)?;
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
    role.works_the_desk()
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
    if let Some(e) = &external_id {
        kefu_core::text::check_text("external_id", e, 100)?;
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
        self.check_account_manager(input.account_manager_id).await?;
        let now = self.now();
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
        self.change_customer(
            actor,
            id,
            CustomerPatch {
                parent_id: Some(parent_id),
                ..Default::default()
            },
        )
        .await
    }

    /// The account manager must be an enabled member of staff (not a customer).
    async fn check_account_manager(&self, id: Option<i64>) -> AppResult<()> {
        if let Some(id) = id {
            let bad = || {
                Invalid::one(
                    "account_manager_id",
                    "unknown_account_manager",
                    format!("no staff user {id}"),
                )
            };
            let u = self.store.get_user(id).await.map_err(|e| match AppError::from(e) {
                AppError::NotFound => bad().into(),
                other => other,
            })?;
            if u.disabled || u.role == Role::Customer {
                return Err(bad().into());
            }
        }
        Ok(())
    }

    /// Changes fields and, with `patch.parent_id`, the place in the tree, in one transaction.
    /// Everything is checked before anything is written, so a refused change (a loop, a bad name)
    /// changes nothing.
    pub async fn change_customer(&self, actor: &Actor, id: i64, patch: CustomerPatch) -> AppResult<Customer> {
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
        if let Some(Some(e)) = &patch.external_id {
            kefu_core::text::check_optional_text("external_id", e, 100)?;
        }
        let current = self.store.get_customer(id).await?;
        let kind = patch.kind.unwrap_or(current.kind);
        let subkind = patch.subkind.unwrap_or(current.subkind);
        if subkind.is_some() && kind != CustomerKind::Intermediate {
            return Err(Invalid::one(
                "subkind",
                "subkind_needs_intermediate",
                "only intermediate customers have a subkind",
            )
            .into());
        }
        if kind != CustomerKind::Intermediate
            && current.kind == CustomerKind::Intermediate
            && !self.store.tree_children(Some(id), 0, 1).await?.is_empty()
        {
            return Err(Invalid::one(
                "kind",
                "has_customers_beneath",
                "customers buy through this one: move them first",
            )
            .into());
        }
        if let Some(p) = patch.parent_id {
            self.check_parent(p).await?;
        }
        if let Some(m) = patch.account_manager_id {
            self.check_account_manager(m).await?;
        }
        let c = self
            .store
            .update_customer(id, patch, self.now())
            .await
            .map_err(crate::error::conflict_says(
                "a customer with this external_id exists already".into(),
            ))?;
        self.reindex_customer(id).await?;
        Ok(c)
    }

    /// Recomputes a customer's search terms from its name, ids, region, tags and contacts.
    pub async fn reindex_customer(&self, id: i64) -> AppResult<()> {
        let c = self.store.get_customer(id).await?;
        let contacts = self.store.list_contacts(id).await?;
        self.store
            .index_customer(id, &analyze(&search_text(&c, &contacts)))
            .await?;
        Ok(())
    }

    /// `reindex_customer` for many customers at once (after an import): a few queries and one
    /// write transaction per 5,000 customers.
    pub async fn reindex_customers(&self, ids: &[i64]) -> AppResult<()> {
        for chunk in ids.chunks(5_000) {
            let customers = self.store.customers_by_ids(chunk).await?;
            let mut contacts: std::collections::HashMap<i64, Vec<Contact>> = std::collections::HashMap::new();
            for k in self.store.contacts_of_customers(chunk).await? {
                contacts.entry(k.customer_id).or_default().push(k);
            }
            let terms: Vec<(i64, kefu_core::search::IndexTerms)> = customers
                .iter()
                .map(|c| {
                    let text = search_text(c, contacts.get(&c.id).map(Vec::as_slice).unwrap_or_default());
                    (c.id, analyze(&text))
                })
                .collect();
            self.store.index_customers(&terms).await?;
        }
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
                    limit: 5_000,
                    include_deleted: true,
                    ..Default::default()
                })
                .await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            let ids: Vec<i64> = page.iter().map(|c| c.id).collect();
            self.reindex_customers(&ids).await?;
            n += ids.len() as u64;
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

/// What the search index holds of a customer: its name, external id, region, tags, notes, and its
/// contacts' names, phones and e-mails.
fn search_text(c: &Customer, contacts: &[Contact]) -> String {
    let mut text = vec![
        c.name.clone(),
        c.external_id.clone().unwrap_or_default(),
        c.region.clone(),
        c.tags.join(" "),
        c.notes.clone(),
    ];
    for k in contacts {
        text.extend([k.name.clone(), k.phone_norm.clone(), k.email.clone()]);
    }
    text.join(" ")
}

/// Whether a role deletes, restores and merges customer records (managers and admins): the pages
/// offer those actions by this.
pub fn may_delete_customers(role: Role) -> bool {
    role.manages()
}

impl App {
    /// Soft-deletes (`deleted = true`) or restores a customer (managers and admins).
    pub async fn set_customer_deleted(&self, actor: &Actor, id: i64, deleted: bool) -> AppResult<Customer> {
        if !may_delete_customers(actor.role()) {
            return Err(AppError::Forbidden);
        }
        let now = self.now();
        let c = self.store.set_customer_deleted(id, deleted.then_some(now), now).await?;
        self.audit(
            actor,
            if deleted { "customer.delete" } else { "customer.restore" },
            format!("customer:{id}"),
            serde_json::json!({"name": c.name}),
        )
        .await?;
        Ok(c)
    }

    /// Merges `from` into `into` (managers and admins): every linked record moves, `from` is
    /// soft-deleted pointing at `into`, and the merge is in the audit log.
    pub async fn merge_customers(&self, actor: &Actor, from: i64, into: i64) -> AppResult<Customer> {
        if !may_delete_customers(actor.role()) {
            return Err(AppError::Forbidden);
        }
        let gone = self.store.get_customer(from).await?;
        let kept = self.store.merge_customers(from, into, self.now()).await?;
        self.reindex_customer(into).await?;
        self.reindex_customer(from).await?;
        self.enqueue(VALUE_TIERS_KIND, serde_json::json!({})).await?;
        self.audit(
            actor,
            "customer.merge",
            format!("customer:{into}"),
            serde_json::json!({"from": from, "from_name": gone.name, "from_external_id": gone.external_id,
                               "into": into, "into_name": kept.name}),
        )
        .await?;
        Ok(kept)
    }

    /// Probable duplicates: pairs of customers sharing a contact phone or e-mail, with both records.
    pub async fn duplicates(
        &self,
        actor: &Actor,
        limit: u32,
    ) -> AppResult<Vec<(kefu_store::DuplicatePair, Customer, Customer)>> {
        if !may_write_customers(actor.role()) {
            return Err(AppError::Forbidden);
        }
        let mut out = Vec::new();
        for pair in self.store.duplicate_pairs(limit).await? {
            let a = self.store.get_customer(pair.first_id).await?;
            let b = self.store.get_customer(pair.second_id).await?;
            out.push((pair, a, b));
        }
        Ok(out)
    }

    /// Other live customers sharing a phone or e-mail with this one's contacts.
    pub async fn duplicates_of(&self, id: i64) -> AppResult<Vec<Customer>> {
        let mut ids: Vec<i64> = Vec::new();
        for k in self.store.list_contacts(id).await? {
            for other in self.store.find_contacts(&k.phone_norm, &k.email).await? {
                if other.customer_id != id && !ids.contains(&other.customer_id) {
                    ids.push(other.customer_id);
                }
            }
        }
        let mut out = Vec::with_capacity(ids.len());
        for i in ids {
            out.push(self.store.get_customer(i).await?);
        }
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
