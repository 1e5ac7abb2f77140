//! Times on the command line: Unix seconds, `YYYY-MM-DD` (midnight UTC) or
//! `YYYY-MM-DDTHH:MM:SSZ`, and their display as UTC.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Unix seconds of a UTC date and time; `None` when a field is out of range or before 1970.
pub fn unix_from_parts(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
) -> Option<u64> {
    if !(1970..=9999).contains(&year)
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    u64::try_from(secs).ok()
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses a time: Unix seconds, `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:MM:SSZ`.
pub fn parse_time(s: &str) -> Result<u64, String> {
    let err = || {
        format!(
            "`{}` is not a time: use Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)",
            s.chars().take(40).collect::<String>()
        )
    };
    if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
        return s.parse().map_err(|_| err());
    }
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut parts = date.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(err());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(err());
    }
    let (y, m, d) = (
        num(y).ok_or_else(err)?,
        num(m).ok_or_else(err)?,
        num(d).ok_or_else(err)?,
    );
    let (hh, mm, ss) = match time {
        None => (0, 0, 0),
        Some(t) => {
            let t = t.strip_suffix('Z').ok_or_else(err)?;
            let mut p = t.split(':');
            let (Some(h), Some(mi), Some(se), None) = (p.next(), p.next(), p.next(), p.next())
            else {
                return Err(err());
            };
            if h.len() != 2 || mi.len() != 2 || se.len() != 2 {
                return Err(err());
            }
            (
                num(h).ok_or_else(err)?,
                num(mi).ok_or_else(err)?,
                num(se).ok_or_else(err)?,
            )
        }
    };
    unix_from_parts(i64::from(y), m, d, hh, mm, ss).ok_or_else(err)
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_time(t: u64) -> String {
    let t = i64::try_from(t).unwrap_or(i64::MAX);
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// `YYYY-MM-DD` of a time.
pub fn format_date(t: u64) -> String {
    format_time(t).chars().take(10).collect()
}

/// The system clock, in Unix seconds.
pub fn system_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(parse_time("0").unwrap(), 0);
        assert_eq!(parse_time("1970-01-01").unwrap(), 0);
        assert_eq!(parse_time("2026-09-21").unwrap(), 1_789_948_800);
        assert_eq!(format_time(1_790_000_000), "2026-09-21T14:13:20Z");
        assert_eq!(parse_time("2026-09-21T14:13:20Z").unwrap(), 1_790_000_000);
        for t in [0u64, 951_782_400, 1_790_000_000, 4_102_444_799] {
            assert_eq!(parse_time(&format_time(t)).unwrap(), t);
        }
        for bad in [
            "",
            "2026-02-30",
            "2026-13-01",
            "26-01-01",
            "2026-01-01T10:00:00",
            "x",
            "-5",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        assert!(parse_time("2024-02-29").is_ok());
        assert!(parse_time("2100-02-29").is_err());
    }
}
