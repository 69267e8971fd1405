//! Survey answers in bulk (docs/surveys.md): `kefu survey import` reads one respondent per CSV row
//! into a survey and folds them into its statistics; `kefu survey rebuild-stats` recomputes the
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
use crate::surveys::{Answers, MAX_COMMENT, SurveyAccumulator, SurveyView, stats_keys};
use crate::{Actor, App, AppError, AppResult};
use kefu_core::stats::ServqualResponse;
use kefu_store::{ImportedResponse, StatsBuilder, StatsRow, SurveyResponse};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Seek};

const MAX_RESPONDENT: usize = 200;

/// Where each column of a survey file is.
struct Columns {
    /// Dimension codes in layout order (the allocation's order).
    dims: Vec<String>,
    respondent: usize,
    /// (file column, item code, item index) of each expectation and perception column.
    expectation: Vec<(usize, String, usize)>,
    perception: Vec<(usize, String, usize)>,
    /// The competitor's ratings (a benchmarked survey's `C_` columns).
    competitor: Vec<(usize, String, usize)>,
    /// (file column, dimension code) of each importance column.
    weights: Vec<(usize, String)>,
    overall: Option<usize>,
    comment: Option<usize>,
}

/// The columns a survey's file may have, lowercase as the header is read.
fn known_columns(view: &SurveyView) -> Vec<String> {
    let kind = view.survey.kind;
    let mut out = vec!["respondent".to_owned()];
    if kind.has_battery() {
        for i in &view.items {
            if kind.asks_expectations() {
                out.push(format!("e_{}", i.code.to_lowercase()));
            }
            out.push(format!("p_{}", i.code.to_lowercase()));
            if view.benchmarked() {
                out.push(format!("c_{}", i.code.to_lowercase()));
            }
        }
    }
    if view.survey.importance && kind.is_battery_of_dimensions() {
        out.extend(
            view.layout()
                .dimensions
                .iter()
                .map(|d| format!("w_{}", d.code.to_lowercase())),
        );
    }
    if view.survey.overall && kind.has_battery() {
        out.push("overall".into());
    }
    if view.survey.comment {
        out.push("comment".into());
    }
    out
}

impl Columns {
    fn of(file: &CsvFile, view: &SurveyView) -> Columns {
        let items = |prefix: &str| -> Vec<(usize, String, usize)> {
            view.items
                .iter()
                .enumerate()
                .filter_map(|(j, i)| {
                    file.col(&format!("{prefix}_{}", i.code.to_lowercase()))
                        .map(|c| (c, i.code.clone(), j))
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
            dims: dims.iter().map(|d| d.code.clone()).collect(),
            respondent: file.col("respondent").unwrap_or(0),
            expectation: items("e"),
            perception: items("p"),
            competitor: items("c"),
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

/// A checked row: the answers by item position (as the accumulator takes them) and as stored.
struct Row {
    respondent: String,
    response: ServqualResponse,
    /// The competitor's ratings by item position (empty cells `None`).
    competitor: Vec<Option<u8>>,
    json: String,
    comment: String,
}

impl Row {
    /// The answers as the app holds them (custom surveys fold from these).
    fn answers(&self, cols: &Columns, view: &SurveyView) -> Answers {
        let mut a = Answers::default();
        for (j, item) in view.items.iter().enumerate() {
            if let Some(v) = self.response.expectation[j] {
                a.expectation.insert(item.code.clone(), v);
            }
            if let Some(v) = self.response.perception[j] {
                a.perception.insert(item.code.clone(), v);
            }
            if let Some(v) = self.competitor.get(j).copied().flatten() {
                a.competitor.insert(item.code.clone(), v);
            }
        }
        a.allocation = self
            .response
            .allocation
            .as_ref()
            .map(|w| cols.dims.iter().cloned().zip(w.iter().copied()).collect());
        a.overall = self.response.overall;
        a
    }
}

/// Appends `"name":{"code":v,...}` for the given values to a JSON object being written.
fn json_map<'a, V: std::fmt::Display>(json: &mut String, name: &str, values: impl Iterator<Item = (&'a str, V)>) {
    use std::fmt::Write;
    let mut first = true;
    for (code, v) in values {
        if first {
            if json.len() > 1 {
                json.push(',');
            }
            let _ = write!(json, "\"{name}\":{{");
            first = false;
        } else {
            json.push(',');
        }
        let _ = write!(json, "{}:{v}", serde_json::Value::from(code));
    }
    if !first {
        json.push('}');
    }
}

/// One row's answers, checked as an answer through a link is (each cell's scale, the allocation
/// given whole or not at all and summing to 100, at least one item, the comment's length), or
/// the reasons it is refused. Positional, without maps: a million rows are read in seconds.
fn row_answers(cols: &Columns, k: usize, line: usize, rec: &csv::StringRecord) -> Result<Row, Vec<RowError>> {
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
    let mut r = ServqualResponse {
        expectation: vec![None; k],
        perception: vec![None; k],
        allocation: None,
        overall: None,
    };
    let mut competitor = vec![None; k];
    for (prefix, cols, into) in [
        ("E", &cols.expectation, &mut r.expectation),
        ("P", &cols.perception, &mut r.perception),
        ("C", &cols.competitor, &mut competitor),
    ] {
        for (c, code, j) in cols {
            let v = field(rec, Some(*c));
            if v.is_empty() {
                continue;
            }
            match v.parse::<u8>() {
                Ok(x) if (1..=7).contains(&x) => into[*j] = Some(x),
                _ => errors.push(err(
                    line,
                    &format!("{prefix}_{code}"),
                    format!("{v:?} is not a whole number from 1 to 7"),
                )),
            }
        }
    }
    if !cols.weights.is_empty() {
        let mut given: Vec<Option<u32>> = vec![None; cols.dims.len()];
        for (c, code) in &cols.weights {
            let v = field(rec, Some(*c));
            if v.is_empty() {
                continue;
            }
            match v.parse::<u32>() {
                Ok(x) if x <= 100 => {
                    if let Some(d) = cols.dims.iter().position(|d| d == code) {
                        given[d] = Some(x);
                    }
                }
                _ => errors.push(err(
                    line,
                    &format!("W_{code}"),
                    format!("{v:?} is not a whole number from 0 to 100"),
                )),
            }
        }
        let n_given = given.iter().flatten().count();
        if n_given > 0 && n_given < given.len() && errors.is_empty() {
            let missing: Vec<String> = cols
                .dims
                .iter()
                .zip(&given)
                .filter(|(_, g)| g.is_none())
                .map(|(d, _)| format!("W_{d}"))
                .collect();
            errors.push(err(
                line,
                &missing.join(", "),
                "the importance points are partly given: give all of them (summing to 100) or none",
            ));
        } else if n_given == given.len() && n_given > 0 {
            let w: Vec<u32> = given.into_iter().flatten().collect();
            let sum: u32 = w.iter().sum();
            if sum != 100 {
                let all: Vec<String> = cols.dims.iter().map(|d| format!("W_{d}")).collect();
                errors.push(err(
                    line,
                    &all.join(", "),
                    format!("the importance points must add up to 100, not {sum}"),
                ));
            }
            r.allocation = Some(w);
        }
    }
    if let Some(c) = cols.overall {
        match scale_cell(line, "overall", field(rec, Some(c))) {
            Ok(v) => r.overall = v,
            Err(e) => errors.push(e),
        }
    }
    let comment = cols.comment.map(|c| field(rec, Some(c)).to_owned()).unwrap_or_default();
    if comment.chars().count() > MAX_COMMENT {
        errors.push(err(
            line,
            "comment",
            format!("the comment has more than {MAX_COMMENT} characters"),
        ));
    }
    if errors.is_empty() && r.expectation.iter().chain(&r.perception).all(Option::is_none) {
        errors.push(err(line, "P_…", "answer at least one item"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut json = String::with_capacity(512);
    json.push('{');
    for (name, cols, values) in [
        ("expectation", &cols.expectation, &r.expectation),
        ("perception", &cols.perception, &r.perception),
        ("competitor", &cols.competitor, &competitor),
    ] {
        json_map(
            &mut json,
            name,
            cols.iter()
                .filter_map(|(_, code, j)| values[*j].map(|v| (code.as_str(), v))),
        );
    }
    if let Some(w) = &r.allocation {
        json_map(
            &mut json,
            "allocation",
            cols.dims.iter().map(String::as_str).zip(w.iter().copied()),
        );
    }
    if let Some(o) = r.overall {
        use std::fmt::Write;
        let _ = write!(json, "{}\"overall\":{o}", if json.len() > 1 { "," } else { "" });
    }
    json.push('}');
    Ok(Row {
        respondent,
        response: r,
        competitor,
        json,
        comment,
    })
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
        if !view.survey.kind.has_battery() {
            return Err(AppError::Refused(format!(
                "answers are imported into SERVQUAL, SERVPERF and custom surveys, not {}",
                view.survey.kind
            )));
        }
        let k = view.items.len();
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
        let now = self.now();
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
            let checked = row_answers(&cols, k, line, &rec).and_then(|row| {
                let respondent = &row.respondent;
                if let Some(first) = first_line.get(respondent) {
                    return Err(vec![err(
                        line,
                        "respondent",
                        format!("respondent {respondent:?} is also on row {first}"),
                    )]);
                }
                if seen.contains(respondent) {
                    return Err(vec![err(
                        line,
                        "respondent",
                        format!("respondent {respondent:?} has answered this survey already"),
                    )]);
                }
                Ok(row)
            });
            match checked {
                Ok(row) => {
                    match &mut acc {
                        SurveyAccumulator::Servqual(a) => a.add(&row.response)?,
                        SurveyAccumulator::Benchmarked(a, c) => {
                            a.add(&row.response)?;
                            c.add(&a.layout, &row.response.perception, &row.competitor)?;
                        }
                        other => other.add(&view, &row.answers(&cols, &view))?,
                    }
                    first_line.insert(row.respondent.clone(), line);
                    rows.push(ImportedResponse {
                        respondent: row.respondent,
                        answers: row.json,
                        comment: row.comment,
                        segment: segment.clone(),
                        at: now,
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
        let n = self.store.rebuild_survey_stats(id, &mut b, self.now()).await?;
        self.audit(actor, "survey.rebuild_stats", id.to_string(), json!({"answers": n}))
            .await?;
        Ok(n)
    }
}
