//! Times on the command line: Unix seconds, `YYYY-MM-DD` (midnight UTC) or
//! `YYYY-MM-DDTHH:MM:SSZ`, and their display as UTC. The calendar is the library's
//! ([`divex_core::records::Date`], [`divex_core::records::format_unix_time`]); this module
//! only reads and writes the command line's forms.

use divex_core::records::{Date, format_unix_time};

/// Unix seconds of a UTC date and time; `None` when a field is out of range or before 1970.
pub fn unix_from_parts(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
) -> Option<u64> {
    let date = Date::new(
        u16::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()?;
    date.unix_seconds_at(hour, minute, second)
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
    format_unix_time(t)
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

    #[test]
    fn the_range_is_1970_to_9999() {
        assert_eq!(parse_time("9999-12-31T23:59:59Z").unwrap(), 253_402_300_799);
        assert!(parse_time("1969-12-31T23:59:59Z").is_err());
        assert!(parse_time("1900-01-01").is_err());
        assert!(parse_time("2026-01-01T24:00:00Z").is_err());
        assert!(parse_time("2026-01-01T23:60:00Z").is_err());
        assert_eq!(unix_from_parts(10_000, 1, 1, 0, 0, 0), None);
        assert_eq!(
            unix_from_parts(2026, 9, 21, 14, 13, 20),
            Some(1_790_000_000)
        );
        assert_eq!(format_date(1_790_000_000), "2026-09-21");
    }
}
