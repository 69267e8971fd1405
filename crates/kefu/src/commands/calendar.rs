//! `kefu calendar`: import a year's holidays into a calendar, and check that the calendars in use
//! know the coming ones (docs/calendars.md#keeping-a-calendar-current).

use crate::cli::Format;
use crate::commands::{ExitWith, app_err};
use anyhow::{Context, Result};
use kefu_app::{Actor, App};
use std::path::Path;

/// `kefu calendar import NAME FILE`.
pub(crate) async fn import(app: &App, name: &str, file: &Path, format: Format) -> Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let r = app
        .import_calendar_year(&Actor::Cli, name, &text)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), app_err(e)))?;
    let covered = r.covered.iter().map(i16::to_string).collect::<Vec<_>>();
    match format {
        Format::Json => println!(
            "{}",
            serde_json::json!({"calendar": r.calendar.name, "year": r.year, "holidays": r.holidays,
                "workdays": r.workdays, "covered": r.covered})
        ),
        Format::Text => println!(
            "{}: {} holidays and {} make-up working days merged into calendar {:?}; it now covers {}",
            r.year,
            r.holidays,
            r.workdays,
            r.calendar.name,
            covered.join(", ")
        ),
    }
    Ok(())
}

/// `kefu calendar check`: the gaps, and exit status 1 when there are any (for a cron job).
pub(crate) async fn check(app: &App, format: Format) -> Result<()> {
    let gaps = app.calendar_gaps().await.map_err(app_err)?;
    match format {
        Format::Json => println!("{}", serde_json::to_string(&gaps)?),
        Format::Text if gaps.is_empty() => println!(
            "every calendar in use knows the holidays of the next {} days",
            kefu_app::calendars::HORIZON_DAYS
        ),
        Format::Text => {
            for g in &gaps {
                println!("{}", g.describe());
            }
        }
    }
    if gaps.is_empty() {
        Ok(())
    } else {
        Err(ExitWith {
            code: 1,
            message: format!(
                "{} calendar(s) run out of holidays within {} days",
                gaps.len(),
                kefu_app::calendars::HORIZON_DAYS
            ),
        }
        .into())
    }
}
