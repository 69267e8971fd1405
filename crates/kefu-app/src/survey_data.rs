//! Survey answers in bulk (issue 5): `kefu survey import` reads one respondent per CSV row into a
//! survey and folds them into its statistics; `kefu survey rebuild-stats` recomputes the
//! statistics from the raw answers.
//!
//! Import columns (header row required, order free, case ignored): `respondent` (required, unique
//! within the survey), `E_<item>` and `P_<item>` for the survey's items (1–7; an empty cell is an
//! unanswered item; `E_` only on a SERVQUAL survey), `W_<dimension>` (the 100 importance points:
//! all empty, or all given and summing to 100), `overall` (1–7) and `comment`. Every row is checked
//! as an answer through a link is; then all rows are written in one transaction (all or nothing),
//! or with `skip_bad_rows` exactly the good ones. Imported answers count in the segment `all` for
//! the month they were imported in.

use crate::import::{CsvFile, ImportReport, RowError, err, field, file_error};
use crate::surveys::{Answers, SurveyAccumulator, SurveyView, has_battery, stats_keys};
use crate::{Actor, App, AppError, AppResult, now_ms};
use kefu_store::{ImportedResponse, StatsBuilder, StatsRow, SurveyResponse};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Seek};

const MAX_RESPONDENT: usize = 200;

/// Where each column of a survey file is.
struct Columns {
    respondent: usize,
    /// (file column, item code) of each expectation and perception column.
    expectation: Vec<(usize, String)>,
    perception: Vec<(usize, String)>,
    /// (file column, dimension code) of each importance column.
    weights: Vec<(usize, String)>,
    overall: Option<usize>,
    comment: Option<usize>,
}

/// The columns a survey's file may have, lowercase as the header is read.
fn known_columns(view: &SurveyView) -> Vec<String> {
    let kind = view.survey.kind.as_str();
    let mut out = vec!["respondent".to_owned()];
    if has_battery(kind) {
        for i in &view.items {
            if kind == "servqual" {
                out.push(format!("e_{}", i.code.to_lowercase()));
            }
            out.push(format!("p_{}", i.code.to_lowercase()));
        }
    }
    if view.survey.importance && matches!(kind, "servqual" | "servperf") {
        out.extend(
            view.layout()
                .dimensions
                .iter()
                .map(|d| format!("w_{}", d.code.to_lowercase())),
        );
    }
    if view.survey.overall && has_battery(kind) {
        out.push("overall".into());
    }
    if view.survey.comment {
        out.push("comment".into());
    }
    out
}

impl Columns {
    fn of(file: &CsvFile, view: &SurveyView) -> Columns {
        let items = |prefix: &str| -> Vec<(usize, String)> {
            view.items
                .iter()
                .filter_map(|i| {
                    file.col(&format!("{prefix}_{}", i.code.to_lowercase()))
                        .map(|c| (c, i.code.clone()))
                })
                .collect()
        };
        let dims = view.layout().dimensions;
        let weights: Vec<(usize, String)> = dims
            .iter()
            .filter_map(|d| {
                file.col(&format!("w_{}", d.code.to_lowercase()))
                    .map(|c| (c, d.code.clone()))
            })
            .collect();
        Columns {
            respondent: file.col("respondent").unwrap_or(0),
            expectation: items("e"),
            perception: items("p"),
            weights,
            overall: file.col("overall"),
            comment: file.col("comment"),
        }
    }
}

/// A 1–7 answer in a cell; empty is unanswered.
fn scale_cell(line: usize, column: &str, v: &str) -> Result<Option<u8>, RowError> {
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<u8>() {
        Ok(x) if (1..=7).contains(&x) => Ok(Some(x)),
        _ => Err(err(line, column, format!("{v:?} is not a whole number from 1 to 7"))),
    }
}

/// One row's answers, or the reasons it is refused.
fn row_answers(
    view: &SurveyView,
    cols: &Columns,
    line: usize,
    rec: &csv::StringRecord,
) -> Result<(String, Answers, String), Vec<RowError>> {
    let mut errors = Vec::new();
    let respondent = field(rec, Some(cols.respondent)).to_owned();
    if respondent.is_empty() {
        errors.push(err(line, "respondent", "respondent is required"));
    } else if respondent.chars().count() > MAX_RESPONDENT {
        errors.push(err(
            line,
            "respondent",
            format!("respondent has more than {MAX_RESPONDENT} characters"),
        ));
    }
    let mut a = Answers::default();
    for (prefix, cols, into) in [
        ("E", &cols.expectation, &mut a.expectation),
        ("P", &cols.perception, &mut a.perception),
    ] {
        for (c, code) in cols {
            let column = format!("{prefix}_{code}");
            match scale_cell(line, &column, field(rec, Some(*c))) {
                Ok(Some(v)) => {
                    into.insert(code.clone(), v);
                }
                Ok(None) => {}
                Err(e) => errors.push(e),
            }
        }
    }
    if !cols.weights.is_empty() {
        let mut given = BTreeMap::new();
        let mut empty = Vec::new();
        for (c, code) in &cols.weights {
            let v = field(rec, Some(*c));
            let column = format!("W_{code}");
            if v.is_empty() {
                empty.push(column);
                continue;
            }
            match v.parse::<u32>() {
                Ok(x) if x <= 100 => {
                    given.insert(code.clone(), x);
                }
                _ => errors.push(err(line, &column, format!("{v:?} is not a whole number from 0 to 100"))),
            }
        }
        let all = view.layout().dimensions.len();
        if !given.is_empty() && (given.len() < all || !empty.is_empty()) && errors.is_empty() {
            let missing = if empty.is_empty() {
                view.layout()
                    .dimensions
                    .iter()
                    .filter(|d| !given.contains_key(&d.code))
                    .map(|d| format!("W_{}", d.code))
                    .collect()
            } else {
                empty
            };
            errors.push(err(
                line,
                &missing.join(", "),
                "the importance points are partly given: give all of them (summing to 100) or none",
            ));
        } else if given.len() == all {
            let sum: u32 = given.values().sum();
            if sum != 100 {
                errors.push(err(
                    line,
                    &cols
                        .weights
                        .iter()
                        .map(|(_, d)| format!("W_{d}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    format!("the importance points must add up to 100, not {sum}"),
                ));
            }
            a.allocation = Some(given);
        }
    }
    if let Some(c) = cols.overall {
        match scale_cell(line, "overall", field(rec, Some(c))) {
            Ok(v) => a.overall = v,
            Err(e) => errors.push(e),
        }
    }
    let comment = cols.comment.map(|c| field(rec, Some(c)).to_owned()).unwrap_or_default();
    if errors.is_empty()
        && let Err(inv) = view.check_answers(&a, &comment, true)
    {
        errors.extend(inv.errors.into_iter().map(|e| {
            let column = match e.field.as_str() {
                "perception" | "expectation" => "P_…".to_owned(),
                f => f.replace("expectation.", "E_").replace("perception.", "P_"),
            };
            err(line, &column, e.message)
        }));
    }
    if errors.is_empty() {
        Ok((respondent, a, comment))
    } else {
        Err(errors)
    }
}

/// Rebuilds statistics rows from answers, as each answer was folded when it was given.
struct Rebuild<'a> {
    view: &'a SurveyView,
    rows: BTreeMap<(String, String), SurveyAccumulator>,
}

impl StatsBuilder for Rebuild<'_> {
    fn add(&mut self, r: &SurveyResponse) -> Result<(), String> {
        let a: Answers = serde_json::from_str(&r.answers).map_err(|e| format!("answer {}: {e}", r.id))?;
        let segment: Value = serde_json::from_str(&r.segment).map_err(|e| format!("answer {}: {e}", r.id))?;
        for key in stats_keys(&segment) {
            let acc = match self.rows.entry(key) {
                std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(SurveyAccumulator::new(self.view).map_err(|e| e.to_string())?)
                }
            };
            acc.add(self.view, &a).map_err(|e| format!("answer {}: {e}", r.id))?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<Vec<StatsRow>, String> {
        std::mem::take(&mut self.rows)
            .into_iter()
            .map(|((segment, period), acc)| {
                Ok(StatsRow {
                    segment,
                    period,
                    n: acc.respondents() as i64,
                    accumulator: Some(serde_json::to_string(&acc).map_err(|e| e.to_string())?),
                })
            })
            .collect()
    }
}

impl App {
    /// Imports answers from a CSV file into a survey (by id or slug). `progress(done, total)`
    /// reports the rows checked.
    pub async fn import_survey_responses<R: Read + Seek + Send>(
        &self,
        actor: &Actor,
        survey: &str,
        src: R,
        skip_bad_rows: bool,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> AppResult<ImportReport> {
        let id = self.survey_id_of(actor, survey).await?;
        let view = self.get_survey(actor, id).await?;
        if view.survey.status == "closed" {
            return Err(AppError::Refused("the survey is closed".into()));
        }
        let known = known_columns(&view);
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        let mut file = CsvFile::open(src, &known, &["respondent"]).map_err(file_error)?;
        let cols = Columns::of(&file, &view);
        let total = file.lines;
        let mut seen: HashSet<String> = self.store.survey_respondents(id).await?.into_iter().collect();
        let mut first_line: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut report = ImportReport {
            header: file.header.clone(),
            ..Default::default()
        };
        let now = now_ms();
        let tz = self.time_zone().await;
        let period = jiff::Timestamp::from_millisecond(now)
            .map(|t| t.to_zoned(tz).strftime("%Y-%m").to_string())
            .unwrap_or_else(|_| "1970-01".into());
        let segment = json!({"period": period, "source": "import"}).to_string();
        let mut acc = SurveyAccumulator::new(&view)?;
        let mut rows: Vec<ImportedResponse> = Vec::with_capacity(usize::try_from(total).unwrap_or(0).min(2_000_000));
        let mut rec = csv::StringRecord::new();
        loop {
            let line = match file.next(&mut rec) {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(e) => {
                    // A row the CSV reader cannot read ends the file: nothing after it is trusted.
                    report.rejected.push(e);
                    report.aborted = !skip_bad_rows;
                    break;
                }
            };
            report.rows += 1;
            let checked = row_answers(&view, &cols, line, &rec).and_then(|(respondent, a, comment)| {
                if let Some(first) = first_line.get(&respondent) {
                    return Err(vec![err(
                        line,
                        "respondent",
                        format!("respondent {respondent:?} is also on row {first}"),
                    )]);
                }
                if seen.contains(&respondent) {
                    return Err(vec![err(
                        line,
                        "respondent",
                        format!("respondent {respondent:?} has answered this survey already"),
                    )]);
                }
                Ok((respondent, a, comment))
            });
            match checked {
                Ok((respondent, a, comment)) => {
                    acc.add(&view, &a)?;
                    first_line.insert(respondent.clone(), line);
                    rows.push(ImportedResponse {
                        respondent,
                        answers: serde_json::to_string(&a).map_err(|e| AppError::Refused(e.to_string()))?,
                        comment,
                        segment: segment.clone(),
                    });
                }
                Err(errors) => {
                    report.rejected.extend(errors);
                    report
                        .rejected_rows
                        .push((line, rec.iter().map(|f| f.trim().to_owned()).collect()));
                }
            }
            if report.rows.is_multiple_of(10_000) {
                progress(report.rows as u64, total.max(report.rows as u64));
            }
        }
        progress(report.rows as u64, report.rows as u64);
        seen.clear();
        if !report.rejected.is_empty() && !skip_bad_rows {
            report.aborted = true;
            return Ok(report);
        }
        if rows.is_empty() {
            return Ok(report);
        }
        let keys = vec![("all".to_owned(), period)];
        let merge = move |_: &str, _: &str, old: Option<&str>| -> Result<(String, i64), String> {
            let mut merged = acc.clone();
            if let Some(old) = old {
                let old: SurveyAccumulator = serde_json::from_str(old).map_err(|e| e.to_string())?;
                merged.merge(&old).map_err(|e| e.to_string())?;
            }
            let n = merged.respondents() as i64;
            Ok((serde_json::to_string(&merged).map_err(|e| e.to_string())?, n))
        };
        report.inserted = self
            .store
            .import_survey_responses(id, &rows, &keys, &merge, now)
            .await
            .map_err(crate::error::conflict_says(
                "another import of the same respondents finished first; nothing was imported".into(),
            ))?;
        self.audit(
            actor,
            "survey.import",
            id.to_string(),
            json!({"rows": report.rows, "imported": report.inserted, "rejected": report.rejected_rows.len()}),
        )
        .await?;
        Ok(report)
    }

    /// Recomputes a survey's statistics from its final answers; returns the answers read.
    pub async fn rebuild_survey_stats(&self, actor: &Actor, survey: &str) -> AppResult<u64> {
        let id = self.survey_id_of(actor, survey).await?;
        let view = self.get_survey(actor, id).await?;
        let mut b = Rebuild {
            view: &view,
            rows: BTreeMap::new(),
        };
        let n = self.store.rebuild_survey_stats(id, &mut b, now_ms()).await?;
        self.audit(actor, "survey.rebuild_stats", id.to_string(), json!({"answers": n}))
            .await?;
        Ok(n)
    }
}
