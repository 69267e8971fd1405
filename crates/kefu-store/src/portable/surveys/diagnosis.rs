//! The five-gap checklist (docs/statistics.md#five-gaps): a survey's ticked causes and notes, per
//! period.

use crate::DbStore;
use crate::portable::rows::get;
use crate::portable::{Backend, Run, db_err};

pub(crate) async fn gap_diagnosis(
    store: &DbStore,
    survey_id: i64,
    period: &str,
) -> kefu_store::StoreResult<Vec<kefu_store::GapDiagnosisEntry>> {
    sqlx::query(
        "SELECT gap, cause, checked, note, updated_by, updated_at FROM gap_diagnoses \
            WHERE survey_id = $1 AND period = $2 ORDER BY gap, cause",
    )
    .bind(survey_id)
    .bind(period)
    .all(store.reader(), |r| {
        Ok(kefu_store::GapDiagnosisEntry {
            gap: get(r, "gap")?,
            cause: get(r, "cause")?,
            checked: get(r, "checked")?,
            note: get(r, "note")?,
            updated_by: get(r, "updated_by")?,
            updated_at: get(r, "updated_at")?,
        })
    })
    .await
}

pub(crate) async fn save_gap_diagnosis(
    store: &DbStore,
    survey_id: i64,
    period: &str,
    entries: &[kefu_store::GapDiagnosisEntry],
) -> kefu_store::StoreResult<()> {
    let mut tx = store.write_tx().await.map_err(db_err)?;
    sqlx::query("DELETE FROM gap_diagnoses WHERE survey_id = $1 AND period = $2")
        .bind(survey_id)
        .bind(period)
        .run(&mut *tx)
        .await?;
    for e in entries {
        sqlx::query(
            "INSERT INTO gap_diagnoses (survey_id, period, gap, cause, checked, note, updated_by, updated_at) \
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(survey_id)
        .bind(period)
        .bind(e.gap)
        .bind(&e.cause)
        .bind(e.checked)
        .bind(&e.note)
        .bind(e.updated_by)
        .bind(e.updated_at)
        .run(&mut *tx)
        .await?;
    }
    tx.commit().await.map_err(db_err)
}
