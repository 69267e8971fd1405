//! The horizon of the holiday calendars (docs/calendars.md#keeping-a-calendar-current): every SLA
//! counts business time on a calendar, and a calendar knows a year's holidays and make-up days
//! only once someone adds them. kefu warns — a banner for admins and managers, `/readyz`, a log
//! line at start and every day — when a calendar in use does not cover the next
//! [`HORIZON_DAYS`] days, and imports a year from the forms it is published in
//! ([`kefu_core::holidays`]), merged beside the calendar's other years.

use crate::{Actor, App, AppResult};
use kefu_core::holidays::HolidayYear;
use kefu_core::{Invalid, roles};
use kefu_store::StoredCalendar;
use serde::Serialize;
use std::collections::BTreeSet;

/// How far ahead a calendar in use must know its holidays.
pub const HORIZON_DAYS: i32 = 60;

/// The daily job that logs the calendars' gaps.
pub const CHECK_KIND: &str = "calendars.check";

/// A calendar in use that does not know the holidays of a day within the horizon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarGap {
    pub calendar: String,
    /// The first day it does not know (its year's holidays are missing).
    pub from: jiff::civil::Date,
    /// The years it knows.
    pub covered: Vec<i16>,
}

impl CalendarGap {
    /// In words, for logs and `/readyz`.
    pub fn describe(&self) -> String {
        format!(
            "calendar {:?} lists holidays for {} only: from {} every SLA on it would count {}'s holidays as \
             working days and its make-up days as rest; import the year (kefu calendar import {:?} FILE)",
            self.calendar,
            self.covered.iter().map(i16::to_string).collect::<Vec<_>>().join(", "),
            self.from,
            self.from.year(),
            self.calendar,
        )
    }
}

/// What an import merged.
#[derive(Debug, Clone)]
pub struct YearImported {
    pub calendar: StoredCalendar,
    pub year: i16,
    pub holidays: usize,
    pub workdays: usize,
    /// The years the calendar now covers.
    pub covered: Vec<i16>,
}

impl App {
    /// The calendars in use (those an SLA policy counts on) that do not know the holidays of the
    /// next [`HORIZON_DAYS`] days, by name; each measured from today in its own time zone.
    pub async fn calendar_gaps(&self) -> AppResult<Vec<CalendarGap>> {
        let setup = self.sla_setup().await?;
        let in_use: BTreeSet<i64> = setup.policies.iter().map(|p| p.calendar_id).collect();
        let now = jiff::Timestamp::from_millisecond(self.now()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let mut gaps: Vec<CalendarGap> = in_use
            .into_iter()
            .filter_map(|id| {
                let cal = setup.calendars.get(&id)?;
                let today = now.to_zoned(cal.time_zone.clone()).date();
                let from = cal.first_uncovered_day(today, HORIZON_DAYS)?;
                Some(CalendarGap {
                    calendar: setup.calendar_names.get(&id).cloned().unwrap_or_default(),
                    from,
                    covered: cal.covered_years.iter().copied().collect(),
                })
            })
            .collect();
        gaps.sort_by(|a, b| a.calendar.cmp(&b.calendar));
        Ok(gaps)
    }

    /// Logs a warning for each gap (at start, and by the daily [`CHECK_KIND`] job); how many.
    pub async fn log_calendar_gaps(&self) -> AppResult<usize> {
        let gaps = self.calendar_gaps().await?;
        for g in &gaps {
            tracing::warn!(calendar = %g.calendar, from = %g.from, "{}", g.describe());
        }
        Ok(gaps.len())
    }

    /// Imports one year of holidays and make-up working days into the calendar `name` (managers
    /// and admins): the file (holiday-cn JSON or iCalendar) is checked whole, and its year
    /// replaces what the calendar listed for that year; its other years stay.
    pub async fn import_calendar_year(&self, actor: &Actor, name: &str, file: &str) -> AppResult<YearImported> {
        actor.require(roles::MANAGERS)?;
        if file.len() > 1 << 20 {
            return Err(Invalid::one("file", "too_large", "a holiday file is at most 1 MiB").into());
        }
        let year = HolidayYear::parse(file)?;
        let current = self
            .store
            .calendars()
            .await?
            .into_iter()
            .find(|c| c.name == name)
            .ok_or_else(|| Invalid::one("calendar", "unknown_calendar", format!("no calendar named {name:?}")))?;
        let merged = year.merge_into(&current.toml)?;
        let saved = self.save_calendar(actor, name, &merged).await?;
        let covered = kefu_core::calendar::BusinessCalendar::from_toml(&saved.toml)?
            .covered_years
            .into_iter()
            .collect();
        self.audit(
            actor,
            "calendar.import",
            format!("calendar:{}", saved.id),
            serde_json::json!({"name": saved.name, "year": year.year, "holidays": year.off.len(), "workdays": year.on.len()}),
        )
        .await?;
        Ok(YearImported {
            calendar: saved,
            year: year.year,
            holidays: year.off.len(),
            workdays: year.on.len(),
            covered,
        })
    }
}
