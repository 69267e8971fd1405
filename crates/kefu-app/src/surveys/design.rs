//! Creating a survey (its kind, items, weights and questions) and reading surveys back.

use super::view::{SurveyView, bare_item};
use super::{STATUSES, check_text, parse_language, require_survey_manager};
use crate::{Actor, App, AppError, AppResult};
use kefu_core::SurveyKind;
use kefu_core::{Invalid, Language};
use kefu_store::{BankItem, NewSurvey, Survey, SurveyDimension};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

/// What creating a survey takes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyInput {
    /// The survey's short name: 1–64 lowercase letters, digits and `-`; default `survey-<id>`.
    pub slug: Option<String>,
    #[serde(default = "default_kind")]
    pub kind: String,
    pub title: String,
    /// zh-CN | en: the language of links that say none (default zh-CN).
    pub language: Option<String>,
    /// Manager weights per dimension code, summing to 100.
    pub weights: Option<BTreeMap<String, u32>>,
    #[serde(default)]
    pub importance: bool,
    #[serde(default)]
    pub overall: bool,
    #[serde(default = "yes")]
    pub comment: bool,
    pub competitor: Option<String>,
    /// Bank item codes in the order asked; default: every item of the bank (the 22 for SERVQUAL).
    pub items: Option<Vec<String>>,
    /// draft | open | closed (default open).
    pub status: Option<String>,
}

fn default_kind() -> String {
    "servqual".into()
}
fn yes() -> bool {
    true
}

/// A survey's short name as given: 1–64 lowercase letters, digits and `-`, not only digits (a
/// number names a survey by id).
pub fn check_slug(v: &str) -> Result<String, Invalid> {
    let v = v.trim();
    let ok = !v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !v.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(v.to_owned())
    } else {
        Err(Invalid::one(
            "slug",
            "invalid_slug",
            "slug is 1 to 64 lowercase letters, digits and -, not only digits",
        ))
    }
}

impl App {
    /// Creates a survey (SERVQUAL with the whole bank unless told otherwise).
    pub async fn create_survey(&self, actor: &Actor, input: SurveyInput) -> AppResult<SurveyView> {
        require_survey_manager(actor)?;
        let kind = SurveyKind::parse(input.kind.trim())?;
        let title = check_text("title", &input.title, 200)?;
        let slug = input.slug.as_deref().map(check_slug).transpose()?;
        let language = parse_language("language", input.language.as_deref())?.unwrap_or(Language::ZhCn);
        let status = input.status.unwrap_or_else(|| "open".into());
        if !STATUSES.contains(&status.as_str()) {
            return Err(Invalid::one("status", "unknown_status", "status is draft, open or closed").into());
        }
        let competitor = input
            .competitor
            .map(|c| check_text("competitor", &c, 100))
            .transpose()?;
        if competitor.is_some() && !kind.is_battery_of_dimensions() {
            return Err(Invalid::one(
                "competitor",
                "not_asked",
                "a competitor is rated in servqual and servperf surveys",
            )
            .into());
        }
        let bank = self.store.bank_items().await?;
        let items: Vec<&BankItem> = if !kind.has_battery() {
            if input.items.as_ref().is_some_and(|i| !i.is_empty()) {
                return Err(Invalid::one("items", "not_asked", "this kind asks no items").into());
            }
            vec![]
        } else {
            match &input.items {
                None => bank.iter().collect(),
                Some(codes) => {
                    let mut out = Vec::new();
                    for c in codes {
                        let it = bank
                            .iter()
                            .find(|b| b.code == *c)
                            .ok_or_else(|| Invalid::one("items", "unknown_item", format!("no item {c} in the bank")))?;
                        if out.iter().any(|o: &&BankItem| o.id == it.id) {
                            return Err(Invalid::one("items", "duplicate", format!("item {c} twice")).into());
                        }
                        out.push(it);
                    }
                    out
                }
            }
        };
        if kind.has_battery() && items.is_empty() {
            return Err(Invalid::one("items", "required", "choose at least one item").into());
        }
        let draft = SurveyView {
            survey: Survey {
                id: 0,
                slug: String::new(),
                kind,
                title: title.clone(),
                language: language.code().into(),
                weights: None,
                importance: input.importance,
                overall: input.overall,
                comment: input.comment,
                competitor: competitor.clone(),
                status: status.clone(),
                created_by: actor.user_id(),
                created_at: 0,
                updated_at: 0,
            },
            items: items
                .iter()
                .enumerate()
                .map(|(i, b)| bare_item(i, b.id, &b.code, &b.dimension))
                .collect(),
            dimensions: vec![],
            weights: None,
        };
        if kind.has_battery() {
            draft.layout().validate()?;
        }
        let weights = match &input.weights {
            None => None,
            Some(w) => {
                if !kind.is_battery_of_dimensions() {
                    return Err(Invalid::one(
                        "weights",
                        "not_asked",
                        "only servqual and servperf surveys take weights",
                    )
                    .into());
                }
                let layout = draft.layout();
                if w.len() != layout.dimensions.len() || layout.dimensions.iter().any(|d| !w.contains_key(&d.code)) {
                    return Err(Invalid::one(
                        "weights",
                        "dimensions",
                        "give one weight for each dimension of the survey",
                    )
                    .into());
                }
                let sum: u64 = w.values().map(|&x| u64::from(x)).sum();
                if sum != 100 {
                    return Err(
                        Invalid::one("weights", "sum", format!("the weights must add up to 100, not {sum}")).into(),
                    );
                }
                Some(serde_json::to_string(w).map_err(|e| AppError::Refused(e.to_string()))?)
            }
        };
        if (input.importance || input.overall) && !kind.has_battery() {
            return Err(Invalid::one(
                "importance",
                "not_asked",
                "importance points and overall satisfaction go with an item battery",
            )
            .into());
        }
        let s = self
            .store
            .create_survey(NewSurvey {
                slug,
                kind,
                title,
                language: language.code().into(),
                weights,
                importance: input.importance,
                overall: input.overall,
                comment: input.comment,
                competitor,
                status,
                created_by: actor.user_id(),
                items: items.iter().map(|b| b.id).collect(),
                now: self.now(),
            })
            .await
            .map_err(crate::error::conflict_says("a survey with this slug exists".into()))?;
        self.audit(
            actor,
            "survey.create",
            s.id.to_string(),
            json!({"kind": s.kind, "title": s.title}),
        )
        .await?;
        self.survey_view(s).await
    }
    pub(super) async fn survey_view(&self, survey: Survey) -> AppResult<SurveyView> {
        let items = self.store.survey_items(survey.id).await?;
        let all = self.store.survey_dimensions().await?;
        let mut dimensions: Vec<SurveyDimension> = Vec::new();
        for it in &items {
            if !dimensions.iter().any(|d| d.code == it.dimension)
                && let Some(d) = all.iter().find(|d| d.code == it.dimension)
            {
                dimensions.push(d.clone());
            }
        }
        SurveyView::new(survey, items, dimensions)
    }

    pub async fn get_survey(&self, actor: &Actor, id: i64) -> AppResult<SurveyView> {
        require_survey_manager(actor)?;
        let s = self.store.get_survey(id).await?;
        self.survey_view(s).await
    }

    /// The id of the survey a key names: its id (digits) or its slug. Unknown → `NotFound`.
    pub async fn survey_id_of(&self, actor: &Actor, key: &str) -> AppResult<i64> {
        require_survey_manager(actor)?;
        let key = key.trim();
        match key.parse::<i64>() {
            Ok(id) => Ok(self.store.get_survey(id).await?.id),
            Err(_) => Ok(self.store.survey_by_slug(key).await?.id),
        }
    }

    /// Every survey, newest first, with its number of final answers.
    pub async fn list_surveys(&self, actor: &Actor) -> AppResult<Vec<(Survey, i64)>> {
        require_survey_manager(actor)?;
        Ok(self.store.list_surveys().await?)
    }
}
