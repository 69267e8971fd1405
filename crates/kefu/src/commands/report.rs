//! `kefu report dashboard|gaps`: the manager's dashboard and the five gaps from the command line,
//! in the API's JSON (`GET /api/v1/dashboards/manager`, `GET /api/v1/gaps`), as a text summary,
//! or as a `figure,value` table in CSV or XLSX (kefu-app figure_table).

use crate::cli::{FormatArg, ReportCommand};
use crate::commands::app_err;
use crate::commands::survey::write_output;
use anyhow::{Result, anyhow};
use kefu_app::dashboard::Period;
use kefu_app::{Actor, App};
use kefu_core::Invalid;
use kefu_web::{DashboardDto, GapsDto};
use std::path::PathBuf;

pub(crate) async fn run(app: &App, command: ReportCommand, format: FormatArg) -> Result<()> {
    match command {
        ReportCommand::Dashboard {
            from,
            to,
            segment,
            output,
        } => {
            let default = app.default_period().await;
            let period = Period::parse(
                &from.unwrap_or_else(|| default.from.to_string()),
                &to.unwrap_or_else(|| default.to.to_string()),
            )
            .map_err(|e| app_err(e.into()))?;
            let d = app
                .manager_dashboard(&Actor::Cli, period, segment.as_deref().unwrap_or("all"))
                .await
                .map_err(app_err)?;
            let dto = DashboardDto::from(d);
            let title = dto.title();
            let json = serde_json::to_value(dto)?;
            let header = |f: &str| ["from", "to", "segment"].contains(&f) || f.starts_with("survey_months");
            emit(&json, &title, &header, "Dashboard", format, output)
        }
        ReportCommand::Gaps {
            survey,
            from,
            to,
            output,
        } => {
            let period =
                kefu_app::gaps::optional_period(from.as_deref().unwrap_or_default(), to.as_deref().unwrap_or_default())
                    .map_err(|e| app_err(e.into()))?;
            let view = app
                .gap_survey(&Actor::Cli, survey.as_deref())
                .await
                .map_err(app_err)?
                .ok_or_else(|| {
                    app_err(
                        Invalid::one(
                            "survey",
                            "unknown_survey",
                            "no SERVQUAL survey has answers yet: name one",
                        )
                        .into(),
                    )
                })?;
            let report = app.gaps(&Actor::Cli, view, period).await.map_err(app_err)?;
            let dto = GapsDto::from(report);
            let title = dto.title();
            let json = serde_json::to_value(dto)?;
            let header =
                |f: &str| ["survey_id", "slug", "title", "from", "to"].contains(&f) || f.starts_with("survey_months");
            emit(&json, &title, &header, "Gaps", format, output)
        }
    }
}

/// Writes a report's JSON as JSON, as `figure: value` lines under `title` (leaving out nulls and
/// the `header` figures the title says), or as a figure table in CSV or XLSX.
fn emit(
    json: &serde_json::Value,
    title: &str,
    header: &dyn Fn(&str) -> bool,
    sheet: &str,
    format: FormatArg,
    output: Option<PathBuf>,
) -> Result<()> {
    let rows = kefu_app::figure_table::figure_rows(json);
    let bytes = match format {
        FormatArg::Json => {
            let mut b = serde_json::to_vec_pretty(json)?;
            b.push(b'\n');
            b
        }
        FormatArg::Text => {
            let mut s = format!("{title}\n");
            for (figure, v) in &rows {
                if !v.is_null() && !header(figure) {
                    s.push_str(&format!(
                        "{figure}: {}\n",
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                    ));
                }
            }
            s.into_bytes()
        }
        FormatArg::Csv => kefu_app::figure_table::to_csv(&rows)?,
        FormatArg::Xlsx => {
            kefu_app::figure_table::to_xlsx(&rows, sheet).map_err(|e| anyhow!("cannot write the workbook: {e}"))?
        }
    };
    write_output(output, &bytes, format == FormatArg::Xlsx)
}
