//! Service hours: when a person answers, so the widget can say when a reply can be expected.
//!
//! Site owners write the schedule in one line (the `data-hours` attribute): weekly hours, closed
//! dates and ranges (春节, 国庆), and special hours for single days, e.g.
//! `Mon-Fri 09:00-18:30; Sat 10:00-16:00; closed 2027-02-05..2027-02-11; 2027-02-12 10:00-16:00`.
//! Times are in the site's time zone; the widget converts "now" into that zone (date and time)
//! before asking [`Hours::at`], so this module knows nothing of clocks or zones and is tested
//! natively with fixed times.
//!
//! ```
//! use kefu_core::hours::{Availability, Date, Hours, LocalTime, Opening};
//! let hours = Hours::parse("Mon-Fri 09:00-18:30").unwrap();
//! // Friday 2027-03-05, 19:00: closed until Monday 09:00, three days ahead.
//! let now = LocalTime::new(Date::new(2027, 3, 5).unwrap(), 19 * 60);
//! let next = Opening { days_ahead: 3, weekday: 0, minute: 9 * 60 };
//! assert_eq!(hours.at(now), Availability::Closed { next: Some(next) });
//! ```

use std::fmt;

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MINUTES_PER_DAY: u16 = 24 * 60;

/// A schedule: for each weekday (Monday first), the open intervals in minutes after midnight,
/// sorted and not overlapping (an interval may end at 24:00 = 1440); closed date ranges; and
/// special hours for single dates, which replace the weekly hours of that day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hours {
    weekly: [Vec<(u16, u16)>; 7],
    /// Inclusive, sorted, not overlapping.
    closed: Vec<(Date, Date)>,
    /// Sorted by date, one entry per date.
    special: Vec<(Date, Vec<(u16, u16)>)>,
}

/// A calendar date (proleptic Gregorian).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// The date, if it exists (`2027-02-30` does not).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days_in_month)
            .contains(&day)
            .then_some(Date { year, month, day })
    }

    /// Days since 1970-01-01 (negative before), by the civil-from-days algorithm.
    fn days(self) -> i64 {
        let (y, m, d) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// 0 = Monday … 6 = Sunday.
    pub fn weekday(self) -> u8 {
        // 1970-01-01 was a Thursday (3).
        ((self.days() + 3).rem_euclid(7)) as u8
    }

    /// The date `n` days later.
    pub fn plus_days(self, n: i64) -> Date {
        Date::from_days(self.days() + n)
    }
}

/// A moment in the site's own time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    pub date: Date,
    /// Minutes after midnight, 0..1440.
    pub minute: u16,
}

impl LocalTime {
    pub fn new(date: Date, minute: u16) -> LocalTime {
        LocalTime { date, minute }
    }
}

/// Whether someone answers now, and if not, when they next will.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Availability {
    /// Open now, until `until` (minutes after midnight, today).
    Open { until: u16 },
    /// Closed now; `next` is the next opening within a week, or `None` if the schedule is empty.
    Closed { next: Option<Opening> },
}

/// The next time service opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opening {
    /// 0 = later today, 1 = tomorrow, …, 7 = the same weekday next week (more after holidays).
    pub days_ahead: u16,
    pub weekday: u8,
    pub minute: u16,
}

/// What is wrong with an hours line, and how to write it instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HoursError {
    /// A part is not `DAYS HH:MM-HH:MM`.
    Syntax { part: String },
    /// A day name that is not one of mon…sun.
    UnknownDay { day: String },
    /// A time that is not `HH:MM` between 00:00 and 24:00.
    BadTime { time: String },
    /// The interval ends before it starts (overnight hours are two parts: `Fri 22:00-24:00; Sat 00:00-02:00`).
    Inverted { part: String },
    /// Two intervals of one day overlap.
    Overlap { day: &'static str },
    /// A date that is not `YYYY-MM-DD` or does not exist.
    BadDate { date: String },
    /// A closed range that ends before it starts.
    InvertedRange { part: String },
    /// Two closed ranges overlap (or one date has special hours twice).
    OverlappingDates { part: String },
}

impl fmt::Display for HoursError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const EXAMPLE: &str = "write it like `Mon-Fri 09:00-18:30; Sat 10:00-16:00`";
        match self {
            HoursError::Syntax { part } => {
                write!(f, "service hours: cannot read `{part}`; {EXAMPLE}")
            }
            HoursError::UnknownDay { day } => write!(
                f,
                "service hours: `{day}` is not a day; use Mon, Tue, Wed, Thu, Fri, Sat or Sun"
            ),
            HoursError::BadTime { time } => write!(
                f,
                "service hours: `{time}` is not a time; use 24-hour HH:MM from 00:00 to 24:00"
            ),
            HoursError::Inverted { part } => write!(
                f,
                "service hours: `{part}` ends before it starts; split overnight hours at midnight, e.g. `Fri 22:00-24:00; Sat 00:00-02:00`"
            ),
            HoursError::Overlap { day } => write!(
                f,
                "service hours: two intervals overlap on {day}; merge them into one"
            ),
            HoursError::BadDate { date } => write!(
                f,
                "service hours: `{date}` is not a date; write dates as YYYY-MM-DD, e.g. `closed 2027-10-01..2027-10-07`"
            ),
            HoursError::InvertedRange { part } => write!(
                f,
                "service hours: `{part}` ends before it starts; write the earlier date first"
            ),
            HoursError::OverlappingDates { part } => write!(
                f,
                "service hours: `{part}` overlaps another closed range or special day; merge them"
            ),
        }
    }
}

impl std::error::Error for HoursError {}

impl Hours {
    /// Parses `Mon-Fri 09:00-18:30; Sat 10:00-16:00`: parts separated by `;`, each a day or a day
    /// range (`Mon-Fri`, also `Sat,Sun`), then one or more intervals separated by `,`. Day names
    /// are English abbreviations in any case. An empty line means "no hours given".
    pub fn parse(spec: &str) -> Result<Hours, HoursError> {
        let mut hours = Hours::default();
        for part in spec.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let syntax = || HoursError::Syntax {
                part: part.to_owned(),
            };
            let (head, rest) = part.split_once(char::is_whitespace).ok_or_else(syntax)?;
            if head.eq_ignore_ascii_case("closed") {
                let range = rest.trim();
                let (from, to) = range.split_once("..").unwrap_or((range, range));
                let (from, to) = (parse_date(from.trim())?, parse_date(to.trim())?);
                if to < from {
                    return Err(HoursError::InvertedRange {
                        part: part.to_owned(),
                    });
                }
                hours.closed.push((from, to));
                continue;
            }
            let intervals = parse_intervals(rest, part)?;
            if head.starts_with(|c: char| c.is_ascii_digit()) {
                let date = parse_date(head)?;
                if hours.special.iter().any(|(d, _)| *d == date) {
                    return Err(HoursError::OverlappingDates {
                        part: part.to_owned(),
                    });
                }
                hours.special.push((date, intervals));
                continue;
            }
            for day in parse_days(head)? {
                hours.weekly[day].extend_from_slice(&intervals);
            }
        }
        for (day, intervals) in hours.weekly.iter_mut().enumerate() {
            sort_small(intervals, |interval| *interval);
            if intervals.windows(2).any(|pair| pair[1].0 < pair[0].1) {
                return Err(HoursError::Overlap { day: DAYS[day] });
            }
        }
        sort_small(&mut hours.closed, |range| *range);
        if let Some(pair) = hours.closed.windows(2).find(|pair| pair[1].0 <= pair[0].1) {
            let (from, to) = pair[1];
            return Err(HoursError::OverlappingDates {
                part: format!("closed {}..{}", format_date(from), format_date(to)),
            });
        }
        sort_small(&mut hours.special, |(date, _)| *date);
        Ok(hours)
    }

    /// Whether no hours are set at all.
    pub fn is_empty(&self) -> bool {
        self.weekly.iter().all(Vec::is_empty) && self.special.is_empty()
    }

    /// The open intervals of `weekday` (0 = Monday), for showing the schedule.
    pub fn day(&self, weekday: u8) -> &[(u16, u16)] {
        self.weekly
            .get(usize::from(weekday))
            .map_or(&[], Vec::as_slice)
    }

    /// The open intervals of `date`: none on a closed date, the special hours of a special day,
    /// else the weekly hours of its weekday.
    pub fn on(&self, date: Date) -> &[(u16, u16)] {
        if self
            .closed
            .iter()
            .any(|&(from, to)| from <= date && date <= to)
        {
            return &[];
        }
        if let Some((_, intervals)) = self.special.iter().find(|(d, _)| *d == date) {
            return intervals;
        }
        self.day(date.weekday())
    }

    /// Open or closed at `now`, and the next opening when closed (looking a year ahead, so a long
    /// holiday is crossed).
    pub fn at(&self, now: LocalTime) -> Availability {
        if let Some(&(_, until)) = self
            .on(now.date)
            .iter()
            .find(|&&(start, end)| start <= now.minute && now.minute < end)
        {
            return Availability::Open { until };
        }
        let next = (0..=366u16).find_map(|days_ahead| {
            let date = now.date.plus_days(i64::from(days_ahead));
            self.on(date)
                .iter()
                .find(|&&(start, _)| days_ahead > 0 || start > now.minute)
                .map(|&(start, _)| Opening {
                    days_ahead,
                    weekday: date.weekday(),
                    minute: start,
                })
        });
        Availability::Closed { next }
    }

    /// Runs of consecutive weekdays with the same intervals, for a compact display such as
    /// "Mon–Fri 09:00–18:30". Closed days are left out.
    pub fn summary(&self) -> Vec<DayGroup<'_>> {
        let mut groups: Vec<DayGroup<'_>> = Vec::new();
        for (day, intervals) in self.weekly.iter().enumerate() {
            let day = day as u8;
            match groups.last_mut() {
                Some(last) if last.last + 1 == day && last.intervals == intervals.as_slice() => {
                    last.last = day;
                }
                _ if intervals.is_empty() => {}
                _ => groups.push(DayGroup {
                    first: day,
                    last: day,
                    intervals,
                }),
            }
        }
        groups
    }
}

/// Weekdays `first..=last` (0 = Monday) sharing the same open `intervals`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayGroup<'a> {
    pub first: u8,
    pub last: u8,
    pub intervals: &'a [(u16, u16)],
}

/// Sorts a schedule's entries by `key`, keeping equal ones in order: an insertion sort. The
/// widget parses its hours, and each of the standard library's sorts it used here was kilobytes
/// of wasm for lists of a few entries (those of `Hours::parse`: 9.1 KB of the release wasm,
/// gzip).
fn sort_small<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    for end in 1..items.len() {
        let mut at = end;
        while at > 0 && key(&items[at - 1]) > key(&items[at]) {
            items.swap(at - 1, at);
            at -= 1;
        }
    }
}

fn parse_intervals(times: &str, part: &str) -> Result<Vec<(u16, u16)>, HoursError> {
    let mut out = Vec::new();
    for interval in times.split(',').map(str::trim) {
        let (start, end) = interval.split_once('-').ok_or_else(|| HoursError::Syntax {
            part: part.to_owned(),
        })?;
        let (start, end) = (parse_time(start.trim())?, parse_time(end.trim())?);
        if end <= start {
            return Err(HoursError::Inverted {
                part: part.to_owned(),
            });
        }
        out.push((start, end));
    }
    sort_small(&mut out, |interval| *interval);
    Ok(out)
}

fn parse_date(text: &str) -> Result<Date, HoursError> {
    let bad = || HoursError::BadDate {
        date: text.to_owned(),
    };
    let mut parts = text.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let (y, m, d) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    Date::new(y, m, d).ok_or_else(bad)
}

fn format_date(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year, date.month, date.day)
}

/// `09:30` for 570 minutes.
pub fn format_minute(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn parse_days(days: &str) -> Result<Vec<usize>, HoursError> {
    let mut out = Vec::new();
    for item in days.split(',') {
        let (from, to) = item.split_once('-').unwrap_or((item, item));
        let (from, to) = (day_index(from)?, day_index(to)?);
        let mut day = from;
        loop {
            out.push(day);
            if day == to {
                break;
            }
            day = (day + 1) % 7; // `Sat-Mon` wraps over the weekend
        }
    }
    Ok(out)
}

fn day_index(day: &str) -> Result<usize, HoursError> {
    const NAMES: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    // `Mon`, `monday` and `Wednes` are fine; `Mo` is ambiguous enough to refuse.
    let lower = day.trim().to_ascii_lowercase();
    NAMES
        .iter()
        .position(|name| lower.len() >= 3 && name.starts_with(&lower))
        .ok_or_else(|| HoursError::UnknownDay {
            day: day.trim().to_owned(),
        })
}

fn parse_time(time: &str) -> Result<u16, HoursError> {
    let bad = || HoursError::BadTime {
        time: time.to_owned(),
    };
    let (h, m) = time.split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h * 60 + m > MINUTES_PER_DAY || m > 0 && h == 24 || h > 24 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The schedule's insertion sort orders as the standard stable sort does.
        #[test]
        fn sort_small_sorts_as_the_standard_stable_sort(
            items in prop::collection::vec((0u8..6, any::<u16>()), 0..40),
        ) {
            let mut ours = items.clone();
            sort_small(&mut ours, |(key, _)| *key);
            let mut standard = items;
            standard.sort_by_key(|(key, _)| *key);
            prop_assert_eq!(ours, standard);
        }
    }

    fn date(y: i32, m: u8, d: u8) -> Date {
        Date::new(y, m, d).unwrap_or_else(|| panic!("{y}-{m}-{d} is a date"))
    }

    /// 2027-03-01 is a Monday.
    fn at(weekday: u8, h: u16, m: u16) -> LocalTime {
        LocalTime::new(date(2027, 3, 1 + weekday), h * 60 + m)
    }

    fn next(hours: &Hours, now: LocalTime) -> Option<Opening> {
        match hours.at(now) {
            Availability::Closed { next } => next,
            Availability::Open { .. } => None,
        }
    }

    #[test]
    fn dates_know_their_weekdays() {
        assert_eq!(date(1970, 1, 1).weekday(), 3);
        assert_eq!(date(2027, 3, 1).weekday(), 0);
        assert_eq!(date(2028, 2, 29).weekday(), 1);
        assert_eq!(date(2027, 12, 31).plus_days(1), date(2028, 1, 1));
        assert_eq!(date(2028, 2, 28).plus_days(1), date(2028, 2, 29));
        assert!(Date::new(2027, 2, 29).is_none());
    }

    #[test]
    fn open_and_closed_within_a_day() -> Result<(), HoursError> {
        let hours = Hours::parse("Mon-Fri 09:00-12:00, 13:00-18:30")?;
        assert_eq!(hours.at(at(0, 9, 0)), Availability::Open { until: 12 * 60 });
        assert_eq!(
            next(&hours, at(0, 12, 30)),
            Some(Opening {
                days_ahead: 0,
                weekday: 0,
                minute: 13 * 60
            })
        );
        assert_eq!(
            hours.at(at(2, 18, 29)),
            Availability::Open {
                until: 18 * 60 + 30
            }
        );
        Ok(())
    }

    #[test]
    fn the_week_wraps_from_sunday_to_monday() -> Result<(), HoursError> {
        let hours = Hours::parse("mon-fri 09:00-18:30")?;
        // Friday evening, Saturday and Sunday all point at Monday morning.
        for (now, days) in [(at(4, 18, 30), 3), (at(5, 10, 0), 2), (at(6, 23, 59), 1)] {
            assert_eq!(
                next(&hours, now),
                Some(Opening {
                    days_ahead: days,
                    weekday: 0,
                    minute: 540
                })
            );
        }
        // Monday before opening: later today.
        assert_eq!(next(&hours, at(0, 8, 0)).map(|o| o.days_ahead), Some(0));
        Ok(())
    }

    #[test]
    fn a_holiday_range_is_crossed_and_special_hours_apply() -> Result<(), HoursError> {
        // Spring festival 2027: closed Fri 02-05 to Thu 02-11, short hours on Fri 02-12.
        let hours = Hours::parse(
            "Mon-Fri 09:00-18:30; closed 2027-02-05..2027-02-11; 2027-02-12 10:00-16:00",
        )?;
        let thursday_before = LocalTime::new(date(2027, 2, 4), 19 * 60);
        assert_eq!(
            next(&hours, thursday_before),
            Some(Opening {
                days_ahead: 8,
                weekday: 4,
                minute: 10 * 60
            })
        );
        let in_the_holiday = LocalTime::new(date(2027, 2, 8), 10 * 60);
        assert!(matches!(
            hours.at(in_the_holiday),
            Availability::Closed { .. }
        ));
        let special_day = LocalTime::new(date(2027, 2, 12), 15 * 60);
        assert_eq!(hours.at(special_day), Availability::Open { until: 16 * 60 });
        let after_special = LocalTime::new(date(2027, 2, 12), 17 * 60);
        assert_eq!(next(&hours, after_special).map(|o| o.days_ahead), Some(3));
        // A single closed date: National Day on a Friday.
        let hours = Hours::parse("Mon-Fri 09:00-18:30; closed 2027-10-01")?;
        let thursday = LocalTime::new(date(2027, 9, 30), 20 * 60);
        assert_eq!(next(&hours, thursday).map(|o| o.days_ahead), Some(4));
        Ok(())
    }

    #[test]
    fn a_single_weekly_opening_is_found_a_week_ahead() -> Result<(), HoursError> {
        let hours = Hours::parse("Wed 10:00-11:00")?;
        let next = next(&hours, at(2, 12, 0));
        assert_eq!(next.map(|n| (n.days_ahead, n.weekday)), Some((7, 2)));
        Ok(())
    }

    #[test]
    fn summary_groups_equal_days() -> Result<(), HoursError> {
        let hours = Hours::parse("Mon-Fri 09:00-18:30; Sat,Sun 10:00-16:00")?;
        let groups: Vec<(u8, u8)> = hours.summary().iter().map(|g| (g.first, g.last)).collect();
        assert_eq!(groups, vec![(0, 4), (5, 6)]);
        assert_eq!(format_minute(hours.day(0)[0].1), "18:30");
        assert!(Hours::parse("")?.is_empty());
        Ok(())
    }

    #[test]
    fn mistakes_are_named_with_the_fix() {
        let cases = [
            ("Mon-Fri 9-18", "is not a time"),
            ("Mon-Fri", "cannot read"),
            ("Moon 09:00-10:00", "is not a day"),
            ("Mon 18:00-09:00", "split overnight hours"),
            ("Mon 09:00-12:00, 11:00-13:00", "overlap on mon"),
            ("Mon 09:00-24:30", "is not a time"),
            ("closed 2027-02-30", "is not a date"),
            ("closed 27-10-01", "is not a date"),
            ("closed 2027-10-07..2027-10-01", "ends before it starts"),
            (
                "closed 2027-10-01..2027-10-07; closed 2027-10-05",
                "overlaps",
            ),
            ("2027-10-08 10:00-12:00; 2027-10-08 13:00-14:00", "overlaps"),
        ];
        for (spec, expected) in cases {
            let message = Hours::parse(spec).map(|_| ()).err().map(|e| e.to_string());
            assert!(
                message.as_deref().is_some_and(|m| m.contains(expected)),
                "{spec}: {message:?}"
            );
        }
    }
}
