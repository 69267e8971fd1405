//! Survey SQL written once for both databases: `portable_surveys!(Type, sqlx::Sqlite)`.
//!
//! The fold of an answer into `survey_stats` takes the row's lock portably: the upsert
//! `INSERT … ON CONFLICT … DO UPDATE` locks the row on PostgreSQL until the transaction ends (and
//! SQLite has one writer), so two answers never fold into the same stale accumulator.

pub const SURVEY_COLUMNS: &str = "id, slug, kind, title, language, weights, importance, overall, comment, competitor, status, created_by, created_at, updated_at";
pub const LINK_COLUMNS: &str = "id, survey_id, customer_id, contact_id, ticket_id, language, expires_at, answered_at, opted_out_at, created_at, campaign_id, run, user_id";
pub const CAMPAIGN_COLUMNS: &str = "id, survey_id, name, frame, sample_size, margin, response_rate, seed, fatigue_days, expires_in_days, recurrence, invite_by_email, status, runs, last_run_at, created_by, created_at, updated_at";
pub const RESPONSE_COLUMNS: &str =
    "id, survey_id, link_id, respondent, answers, comment, partial, segment, created_at, updated_at";
/// Imported answers per multi-row INSERT (7 parameters each).
pub const IMPORT_BATCH: usize = 500;
/// Answers read per page when statistics are rebuilt.
pub const REBUILD_PAGE: i64 = 5_000;
pub const BANK_ITEM_SQL: &str = "SELECT i.id, i.code, d.code AS dimension, i.expectation_zh, i.expectation_en, i.perception_zh, i.perception_en, i.position FROM survey_bank_items i JOIN survey_dimensions d ON d.id = i.dimension_id";

#[macro_export]
macro_rules! portable_surveys {
    ($store:ty, $db:ty) => {
        mod __portable_survey_rows {
            use ::sqlx::Row;
            use $crate::*;
            pub type DbRow = <$db as ::sqlx::Database>::Row;

            fn get<'r, T>(row: &'r DbRow, col: &str) -> StoreResult<T>
            where
                T: ::sqlx::Decode<'r, $db> + ::sqlx::Type<$db>,
            {
                row.try_get::<T, _>(col).map_err(super::db_err)
            }

            pub fn survey(row: &DbRow) -> StoreResult<Survey> {
                Ok(Survey {
                    id: get(row, "id")?,
                    slug: get::<Option<String>>(row, "slug")?.unwrap_or_default(),
                    kind: get(row, "kind")?,
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
        }

        impl $store {
            async fn survey_link_in<'e, E>(ex: E, id: i64) -> $crate::StoreResult<$crate::SurveyLink>
            where
                E: ::sqlx::Executor<'e, Database = $db>,
            {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM survey_links WHERE id = $1", $crate::portable_surveys::LINK_COLUMNS)))
                    .bind(id).fetch_one(ex).await.map_err(db_err)?;
                __portable_survey_rows::link(&row)
            }

            async fn survey_response_in<'e, E>(ex: E, link_id: i64) -> $crate::StoreResult<Option<$crate::SurveyResponse>>
            where
                E: ::sqlx::Executor<'e, Database = $db>,
            {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM survey_responses WHERE link_id = $1", $crate::portable_surveys::RESPONSE_COLUMNS)))
                    .bind(link_id).fetch_optional(ex).await.map_err(db_err)?;
                row.as_ref().map(__portable_survey_rows::response).transpose()
            }

            async fn bank_item_in<'e, E>(ex: E, code: &str) -> $crate::StoreResult<$crate::BankItem>
            where
                E: ::sqlx::Executor<'e, Database = $db>,
            {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("{} WHERE i.code = $1", $crate::portable_surveys::BANK_ITEM_SQL)))
                    .bind(code).fetch_one(ex).await.map_err(db_err)?;
                __portable_survey_rows::bank_item(&row)
            }

            /// Takes the link for an answer: live at `now`, not answered, not opted out; `final_` marks it answered.
            async fn take_link_in(tx: &mut ::sqlx::Transaction<'_, $db>, link_id: i64, now: i64, final_: bool) -> $crate::StoreResult<$crate::SurveyLink> {
                let sql = if final_ {
                    "UPDATE survey_links SET answered_at = $2 WHERE id = $1 AND answered_at IS NULL AND opted_out_at IS NULL AND expires_at > $2"
                } else {
                    "UPDATE survey_links SET expires_at = expires_at WHERE id = $1 AND answered_at IS NULL AND opted_out_at IS NULL AND expires_at > $2"
                };
                let r = ::sqlx::query(sql).bind(link_id).bind(now).execute(&mut **tx).await.map_err(db_err)?;
                if r.rows_affected() != 1 {
                    return Err($crate::StoreError::Conflict { what: "the survey link is answered, opted out or expired".into() });
                }
                Self::survey_link_in(&mut **tx, link_id).await
            }

            /// Folds into the statistics rows `keys` of a survey: each row is locked (the upsert
            /// locks it on PostgreSQL before it is read), read, and replaced by `fold`'s answer.
            async fn fold_stats_in(tx: &mut ::sqlx::Transaction<'_, $db>, survey_id: i64, keys: &[(String, String)], now: i64,
                fold: &(dyn Fn(&str, &str, Option<&str>) -> Result<(String, i64), String> + Send + Sync)) -> $crate::StoreResult<()> {
                for (segment, period) in keys {
                    let old: Option<String> = ::sqlx::query_scalar("INSERT INTO survey_stats (survey_id, segment, period, accumulator, n, updated_at) VALUES ($1, $2, $3, NULL, 0, $4) \
                        ON CONFLICT (survey_id, segment, period) DO UPDATE SET updated_at = excluded.updated_at RETURNING accumulator")
                        .bind(survey_id).bind(segment).bind(period).bind(now).fetch_one(&mut **tx).await.map_err(db_err)?;
                    let (acc, n) = fold(segment, period, old.as_deref()).map_err($crate::StoreError::Refused)?;
                    ::sqlx::query("UPDATE survey_stats SET accumulator = $4, n = $5 WHERE survey_id = $1 AND segment = $2 AND period = $3")
                        .bind(survey_id).bind(segment).bind(period).bind(acc).bind(n).execute(&mut **tx).await.map_err(db_err)?;
                }
                Ok(())
            }

            async fn insert_link_in(tx: &mut ::sqlx::Transaction<'_, $db>, l: &$crate::NewSurveyLink, run: Option<i64>) -> $crate::StoreResult<$crate::SurveyLink> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("INSERT INTO survey_links (survey_id, token_hash, customer_id, contact_id, ticket_id, language, expires_at, created_at, campaign_id, run, token, user_id) \
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {}", $crate::portable_surveys::LINK_COLUMNS)))
                    .bind(l.survey_id).bind(&l.token_hash).bind(l.customer_id).bind(l.contact_id).bind(l.ticket_id).bind(&l.language).bind(l.expires_at).bind(l.now)
                    .bind(l.campaign_id).bind(run).bind(&l.token).bind(l.user_id)
                    .fetch_one(&mut **tx).await.map_err(db_err)?;
                __portable_survey_rows::link(&row)
            }

            async fn write_response_in(tx: &mut ::sqlx::Transaction<'_, $db>, survey_id: i64, w: &$crate::ResponseWrite, partial: bool) -> $crate::StoreResult<$crate::SurveyResponse> {
                ::sqlx::query("INSERT INTO survey_responses (survey_id, link_id, answers, comment, partial, segment, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                    ON CONFLICT (link_id) DO UPDATE SET answers = excluded.answers, comment = excluded.comment, partial = excluded.partial, segment = excluded.segment, updated_at = excluded.updated_at")
                    .bind(survey_id).bind(w.link_id).bind(&w.answers).bind(&w.comment).bind(partial).bind(&w.segment).bind(w.now)
                    .execute(&mut **tx).await.map_err(db_err)?;
                Self::survey_response_in(&mut **tx, w.link_id).await?.ok_or($crate::StoreError::NotFound)
            }
        }

        #[::async_trait::async_trait]
        impl $crate::Surveys for $store {
            async fn survey_dimensions(&self) -> $crate::StoreResult<Vec<$crate::SurveyDimension>> {
                let rows = ::sqlx::query("SELECT id, code, name_zh, name_en, description_zh, description_en, position FROM survey_dimensions ORDER BY position, id")
                    .fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_survey_rows::dimension).collect()
            }
            async fn add_survey_dimension(&self, d: $crate::NewDimension) -> $crate::StoreResult<$crate::SurveyDimension> {
                let row = ::sqlx::query("INSERT INTO survey_dimensions (code, name_zh, name_en, description_zh, description_en, position, created_at, updated_at) \
                    VALUES ($1, $2, $3, $4, $5, (SELECT COALESCE(MAX(position), 0) + 1 FROM survey_dimensions), $6, $6) RETURNING id, code, name_zh, name_en, description_zh, description_en, position")
                    .bind(&d.code).bind(&d.name_zh).bind(&d.name_en).bind(&d.description_zh).bind(&d.description_en).bind(d.now)
                    .fetch_one(self.writer()).await.map_err(db_err)?;
                __portable_survey_rows::dimension(&row)
            }
            async fn bank_items(&self) -> $crate::StoreResult<Vec<$crate::BankItem>> {
                let rows = ::sqlx::query(::sqlx::AssertSqlSafe(format!("{} ORDER BY i.position, i.id", $crate::portable_surveys::BANK_ITEM_SQL)))
                    .fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_survey_rows::bank_item).collect()
            }
            async fn add_bank_item(&self, i: $crate::NewBankItem) -> $crate::StoreResult<$crate::BankItem> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let dim: Option<i64> = ::sqlx::query_scalar("SELECT id FROM survey_dimensions WHERE code = $1")
                    .bind(&i.dimension).fetch_optional(&mut *tx).await.map_err(db_err)?;
                let Some(dim) = dim else {
                    return Err($crate::StoreError::Refused(format!("no dimension {:?}", i.dimension)));
                };
                ::sqlx::query("INSERT INTO survey_bank_items (code, dimension_id, expectation_zh, expectation_en, perception_zh, perception_en, position, created_at, updated_at) \
                    VALUES ($1, $2, $3, $4, $5, $6, (SELECT COALESCE(MAX(position), 0) + 1 FROM survey_bank_items), $7, $7)")
                    .bind(&i.code).bind(dim).bind(&i.expectation_zh).bind(&i.expectation_en).bind(&i.perception_zh).bind(&i.perception_en).bind(i.now)
                    .execute(&mut *tx).await.map_err(db_err)?;
                let out = Self::bank_item_in(&mut *tx, &i.code).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(out)
            }
            async fn update_bank_item(&self, code: &str, p: $crate::BankItemPatch, now: i64) -> $crate::StoreResult<$crate::BankItem> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let old = Self::bank_item_in(&mut *tx, code).await?;
                ::sqlx::query("UPDATE survey_bank_items SET expectation_zh = $2, expectation_en = $3, perception_zh = $4, perception_en = $5, updated_at = $6 WHERE id = $1")
                    .bind(old.id).bind(p.expectation_zh.unwrap_or(old.expectation_zh)).bind(p.expectation_en.unwrap_or(old.expectation_en))
                    .bind(p.perception_zh.unwrap_or(old.perception_zh)).bind(p.perception_en.unwrap_or(old.perception_en)).bind(now)
                    .execute(&mut *tx).await.map_err(db_err)?;
                let out = Self::bank_item_in(&mut *tx, code).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(out)
            }

            async fn create_survey(&self, s: $crate::NewSurvey) -> $crate::StoreResult<$crate::Survey> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("INSERT INTO surveys (slug, kind, title, language, weights, importance, overall, comment, competitor, status, created_by, created_at, updated_at) \
                    VALUES ($12, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING {}", $crate::portable_surveys::SURVEY_COLUMNS)))
                    .bind(&s.kind).bind(&s.title).bind(&s.language).bind(&s.weights).bind(s.importance).bind(s.overall).bind(s.comment)
                    .bind(&s.competitor).bind(&s.status).bind(s.created_by).bind(s.now).bind(&s.slug)
                    .fetch_one(&mut *tx).await.map_err(db_err)?;
                let mut survey = __portable_survey_rows::survey(&row)?;
                if s.slug.is_none() {
                    survey.slug = format!("survey-{}", survey.id);
                    ::sqlx::query("UPDATE surveys SET slug = $2 WHERE id = $1").bind(survey.id).bind(&survey.slug)
                        .execute(&mut *tx).await.map_err(db_err)?;
                }
                for (pos, item) in s.items.iter().enumerate() {
                    let r = ::sqlx::query("INSERT INTO survey_items (survey_id, position, item_id, item_code, dimension_code) \
                        SELECT $1, $2, i.id, i.code, d.code FROM survey_bank_items i JOIN survey_dimensions d ON d.id = i.dimension_id WHERE i.id = $3")
                        .bind(survey.id).bind(pos as i64 + 1).bind(*item).execute(&mut *tx).await.map_err(db_err)?;
                    if r.rows_affected() != 1 {
                        return Err($crate::StoreError::Refused(format!("no item {item} in the bank")));
                    }
                }
                tx.commit().await.map_err(db_err)?;
                Ok(survey)
            }
            async fn get_survey(&self, id: i64) -> $crate::StoreResult<$crate::Survey> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM surveys WHERE id = $1", $crate::portable_surveys::SURVEY_COLUMNS)))
                    .bind(id).fetch_one(self.reader()).await.map_err(db_err)?;
                __portable_survey_rows::survey(&row)
            }
            async fn survey_by_slug(&self, slug: &str) -> $crate::StoreResult<$crate::Survey> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM surveys WHERE slug = $1", $crate::portable_surveys::SURVEY_COLUMNS)))
                    .bind(slug).fetch_one(self.reader()).await.map_err(db_err)?;
                __portable_survey_rows::survey(&row)
            }
            async fn list_surveys(&self) -> $crate::StoreResult<Vec<($crate::Survey, i64)>> {
                use ::sqlx::Row;
                let rows = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {}, (SELECT COUNT(*) FROM survey_responses r WHERE r.survey_id = surveys.id AND r.partial = FALSE) AS answered FROM surveys ORDER BY id DESC", $crate::portable_surveys::SURVEY_COLUMNS)))
                    .fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(|r| Ok((__portable_survey_rows::survey(r)?, r.try_get::<i64, _>("answered").map_err(db_err)?))).collect()
            }
            async fn survey_items(&self, survey_id: i64) -> $crate::StoreResult<Vec<$crate::SurveyItem>> {
                let rows: Vec<(i64, i64, String, String, String, String, String, String)> = ::sqlx::query_as("SELECT s.position, s.item_id, s.item_code, s.dimension_code, i.expectation_zh, i.expectation_en, i.perception_zh, i.perception_en \
                    FROM survey_items s JOIN survey_bank_items i ON i.id = s.item_id WHERE s.survey_id = $1 ORDER BY s.position")
                    .bind(survey_id).fetch_all(self.reader()).await.map_err(db_err)?;
                Ok(rows.into_iter().map(|(position, item_id, code, dimension, expectation_zh, expectation_en, perception_zh, perception_en)| $crate::SurveyItem {
                    position, item_id, code, dimension, expectation_zh, expectation_en, perception_zh, perception_en,
                }).collect())
            }

            async fn create_survey_links(&self, links: &[$crate::NewSurveyLink]) -> $crate::StoreResult<Vec<$crate::SurveyLink>> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let mut out = Vec::with_capacity(links.len());
                for l in links {
                    out.push(Self::insert_link_in(&mut tx, l, None).await?);
                }
                tx.commit().await.map_err(db_err)?;
                Ok(out)
            }
            async fn survey_link_by_token(&self, token_hash: &str) -> $crate::StoreResult<$crate::SurveyLink> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM survey_links WHERE token_hash = $1", $crate::portable_surveys::LINK_COLUMNS)))
                    .bind(token_hash).fetch_one(self.reader()).await.map_err(db_err)?;
                __portable_survey_rows::link(&row)
            }
            async fn survey_response_of(&self, link_id: i64) -> $crate::StoreResult<Option<$crate::SurveyResponse>> {
                Self::survey_response_in(self.reader(), link_id).await
            }
            async fn save_partial_response(&self, w: $crate::ResponseWrite) -> $crate::StoreResult<$crate::SurveyResponse> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let link = Self::take_link_in(&mut tx, w.link_id, w.now, false).await?;
                let out = Self::write_response_in(&mut tx, link.survey_id, &w, true).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(out)
            }
            async fn submit_final_response(&self, w: $crate::ResponseWrite, keys: &[(String, String)], fold: &$crate::StatsFold) -> $crate::StoreResult<$crate::SurveyResponse> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let link = Self::take_link_in(&mut tx, w.link_id, w.now, true).await?;
                let out = Self::write_response_in(&mut tx, link.survey_id, &w, false).await?;
                Self::fold_stats_in(&mut tx, link.survey_id, keys, w.now, &|_, _, old| fold(old)).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(out)
            }
            async fn submit_final_responses(&self, answers: &[$crate::FinalAnswer], fold: &$crate::BatchFold<'_>) -> $crate::StoreResult<Vec<$crate::StoreResult<$crate::SurveyResponse>>> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let mut out = Vec::with_capacity(answers.len());
                // (survey, segment, period) -> the answers that fold into that row, in order.
                let mut rows: ::std::collections::BTreeMap<(i64, String, String), Vec<usize>> = ::std::collections::BTreeMap::new();
                for (i, a) in answers.iter().enumerate() {
                    let w = &a.write;
                    let survey: Option<i64> = ::sqlx::query_scalar("UPDATE survey_links SET answered_at = $2 WHERE id = $1 AND answered_at IS NULL AND opted_out_at IS NULL AND expires_at > $2 RETURNING survey_id")
                        .bind(w.link_id).bind(w.now).fetch_optional(&mut *tx).await.map_err(db_err)?;
                    let Some(survey) = survey else {
                        out.push(Err($crate::StoreError::Conflict { what: "the survey link is answered, opted out or expired".into() }));
                        continue;
                    };
                    let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("INSERT INTO survey_responses (survey_id, link_id, answers, comment, partial, segment, created_at, updated_at) VALUES ($1, $2, $3, $4, FALSE, $5, $6, $6) \
                        ON CONFLICT (link_id) DO UPDATE SET answers = excluded.answers, comment = excluded.comment, partial = excluded.partial, segment = excluded.segment, updated_at = excluded.updated_at RETURNING {}",
                        $crate::portable_surveys::RESPONSE_COLUMNS)))
                        .bind(survey).bind(w.link_id).bind(&w.answers).bind(&w.comment).bind(&w.segment).bind(w.now)
                        .fetch_one(&mut *tx).await.map_err(db_err)?;
                    out.push(Ok(__portable_survey_rows::response(&row)?));
                    for (seg, period) in &a.keys {
                        rows.entry((survey, seg.clone(), period.clone())).or_default().push(i);
                    }
                }
                let now = answers.iter().map(|a| a.write.now).max().unwrap_or(0);
                for ((survey, seg, period), items) in &rows {
                    let key = [(seg.clone(), period.clone())];
                    Self::fold_stats_in(&mut tx, *survey, &key, now, &|s, p, old| fold(*survey, s, p, old, items)).await?;
                }
                tx.commit().await.map_err(db_err)?;
                Ok(out)
            }
            async fn create_campaign(&self, c: $crate::NewCampaign) -> $crate::StoreResult<$crate::Campaign> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("INSERT INTO survey_campaigns (survey_id, name, frame, sample_size, margin, response_rate, seed, fatigue_days, expires_in_days, recurrence, invite_by_email, created_by, created_at, updated_at) \
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING {}", $crate::portable_surveys::CAMPAIGN_COLUMNS)))
                    .bind(c.survey_id).bind(&c.name).bind(&c.frame).bind(c.sample_size).bind(c.margin).bind(c.response_rate).bind(c.seed)
                    .bind(c.fatigue_days).bind(c.expires_in_days).bind(&c.recurrence).bind(c.invite_by_email).bind(c.created_by).bind(c.now)
                    .fetch_one(self.writer()).await.map_err(db_err)?;
                __portable_survey_rows::campaign(&row)
            }
            async fn get_campaign(&self, id: i64) -> $crate::StoreResult<$crate::Campaign> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM survey_campaigns WHERE id = $1", $crate::portable_surveys::CAMPAIGN_COLUMNS)))
                    .bind(id).fetch_one(self.reader()).await.map_err(db_err)?;
                __portable_survey_rows::campaign(&row)
            }
            async fn list_campaigns(&self, survey_id: Option<i64>) -> $crate::StoreResult<Vec<$crate::Campaign>> {
                let rows = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM survey_campaigns WHERE ($1 IS NULL OR survey_id = $1) ORDER BY id DESC", $crate::portable_surveys::CAMPAIGN_COLUMNS)))
                    .bind(survey_id).fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_survey_rows::campaign).collect()
            }
            async fn set_campaign_status(&self, id: i64, status: &str, now: i64) -> $crate::StoreResult<$crate::Campaign> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("UPDATE survey_campaigns SET status = $2, updated_at = $3 WHERE id = $1 RETURNING {}", $crate::portable_surveys::CAMPAIGN_COLUMNS)))
                    .bind(id).bind(status).bind(now).fetch_optional(self.writer()).await.map_err(db_err)?;
                __portable_survey_rows::campaign(&row.ok_or($crate::StoreError::NotFound)?)
            }
            async fn campaign_frame(&self) -> $crate::StoreResult<Vec<$crate::FrameRow>> {
                use ::sqlx::Row;
                let rows = ::sqlx::query("SELECT c.id, c.external_id, c.name, c.kind, c.value_tier, c.region, c.tags, ct.id AS contact_id, ct.name AS contact_name, ct.email, ct.phone, ct.language \
                    FROM customers c LEFT JOIN contacts ct ON ct.id = (SELECT x.id FROM contacts x WHERE x.customer_id = c.id AND x.deleted_at IS NULL ORDER BY x.is_primary DESC, x.id LIMIT 1) \
                    WHERE c.deleted_at IS NULL ORDER BY c.id")
                    .fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(|r| Ok($crate::FrameRow {
                    customer_id: r.try_get("id").map_err(db_err)?,
                    external_id: r.try_get("external_id").map_err(db_err)?,
                    name: r.try_get("name").map_err(db_err)?,
                    kind: r.try_get("kind").map_err(db_err)?,
                    value_tier: r.try_get("value_tier").map_err(db_err)?,
                    region: r.try_get("region").map_err(db_err)?,
                    tags: r.try_get("tags").map_err(db_err)?,
                    contact_id: r.try_get("contact_id").map_err(db_err)?,
                    contact_name: r.try_get("contact_name").map_err(db_err)?,
                    email: r.try_get::<Option<String>, _>("email").map_err(db_err)?.filter(|e| !e.is_empty()),
                    phone: r.try_get::<Option<String>, _>("phone").map_err(db_err)?.filter(|p| !p.is_empty()),
                    language: r.try_get("language").map_err(db_err)?,
                })).collect()
            }
            async fn recently_surveyed(&self, since: i64) -> $crate::StoreResult<Vec<i64>> {
                ::sqlx::query_scalar("SELECT DISTINCT customer_id FROM survey_links WHERE created_at >= $1 AND customer_id IS NOT NULL")
                    .bind(since).fetch_all(self.reader()).await.map_err(db_err)
            }
            async fn opted_out_customers(&self) -> $crate::StoreResult<Vec<i64>> {
                ::sqlx::query_scalar("SELECT DISTINCT customer_id FROM survey_links WHERE opted_out_at IS NOT NULL AND customer_id IS NOT NULL")
                    .fetch_all(self.reader()).await.map_err(db_err)
            }
            async fn staff_frame(&self) -> $crate::StoreResult<Vec<$crate::StaffRow>> {
                let rows: Vec<(i64, String, String, String, Option<String>)> = ::sqlx::query_as("SELECT id, name, email, role, language FROM users WHERE disabled = FALSE AND role <> 'customer' ORDER BY id")
                    .fetch_all(self.reader()).await.map_err(db_err)?;
                Ok(rows.into_iter().map(|(user_id, name, email, role, language)| $crate::StaffRow { user_id, name, email, role, language }).collect())
            }
            async fn recently_surveyed_users(&self, since: i64) -> $crate::StoreResult<Vec<i64>> {
                ::sqlx::query_scalar("SELECT DISTINCT user_id FROM survey_links WHERE created_at >= $1 AND user_id IS NOT NULL")
                    .bind(since).fetch_all(self.reader()).await.map_err(db_err)
            }
            async fn opted_out_users(&self) -> $crate::StoreResult<Vec<i64>> {
                ::sqlx::query_scalar("SELECT DISTINCT user_id FROM survey_links WHERE opted_out_at IS NOT NULL AND user_id IS NOT NULL")
                    .fetch_all(self.reader()).await.map_err(db_err)
            }
            async fn record_campaign_run(&self, campaign_id: i64, links: &[$crate::NewSurveyLink], now: i64) -> $crate::StoreResult<(i64, Vec<$crate::SurveyLink>)> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let run: Option<i64> = ::sqlx::query_scalar("UPDATE survey_campaigns SET runs = runs + 1, last_run_at = $2, updated_at = $2 WHERE id = $1 RETURNING runs")
                    .bind(campaign_id).bind(now).fetch_optional(&mut *tx).await.map_err(db_err)?;
                let run = run.ok_or($crate::StoreError::NotFound)?;
                let mut out = Vec::with_capacity(links.len());
                for l in links {
                    out.push(Self::insert_link_in(&mut tx, l, Some(run)).await?);
                }
                tx.commit().await.map_err(db_err)?;
                Ok((run, out))
            }
            async fn campaign_links(&self, campaign_id: i64, run: Option<i64>) -> $crate::StoreResult<Vec<$crate::CampaignLink>> {
                use ::sqlx::Row;
                let cols: String = $crate::portable_surveys::LINK_COLUMNS.split(", ").map(|c| format!("l.{c}")).collect::<Vec<_>>().join(", ");
                let rows = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {cols}, l.token, c.external_id AS customer_external_id, COALESCE(c.name, u.name) AS customer_name, ct.name AS contact_name, COALESCE(ct.email, u.email) AS email, ct.phone \
                    FROM survey_links l LEFT JOIN customers c ON c.id = l.customer_id LEFT JOIN contacts ct ON ct.id = l.contact_id LEFT JOIN users u ON u.id = l.user_id \
                    WHERE l.campaign_id = $1 AND ($2 IS NULL OR l.run = $2) ORDER BY l.id")))
                    .bind(campaign_id).bind(run).fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(|r| Ok($crate::CampaignLink {
                    link: __portable_survey_rows::link(r)?,
                    token: r.try_get("token").map_err(db_err)?,
                    customer_external_id: r.try_get("customer_external_id").map_err(db_err)?,
                    customer_name: r.try_get("customer_name").map_err(db_err)?,
                    contact_name: r.try_get("contact_name").map_err(db_err)?,
                    email: r.try_get::<Option<String>, _>("email").map_err(db_err)?.filter(|e| !e.is_empty()),
                    phone: r.try_get::<Option<String>, _>("phone").map_err(db_err)?.filter(|p| !p.is_empty()),
                })).collect()
            }
            async fn get_survey_link(&self, id: i64) -> $crate::StoreResult<$crate::SurveyLink> {
                Self::survey_link_in(self.reader(), id).await
            }
            async fn ticket_has_survey_link(&self, ticket_id: i64) -> $crate::StoreResult<bool> {
                let n: i64 = ::sqlx::query_scalar("SELECT COUNT(*) FROM survey_links WHERE ticket_id = $1")
                    .bind(ticket_id).fetch_one(self.reader()).await.map_err(db_err)?;
                Ok(n > 0)
            }
            async fn opt_out_survey_link(&self, link_id: i64, now: i64) -> $crate::StoreResult<$crate::SurveyLink> {
                ::sqlx::query("UPDATE survey_links SET opted_out_at = COALESCE(opted_out_at, $2) WHERE id = $1")
                    .bind(link_id).bind(now).execute(self.writer()).await.map_err(db_err)?;
                Self::survey_link_in(self.reader(), link_id).await
            }
            async fn survey_stats(&self, survey_id: i64, segment: &str, from: Option<&str>, to: Option<&str>) -> $crate::StoreResult<Vec<$crate::StatsRow>> {
                let rows: Vec<(String, String, Option<String>, i64)> = ::sqlx::query_as("SELECT segment, period, accumulator, n FROM survey_stats \
                    WHERE survey_id = $1 AND segment = $2 AND ($3 IS NULL OR period >= $3) AND ($4 IS NULL OR period <= $4) ORDER BY period")
                    .bind(survey_id).bind(segment).bind(from).bind(to).fetch_all(self.reader()).await.map_err(db_err)?;
                Ok(rows.into_iter().map(|(segment, period, accumulator, n)| $crate::StatsRow { segment, period, accumulator, n }).collect())
            }
            async fn final_responses(&self, survey_id: i64) -> $crate::StoreResult<Vec<$crate::SurveyResponse>> {
                let rows = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM survey_responses WHERE survey_id = $1 AND partial = FALSE ORDER BY id", $crate::portable_surveys::RESPONSE_COLUMNS)))
                    .bind(survey_id).fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_survey_rows::response).collect()
            }
            async fn survey_segments(&self, survey_id: i64) -> $crate::StoreResult<Vec<String>> {
                ::sqlx::query_scalar("SELECT DISTINCT segment FROM survey_stats WHERE survey_id = $1 ORDER BY segment")
                    .bind(survey_id).fetch_all(self.reader()).await.map_err(db_err)
            }
            async fn survey_respondents(&self, survey_id: i64) -> $crate::StoreResult<Vec<String>> {
                ::sqlx::query_scalar("SELECT respondent FROM survey_responses WHERE survey_id = $1 AND respondent IS NOT NULL")
                    .bind(survey_id).fetch_all(self.reader()).await.map_err(db_err)
            }
            async fn import_survey_responses(&self, survey_id: i64, rows: &[$crate::ImportedResponse], keys: &[(String, String)], merge: &$crate::StatsMerge, now: i64) -> $crate::StoreResult<u64> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                Self::bulk_write_begins(&mut tx).await?;
                for chunk in rows.chunks($crate::portable_surveys::IMPORT_BATCH) {
                    let sql = format!("INSERT INTO survey_responses (survey_id, respondent, answers, comment, segment, partial, created_at, updated_at) VALUES {}",
                        $crate::portable::value_rows(true, 1, chunk.len(), "(?, ?, ?, ?, ?, FALSE, ?, ?)"));
                    let mut q = ::sqlx::query(::sqlx::AssertSqlSafe(sql));
                    for r in chunk {
                        q = q.bind(survey_id).bind(&r.respondent).bind(&r.answers).bind(&r.comment).bind(&r.segment).bind(now).bind(now);
                    }
                    q.execute(&mut *tx).await.map_err(db_err)?;
                }
                Self::fold_stats_in(&mut tx, survey_id, keys, now, &|seg, period, old| merge(seg, period, old)).await?;
                Self::bulk_write_ends(&mut tx).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(rows.len() as u64)
            }
            async fn rebuild_survey_stats(&self, survey_id: i64, builder: &mut dyn $crate::StatsBuilder, now: i64) -> $crate::StoreResult<u64> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                Self::lock_survey_stats(&mut tx).await?;
                let (mut after, mut read) = (0i64, 0u64);
                loop {
                    let rows = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM survey_responses WHERE survey_id = $1 AND partial = FALSE AND id > $2 ORDER BY id LIMIT $3",
                        $crate::portable_surveys::RESPONSE_COLUMNS)))
                        .bind(survey_id).bind(after).bind($crate::portable_surveys::REBUILD_PAGE)
                        .fetch_all(&mut *tx).await.map_err(db_err)?;
                    let Some(last) = rows.last() else { break };
                    after = ::sqlx::Row::try_get(last, "id").map_err(db_err)?;
                    for row in &rows {
                        builder.add(&__portable_survey_rows::response(row)?).map_err($crate::StoreError::Refused)?;
                    }
                    read += rows.len() as u64;
                }
                let stats = builder.finish().map_err($crate::StoreError::Refused)?;
                ::sqlx::query("DELETE FROM survey_stats WHERE survey_id = $1").bind(survey_id).execute(&mut *tx).await.map_err(db_err)?;
                for r in &stats {
                    ::sqlx::query("INSERT INTO survey_stats (survey_id, segment, period, accumulator, n, updated_at) VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(survey_id).bind(&r.segment).bind(&r.period).bind(&r.accumulator).bind(r.n).bind(now)
                        .execute(&mut *tx).await.map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)?;
                Ok(read)
            }
            async fn commented_answers(&self, survey_id: i64, limit: u32) -> $crate::StoreResult<Vec<(String, String)>> {
                ::sqlx::query_as("SELECT answers, comment FROM survey_responses WHERE survey_id = $1 AND partial = FALSE AND comment <> '' ORDER BY id DESC LIMIT $2")
                    .bind(survey_id).bind(i64::from(limit)).fetch_all(self.reader()).await.map_err(db_err)
            }
            async fn survey_comments(&self, survey_id: i64, limit: u32) -> $crate::StoreResult<Vec<(String, i64)>> {
                ::sqlx::query_as("SELECT comment, updated_at FROM survey_responses WHERE survey_id = $1 AND partial = FALSE AND comment <> '' ORDER BY id DESC LIMIT $2")
                    .bind(survey_id).bind(i64::from(limit)).fetch_all(self.reader()).await.map_err(db_err)
            }
        }
    };
}
