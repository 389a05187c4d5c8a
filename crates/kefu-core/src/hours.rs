//! Service hours: when a person answers, so the widget can say when a reply can be expected.
//!
//! Site owners write the weekly schedule in one line, e.g. `Mon-Fri 09:00-18:30; Sat 10:00-16:00`
//! (the `data-hours` attribute). Times are in the site's time zone; the widget converts "now" into
//! that zone before asking [`Hours::at`], so this module knows nothing of clocks or zones and is
//! tested natively with fixed times.
//!
//! ```
//! use kefu_core::hours::{Availability, Hours, LocalTime};
//! let hours = Hours::parse("Mon-Fri 09:00-18:30").unwrap();
//! // Friday 19:00: closed until Monday 09:00, three days ahead.
//! let now = LocalTime { weekday: 4, minute: 19 * 60 };
//! assert_eq!(hours.at(now), Availability::Closed { next: Some(kefu_core::hours::Opening { days_ahead: 3, weekday: 0, minute: 9 * 60 }) });
//! ```

use std::fmt;

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MINUTES_PER_DAY: u16 = 24 * 60;

/// A weekly schedule: for each weekday (Monday first), the open intervals in minutes after
/// midnight, sorted and not overlapping. An interval may end at 24:00 (1440).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hours {
    weekly: [Vec<(u16, u16)>; 7],
}

/// A moment in the site's own time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    /// Minutes after midnight, 0..1440.
    pub minute: u16,
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
    /// 0 = later today, 1 = tomorrow, …, 7 = the same weekday next week.
    pub days_ahead: u8,
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
            let (days, times) = part.split_once(char::is_whitespace).ok_or_else(syntax)?;
            let days = parse_days(days)?;
            for interval in times.split(',').map(str::trim) {
                let (start, end) = interval.split_once('-').ok_or_else(syntax)?;
                let (start, end) = (parse_time(start.trim())?, parse_time(end.trim())?);
                if end <= start {
                    return Err(HoursError::Inverted {
                        part: part.to_owned(),
                    });
                }
                for &day in &days {
                    hours.weekly[day].push((start, end));
                }
            }
        }
        for (day, intervals) in hours.weekly.iter_mut().enumerate() {
            intervals.sort_unstable();
            if intervals.windows(2).any(|pair| pair[1].0 < pair[0].1) {
                return Err(HoursError::Overlap { day: DAYS[day] });
            }
        }
        Ok(hours)
    }

    /// Whether no hours are set at all.
    pub fn is_empty(&self) -> bool {
        self.weekly.iter().all(Vec::is_empty)
    }

    /// The open intervals of `weekday` (0 = Monday), for showing the schedule.
    pub fn day(&self, weekday: u8) -> &[(u16, u16)] {
        self.weekly
            .get(usize::from(weekday))
            .map_or(&[], Vec::as_slice)
    }

    /// Open or closed at `now`, and the next opening when closed.
    pub fn at(&self, now: LocalTime) -> Availability {
        let today = usize::from(now.weekday % 7);
        if let Some(&(_, until)) = self.weekly[today]
            .iter()
            .find(|&&(start, end)| start <= now.minute && now.minute < end)
        {
            return Availability::Open { until };
        }
        let next = (0..=7u8).find_map(|days_ahead| {
            let weekday = (today + usize::from(days_ahead)) % 7;
            self.weekly[weekday]
                .iter()
                .find(|&&(start, _)| days_ahead > 0 || start > now.minute)
                .map(|&(start, _)| Opening {
                    days_ahead,
                    weekday: weekday as u8,
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

    fn at(weekday: u8, h: u16, m: u16) -> LocalTime {
        LocalTime {
            weekday,
            minute: h * 60 + m,
        }
    }

    #[test]
    fn open_and_closed_within_a_day() -> Result<(), HoursError> {
        let hours = Hours::parse("Mon-Fri 09:00-12:00, 13:00-18:30")?;
        assert_eq!(hours.at(at(0, 9, 0)), Availability::Open { until: 12 * 60 });
        assert_eq!(
            hours.at(at(0, 12, 30)),
            Availability::Closed {
                next: Some(Opening {
                    days_ahead: 0,
                    weekday: 0,
                    minute: 13 * 60
                })
            }
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
        let next = |now| match hours.at(now) {
            Availability::Closed { next } => next,
            Availability::Open { .. } => None,
        };
        // Friday evening, Saturday and Sunday all point at Monday morning.
        for (now, days) in [(at(4, 18, 30), 3), (at(5, 10, 0), 2), (at(6, 23, 59), 1)] {
            assert_eq!(
                next(now),
                Some(Opening {
                    days_ahead: days,
                    weekday: 0,
                    minute: 540
                })
            );
        }
        // Monday before opening: later today.
        assert_eq!(next(at(0, 8, 0)).map(|o| o.days_ahead), Some(0));
        Ok(())
    }

    #[test]
    fn a_single_weekly_opening_is_found_a_week_ahead() -> Result<(), HoursError> {
        let hours = Hours::parse("Wed 10:00-11:00")?;
        let Availability::Closed { next: Some(next) } = hours.at(at(2, 12, 0)) else {
            panic!("closed on Wednesday afternoon");
        };
        assert_eq!((next.days_ahead, next.weekday), (7, 2));
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
