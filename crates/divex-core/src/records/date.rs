//! Calendar dates and UTC times: [`Date`] and divex's one implementation of the proleptic
//! Gregorian calendar (Howard Hinnant's `days_from_civil` / `civil_from_days`), shared by the
//! records, the consent engine and the command line.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::MAX_TIMESTAMP;

const SECONDS_PER_DAY: i64 = 86_400;

/// Days since 1970-01-01 of the proleptic Gregorian date `year-month-day` (negative before
/// 1970). The date is not checked; [`Date::new`] checks it.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian `(year, month, day)` of a day count since 1970-01-01, for any day
/// count (years beyond 9999 included, for displaying out-of-range times).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // 1..=31 and 1..=12 by construction.
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u8) -> u8 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    }
}

/// A time in seconds since the Unix epoch as RFC 3339 UTC, `YYYY-MM-DDTHH:MM:SSZ`. Every
/// `u64` has a rendering (times past year 9999 get longer years), so untrusted times can be
/// shown.
///
/// ```
/// use divex_core::records::format_unix_time;
///
/// assert_eq!(format_unix_time(0), "1970-01-01T00:00:00Z");
/// assert_eq!(format_unix_time(1_790_000_000), "2026-09-21T14:13:20Z");
/// ```
pub fn format_unix_time(t: u64) -> String {
    let t = i64::try_from(t).unwrap_or(i64::MAX);
    let (y, m, d) = civil_from_days(t.div_euclid(SECONDS_PER_DAY));
    let secs = t.rem_euclid(SECONDS_PER_DAY);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// The error of [`Date::new`] and parsing (`str::parse`): not a calendar date `YYYY-MM-DD` in years
/// 1900–9999. Carries no part of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a calendar date in the form YYYY-MM-DD (years 1900 to 9999)")]
pub struct InvalidDate;

/// A calendar date (proleptic Gregorian), years 1900–9999; encoded as text `YYYY-MM-DD`.
///
/// ```
/// use divex_core::records::Date;
///
/// let d: Date = "2026-02-28".parse()?;
/// assert_eq!(d, Date::new(2026, 2, 28)?);
/// assert_eq!(d.to_string(), "2026-02-28");
/// assert!("2026-02-29".parse::<Date>().is_err());
/// assert!("2026-2-28".parse::<Date>().is_err());
/// assert_eq!(Date::from_unix_seconds(0), Some(Date::new(1970, 1, 1)?));
/// # Ok::<(), divex_core::records::InvalidDate>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    // Field order gives the chronological `Ord`.
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// Earliest year accepted.
    pub(crate) const MIN_YEAR: u16 = 1900;
    /// Latest year accepted.
    pub(crate) const MAX_YEAR: u16 = 9999;

    /// The date `year-month-day`, if it is a calendar date in the accepted range.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Date, InvalidDate> {
        if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(i64::from(year), month)
        {
            return Err(InvalidDate);
        }
        Ok(Date { year, month, day })
    }

    /// Parses exactly `YYYY-MM-DD` (ten ASCII characters, zero-padded); the API is
    /// `str::parse` (`FromStr`).
    pub(crate) fn parse(s: &str) -> Result<Date, InvalidDate> {
        let b = s.as_bytes();
        if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return Err(InvalidDate);
        }
        let num = |range: std::ops::Range<usize>| -> Result<u16, InvalidDate> {
            let digits = b.get(range).ok_or(InvalidDate)?;
            digits.iter().try_fold(0u16, |acc, &d| {
                if d.is_ascii_digit() {
                    Ok(acc * 10 + u16::from(d - b'0'))
                } else {
                    Err(InvalidDate)
                }
            })
        };
        let year = num(0..4)?;
        let month = u8::try_from(num(5..7)?).map_err(|_| InvalidDate)?;
        let day = u8::try_from(num(8..10)?).map_err(|_| InvalidDate)?;
        Date::new(year, month, day)
    }

    /// The UTC calendar date of a time in seconds since the Unix epoch, if it is at most
    /// [`MAX_TIMESTAMP`].
    pub fn from_unix_seconds(secs: u64) -> Option<Date> {
        if secs > MAX_TIMESTAMP {
            return None;
        }
        let days = i64::try_from(secs).ok()?.div_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        Date::new(
            u16::try_from(year).ok()?,
            u8::try_from(month).ok()?,
            u8::try_from(day).ok()?,
        )
        .ok()
    }

    /// Seconds since the Unix epoch of midnight UTC at the start of this date; `None` before
    /// 1970 (the epoch).
    pub(crate) fn to_unix_seconds(self) -> Option<u64> {
        self.unix_seconds_at(0, 0, 0)
    }

    /// Seconds since the Unix epoch of `hour:minute:second` UTC on this date; `None` when a
    /// part is out of range (hours 0–23, minutes and seconds 0–59) or the time is before
    /// 1970.
    pub fn unix_seconds_at(&self, hour: u32, minute: u32, second: u32) -> Option<u64> {
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let days = days_from_civil(
            i64::from(self.year),
            u32::from(self.month),
            u32::from(self.day),
        );
        let secs = days * SECONDS_PER_DAY
            + i64::from(hour) * 3600
            + i64::from(minute) * 60
            + i64::from(second);
        u64::try_from(secs).ok()
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month, 1–31.
    pub fn day(&self) -> u8 {
        self.day
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

impl FromStr for Date {
    type Err = InvalidDate;
    fn from_str(s: &str) -> Result<Date, InvalidDate> {
        Date::parse(s)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s).map_err(|_| serde::de::Error::custom("invalid date"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn next_day(d: Date) -> Date {
        Date::new(d.year, d.month, d.day + 1)
            .or_else(|_| Date::new(d.year, d.month + 1, 1))
            .or_else(|_| Date::new(d.year + 1, 1, 1))
            .unwrap()
    }

    #[test]
    fn unix_seconds_to_date_matches_day_by_day_calendar() {
        let mut d = Date::new(1970, 1, 1).unwrap();
        for day in 0u64..=(2200 - 1970) * 366 {
            if d.year >= 2200 {
                break;
            }
            assert_eq!(Date::from_unix_seconds(day * 86_400), Some(d), "day {day}");
            assert_eq!(Date::from_unix_seconds(day * 86_400 + 86_399), Some(d));
            assert_eq!(d.to_unix_seconds(), Some(day * 86_400), "{d}");
            assert_eq!(d.unix_seconds_at(23, 59, 59), Some(day * 86_400 + 86_399));
            d = next_day(d);
        }
        assert_eq!(
            Date::from_unix_seconds(MAX_TIMESTAMP),
            Some(Date::new(9999, 12, 31).unwrap())
        );
        assert_eq!(Date::from_unix_seconds(MAX_TIMESTAMP + 1), None);
        assert_eq!(
            Date::from_unix_seconds(951_782_400),
            Some(Date::new(2000, 2, 29).unwrap())
        );
        assert_eq!(
            Date::new(9999, 12, 31).unwrap().unix_seconds_at(23, 59, 59),
            Some(MAX_TIMESTAMP)
        );
    }

    #[test]
    fn days_and_civil_dates_are_inverse_across_eras() {
        // Negative day counts (before 1970), era boundaries (multiples of 400 years) and the
        // years past 9999 that only displaying untrusted times needs.
        for days in (-800_000i64..800_000).step_by(997).chain([
            -719_468,
            -1,
            0,
            1,
            2_932_896,
            i64::MAX / 86_400,
        ]) {
            let (y, m, d) = civil_from_days(days);
            assert!((1..=12).contains(&m) && (1..=31).contains(&d), "{days}");
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(days_from_civil(1900, 1, 1), -25_567);
    }

    #[test]
    fn times_before_1970_or_out_of_range_have_no_unix_seconds() {
        let d = Date::new(1969, 12, 31).unwrap();
        assert_eq!(d.to_unix_seconds(), None);
        let d = Date::new(2026, 9, 21).unwrap();
        assert_eq!(d.unix_seconds_at(14, 13, 20), Some(1_790_000_000));
        assert_eq!(d.unix_seconds_at(24, 0, 0), None);
        assert_eq!(d.unix_seconds_at(0, 60, 0), None);
        assert_eq!(d.unix_seconds_at(0, 0, 60), None);
    }

    #[test]
    fn formats_any_unix_time() {
        assert_eq!(format_unix_time(1_790_000_000), "2026-09-21T14:13:20Z");
        assert_eq!(format_unix_time(MAX_TIMESTAMP), "9999-12-31T23:59:59Z");
        assert_eq!(format_unix_time(MAX_TIMESTAMP + 1), "10000-01-01T00:00:00Z");
        // Saturates at i64::MAX seconds rather than wrapping.
        assert_eq!(
            format_unix_time(u64::MAX),
            format_unix_time(i64::MAX as u64)
        );
    }

    #[test]
    fn date_parsing_is_strict() {
        for ok in ["1900-01-01", "2024-02-29", "2000-02-29", "9999-12-31"] {
            assert_eq!(Date::parse(ok).unwrap().to_string(), ok);
        }
        for bad in [
            "",
            "1899-12-31",
            "1900-02-29",
            "2023-02-29",
            "2026-04-31",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "2026-1-01",
            "2026-01-1",
            "26-01-01",
            "2026/01/01",
            "2026-01-01T00:00:00Z",
            " 2026-01-01",
            "2026-01-01 ",
            "+026-01-01",
            "2026-0a-01",
            "２０２６-01-01",
            "10000-01-01",
        ] {
            assert_eq!(Date::parse(bad), Err(InvalidDate), "{bad:?}");
        }
    }
}

crate::error::classified!(InvalidDate, Input, |_e| "invalid_date");
