//! The `Surveys` store methods.

use super::rows;
use crate::DbStore;
use crate::portable::rows::{at, get};
use crate::portable::{Backend, Run, Values, db_err};

#[async_trait::async_trait]
impl kefu_store::Surveys for DbStore {
    #[tracing::instrument(skip_all)]
    async fn survey_dimensions(&self) -> kefu_store::StoreResult<Vec<kefu_store::SurveyDimension>> {
        sqlx::query(
            "SELECT id, code, name_zh, name_en, description_zh, description_en, position FROM survey_dimensions \
                ORDER BY position, id",
        )
        .all(self.reader(), rows::dimension)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn add_survey_dimension(
        &self,
        d: kefu_store::NewDimension,
    ) -> kefu_store::StoreResult<kefu_store::SurveyDimension> {
        sqlx::query(
            "INSERT INTO survey_dimensions (code, name_zh, name_en, description_zh, description_en, position, \
                created_at, updated_at) VALUES ($1, $2, $3, $4, $5, (SELECT COALESCE(MAX(position), 0) + 1 \
                FROM survey_dimensions), $6, $6) RETURNING id, code, name_zh, name_en, description_zh, \
                description_en, position",
        )
        .bind(&d.code)
        .bind(&d.name_zh)
        .bind(&d.name_en)
        .bind(&d.description_zh)
        .bind(&d.description_en)
        .bind(d.now)
        .one(self.writer(), rows::dimension)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn bank_items(&self) -> kefu_store::StoreResult<Vec<kefu_store::BankItem>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{} ORDER BY i.position, i.id",
            crate::portable::surveys::BANK_ITEM_SQL
        )))
        .all(self.reader(), rows::bank_item)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn add_bank_item(&self, i: kefu_store::NewBankItem) -> kefu_store::StoreResult<kefu_store::BankItem> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let dim: Option<i64> = sqlx::query_scalar("SELECT id FROM survey_dimensions WHERE code = $1")
            .bind(&i.dimension)
            .value_if_any(&mut *tx)
            .await?;
        let Some(dim) = dim else {
            return Err(kefu_store::StoreError::Refused(format!(
                "no dimension {:?}",
                i.dimension
            )));
        };
        sqlx::query(
            "INSERT INTO survey_bank_items (code, dimension_id, expectation_zh, expectation_en, perception_zh, \
                perception_en, position, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, \
                (SELECT COALESCE(MAX(position), 0) + 1 FROM survey_bank_items), $7, $7)",
        )
        .bind(&i.code)
        .bind(dim)
        .bind(&i.expectation_zh)
        .bind(&i.expectation_en)
        .bind(&i.perception_zh)
        .bind(&i.perception_en)
        .bind(i.now)
        .run(&mut *tx)
        .await?;
        let out = Self::bank_item_in(&mut *tx, &i.code).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }
    #[tracing::instrument(skip_all)]
    async fn update_bank_item(
        &self,
        code: &str,
        p: kefu_store::BankItemPatch,
        now: i64,
    ) -> kefu_store::StoreResult<kefu_store::BankItem> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let old = Self::bank_item_in(&mut *tx, code).await?;
        sqlx::query(
            "UPDATE survey_bank_items SET expectation_zh = $2, expectation_en = $3, perception_zh = $4, \
                perception_en = $5, updated_at = $6 WHERE id = $1",
        )
        .bind(old.id)
        .bind(p.expectation_zh.unwrap_or(old.expectation_zh))
        .bind(p.expectation_en.unwrap_or(old.expectation_en))
        .bind(p.perception_zh.unwrap_or(old.perception_zh))
        .bind(p.perception_en.unwrap_or(old.perception_en))
        .bind(now)
        .run(&mut *tx)
        .await?;
        let out = Self::bank_item_in(&mut *tx, code).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    #[tracing::instrument(skip_all)]
    async fn create_survey(&self, s: kefu_store::NewSurvey) -> kefu_store::StoreResult<kefu_store::Survey> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO surveys (slug, kind, title, language, weights, importance, overall, comment, competitor, \
                status, created_by, created_at, updated_at) VALUES ($12, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                $11, $11) RETURNING {}",
            crate::portable::surveys::SURVEY_COLUMNS
        )))
        .bind(s.kind.as_str())
        .bind(&s.title)
        .bind(&s.language)
        .bind(&s.weights)
        .bind(s.importance)
        .bind(s.overall)
        .bind(s.comment)
        .bind(&s.competitor)
        .bind(&s.status)
        .bind(s.created_by)
        .bind(s.now)
        .bind(&s.slug)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let mut survey = rows::survey(&row)?;
        if s.slug.is_none() {
            survey.slug = format!("survey-{}", survey.id);
            sqlx::query("UPDATE surveys SET slug = $2 WHERE id = $1")
                .bind(survey.id)
                .bind(&survey.slug)
                .run(&mut *tx)
                .await?;
        }
        for (pos, item) in s.items.iter().enumerate() {
            let r = sqlx::query(
                "INSERT INTO survey_items (survey_id, position, item_id, item_code, dimension_code) \
                    SELECT $1, $2, i.id, i.code, d.code FROM survey_bank_items i \
                    JOIN survey_dimensions d ON d.id = i.dimension_id WHERE i.id = $3",
            )
            .bind(survey.id)
            .bind(pos as i64 + 1)
            .bind(*item)
            .run(&mut *tx)
            .await?;
            if r != 1 {
                return Err(kefu_store::StoreError::Refused(format!("no item {item} in the bank")));
            }
        }
        tx.commit().await.map_err(db_err)?;
        Ok(survey)
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn get_survey(&self, id: i64) -> kefu_store::StoreResult<kefu_store::Survey> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM surveys WHERE id = $1",
            crate::portable::surveys::SURVEY_COLUMNS
        )))
        .bind(id)
        .one(self.reader(), rows::survey)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn survey_by_slug(&self, slug: &str) -> kefu_store::StoreResult<kefu_store::Survey> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM surveys WHERE slug = $1",
            crate::portable::surveys::SURVEY_COLUMNS
        )))
        .bind(slug)
        .one(self.reader(), rows::survey)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn list_surveys(&self) -> kefu_store::StoreResult<Vec<(kefu_store::Survey, i64)>> {
        self.surveys_counting(
            "SELECT COUNT(*) FROM survey_responses r WHERE r.survey_id = surveys.id AND r.partial = FALSE",
        )
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn surveys_answered(&self) -> kefu_store::StoreResult<Vec<(kefu_store::Survey, bool)>> {
        // Counts at most one answer: an index probe per survey.
        let rows = self
            .surveys_counting(
                "SELECT COUNT(*) FROM (SELECT 1 FROM survey_responses r WHERE r.survey_id = surveys.id \
                    AND r.partial = FALSE LIMIT 1) AS one",
            )
            .await?;
        Ok(rows.into_iter().map(|(s, n)| (s, n > 0)).collect())
    }
    #[tracing::instrument(skip_all, fields(survey_id = survey_id))]
    async fn gap_diagnosis(
        &self,
        survey_id: i64,
        period: &str,
    ) -> kefu_store::StoreResult<Vec<kefu_store::GapDiagnosisEntry>> {
        super::diagnosis::gap_diagnosis(self, survey_id, period).await
    }
    #[tracing::instrument(skip_all, fields(survey_id = survey_id))]
    async fn save_gap_diagnosis(
        &self,
        survey_id: i64,
        period: &str,
        entries: &[kefu_store::GapDiagnosisEntry],
    ) -> kefu_store::StoreResult<()> {
        super::diagnosis::save_gap_diagnosis(self, survey_id, period, entries).await
    }
    #[tracing::instrument(skip_all, fields(survey_id = survey_id))]
    async fn survey_items(&self, survey_id: i64) -> kefu_store::StoreResult<Vec<kefu_store::SurveyItem>> {
        sqlx::query(
            "SELECT s.position, s.item_id, s.item_code, s.dimension_code, i.expectation_zh, i.expectation_en, \
                i.perception_zh, i.perception_en FROM survey_items s JOIN survey_bank_items i ON i.id = s.item_id \
                WHERE s.survey_id = $1 ORDER BY s.position",
        )
        .bind(survey_id)
        .all(self.reader(), |r| {
            Ok(kefu_store::SurveyItem {
                position: at(r, 0)?,
                item_id: at(r, 1)?,
                code: at(r, 2)?,
                dimension: at(r, 3)?,
                expectation_zh: at(r, 4)?,
                expectation_en: at(r, 5)?,
                perception_zh: at(r, 6)?,
                perception_en: at(r, 7)?,
            })
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn create_survey_links(
        &self,
        links: &[kefu_store::NewSurveyLink],
    ) -> kefu_store::StoreResult<Vec<kefu_store::SurveyLink>> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let mut out = Vec::with_capacity(links.len());
        for l in links {
            out.push(Self::insert_link_in(&mut tx, l, None).await?);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }
    #[tracing::instrument(skip_all)]
    async fn survey_link_by_token(&self, token_hash: &str) -> kefu_store::StoreResult<kefu_store::SurveyLink> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM survey_links WHERE token_hash = $1",
            crate::portable::surveys::LINK_COLUMNS
        )))
        .bind(token_hash)
        .one(self.reader(), rows::link)
        .await
    }
    #[tracing::instrument(skip_all, fields(link_id = link_id))]
    async fn survey_response_of(&self, link_id: i64) -> kefu_store::StoreResult<Option<kefu_store::SurveyResponse>> {
        Self::survey_response_in(self.reader(), link_id).await
    }
    #[tracing::instrument(skip_all)]
    async fn save_partial_response(
        &self,
        w: kefu_store::ResponseWrite,
    ) -> kefu_store::StoreResult<kefu_store::SurveyResponse> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let link = Self::take_link_in(&mut tx, w.link_id, w.now, false).await?;
        let out = Self::write_response_in(&mut tx, link.survey_id, &w, true).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }
    #[tracing::instrument(skip_all)]
    async fn submit_final_response(
        &self,
        w: kefu_store::ResponseWrite,
        keys: &[(String, String)],
        fold: &kefu_store::StatsFold,
    ) -> kefu_store::StoreResult<kefu_store::SurveyResponse> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let link = Self::take_link_in(&mut tx, w.link_id, w.now, true).await?;
        let out = Self::write_response_in(&mut tx, link.survey_id, &w, false).await?;
        Self::fold_stats_in(&mut tx, link.survey_id, keys, w.now, &|_, _, old| fold(old)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }
    #[tracing::instrument(skip_all)]
    async fn submit_final_responses(
        &self,
        answers: &[kefu_store::FinalAnswer],
        fold: &kefu_store::BatchFold<'_>,
    ) -> kefu_store::StoreResult<Vec<kefu_store::StoreResult<kefu_store::SurveyResponse>>> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let mut out = Vec::with_capacity(answers.len());
        // (survey, segment, period) -> the answers that fold into that row, in order.
        let mut rows: std::collections::BTreeMap<(i64, String, String), Vec<usize>> = std::collections::BTreeMap::new();
        for (i, a) in answers.iter().enumerate() {
            let w = &a.write;
            let survey: Option<i64> = sqlx::query_scalar(
                "UPDATE survey_links SET answered_at = $2 WHERE id = $1 AND answered_at IS NULL \
                    AND opted_out_at IS NULL AND expires_at > $2 RETURNING survey_id",
            )
            .bind(w.link_id)
            .bind(w.now)
            .value_if_any(&mut *tx)
            .await?;
            let Some(survey) = survey else {
                out.push(Err(kefu_store::StoreError::Conflict {
                    what: "the survey link is answered, opted out or expired".into(),
                }));
                continue;
            };
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO survey_responses (survey_id, link_id, answers, comment, partial, segment, created_at, \
                    updated_at) VALUES ($1, $2, $3, $4, FALSE, $5, $6, $6) ON CONFLICT (link_id) DO UPDATE \
                    SET answers = excluded.answers, comment = excluded.comment, partial = excluded.partial, \
                    segment = excluded.segment, updated_at = excluded.updated_at RETURNING {}",
                crate::portable::surveys::RESPONSE_COLUMNS
            )))
            .bind(survey)
            .bind(w.link_id)
            .bind(&w.answers)
            .bind(&w.comment)
            .bind(&w.segment)
            .bind(w.now)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
            out.push(Ok(rows::response(&row)?));
            for (seg, period) in &a.keys {
                rows.entry((survey, seg.clone(), period.clone())).or_default().push(i);
            }
        }
        let now = answers.iter().map(|a| a.write.now).max().unwrap_or(0);
        for ((survey, seg, period), items) in &rows {
            let key = [(seg.clone(), period.clone())];
            Self::fold_stats_in(&mut tx, *survey, &key, now, &|s, p, old| {
                fold(*survey, s, p, old, items)
            })
            .await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }
    #[tracing::instrument(skip_all)]
    async fn create_campaign(&self, c: kefu_store::NewCampaign) -> kefu_store::StoreResult<kefu_store::Campaign> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO survey_campaigns (survey_id, name, frame, sample_size, margin, response_rate, seed, \
                fatigue_days, expires_in_days, recurrence, invite_by_email, created_by, created_at, updated_at) \
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING {}",
            crate::portable::surveys::CAMPAIGN_COLUMNS
        )))
        .bind(c.survey_id)
        .bind(&c.name)
        .bind(&c.frame)
        .bind(c.sample_size)
        .bind(c.margin)
        .bind(c.response_rate)
        .bind(c.seed)
        .bind(c.fatigue_days)
        .bind(c.expires_in_days)
        .bind(&c.recurrence)
        .bind(c.invite_by_email)
        .bind(c.created_by)
        .bind(c.now)
        .one(self.writer(), rows::campaign)
        .await
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn get_campaign(&self, id: i64) -> kefu_store::StoreResult<kefu_store::Campaign> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM survey_campaigns WHERE id = $1",
            crate::portable::surveys::CAMPAIGN_COLUMNS
        )))
        .bind(id)
        .one(self.reader(), rows::campaign)
        .await
    }
    #[tracing::instrument(skip_all, fields(survey_id = survey_id))]
    async fn list_campaigns(&self, survey_id: Option<i64>) -> kefu_store::StoreResult<Vec<kefu_store::Campaign>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM survey_campaigns WHERE ($1 IS NULL OR survey_id = $1) ORDER BY id DESC",
            crate::portable::surveys::CAMPAIGN_COLUMNS
        )))
        .bind(survey_id)
        .all(self.reader(), rows::campaign)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn set_campaign_status(
        &self,
        id: i64,
        status: &str,
        now: i64,
    ) -> kefu_store::StoreResult<kefu_store::Campaign> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE survey_campaigns SET status = $2, updated_at = $3 WHERE id = $1 RETURNING {}",
            crate::portable::surveys::CAMPAIGN_COLUMNS
        )))
        .bind(id)
        .bind(status)
        .bind(now)
        .fetch_optional(self.writer())
        .await
        .map_err(db_err)?;
        rows::campaign(&row.ok_or(kefu_store::StoreError::NotFound)?)
    }
    #[tracing::instrument(skip_all)]
    async fn campaign_frame(&self) -> kefu_store::StoreResult<Vec<kefu_store::FrameRow>> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT c.id, c.external_id, c.name, c.kind, c.value_tier, c.region, c.tags, ct.id AS contact_id, \
                ct.name AS contact_name, ct.email, ct.phone, ct.language FROM customers c LEFT \
                JOIN contacts ct ON ct.id = (SELECT x.id FROM contacts x WHERE x.customer_id = c.id \
                AND x.deleted_at IS NULL ORDER BY x.is_primary DESC, x.id LIMIT 1) WHERE c.deleted_at IS NULL \
                ORDER BY c.id",
        )
        .fetch_all(self.reader())
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(kefu_store::FrameRow {
                    customer_id: r.try_get("id").map_err(db_err)?,
                    external_id: r.try_get("external_id").map_err(db_err)?,
                    name: r.try_get("name").map_err(db_err)?,
                    kind: r.try_get("kind").map_err(db_err)?,
                    value_tier: r.try_get("value_tier").map_err(db_err)?,
                    region: r.try_get("region").map_err(db_err)?,
                    tags: r.try_get("tags").map_err(db_err)?,
                    contact_id: r.try_get("contact_id").map_err(db_err)?,
                    contact_name: r.try_get("contact_name").map_err(db_err)?,
                    email: r
                        .try_get::<Option<String>, _>("email")
                        .map_err(db_err)?
                        .filter(|e| !e.is_empty()),
                    phone: r
                        .try_get::<Option<String>, _>("phone")
                        .map_err(db_err)?
                        .filter(|p| !p.is_empty()),
                    language: r.try_get("language").map_err(db_err)?,
                })
            })
            .collect()
    }
    #[tracing::instrument(skip_all)]
    async fn recently_surveyed(&self, since: i64) -> kefu_store::StoreResult<Vec<i64>> {
        sqlx::query_scalar(
            "SELECT DISTINCT customer_id FROM survey_links WHERE created_at >= $1 AND customer_id IS NOT NULL",
        )
        .bind(since)
        .values(self.reader())
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn opted_out_customers(&self) -> kefu_store::StoreResult<Vec<i64>> {
        sqlx::query_scalar(
            "SELECT DISTINCT customer_id FROM survey_links WHERE opted_out_at IS NOT NULL AND customer_id IS NOT NULL",
        )
        .values(self.reader())
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn staff_frame(&self) -> kefu_store::StoreResult<Vec<kefu_store::StaffRow>> {
        sqlx::query(
            "SELECT id, name, email, role, language FROM users WHERE disabled = FALSE AND role <> 'customer' \
                ORDER BY id",
        )
        .all(self.reader(), |r| {
            Ok(kefu_store::StaffRow {
                user_id: at(r, 0)?,
                name: at(r, 1)?,
                email: at(r, 2)?,
                role: at(r, 3)?,
                language: at(r, 4)?,
            })
        })
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn recently_surveyed_users(&self, since: i64) -> kefu_store::StoreResult<Vec<i64>> {
        sqlx::query_scalar("SELECT DISTINCT user_id FROM survey_links WHERE created_at >= $1 AND user_id IS NOT NULL")
            .bind(since)
            .values(self.reader())
            .await
    }
    #[tracing::instrument(skip_all)]
    async fn opted_out_users(&self) -> kefu_store::StoreResult<Vec<i64>> {
        sqlx::query_scalar(
            "SELECT DISTINCT user_id FROM survey_links WHERE opted_out_at IS NOT NULL AND user_id IS NOT NULL",
        )
        .values(self.reader())
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn record_campaign_run(
        &self,
        campaign_id: i64,
        links: &[kefu_store::NewSurveyLink],
        now: i64,
    ) -> kefu_store::StoreResult<(i64, Vec<kefu_store::SurveyLink>)> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let run: Option<i64> = sqlx::query_scalar(
            "UPDATE survey_campaigns SET runs = runs + 1, last_run_at = $2, updated_at = $2 WHERE id = $1 \
                RETURNING runs",
        )
        .bind(campaign_id)
        .bind(now)
        .value_if_any(&mut *tx)
        .await?;
        let run = run.ok_or(kefu_store::StoreError::NotFound)?;
        let mut out = Vec::with_capacity(links.len());
        for l in links {
            out.push(Self::insert_link_in(&mut tx, l, Some(run)).await?);
        }
        tx.commit().await.map_err(db_err)?;
        Ok((run, out))
    }
    #[tracing::instrument(skip_all, fields(links = links.len()))]
    async fn reissue_survey_links(&self, links: &[(i64, String)]) -> kefu_store::StoreResult<u64> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let mut changed = 0;
        for (id, hash) in links {
            changed += sqlx::query("UPDATE survey_links SET token_hash = $1 WHERE id = $2 AND answered_at IS NULL")
                .bind(hash)
                .bind(id)
                .run(&mut *tx)
                .await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(changed)
    }
    #[tracing::instrument(skip_all)]
    async fn campaign_links(
        &self,
        campaign_id: i64,
        run: Option<i64>,
    ) -> kefu_store::StoreResult<Vec<kefu_store::CampaignLink>> {
        use sqlx::Row;
        let cols: String = crate::portable::surveys::LINK_COLUMNS
            .split(", ")
            .map(|c| format!("l.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {cols}, c.external_id AS customer_external_id, COALESCE(c.name, \
                u.name) AS customer_name, ct.name AS contact_name, COALESCE(ct.email, u.email) AS email, ct.phone \
                FROM survey_links l LEFT JOIN customers c ON c.id = l.customer_id LEFT \
                JOIN contacts ct ON ct.id = l.contact_id LEFT JOIN users u ON u.id = l.user_id \
                WHERE l.campaign_id = $1 AND ($2 IS NULL OR l.run = $2) ORDER BY l.id"
        )))
        .bind(campaign_id)
        .bind(run)
        .fetch_all(self.reader())
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(kefu_store::CampaignLink {
                    link: rows::link(r)?,
                    token: None,
                    customer_external_id: r.try_get("customer_external_id").map_err(db_err)?,
                    customer_name: r.try_get("customer_name").map_err(db_err)?,
                    contact_name: r.try_get("contact_name").map_err(db_err)?,
                    email: r
                        .try_get::<Option<String>, _>("email")
                        .map_err(db_err)?
                        .filter(|e| !e.is_empty()),
                    phone: r
                        .try_get::<Option<String>, _>("phone")
                        .map_err(db_err)?
                        .filter(|p| !p.is_empty()),
                })
            })
            .collect()
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn get_survey_link(&self, id: i64) -> kefu_store::StoreResult<kefu_store::SurveyLink> {
        Self::survey_link_in(self.reader(), id).await
    }
    #[tracing::instrument(skip_all, fields(ticket_id = ticket_id))]
    async fn ticket_has_survey_link(&self, ticket_id: i64) -> kefu_store::StoreResult<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM survey_links WHERE ticket_id = $1")
            .bind(ticket_id)
            .value(self.reader())
            .await?;
        Ok(n > 0)
    }
    #[tracing::instrument(skip_all, fields(link_id = link_id))]
    async fn opt_out_survey_link(&self, link_id: i64, now: i64) -> kefu_store::StoreResult<kefu_store::SurveyLink> {
        sqlx::query("UPDATE survey_links SET opted_out_at = COALESCE(opted_out_at, $2) WHERE id = $1")
            .bind(link_id)
            .bind(now)
            .run(self.writer())
            .await?;
        Self::survey_link_in(self.reader(), link_id).await
    }
    #[tracing::instrument(skip_all)]
    async fn survey_stats(
        &self,
        survey_id: i64,
        segment: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> kefu_store::StoreResult<Vec<kefu_store::StatsRow>> {
        sqlx::query(
            "SELECT segment, period, accumulator, n FROM survey_stats WHERE survey_id = $1 AND segment = $2 \
                AND ($3 IS NULL OR period >= $3) AND ($4 IS NULL OR period <= $4) ORDER BY period",
        )
        .bind(survey_id)
        .bind(segment)
        .bind(from)
        .bind(to)
        .all(self.reader(), |r| {
            Ok(kefu_store::StatsRow {
                segment: get(r, "segment")?,
                period: get(r, "period")?,
                accumulator: get(r, "accumulator")?,
                n: get(r, "n")?,
            })
        })
        .await
    }
    #[tracing::instrument(skip_all, fields(survey_id = survey_id))]
    async fn survey_stats_each(
        &self,
        survey_id: i64,
        segments: &[String],
        from: Option<&str>,
        to: Option<&str>,
    ) -> kefu_store::StoreResult<Vec<kefu_store::StatsRow>> {
        if segments.is_empty() {
            return Ok(vec![]);
        }
        // Only placeholders are formatted in: `$4`, `$5`, … one per segment.
        let list: Vec<String> = (0..segments.len()).map(|i| format!("${}", i + 4)).collect();
        let sql = format!(
            "SELECT segment, period, accumulator, n FROM survey_stats WHERE survey_id = $1 \
                AND ($2 IS NULL OR period >= $2) AND ($3 IS NULL OR period <= $3) \
                AND segment IN ({}) ORDER BY segment, period",
            list.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(survey_id)
            .bind(from)
            .bind(to);
        for s in segments {
            q = q.bind(s.as_str());
        }
        q.all(self.reader(), |r| {
            Ok(kefu_store::StatsRow {
                segment: get(r, "segment")?,
                period: get(r, "period")?,
                accumulator: get(r, "accumulator")?,
                n: get(r, "n")?,
            })
        })
        .await
    }
    #[tracing::instrument(skip_all, fields(survey_id = survey_id))]
    async fn final_responses(&self, survey_id: i64) -> kefu_store::StoreResult<Vec<kefu_store::SurveyResponse>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM survey_responses WHERE survey_id = $1 AND partial = FALSE ORDER BY id",
            crate::portable::surveys::RESPONSE_COLUMNS
        )))
        .bind(survey_id)
        .all(self.reader(), rows::response)
        .await
    }
    #[tracing::instrument(skip_all, fields(customer_id = customer_id))]
    async fn customer_answers(
        &self,
        customer_id: i64,
        limit: u32,
    ) -> kefu_store::StoreResult<Vec<kefu_store::SurveyResponse>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM survey_responses WHERE partial = FALSE \
                AND link_id IN (SELECT id FROM survey_links WHERE customer_id = $1) \
                ORDER BY created_at DESC, id DESC LIMIT $2",
            crate::portable::surveys::RESPONSE_COLUMNS
        )))
        .bind(customer_id)
        .bind(i64::from(limit))
        .all(self.reader(), rows::response)
        .await
    }
    #[tracing::instrument(skip_all, fields(survey_id = survey_id))]
    async fn survey_segments(&self, survey_id: i64) -> kefu_store::StoreResult<Vec<String>> {
        sqlx::query_scalar("SELECT DISTINCT segment FROM survey_stats WHERE survey_id = $1 ORDER BY segment")
            .bind(survey_id)
            .values(self.reader())
            .await
    }
    #[tracing::instrument(skip_all, fields(survey_id = survey_id))]
    async fn survey_respondents(&self, survey_id: i64) -> kefu_store::StoreResult<Vec<String>> {
        sqlx::query_scalar("SELECT respondent FROM survey_responses WHERE survey_id = $1 AND respondent IS NOT NULL")
            .bind(survey_id)
            .values(self.reader())
            .await
    }
    #[tracing::instrument(skip_all)]
    async fn import_survey_responses(
        &self,
        survey_id: i64,
        rows: &[kefu_store::ImportedResponse],
        keys: &[(String, String)],
        merge: &kefu_store::StatsMerge,
        now: i64,
    ) -> kefu_store::StoreResult<u64> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        Self::bulk_write_begins(&mut tx).await?;
        for chunk in rows.chunks(crate::portable::surveys::IMPORT_BATCH) {
            let sql = format!(
                "INSERT INTO survey_responses (survey_id, respondent, answers, comment, segment, partial, created_at, \
                    updated_at) VALUES {}",
                crate::portable::value_rows(true, 1, chunk.len(), "(?, ?, ?, ?, ?, FALSE, ?, ?)")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(survey_id)
                    .bind(&r.respondent)
                    .bind(&r.answers)
                    .bind(&r.comment)
                    .bind(&r.segment)
                    .bind(r.at)
                    .bind(r.at);
            }
            q.execute(&mut *tx).await.map_err(db_err)?;
        }
        Self::fold_stats_in(&mut tx, survey_id, keys, now, &|seg, period, old| {
            merge(seg, period, old)
        })
        .await?;
        Self::bulk_write_ends(&mut tx).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(rows.len() as u64)
    }
    #[tracing::instrument(skip_all)]
    async fn rebuild_survey_stats(
        &self,
        survey_id: i64,
        builder: &mut dyn kefu_store::StatsBuilder,
        now: i64,
    ) -> kefu_store::StoreResult<u64> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        Self::lock_survey_stats(&mut tx).await?;
        let (mut after, mut read) = (0i64, 0u64);
        loop {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {} FROM survey_responses WHERE survey_id = $1 AND partial = FALSE AND id > $2 ORDER BY id \
                    LIMIT $3",
                crate::portable::surveys::RESPONSE_COLUMNS
            )))
            .bind(survey_id)
            .bind(after)
            .bind(crate::portable::surveys::REBUILD_PAGE)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
            let Some(last) = rows.last() else { break };
            after = sqlx::Row::try_get(last, "id").map_err(db_err)?;
            for row in &rows {
                builder
                    .add(&rows::response(row)?)
                    .map_err(kefu_store::StoreError::Refused)?;
            }
            read += rows.len() as u64;
        }
        let stats = builder.finish().map_err(kefu_store::StoreError::Refused)?;
        sqlx::query("DELETE FROM survey_stats WHERE survey_id = $1")
            .bind(survey_id)
            .run(&mut *tx)
            .await?;
        for r in &stats {
            sqlx::query(
                "INSERT INTO survey_stats (survey_id, segment, period, accumulator, n, updated_at) \
                    VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(survey_id)
            .bind(&r.segment)
            .bind(&r.period)
            .bind(&r.accumulator)
            .bind(r.n)
            .bind(now)
            .run(&mut *tx)
            .await?;
        }
        Self::bump_epoch(&mut tx, "survey_stats").await?;
        tx.commit().await.map_err(db_err)?;
        Ok(read)
    }
    #[tracing::instrument(skip_all)]
    async fn survey_stats_epoch(&self) -> kefu_store::StoreResult<i64> {
        self.epoch("survey_stats").await
    }
    #[tracing::instrument(skip_all, fields(survey_id = survey_id))]
    async fn commented_answers(&self, survey_id: i64, limit: u32) -> kefu_store::StoreResult<Vec<(String, String)>> {
        sqlx::query_as(
            "SELECT answers, comment FROM survey_responses WHERE survey_id = $1 AND partial = FALSE AND comment <> '' \
                ORDER BY id DESC LIMIT $2",
        )
        .bind(survey_id)
        .bind(i64::from(limit))
        .values(self.reader())
        .await
    }
    #[tracing::instrument(skip_all, fields(survey_id = survey_id))]
    async fn survey_comments(&self, survey_id: i64, limit: u32) -> kefu_store::StoreResult<Vec<(String, i64)>> {
        sqlx::query_as(
            "SELECT comment, updated_at FROM survey_responses WHERE survey_id = $1 AND partial = FALSE \
                AND comment <> '' ORDER BY id DESC LIMIT $2",
        )
        .bind(survey_id)
        .bind(i64::from(limit))
        .values(self.reader())
        .await
    }
}
