//! Decoding survey, link, campaign, response, bank item and dimension rows.

use crate::portable::rows::{DbRow, get};
use kefu_store::*;

pub fn survey(row: &DbRow) -> StoreResult<Survey> {
    Ok(Survey {
        id: get(row, "id")?,
        slug: get::<Option<String>>(row, "slug")?.unwrap_or_default(),
        kind: kefu_core::SurveyKind::parse(&get::<String>(row, "kind")?)
            .map_err(|e| StoreError::Data(format!("survey kind: {e}")))?,
        title: get(row, "title")?,
        language: get(row, "language")?,
        weights: get(row, "weights")?,
        importance: get(row, "importance")?,
        overall: get(row, "overall")?,
        comment: get(row, "comment")?,
        competitor: get(row, "competitor")?,
        status: get(row, "status")?,
        created_by: get(row, "created_by")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

pub fn link(row: &DbRow) -> StoreResult<SurveyLink> {
    Ok(SurveyLink {
        id: get(row, "id")?,
        survey_id: get(row, "survey_id")?,
        customer_id: get(row, "customer_id")?,
        contact_id: get(row, "contact_id")?,
        ticket_id: get(row, "ticket_id")?,
        language: get(row, "language")?,
        expires_at: get(row, "expires_at")?,
        answered_at: get(row, "answered_at")?,
        opted_out_at: get(row, "opted_out_at")?,
        created_at: get(row, "created_at")?,
        campaign_id: get(row, "campaign_id")?,
        run: get(row, "run")?,
        user_id: get(row, "user_id")?,
    })
}

pub fn campaign(row: &DbRow) -> StoreResult<Campaign> {
    Ok(Campaign {
        id: get(row, "id")?,
        survey_id: get(row, "survey_id")?,
        name: get(row, "name")?,
        frame: get(row, "frame")?,
        sample_size: get(row, "sample_size")?,
        margin: get(row, "margin")?,
        response_rate: get(row, "response_rate")?,
        seed: get(row, "seed")?,
        fatigue_days: get(row, "fatigue_days")?,
        expires_in_days: get(row, "expires_in_days")?,
        recurrence: get(row, "recurrence")?,
        invite_by_email: get(row, "invite_by_email")?,
        status: get(row, "status")?,
        runs: get(row, "runs")?,
        last_run_at: get(row, "last_run_at")?,
        created_by: get(row, "created_by")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

pub fn response(row: &DbRow) -> StoreResult<SurveyResponse> {
    Ok(SurveyResponse {
        id: get(row, "id")?,
        survey_id: get(row, "survey_id")?,
        link_id: get(row, "link_id")?,
        respondent: get(row, "respondent")?,
        answers: get(row, "answers")?,
        comment: get(row, "comment")?,
        partial: get(row, "partial")?,
        segment: get(row, "segment")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

pub fn bank_item(row: &DbRow) -> StoreResult<BankItem> {
    Ok(BankItem {
        id: get(row, "id")?,
        code: get(row, "code")?,
        dimension: get(row, "dimension")?,
        expectation_zh: get(row, "expectation_zh")?,
        expectation_en: get(row, "expectation_en")?,
        perception_zh: get(row, "perception_zh")?,
        perception_en: get(row, "perception_en")?,
        position: get(row, "position")?,
    })
}

pub fn dimension(row: &DbRow) -> StoreResult<SurveyDimension> {
    Ok(SurveyDimension {
        id: get(row, "id")?,
        code: get(row, "code")?,
        name_zh: get(row, "name_zh")?,
        name_en: get(row, "name_en")?,
        description_zh: get(row, "description_zh")?,
        description_en: get(row, "description_en")?,
        position: get(row, "position")?,
    })
}
