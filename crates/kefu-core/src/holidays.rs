//! A year of public holidays and make-up working days (调休) read from the forms they are
//! published in, checked whole, and merged into a calendar's TOML (docs/tickets.md#calendars):
//!
//! - the holiday-cn JSON format (`{"year": 2027, "days": [{"name", "date", "isOffDay"}]}`), as the
//!   NateScarlet/holiday-cn project publishes it from the State Council's notice each year;
//! - an iCalendar file (`.ics`) of all-day events: an event whose summary says it is worked
//!   (`班`, as in 补班 or 上班, or "workday" / "working day") is a make-up working day, every other
//!   one a holiday; a multi-day event covers each of its days (`DTEND` is exclusive).
//!
//! Every day must fall inside the year, and no day may be both off and worked; an error names the
//! day (and, for iCalendar, the line).

use crate::error::Invalid;
use jiff::civil::Date;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// One year's arrangement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayYear {
    pub year: i16,
    /// Days off (holidays).
    pub off: BTreeSet<Date>,
    /// Weekend days that are worked (make-up working days).
    pub on: BTreeSet<Date>,
}

fn bad(code: &'static str, message: String) -> Invalid {
    Invalid::one("file", code, message)
}

impl HolidayYear {
    /// Reads a file in either format: JSON when it starts with `{`, iCalendar when it holds
    /// `BEGIN:VCALENDAR`.
    pub fn parse(text: &str) -> Result<HolidayYear, Invalid> {
        let t = text.trim_start_matches('\u{feff}').trim_start();
        if t.starts_with('{') {
            HolidayYear::from_holiday_cn(t)
        } else if t.contains("BEGIN:VCALENDAR") {
            HolidayYear::from_ics(t)
        } else {
            Err(bad(
                "unknown_format",
                "not a holiday-cn JSON file nor an iCalendar file (BEGIN:VCALENDAR)".into(),
            ))
        }
    }

    /// The holiday-cn JSON format.
    pub fn from_holiday_cn(json: &str) -> Result<HolidayYear, Invalid> {
        #[derive(Deserialize)]
        struct File {
            year: i16,
            days: Vec<Day>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Day {
            date: String,
            is_off_day: bool,
        }
        let f: File =
            serde_json::from_str(json).map_err(|e| bad("invalid_json", format!("not a holiday-cn file: {e}")))?;
        let mut days = Vec::with_capacity(f.days.len());
        for d in f.days {
            let date: Date = d
                .date
                .parse()
                .map_err(|_| bad("invalid_date", format!("{:?} is not a date YYYY-MM-DD", d.date)))?;
            days.push((date, d.is_off_day, String::new()));
        }
        HolidayYear::checked(f.year, days)
    }

    /// An iCalendar file of all-day events.
    pub fn from_ics(text: &str) -> Result<HolidayYear, Invalid> {
        // Unfold (RFC 5545 §3.1): a line that starts with a space or a tab continues the one before.
        let mut lines: Vec<(usize, String)> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let raw = raw.trim_end_matches('\r');
            match raw.strip_prefix([' ', '\t']) {
                Some(rest) if !lines.is_empty() => lines.last_mut().expect("checked").1.push_str(rest),
                _ => lines.push((i + 1, raw.to_owned())),
            }
        }
        let mut days = Vec::new();
        let mut event: Option<(usize, Option<Date>, Option<Date>, String)> = None;
        for (n, line) in lines {
            let (name, value) = line.split_once(':').unwrap_or((line.as_str(), ""));
            let key = name.split(';').next().unwrap_or("").to_ascii_uppercase();
            match (key.as_str(), value) {
                ("BEGIN", "VEVENT") => event = Some((n, None, None, String::new())),
                ("DTSTART", v) => {
                    if let Some(e) = event.as_mut() {
                        e.1 = Some(ics_date(v, n)?);
                    }
                }
                ("DTEND", v) => {
                    if let Some(e) = event.as_mut() {
                        e.2 = Some(ics_date(v, n)?);
                    }
                }
                ("SUMMARY", v) => {
                    if let Some(e) = event.as_mut() {
                        e.3 = v.replace("\\,", ",").replace("\\;", ";");
                    }
                }
                ("END", "VEVENT") => {
                    let Some((at, start, end, summary)) = event.take() else {
                        continue;
                    };
                    let start =
                        start.ok_or_else(|| bad("invalid_ics", format!("line {at}: an event without DTSTART")))?;
                    let end = end.unwrap_or_else(|| start.tomorrow().unwrap_or(start));
                    let worked = is_worked(&summary);
                    let mut d = start;
                    while d < end {
                        days.push((d, !worked, format!("line {at}: ")));
                        d = d.tomorrow().map_err(|e| bad("invalid_ics", e.to_string()))?;
                    }
                }
                _ => {}
            }
        }
        let year = days
            .first()
            .map(|(d, _, _)| d.year())
            .ok_or_else(|| bad("empty_file", "the file lists no all-day events".into()))?;
        HolidayYear::checked(year, days)
    }

    /// The days checked whole: inside `year`, none both off and worked.
    fn checked(year: i16, days: Vec<(Date, bool, String)>) -> Result<HolidayYear, Invalid> {
        if days.is_empty() {
            return Err(bad("empty_file", format!("no days listed for {year}")));
        }
        let mut seen: BTreeMap<Date, bool> = BTreeMap::new();
        for (d, off, at) in days {
            if d.year() != year {
                return Err(bad("outside_year", format!("{at}{d} is not in {year}")));
            }
            if let Some(before) = seen.insert(d, off)
                && before != off
            {
                return Err(bad(
                    "off_and_on",
                    format!("{at}{d} is listed both as a day off and as a working day"),
                ));
            }
        }
        let (off, on): (Vec<_>, Vec<_>) = seen.into_iter().partition(|(_, off)| *off);
        Ok(HolidayYear {
            year,
            off: off.into_iter().map(|(d, _)| d).collect(),
            on: on.into_iter().map(|(d, _)| d).collect(),
        })
    }

    /// A calendar's TOML with this year's days in place of those it listed for the year, its
    /// other years kept, and `years` naming the year. The result is checked as a calendar.
    pub fn merge_into(&self, calendar_toml: &str) -> Result<String, Invalid> {
        let mut table: toml::Table = calendar_toml
            .parse()
            .map_err(|e: toml::de::Error| Invalid::one("calendar", "invalid_toml", e.to_string()))?;
        let current = crate::calendar::BusinessCalendar::from_toml(calendar_toml)?;
        let keep = |set: &BTreeSet<Date>, new: &BTreeSet<Date>| -> toml::Value {
            let all: BTreeSet<Date> = set
                .iter()
                .filter(|d| d.year() != self.year)
                .chain(new)
                .copied()
                .collect();
            toml::Value::Array(all.iter().map(|d| toml::Value::String(d.to_string())).collect())
        };
        table.insert("holidays".into(), keep(&current.holidays, &self.off));
        table.insert("workdays".into(), keep(&current.workdays, &self.on));
        let mut years = current.covered_years.clone();
        years.insert(self.year);
        table.insert(
            "years".into(),
            toml::Value::Array(years.iter().map(|y| toml::Value::Integer(i64::from(*y))).collect()),
        );
        let merged = toml::to_string(&table).map_err(|e| Invalid::one("calendar", "invalid_toml", e.to_string()))?;
        crate::calendar::BusinessCalendar::from_toml(&merged)?;
        Ok(merged)
    }
}

/// Whether an event's summary says the day is worked (补班, 上班, 班, workday).
fn is_worked(summary: &str) -> bool {
    let s = summary.to_lowercase();
    s.contains('班') || s.contains("workday") || s.contains("working day")
}

/// `20270101` or `20270101T000000Z` (an all-day event's date, or a timed one's day).
fn ics_date(v: &str, line: usize) -> Result<Date, Invalid> {
    let digits: String = v.trim().chars().take(8).collect();
    let parse = || -> Option<Date> {
        let y = digits.get(0..4)?.parse().ok()?;
        let m = digits.get(4..6)?.parse().ok()?;
        let d = digits.get(6..8)?.parse().ok()?;
        Date::new(y, m, d).ok()
    };
    parse().ok_or_else(|| bad("invalid_ics", format!("line {line}: {v:?} is not a date")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    const JSON: &str = r#"{"$schema": "https://raw.githubusercontent.com/NateScarlet/holiday-cn/master/schema.json",
        "year": 2030, "papers": [], "days": [
        {"name": "元旦", "date": "2030-01-01", "isOffDay": true},
        {"name": "春节", "date": "2030-02-02", "isOffDay": false},
        {"name": "春节", "date": "2030-02-03", "isOffDay": true}]}"#;

    #[test]
    fn holiday_cn_json_is_read() {
        let y = HolidayYear::parse(JSON).unwrap();
        assert_eq!(y.year, 2030);
        assert_eq!(y.off, [d("2030-01-01"), d("2030-02-03")].into());
        assert_eq!(y.on, [d("2030-02-02")].into());
    }

    #[test]
    fn a_file_is_checked_whole() {
        let outside = JSON.replace("2030-02-03", "2031-02-03");
        assert_eq!(HolidayYear::parse(&outside).unwrap_err().errors[0].code, "outside_year");
        let both = JSON.replace(
            "\"2030-02-03\", \"isOffDay\": true",
            "\"2030-02-02\", \"isOffDay\": true",
        );
        let e = HolidayYear::parse(&both).unwrap_err();
        assert_eq!(e.errors[0].code, "off_and_on");
        assert!(e.errors[0].message.contains("2030-02-02"), "{e}");
        assert_eq!(
            HolidayYear::parse("year,date").unwrap_err().errors[0].code,
            "unknown_format"
        );
        assert_eq!(
            HolidayYear::parse(&JSON.replace("2030-01-01", "2030-13-01"))
                .unwrap_err()
                .errors[0]
                .code,
            "invalid_date"
        );
    }

    const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20300101\r\n\
        DTEND;VALUE=DATE:20300104\r\nSUMMARY:元旦\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20300105\r\n\
        SUMMARY:元旦补\r\n 班\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn icalendar_is_read_with_folded_lines_and_ranges() {
        let y = HolidayYear::parse(ICS).unwrap();
        assert_eq!(y.year, 2030);
        assert_eq!(y.off, [d("2030-01-01"), d("2030-01-02"), d("2030-01-03")].into());
        assert_eq!(y.on, [d("2030-01-05")].into(), "a folded summary still says 班");
        let stray = ICS.replace("20300105", "20310105");
        let e = HolidayYear::parse(&stray).unwrap_err();
        assert!(e.errors[0].message.starts_with("line 8: 2031-01-05"), "{e}");
    }

    #[test]
    fn a_year_merges_beside_the_others() {
        let cal = "time_zone = \"Asia/Shanghai\"\nholidays = [\"2029-10-01\", \"2030-05-01\"]\n\
            workdays = [\"2029-09-29\"]\n[week]\nmon = [\"09:00-18:00\"]\n";
        let merged = HolidayYear::parse(JSON).unwrap().merge_into(cal).unwrap();
        let c = crate::calendar::BusinessCalendar::from_toml(&merged).unwrap();
        assert_eq!(
            c.holidays,
            [d("2029-10-01"), d("2030-01-01"), d("2030-02-03")].into(),
            "2030's old holiday replaced, 2029's kept"
        );
        assert_eq!(c.workdays, [d("2029-09-29"), d("2030-02-02")].into());
        assert_eq!(c.covered_years, [2029, 2030].into());
        assert_eq!(c.week[0].len(), 1, "the rest of the calendar is kept");
    }

    #[test]
    fn coverage_looks_sixty_days_ahead() {
        let cal = crate::calendar::BusinessCalendar::from_toml(
            "time_zone = \"Asia/Shanghai\"\nholidays = [\"2026-10-01\"]\n[week]\nmon = [\"09:00-18:00\"]\n",
        )
        .unwrap();
        assert_eq!(cal.first_uncovered_day(d("2026-10-01"), 60), None);
        assert_eq!(cal.first_uncovered_day(d("2026-12-06"), 60), Some(d("2027-01-01")));
        assert_eq!(cal.first_uncovered_day(d("2027-03-01"), 60), Some(d("2027-03-01")));
        let plain =
            crate::calendar::BusinessCalendar::from_toml("time_zone = \"UTC\"\n[week]\nmon = [\"09:00-18:00\"]\n")
                .unwrap();
        assert_eq!(
            plain.first_uncovered_day(d("2026-12-06"), 60),
            None,
            "keeps no holidays"
        );
    }
}
