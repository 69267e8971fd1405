//! `kefu sla`: one escalation sweep now, and the business-time clock on a calendar file.

use crate::cli::Format;
use crate::commands::app_err;
use anyhow::{Context, Result, anyhow};
use kefu_app::App;

/// `kefu sla sweep`: what the `tickets.escalate` job does every minute, once, timed.
pub(crate) async fn sweep(app: &App, format: Format) -> Result<()> {
    let started = std::time::Instant::now();
    let r = app.sweep_escalations(app.now()).await.map_err(app_err)?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    match format {
        Format::Json => println!(
            "{}",
            serde_json::json!({"tickets": r.tickets, "warnings": r.warnings, "breaches": r.breaches, "ms": ms})
        ),
        Format::Text => println!(
            "swept {} ticket(s): {} warning(s), {} breach(es) in {ms:.0} ms",
            r.tickets, r.warnings, r.breaches
        ),
    }
    Ok(())
}

/// `kefu sla due`: the business-time clock the SLAs use, on a calendar file; opens no database.
pub(crate) fn due(calendar: &std::path::Path, from: &str, minutes: i64, format: Format) -> Result<()> {
    let src = std::fs::read_to_string(calendar)
        .with_context(|| format!("cannot read the calendar {}", calendar.display()))?;
    let cal = kefu_core::calendar::BusinessCalendar::from_toml(&src)
        .map_err(|e| anyhow!("{}: {}", calendar.display(), app_err(e.into())))?;
    let start: jiff::Timestamp = from
        .parse()
        .map_err(|e| anyhow!("--from {from:?} is not an RFC 3339 instant such as 2026-09-30T17:00:00+08:00: {e}"))?;
    let due = cal
        .add_business_minutes(start, minutes)
        .map_err(|e| app_err(e.into()))?;
    match format {
        Format::Json => println!(
            "{}",
            serde_json::json!({"due": cal.format(due), "time_zone": cal.time_zone_name})
        ),
        Format::Text => println!("{}", cal.format(due)),
    }
    Ok(())
}
