//! Tokenised survey links: made for customers (in their primary contact's language) or for
//! nobody in particular; the plain token is shown once and only its hash is stored.

use super::{MAX_LINKS, parse_language, require_survey_manager};
use crate::auth::{random_secret, sha256_hex};
use crate::{Actor, App, AppError, AppResult};
use kefu_core::{Invalid, Language};
use kefu_store::{NewSurveyLink, StoreError, SurveyLink};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What making links takes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// One link per customer; empty: one link for nobody in particular.
    #[serde(default)]
    pub customer_ids: Vec<i64>,
    /// Days until the links expire, 1–365 (default 30).
    pub expires_in_days: Option<u32>,
    /// The respondents' language; default: the customer's primary contact's, else the survey's.
    pub language: Option<String>,
    /// Without customers: how many links for nobody in particular (default 1).
    pub count: Option<u32>,
}

/// A link made, with its plain token (shown once, never stored).
#[derive(Debug, Clone, Serialize)]
pub struct MadeLink {
    pub link: SurveyLink,
    pub token: String,
}

impl App {
    /// Makes tokenised links (the plain tokens are in the answer only).
    pub async fn make_survey_links(&self, actor: &Actor, survey_id: i64, req: LinkRequest) -> AppResult<Vec<MadeLink>> {
        require_survey_manager(actor)?;
        let survey = self.store.get_survey(survey_id).await?;
        if survey.status != "open" {
            return Err(AppError::Refused(format!("the survey is {}, not open", survey.status)));
        }
        let days = req.expires_in_days.unwrap_or(30);
        if !(1..=365).contains(&days) {
            return Err(Invalid::one("expires_in_days", "out_of_range", "expires_in_days is 1 to 365").into());
        }
        if req.customer_ids.len() > MAX_LINKS {
            return Err(Invalid::one(
                "customer_ids",
                "too_many",
                format!("at most {MAX_LINKS} links at a time"),
            )
            .into());
        }
        let lang = parse_language("language", req.language.as_deref())?;
        let default_lang = Language::parse(&survey.language).unwrap_or(Language::ZhCn);
        let now = self.now();
        let expires_at = now + i64::from(days) * 86_400_000;
        let mut rows = Vec::new();
        let mut tokens = Vec::new();
        let count = req.count.unwrap_or(1) as usize;
        if !(1..=MAX_LINKS).contains(&count) || (req.count.is_some() && !req.customer_ids.is_empty()) {
            return Err(Invalid::one(
                "count",
                "out_of_range",
                format!("count is 1 to {MAX_LINKS}, and only without customer_ids"),
            )
            .into());
        }
        let targets: Vec<Option<i64>> = if req.customer_ids.is_empty() {
            vec![None; count]
        } else {
            req.customer_ids.iter().copied().map(Some).collect()
        };
        for (n, c) in targets.into_iter().enumerate() {
            let (contact, language) = match c {
                None => (None, lang.unwrap_or(default_lang)),
                Some(id) => {
                    match self.store.get_customer(id).await {
                        Ok(c) if c.deleted_at.is_none() => {}
                        Ok(_) | Err(StoreError::NotFound) => {
                            return Err(Invalid::one(
                                &format!("customer_ids[{n}]"),
                                "unknown_customer",
                                format!("no customer {id}"),
                            )
                            .into());
                        }
                        Err(e) => return Err(e.into()),
                    }
                    let contacts = self.store.list_contacts(id).await?;
                    let primary = contacts.iter().find(|c| c.is_primary).or(contacts.first());
                    (
                        primary.map(|c| c.id),
                        lang.or(primary.and_then(|c| c.language)).unwrap_or(default_lang),
                    )
                }
            };
            let token = random_secret();
            rows.push(NewSurveyLink {
                survey_id,
                token_hash: sha256_hex(&token),
                customer_id: c,
                contact_id: contact,
                ticket_id: None,
                language: language.code().into(),
                expires_at,
                now,
                campaign_id: None,
                user_id: None,
            });
            tokens.push(token);
        }
        let links = self.store.create_survey_links(&rows).await?;
        self.audit(
            actor,
            "survey.links",
            survey_id.to_string(),
            json!({"count": links.len()}),
        )
        .await?;
        Ok(links
            .into_iter()
            .zip(tokens)
            .map(|(link, token)| MadeLink { link, token })
            .collect())
    }
}
