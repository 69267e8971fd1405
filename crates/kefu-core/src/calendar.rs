//! Business calendars and the business-time clock that every SLA runs on: weekly hours with
//! several ranges a day (lunch breaks), an IANA time zone, public holidays, and make-up working
//! days (调休: a weekend day that is worked, with `workday_hours`). A date listed both as a holiday
//! and a workday is a holiday. A due instant that lands exactly on the end of a range is that end.
//!
//! The file format (TOML; more keys are allowed and ignored):
//! ```toml
//! time_zone = "Asia/Shanghai"
//! years = [2026]                                    # the years whose holidays are listed
//! holidays = ["2026-10-01"]
//! workdays = ["2026-09-20"]
//! workday_hours = ["09:00-12:00", "13:30-18:00"]   # default: Monday's hours
//! [week]
//! mon = ["09:00-12:00", "13:30-18:00"]              # a missing day is off
//! ```

use crate::error::Invalid;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// A working range within one local day: `[start, end)`; `end` may be 24:00 (`None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: Time,
    /// `None` is midnight at the end of the day.
    pub end: Option<Time>,
}

impl Range {
    /// Its length on the wall clock.
    fn length(&self) -> SignedDuration {
        let since_midnight = |t: Time| t.duration_since(Time::midnight());
        self.end.map_or(SignedDuration::from_hours(24), since_midnight) - since_midnight(self.start)
    }
}

/// A stretch of time in which a zone's offset does not change, with a day's margin at each end,
/// so a local time placed by the offset inside it is neither skipped nor repeated.
#[derive(Clone, Copy)]
struct Steady {
    offset: jiff::tz::Offset,
    after: Option<Timestamp>,
    before: Option<Timestamp>,
}

impl Steady {
    fn around(tz: &TimeZone, at: Timestamp) -> Steady {
        let day = SignedDuration::from_hours(24);
        Steady {
            offset: tz.to_offset(at),
            after: tz
                .preceding(at)
                .next()
                .map(|t| t.timestamp().saturating_add(day).unwrap_or(Timestamp::MAX)),
            before: tz
                .following(at)
                .next()
                .map(|t| t.timestamp().saturating_sub(day).unwrap_or(Timestamp::MIN)),
        }
    }

    fn covers(&self, at: Timestamp) -> bool {
        self.after.is_none_or(|a| at >= a) && self.before.is_none_or(|b| at < b)
    }
}

#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    pub time_zone: TimeZone,
    pub time_zone_name: String,
    /// Monday first.
    pub week: [Vec<Range>; 7],
    pub holidays: BTreeSet<Date>,
    pub workdays: BTreeSet<Date>,
    pub workday_hours: Vec<Range>,
    /// The years whose holidays and make-up days it lists (`years`, else those its dates fall
    /// in); empty for a calendar that keeps no holidays at all.
    pub covered_years: BTreeSet<i16>,
}

#[derive(Deserialize)]
struct CalendarFile {
    time_zone: String,
    #[serde(default)]
    years: Vec<i16>,
    #[serde(default)]
    holidays: Vec<String>,
    #[serde(default)]
    workdays: Vec<String>,
    workday_hours: Option<Vec<String>>,
    #[serde(default)]
    week: BTreeMap<String, Vec<String>>,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The most days the clock looks ahead for working time before it calls the calendar empty.
const HORIZON_DAYS: i32 = 3 * 366;

fn parse_time(s: &str, field: &str) -> Result<Option<Time>, Invalid> {
    let bad = || Invalid::one(field, "invalid_time", format!("{s:?} is not a time of day HH:MM"));
    if s == "24:00" {
        return Ok(None);
    }
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h.to_string().len() > 2 || !(0..24).contains(&h) || !(0..60).contains(&m) || s.len() != 5 {
        return Err(bad());
    }
    Time::new(h, m, 0, 0).map(Some).map_err(|_| bad())
}

fn parse_ranges(list: &[String], field: &str) -> Result<Vec<Range>, Invalid> {
    let mut out: Vec<Range> = Vec::new();
    for r in list {
        let (a, b) = r
            .split_once('-')
            .ok_or_else(|| Invalid::one(field, "invalid_range", format!("{r:?} is not a range like 09:00-12:00")))?;
        let start = parse_time(a.trim(), field)?
            .ok_or_else(|| Invalid::one(field, "invalid_range", format!("{r:?} cannot start at 24:00")))?;
        let end = parse_time(b.trim(), field)?;
        if end.is_some_and(|e| e <= start) {
            return Err(Invalid::one(
                field,
                "invalid_range",
                format!("{r:?} ends before it starts"),
            ));
        }
        if let Some(prev) = out.last()
            && prev.end.is_none_or(|pe| pe > start)
        {
            return Err(Invalid::one(
                field,
                "invalid_range",
                format!("{r:?} overlaps or precedes the range before it; list ranges in order"),
            ));
        }
        out.push(Range { start, end });
    }
    Ok(out)
}

fn parse_dates(list: &[String], field: &str) -> Result<BTreeSet<Date>, Invalid> {
    list.iter()
        .map(|d| {
            d.parse::<Date>()
                .map_err(|_| Invalid::one(field, "invalid_date", format!("{d:?} is not a date YYYY-MM-DD")))
        })
        .collect()
}

impl BusinessCalendar {
    /// Reads the TOML calendar format.
    pub fn from_toml(src: &str) -> Result<BusinessCalendar, Invalid> {
        let f: CalendarFile =
            toml::from_str(src).map_err(|e| Invalid::one("calendar", "invalid_toml", e.to_string()))?;
        let time_zone = TimeZone::get(&f.time_zone).map_err(|_| {
            Invalid::one(
                "time_zone",
                "unknown_time_zone",
                format!("unknown time zone {:?}", f.time_zone),
            )
        })?;
        if let Some(bad) = f.week.keys().find(|k| !DAYS.contains(&k.as_str())) {
            return Err(Invalid::one(
                "week",
                "unknown_day",
                format!("unknown day {bad:?}: use mon, tue, wed, thu, fri, sat, sun"),
            ));
        }
        let mut week: [Vec<Range>; 7] = Default::default();
        for (i, d) in DAYS.iter().enumerate() {
            if let Some(list) = f.week.get(*d) {
                week[i] = parse_ranges(list, &format!("week.{d}"))?;
            }
        }
        let workday_hours = match &f.workday_hours {
            Some(list) => parse_ranges(list, "workday_hours")?,
            None => week[0].clone(),
        };
        let holidays = parse_dates(&f.holidays, "holidays")?;
        let workdays = parse_dates(&f.workdays, "workdays")?;
        let covered_years = if f.years.is_empty() {
            holidays.iter().chain(&workdays).map(|d| d.year()).collect()
        } else {
            f.years.iter().copied().collect()
        };
        Ok(BusinessCalendar {
            time_zone,
            time_zone_name: f.time_zone,
            week,
            holidays,
            workdays,
            workday_hours,
            covered_years,
        })
    }

    /// The first day from `today` through `days` days later that falls in a year whose holidays
    /// the calendar does not list: from then on it would count that year's holidays as working
    /// days and its make-up days as rest. `None` when every such year is covered, or when the
    /// calendar keeps no holidays at all (a plain weekly calendar needs none).
    pub fn first_uncovered_day(&self, today: Date, days: i32) -> Option<Date> {
        if self.covered_years.is_empty() {
            return None;
        }
        let end = today.checked_add(jiff::Span::new().days(days)).unwrap_or(Date::MAX);
        (today.year()..=end.year())
            .find(|y| !self.covered_years.contains(y))
            .map(|y| {
                if y == today.year() {
                    today
                } else {
                    Date::new(y, 1, 1).unwrap_or(today)
                }
            })
    }

    /// The working ranges of a local date.
    pub fn ranges(&self, date: Date) -> &[Range] {
        if self.holidays.contains(&date) {
            &[]
        } else if self.workdays.contains(&date) {
            &self.workday_hours
        } else {
            let i = match date.weekday() {
                Weekday::Monday => 0,
                Weekday::Tuesday => 1,
                Weekday::Wednesday => 2,
                Weekday::Thursday => 3,
                Weekday::Friday => 4,
                Weekday::Saturday => 5,
                Weekday::Sunday => 6,
            };
            &self.week[i]
        }
    }

    /// Working intervals `[start, end)` as instants, from the local date of `from` onwards.
    fn intervals(&self, from: Timestamp) -> impl Iterator<Item = Result<(Timestamp, Timestamp), Invalid>> + '_ {
        let first = from.to_zoned(self.time_zone.clone()).date();
        let steady = Steady::around(&self.time_zone, from);
        (0..HORIZON_DAYS)
            .filter_map(move |i| first.checked_add(jiff::Span::new().days(i)).ok())
            .flat_map(move |date| {
                self.ranges(date)
                    .iter()
                    .map(move |r| {
                        Ok((
                            self.placed(&steady, date, Some(r.start))?,
                            self.placed(&steady, date, r.end)?,
                        ))
                    })
                    .collect::<Vec<_>>()
            })
    }

    /// The instant a local time of `date` is (`None`: the midnight ending it): by arithmetic on the
    /// zone's offset while that is steady, else through the time zone.
    fn placed(&self, steady: &Steady, date: Date, t: Option<Time>) -> Result<Timestamp, Invalid> {
        let dt = match t {
            Some(t) => date.to_datetime(t),
            None => date
                .tomorrow()
                .map_err(|_| Invalid::one("date", "out_of_range", "date out of range"))?
                .to_datetime(Time::midnight()),
        };
        if let Ok(at) = steady.offset.to_timestamp(dt)
            && steady.covers(at)
        {
            return Ok(at);
        }
        // A local time skipped or repeated by a daylight-saving change resolves as most clocks do.
        self.time_zone
            .to_ambiguous_zoned(dt)
            .compatible()
            .map(|z| z.timestamp())
            .map_err(|e| Invalid::one("date", "out_of_range", e.to_string()))
    }

    /// The instant `minutes` business minutes after `from`. Zero minutes is `from` itself.
    pub fn add_business_minutes(&self, from: Timestamp, minutes: i64) -> Result<Timestamp, Invalid> {
        if minutes < 0 {
            return Err(Invalid::one("minutes", "negative", "minutes must not be negative"));
        }
        let d = SignedDuration::try_from_mins(minutes)
            .ok_or_else(|| Invalid::one("minutes", "out_of_range", "too many minutes"))?;
        self.add_business_duration(from, d)
    }

    /// The instant `business` business time after `from` (to the nanosecond, as the SLA clock
    /// needs when a target resumes part-way through a minute). Zero is `from` itself.
    pub fn add_business_duration(&self, from: Timestamp, business: SignedDuration) -> Result<Timestamp, Invalid> {
        if business.is_negative() {
            return Err(Invalid::one(
                "minutes",
                "negative",
                "business time must not be negative",
            ));
        }
        if business.is_zero() {
            return Ok(from);
        }
        let mut left = business;
        for iv in self.intervals(from) {
            let (s, e) = iv?;
            if e <= from {
                continue;
            }
            let s = s.max(from);
            let avail = e.duration_since(s);
            if left <= avail {
                return s
                    .checked_add(left)
                    .map_err(|e| Invalid::one("minutes", "out_of_range", e.to_string()));
            }
            left -= avail;
        }
        Err(Invalid::one(
            "calendar",
            "no_working_time",
            format!("the calendar has too little working time in the {HORIZON_DAYS} days after {from}"),
        ))
    }

    /// Business time between two instants (zero when `to` is not after `from`). Days wholly
    /// inside the span count their ranges' length on the wall clock, without placing them as
    /// instants, unless the zone's offset changes that day: a ticket open for a year costs a
    /// pass over its dates, not two time-zone conversions per range.
    pub fn business_duration(&self, from: Timestamp, to: Timestamp) -> Result<SignedDuration, Invalid> {
        let mut total = SignedDuration::ZERO;
        if to <= from {
            return Ok(total);
        }
        let first = from.to_zoned(self.time_zone.clone()).date();
        let last = to.to_zoned(self.time_zone.clone()).date();
        // Local dates an offset change touches (the day before and after each transition).
        let mut shifted = BTreeSet::new();
        for tr in self.time_zone.following(from) {
            let at = tr.timestamp();
            if at > to {
                break;
            }
            for t in [at.checked_sub(SignedDuration::from_nanos(1)).unwrap_or(at), at] {
                shifted.insert(t.to_zoned(self.time_zone.clone()).date());
            }
        }
        let steady = Steady::around(&self.time_zone, from);
        let mut date = first;
        loop {
            if date == first || date == last || shifted.contains(&date) {
                for r in self.ranges(date) {
                    let (s, e) = (
                        self.placed(&steady, date, Some(r.start))?,
                        self.placed(&steady, date, r.end)?,
                    );
                    let (s, e) = (s.max(from), e.min(to));
                    if e > s {
                        total += e.duration_since(s);
                    }
                }
            } else {
                total += self.ranges(date).iter().map(Range::length).sum::<SignedDuration>();
            }
            if date >= last {
                return Ok(total);
            }
            date = date
                .tomorrow()
                .map_err(|_| Invalid::one("date", "out_of_range", "date out of range"))?;
        }
    }

    pub fn format(&self, t: Timestamp) -> String {
        t.to_zoned(self.time_zone.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHINA_2026: &str = include_str!("../../../calendars/china-2026.toml");

    fn cal() -> BusinessCalendar {
        BusinessCalendar::from_toml(CHINA_2026).unwrap()
    }
    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }
    fn due(from: &str, minutes: i64) -> String {
        let c = cal();
        c.format(c.add_business_minutes(at(from), minutes).unwrap())
    }

    #[test]
    fn within_a_day_and_across_lunch() {
        assert_eq!(due("2026-11-23T09:00:00+08:00", 60), "2026-11-23T10:00:00+08:00");
        assert_eq!(
            due("2026-11-23T11:30:00+08:00", 60),
            "2026-11-23T14:00:00+08:00",
            "lunch 12:00-13:30 does not count"
        );
        assert_eq!(
            due("2026-11-23T07:00:00+08:00", 1),
            "2026-11-23T09:01:00+08:00",
            "before opening starts at opening"
        );
    }

    #[test]
    fn a_due_instant_on_a_range_end_is_that_end() {
        assert_eq!(due("2026-11-23T09:00:00+08:00", 180), "2026-11-23T12:00:00+08:00");
        assert_eq!(due("2026-11-23T13:30:00+08:00", 270), "2026-11-23T18:00:00+08:00");
        assert_eq!(due("2026-11-23T17:00:00+08:00", 61), "2026-11-24T09:01:00+08:00");
    }

    #[test]
    fn weekends_holidays_and_make_up_days() {
        // Friday 17:00 + 2 h → Monday 10:00.
        assert_eq!(due("2026-11-20T17:00:00+08:00", 120), "2026-11-23T10:00:00+08:00");
        // National Day: 30 Sep (Wed) 17:00 + 2 h: 1–7 Oct are holidays; 8 Oct (Thu) works.
        assert_eq!(due("2026-09-30T17:00:00+08:00", 120), "2026-10-08T10:00:00+08:00");
        // Saturday 10 Oct is a make-up working day (调休): Friday 9 Oct 17:00 + 2 h → Sat 10:00.
        assert_eq!(due("2026-10-09T17:00:00+08:00", 120), "2026-10-10T10:00:00+08:00");
        // Sunday 20 Sep is a make-up working day; Saturday 19 Sep is not.
        assert_eq!(due("2026-09-19T10:00:00+08:00", 30), "2026-09-20T09:30:00+08:00");
        // Spring Festival: 14 Feb (Sat) works, 15–23 Feb off.
        assert_eq!(due("2026-02-14T17:30:00+08:00", 60), "2026-02-24T09:30:00+08:00");
    }

    #[test]
    fn inputs_in_other_offsets_are_the_same_instants() {
        assert_eq!(due("2026-11-23T01:00:00Z", 60), "2026-11-23T10:00:00+08:00");
        assert_eq!(due("2026-11-23T09:00:00+08:00", 0), "2026-11-23T09:00:00+08:00");
    }

    #[test]
    fn durations_count_only_business_time() {
        let c = cal();
        let d = c
            .business_duration(at("2026-09-30T17:00:00+08:00"), at("2026-10-08T10:00:00+08:00"))
            .unwrap();
        assert_eq!(d.as_mins(), 120);
        // The inverse of adding.
        for (from, m) in [("2026-11-20T17:00:00+08:00", 120), ("2026-02-13T11:59:00+08:00", 1000)] {
            let to = c.add_business_minutes(at(from), m).unwrap();
            assert_eq!(c.business_duration(at(from), to).unwrap().as_mins(), m);
        }
        assert_eq!(
            c.business_duration(at("2026-11-23T12:00:00+08:00"), at("2026-11-23T11:00:00+08:00"))
                .unwrap(),
            SignedDuration::ZERO
        );
    }

    #[test]
    fn business_durations_below_a_minute() {
        let c = cal();
        let d = SignedDuration::from_secs(90) + SignedDuration::from_millis(250);
        assert_eq!(
            c.add_business_duration(at("2026-11-23T11:59:00+08:00"), d).unwrap(),
            at("2026-11-23T13:30:30.25+08:00")
        );
        assert_eq!(
            c.add_business_duration(at("2026-11-23T08:00:00+08:00"), SignedDuration::ZERO)
                .unwrap(),
            at("2026-11-23T08:00:00+08:00")
        );
        assert!(
            c.add_business_duration(at("2026-11-23T08:00:00+08:00"), SignedDuration::from_secs(-1))
                .is_err()
        );
    }

    #[test]
    fn a_date_in_both_lists_is_a_holiday_and_workday_hours_default_to_monday() {
        let c = BusinessCalendar::from_toml("time_zone = \"UTC\"\nholidays = [\"2026-11-28\"]\nworkdays = [\"2026-11-28\", \"2026-11-29\"]\n[week]\nmon = [\"08:00-16:00\"]\n").unwrap();
        assert!(c.ranges("2026-11-28".parse().unwrap()).is_empty());
        assert_eq!(c.ranges("2026-11-29".parse().unwrap()), &c.week[0][..]);
        assert_eq!(
            c.format(c.add_business_minutes(at("2026-11-28T00:00:00Z"), 60).unwrap()),
            "2026-11-29T09:00:00+00:00"
        );
    }

    #[test]
    fn long_spans_agree_with_walking_every_range() {
        // The reference: every working interval placed as instants and clipped.
        fn walked(c: &BusinessCalendar, from: Timestamp, to: Timestamp) -> SignedDuration {
            let mut total = SignedDuration::ZERO;
            for iv in c.intervals(from) {
                let (s, e) = iv.unwrap();
                if s >= to {
                    break;
                }
                let (s, e) = (s.max(from), e.min(to));
                if e > s {
                    total += e.duration_since(s);
                }
            }
            total
        }
        let new_york = BusinessCalendar::from_toml(
            "time_zone = \"America/New_York\"\nholidays = [\"2026-07-03\"]\n[week]\nmon = [\"09:00-12:00\", \"13:00-17:30\"]\nsun = [\"01:00-04:00\"]\nsat = [\"00:00-24:00\"]\n",
        )
        .unwrap();
        for c in [cal(), new_york] {
            for (from, to) in [
                ("2025-01-01T00:00:00Z", "2026-12-31T23:59:59Z"),
                ("2026-02-13T11:59:07+08:00", "2026-11-02T06:30:00Z"),
                ("2026-03-07T10:00:00-05:00", "2026-03-09T10:00:00-04:00"),
                ("2026-10-31T23:00:00-04:00", "2026-11-02T09:30:00-05:00"),
                ("2026-09-30T17:00:00+08:00", "2026-10-08T10:00:00+08:00"),
            ] {
                assert_eq!(
                    c.business_duration(at(from), at(to)).unwrap(),
                    walked(&c, at(from), at(to)),
                    "{} from {from} to {to}",
                    c.time_zone_name
                );
            }
        }
    }

    #[test]
    fn deadlines_across_a_change_of_offset_keep_local_hours() {
        let c = BusinessCalendar::from_toml(
            "time_zone = \"America/New_York\"\n[week]\nmon = [\"09:00-17:00\"]\nfri = [\"09:00-17:00\"]\n",
        )
        .unwrap();
        // Friday 16:00 EST + 2 h: an hour on Friday, an hour on Monday after the spring change.
        let due = c.add_business_minutes(at("2026-03-06T16:00:00-05:00"), 120).unwrap();
        assert_eq!(due, at("2026-03-09T10:00:00-04:00"));
        // Weeks later the offset is steady again; and across the autumn change back.
        let due = c.add_business_minutes(at("2026-03-20T16:00:00-04:00"), 120).unwrap();
        assert_eq!(due, at("2026-03-23T10:00:00-04:00"));
        let due = c.add_business_minutes(at("2026-10-30T16:00:00-04:00"), 120).unwrap();
        assert_eq!(due, at("2026-11-02T10:00:00-05:00"));
    }

    #[test]
    fn daylight_saving_time_is_real_time() {
        // New York springs forward at 02:00 on 8 Mar 2026; a 01:00–04:00 range is two real hours.
        let c =
            BusinessCalendar::from_toml("time_zone = \"America/New_York\"\n[week]\nsun = [\"01:00-04:00\"]\n").unwrap();
        assert_eq!(
            c.business_duration(at("2026-03-08T00:00:00-05:00"), at("2026-03-09T00:00:00-04:00"))
                .unwrap()
                .as_mins(),
            120
        );
    }

    #[test]
    fn bad_calendars_are_clear_errors() {
        for (src, field) in [
            ("time_zone = \"Mars/Olympus\"", "time_zone"),
            ("time_zone = \"UTC\"\nholidays = [\"2026-13-01\"]", "holidays"),
            ("time_zone = \"UTC\"\n[week]\nmon = [\"18:00-09:00\"]", "week.mon"),
            ("time_zone = \"UTC\"\n[week]\nmon = [\"9-12\"]", "week.mon"),
            (
                "time_zone = \"UTC\"\n[week]\nmon = [\"09:00-12:00\", \"11:00-13:00\"]",
                "week.mon",
            ),
            ("time_zone = \"UTC\"\n[week]\nfunday = []", "week"),
            ("time_zone = \"../../etc/passwd\"", "time_zone"),
            ("time_zone = \"\"", "time_zone"),
            (
                "time_zone = \"UTC\"\nworkday_hours = [\"09:00-18:00\", \"12:00-13:00\"]",
                "workday_hours",
            ),
            (
                "time_zone = \"UTC\"\n[week]\ntue = [\"13:00-18:00\", \"09:00-12:00\"]",
                "week.tue",
            ),
            ("not toml at all [", "calendar"),
        ] {
            let e = BusinessCalendar::from_toml(src).unwrap_err();
            assert_eq!(e.errors[0].field, field, "{src}: {e}");
        }
        let empty = BusinessCalendar::from_toml("time_zone = \"UTC\"").unwrap();
        assert_eq!(
            empty
                .add_business_minutes(at("2026-01-01T00:00:00Z"), 1)
                .unwrap_err()
                .errors[0]
                .code,
            "no_working_time"
        );
        assert!(cal().add_business_minutes(at("2026-01-01T00:00:00Z"), -1).is_err());
        assert_eq!(
            cal()
                .add_business_minutes(at("2026-01-01T00:00:00Z"), i64::MAX)
                .unwrap_err()
                .errors[0]
                .code,
            "out_of_range"
        );
    }
}
