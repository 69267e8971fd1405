//! `kefu report dashboard`: the manager's dashboard from the command line, in the API's JSON
//! (`GET /api/v1/dashboards/manager`), as a text summary, or as a `figure,value` table in CSV or
//! XLSX (kefu-app figure_table).

use crate::cli::{FormatArg, ReportCommand};
use crate::commands::app_err;
use crate::commands::survey::write_output;
use anyhow::{Result, anyhow};
use kefu_app::dashboard::Period;
use kefu_app::{Actor, App};
use kefu_web::DashboardDto;

pub(crate) async fn run(app: &App, command: ReportCommand, format: FormatArg) -> Result<()> {
    let ReportCommand::Dashboard {
        from,
        to,
        segment,
        output,
    } = command;
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
    let json = serde_json::to_value(DashboardDto::from(d))?;
    let rows = kefu_app::figure_table::figure_rows(&json);
    let bytes = match format {
        FormatArg::Json => {
            let mut b = serde_json::to_vec_pretty(&json)?;
            b.push(b'\n');
            b
        }
        FormatArg::Text => {
            let mut s = format!(
                "dashboard {} to {}, segment {} (survey months {} to {})\n",
                json["from"].as_str().unwrap_or_default(),
                json["to"].as_str().unwrap_or_default(),
                json["segment"].as_str().unwrap_or_default(),
                json["survey_months"][0].as_str().unwrap_or_default(),
                json["survey_months"][1].as_str().unwrap_or_default(),
            );
            for (figure, v) in &rows {
                let header =
                    ["from", "to", "segment"].contains(&figure.as_str()) || figure.starts_with("survey_months");
                if !v.is_null() && !header {
                    s.push_str(&format!(
                        "{figure}: {}\n",
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                    ));
                }
            }
            s.into_bytes()
        }
        FormatArg::Csv => kefu_app::figure_table::to_csv(&rows)?,
        FormatArg::Xlsx => kefu_app::figure_table::to_xlsx(&rows, "Dashboard")
            .map_err(|e| anyhow!("cannot write the workbook: {e}"))?,
    };
    write_output(output, &bytes, format == FormatArg::Xlsx)
}
