//! The survey helpers the store methods share: inside a transaction, links, answers and the statistics
//! fold; outside one, the survey list with a number per survey.

use super::rows;
use crate::portable::{Backend, On, Run, Values};
use crate::{Db, DbStore};

/// A statistics row's fold: its segment, period and old accumulator give the new one and its count.
type Fold<'a> = dyn Fn(&str, &str, Option<&str>) -> Result<(String, i64), String> + Send + Sync + 'a;

impl DbStore {
    /// Every survey, newest first, with a number per survey: `count`, a scalar subquery over
    /// `surveys.id`.
    pub(crate) async fn surveys_counting(
        &self,
        count: &str,
    ) -> kefu_store::StoreResult<Vec<(kefu_store::Survey, i64)>> {
        use sqlx::Row;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {}, ({count}) AS counted FROM surveys ORDER BY id DESC",
            crate::portable::surveys::SURVEY_COLUMNS
        )))
        .fetch_all(self.reader())
        .await
        .map_err(crate::portable::db_err)?;
        rows.iter()
            .map(|r| {
                let n = r.try_get::<i64, _>("counted").map_err(crate::portable::db_err)?;
                Ok((rows::survey(r)?, n))
            })
            .collect()
    }

    pub(crate) async fn survey_link_in<'e>(
        ex: impl On<'e>,
        id: i64,
    ) -> kefu_store::StoreResult<kefu_store::SurveyLink> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM survey_links WHERE id = $1",
            crate::portable::surveys::LINK_COLUMNS
        )))
        .bind(id)
        .one(ex, rows::link)
        .await
    }

    pub(crate) async fn survey_response_in<'e>(
        ex: impl On<'e>,
        link_id: i64,
    ) -> kefu_store::StoreResult<Option<kefu_store::SurveyResponse>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM survey_responses WHERE link_id = $1",
            crate::portable::surveys::RESPONSE_COLUMNS
        )))
        .bind(link_id)
        .maybe(ex, rows::response)
        .await
    }

    pub(crate) async fn bank_item_in<'e>(ex: impl On<'e>, code: &str) -> kefu_store::StoreResult<kefu_store::BankItem> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{} WHERE i.code = $1",
            crate::portable::surveys::BANK_ITEM_SQL
        )))
        .bind(code)
        .one(ex, rows::bank_item)
        .await
    }

    /// Takes the link for an answer: live at `now`, not answered, not opted out; `final_` marks it answered.
    pub(crate) async fn take_link_in(
        tx: &mut sqlx::Transaction<'_, Db>,
        link_id: i64,
        now: i64,
        final_: bool,
    ) -> kefu_store::StoreResult<kefu_store::SurveyLink> {
        let sql = if final_ {
            "UPDATE survey_links SET answered_at = $2 WHERE id = $1 AND answered_at IS NULL AND opted_out_at IS NULL \
                AND expires_at > $2"
        } else {
            "UPDATE survey_links SET expires_at = expires_at WHERE id = $1 AND answered_at IS NULL \
                AND opted_out_at IS NULL AND expires_at > $2"
        };
        let r = sqlx::query(sql).bind(link_id).bind(now).run(&mut **tx).await?;
        if r != 1 {
            return Err(kefu_store::StoreError::Conflict {
                what: "the survey link is answered, opted out or expired".into(),
            });
        }
        Self::survey_link_in(&mut **tx, link_id).await
    }

    /// Folds into the statistics rows `keys` of a survey: each row is locked (the upsert
    /// locks it on PostgreSQL before it is read), read, and replaced by `fold`'s answer.
    pub(crate) async fn fold_stats_in(
        tx: &mut sqlx::Transaction<'_, Db>,
        survey_id: i64,
        keys: &[(String, String)],
        now: i64,
        fold: &Fold<'_>,
    ) -> kefu_store::StoreResult<()> {
        for (segment, period) in keys {
            let old: Option<String> = sqlx::query_scalar(
                "INSERT INTO survey_stats (survey_id, segment, period, accumulator, n, updated_at) \
                    VALUES ($1, $2, $3, NULL, 0, $4) ON CONFLICT (survey_id, segment, period) DO UPDATE \
                    SET updated_at = excluded.updated_at RETURNING accumulator",
            )
            .bind(survey_id)
            .bind(segment)
            .bind(period)
            .bind(now)
            .value(&mut **tx)
            .await?;
            let (acc, n) = fold(segment, period, old.as_deref()).map_err(kefu_store::StoreError::Refused)?;
            sqlx::query(
                "UPDATE survey_stats SET accumulator = $4, n = $5 WHERE survey_id = $1 AND segment = $2 \
                    AND period = $3",
            )
            .bind(survey_id)
            .bind(segment)
            .bind(period)
            .bind(acc)
            .bind(n)
            .run(&mut **tx)
            .await?;
        }
        // A month readers may keep changed (an answer given with a clock set in the past, as the
        // demo and the tests do): they read it again. The instant is the machine's, as readers'.
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let settled = kefu_core::facts::month_settled_before(now_ms);
        if keys.iter().any(|(_, period)| *period < settled) {
            Self::bump_epoch(tx, "survey_stats").await?;
        }
        Ok(())
    }

    pub(crate) async fn insert_link_in(
        tx: &mut sqlx::Transaction<'_, Db>,
        l: &kefu_store::NewSurveyLink,
        run: Option<i64>,
    ) -> kefu_store::StoreResult<kefu_store::SurveyLink> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO survey_links (survey_id, token_hash, customer_id, contact_id, ticket_id, language, \
                expires_at, created_at, campaign_id, run, user_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
                $9, $10, $11) RETURNING {}",
            crate::portable::surveys::LINK_COLUMNS
        )))
        .bind(l.survey_id)
        .bind(&l.token_hash)
        .bind(l.customer_id)
        .bind(l.contact_id)
        .bind(l.ticket_id)
        .bind(&l.language)
        .bind(l.expires_at)
        .bind(l.now)
        .bind(l.campaign_id)
        .bind(run)
        .bind(l.user_id)
        .one(&mut **tx, rows::link)
        .await
    }

    pub(crate) async fn write_response_in(
        tx: &mut sqlx::Transaction<'_, Db>,
        survey_id: i64,
        w: &kefu_store::ResponseWrite,
        partial: bool,
    ) -> kefu_store::StoreResult<kefu_store::SurveyResponse> {
        sqlx::query(
            "INSERT INTO survey_responses (survey_id, link_id, answers, comment, partial, segment, created_at, \
                updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (link_id) DO UPDATE \
                SET answers = excluded.answers, comment = excluded.comment, partial = excluded.partial, \
                segment = excluded.segment, updated_at = excluded.updated_at",
        )
        .bind(survey_id)
        .bind(w.link_id)
        .bind(&w.answers)
        .bind(&w.comment)
        .bind(partial)
        .bind(&w.segment)
        .bind(w.now)
        .run(&mut **tx)
        .await?;
        Self::survey_response_in(&mut **tx, w.link_id)
            .await?
            .ok_or(kefu_store::StoreError::NotFound)
    }
}
