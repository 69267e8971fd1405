//! The item bank: the dimensions and the items surveys are made of, in both languages.

use super::{MAX_WORDING, check_text, require_survey_manager};
use crate::{Actor, App, AppResult};
use kefu_core::Invalid;
use kefu_store::{BankItem, BankItemPatch, NewBankItem, NewDimension, StoreError, SurveyDimension};
use serde::Deserialize;
use serde_json::json;

fn check_code(field: &str, v: &str) -> Result<String, Invalid> {
    let v = v.trim();
    if v.is_empty() || v.len() > 32 || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(Invalid::one(
            field,
            "invalid_code",
            format!("{field} must be 1 to 32 letters, digits, - or _"),
        ));
    }
    Ok(v.to_owned())
}

/// What adding an item to the bank takes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankItemInput {
    pub code: String,
    pub dimension: String,
    pub expectation_zh: String,
    pub expectation_en: String,
    pub perception_zh: String,
    pub perception_en: String,
}

/// What adding a dimension takes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionInput {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    pub description_zh: String,
    #[serde(default)]
    pub description_en: String,
}

impl App {
    /// The item bank: dimensions and items.
    pub async fn item_bank(&self, actor: &Actor) -> AppResult<(Vec<SurveyDimension>, Vec<BankItem>)> {
        require_survey_manager(actor)?;
        Ok((self.store.survey_dimensions().await?, self.store.bank_items().await?))
    }

    pub async fn add_survey_dimension(&self, actor: &Actor, d: DimensionInput) -> AppResult<SurveyDimension> {
        require_survey_manager(actor)?;
        let d = NewDimension {
            code: check_code("code", &d.code)?,
            name_zh: check_text("name_zh", &d.name_zh, 100)?,
            name_en: check_text("name_en", &d.name_en, 100)?,
            description_zh: d.description_zh.trim().chars().take(MAX_WORDING).collect(),
            description_en: d.description_en.trim().chars().take(MAX_WORDING).collect(),
            now: self.now(),
        };
        let out = self
            .store
            .add_survey_dimension(d)
            .await
            .map_err(crate::error::conflict_says("a dimension with this code exists".into()))?;
        self.audit(
            actor,
            "survey.dimension.add",
            out.code.clone(),
            json!({"code": out.code}),
        )
        .await?;
        Ok(out)
    }

    pub async fn add_bank_item(&self, actor: &Actor, i: BankItemInput) -> AppResult<BankItem> {
        require_survey_manager(actor)?;
        let item = NewBankItem {
            code: check_code("code", &i.code)?,
            dimension: check_code("dimension", &i.dimension)?,
            expectation_zh: check_text("expectation_zh", &i.expectation_zh, MAX_WORDING)?,
            expectation_en: check_text("expectation_en", &i.expectation_en, MAX_WORDING)?,
            perception_zh: check_text("perception_zh", &i.perception_zh, MAX_WORDING)?,
            perception_en: check_text("perception_en", &i.perception_en, MAX_WORDING)?,
            now: self.now(),
        };
        let out = match self.store.add_bank_item(item).await {
            Err(StoreError::Refused(_)) => {
                return Err(Invalid::one("dimension", "unknown_dimension", "no such dimension").into());
            }
            other => other.map_err(crate::error::conflict_says("an item with this code exists".into()))?,
        };
        self.audit(actor, "survey.item.add", out.code.clone(), json!({"code": out.code}))
            .await?;
        Ok(out)
    }

    /// Edits an item's wording (its code and dimension stay: surveys' statistics depend on them).
    pub async fn update_bank_item(&self, actor: &Actor, code: &str, p: BankItemPatch) -> AppResult<BankItem> {
        require_survey_manager(actor)?;
        let p = checked_wording("", p)?;
        self.write_bank_item(actor, code, p).await
    }

    /// Edits the wording of several items, all or nothing: every code must exist (else
    /// `NotFound`) and every text pass (errors name `items[n].field`) before any edit is made.
    pub async fn update_bank_items(&self, actor: &Actor, edits: Vec<(String, BankItemPatch)>) -> AppResult<()> {
        require_survey_manager(actor)?;
        let (_, items) = self.item_bank(actor).await?;
        let mut checked = Vec::with_capacity(edits.len());
        for (n, (code, p)) in edits.into_iter().enumerate() {
            if !items.iter().any(|i| i.code == code) {
                return Err(crate::AppError::NotFound);
            }
            checked.push((code, checked_wording(&format!("items[{n}]."), p)?));
        }
        for (code, p) in checked {
            self.write_bank_item(actor, &code, p).await?;
        }
        Ok(())
    }

    async fn write_bank_item(&self, actor: &Actor, code: &str, p: BankItemPatch) -> AppResult<BankItem> {
        let out = self.store.update_bank_item(code, p, self.now()).await?;
        self.audit(actor, "survey.item.edit", out.code.clone(), json!({"code": out.code}))
            .await?;
        Ok(out)
    }
}

/// An item's new wording, each given text checked; errors name `{prefix}{field}`.
fn checked_wording(prefix: &str, p: BankItemPatch) -> Result<BankItemPatch, Invalid> {
    let check = |field: &str, v: Option<String>| -> Result<Option<String>, Invalid> {
        v.map(|v| check_text(&format!("{prefix}{field}"), &v, MAX_WORDING))
            .transpose()
    };
    Ok(BankItemPatch {
        expectation_zh: check("expectation_zh", p.expectation_zh)?,
        expectation_en: check("expectation_en", p.expectation_en)?,
        perception_zh: check("perception_zh", p.perception_zh)?,
        perception_en: check("perception_en", p.perception_en)?,
    })
}
