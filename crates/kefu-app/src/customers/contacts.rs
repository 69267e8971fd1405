//! A customer's contacts and purchases: adding, changing and deleting them, each checked and
//! audited; purchases feed the value tiers.

use super::*;

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

/// Contact fields to change; `None` leaves a field as it is, an empty phone or e-mail clears it.
#[derive(Debug, Clone, Default)]
pub struct ContactChange {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub role: Option<String>,
    pub language: Option<Option<String>>,
    pub preferred_channel: Option<String>,
    pub social_style: Option<Option<String>>,
    pub is_primary: Option<bool>,
}

/// Purchase fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct PurchaseChange {
    pub external_id: Option<String>,
    pub purchased_on: Option<String>,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub sku: Option<String>,
    pub product_name: Option<String>,
    pub category: Option<String>,
    pub serial: Option<String>,
    pub seller_id: Option<Option<i64>>,
}

fn check_phone(phone: Option<&str>) -> Result<(String, String), Invalid> {
    match phone.map(str::trim).filter(|s| !s.is_empty()) {
        Some(p) => Ok((p.to_owned(), normalize_phone(p)?)),
        None => Ok((String::new(), String::new())),
    }
}

fn check_email(email: Option<&str>) -> Result<String, Invalid> {
    Ok(email
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Email::parse)
        .transpose()?
        .map(|e| e.to_string())
        .unwrap_or_default())
}

fn check_language(language: Option<&str>) -> Result<Option<kefu_core::Language>, Invalid> {
    match language.map(str::trim).filter(|s| !s.is_empty()) {
        Some(l) => Ok(Some(kefu_core::Language::parse(l).ok_or_else(|| {
            Invalid::one("language", "unknown_language", "language must be zh-CN or en")
        })?)),
        None => Ok(None),
    }
}

fn check_style(style: Option<&str>) -> Result<Option<SocialStyle>, Invalid> {
    style
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(SocialStyle::parse)
        .transpose()
}

fn clip(s: &str, n: usize) -> String {
    s.trim().chars().take(n).collect()
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
        let (phone, phone_norm) = check_phone(input.phone.as_deref())?;
        let c = self
            .store
            .add_contact(NewContact {
                customer_id,
                name,
                phone,
                phone_norm,
                email: check_email(input.email.as_deref())?,
                role: clip(&input.role, 100),
                language: check_language(input.language.as_deref())?,
                preferred_channel: clip(&input.preferred_channel, 50),
                social_style: check_style(input.social_style.as_deref())?,
                is_primary: input.is_primary,
                now: self.now(),
            })
            .await?;
        self.reindex_customer(customer_id).await?;
        Ok(c)
    }

    /// Changes a contact; everything is checked before anything is written.
    pub async fn change_contact(
        &self,
        actor: &Actor,
        id: i64,
        change: ContactChange,
    ) -> AppResult<kefu_store::Contact> {
        if !may_write_customers(actor.role()) {
            return Err(AppError::Forbidden);
        }
        let patch = kefu_store::ContactPatch {
            name: change.name.as_deref().map(|n| display_name(n, "name")).transpose()?,
            phone: change.phone.as_deref().map(|p| check_phone(Some(p))).transpose()?,
            email: change.email.as_deref().map(|e| check_email(Some(e))).transpose()?,
            role: change.role.as_deref().map(|r| clip(r, 100)),
            language: change
                .language
                .as_ref()
                .map(|l| check_language(l.as_deref()))
                .transpose()?,
            preferred_channel: change.preferred_channel.as_deref().map(|c| clip(c, 50)),
            social_style: change
                .social_style
                .as_ref()
                .map(|s| check_style(s.as_deref()))
                .transpose()?,
            is_primary: change.is_primary,
        };
        let c = self.store.update_contact(id, patch, self.now()).await?;
        self.reindex_customer(c.customer_id).await?;
        Ok(c)
    }

    /// Soft-deletes a contact (managers and admins; a contact with a live portal account is refused).
    pub async fn delete_contact(&self, actor: &Actor, id: i64) -> AppResult<()> {
        if !may_delete_customers(actor.role()) {
            return Err(AppError::Forbidden);
        }
        let c = self.store.get_contact(id).await?;
        self.store.delete_contact(id, self.now()).await?;
        self.reindex_customer(c.customer_id).await?;
        self.audit(
            actor,
            "contact.delete",
            format!("contact:{id}"),
            serde_json::json!({"customer_id": c.customer_id, "name": c.name}),
        )
        .await
    }

    /// Checks a purchase of `customer_id` before it is written.
    async fn check_purchase(&self, customer_id: i64, input: &PurchaseInput) -> AppResult<kefu_store::NewPurchase> {
        let external_id = kefu_core::text::check_text("external_id", &input.external_id, 100)?;
        let on: jiff::civil::Date = input.purchased_on.trim().parse().map_err(|_| {
            Invalid::one(
                "date",
                "invalid_date",
                format!("{:?} is not a date YYYY-MM-DD", input.purchased_on),
            )
        })?;
        let today = self.now_ts().to_zoned(self.time_zone().await).date();
        if on > today {
            return Err(Invalid::one("date", "future_date", format!("{on} is in the future")).into());
        }
        let amount_minor = parse_amount(&input.amount)?;
        // One-line texts: a control character (a NUL, which PostgreSQL cannot store, a line
        // break) is refused, not stored.
        for (field, v) in [
            ("sku", &input.sku),
            ("product_name", &input.product_name),
            ("category", &input.category),
            ("serial", &input.serial),
        ] {
            if v.chars().any(char::is_control) {
                return Err(Invalid::one(
                    field,
                    "control_chars",
                    format!("{field} must not contain control characters"),
                )
                .into());
            }
        }
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
        Ok(kefu_store::NewPurchase {
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
            now: self.now(),
        })
    }

    /// Records a purchase (or updates the one with the same `external_id`, undeleting it); value
    /// tiers follow by a job.
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
        let p = self.check_purchase(customer_id, &input).await?;
        let out = self.store.upsert_purchase(p).await?;
        self.enqueue(VALUE_TIERS_KIND, serde_json::json!({})).await?;
        Ok(out)
    }

    /// Changes a purchase; the result is checked as a whole, as a new one would be.
    pub async fn change_purchase(
        &self,
        actor: &Actor,
        id: i64,
        change: PurchaseChange,
    ) -> AppResult<kefu_store::Purchase> {
        if !may_write_customers(actor.role()) {
            return Err(AppError::Forbidden);
        }
        let old = self.store.get_purchase(id).await?;
        let input = PurchaseInput {
            external_id: change.external_id.unwrap_or(old.external_id),
            purchased_on: change.purchased_on.unwrap_or(old.purchased_on),
            amount: change
                .amount
                .unwrap_or_else(|| kefu_core::customer::format_amount(old.amount_minor)),
            currency: Some(change.currency.unwrap_or(old.currency)),
            sku: change.sku.unwrap_or(old.sku),
            product_name: change.product_name.unwrap_or(old.product_name),
            category: change.category.unwrap_or(old.category),
            serial: change.serial.unwrap_or(old.serial),
            seller_id: change.seller_id.unwrap_or(old.seller_id),
        };
        let p = self.check_purchase(old.customer_id, &input).await?;
        let out = self
            .store
            .replace_purchase(id, p)
            .await
            .map_err(crate::error::conflict_says(
                "a purchase with this external_id exists already".into(),
            ))?;
        self.enqueue(VALUE_TIERS_KIND, serde_json::json!({})).await?;
        Ok(out)
    }

    /// Soft-deletes a purchase (managers and admins); value tiers follow by a job.
    pub async fn delete_purchase(&self, actor: &Actor, id: i64) -> AppResult<()> {
        if !may_delete_customers(actor.role()) {
            return Err(AppError::Forbidden);
        }
        let p = self.store.get_purchase(id).await?;
        self.store.delete_purchase(id, self.now()).await?;
        self.enqueue(VALUE_TIERS_KIND, serde_json::json!({})).await?;
        self.audit(
            actor,
            "purchase.delete",
            format!("purchase:{id}"),
            serde_json::json!({"customer_id": p.customer_id, "external_id": p.external_id}),
        )
        .await
    }
}
