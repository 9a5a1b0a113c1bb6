//! Time zones: the fixed offsets of abbreviations (`EST`) and POSIX specs (`UTC+2`, `+02:00`), and the
//! named zones of the tz database (`America/New_York`, from the `chrono-tz` crate), with PostgreSQL's rules
//! for a wall-clock time a DST change skips or repeats. `AT TIME ZONE`, `date_trunc(..., zone)`,
//! `make_timestamptz` and timestamptz input with a zone name use them.
//!
//! The session's `TimeZone` setting is a [`Zone`] too: it decides how a timestamptz (always stored as a
//! UTC instant) reads and prints as text, casts to and from timestamp / date / time, and how date fields
//! and day/month arithmetic see it. The session parses its setting once per statement and makes it the
//! *current* zone of the thread running the statement ([`with_session_zone`]); the text formatter and
//! parser, casts and date/time functions read it with [`session_zone`], as PostgreSQL's own conversion
//! functions read its `session_timezone` global. Statements run synchronously on one thread (the wire
//! layer runs engine calls under `block_in_place`), and whoever formats result rows as text outside a
//! statement (the wire layer's DataRow encoder, in-process test harnesses) opens the same scope with the
//! session's zone ([`crate::Session::time_zone`]). Outside any scope the zone is UTC, DSQL's.

use std::cell::Cell;

use chrono::{Duration, LocalResult, NaiveDateTime, Offset, TimeZone};

use crate::error::{sqlstate, Error, Result};
use crate::types::text;

/// A time zone named in `AT TIME ZONE`, `timezone()` or `make_timestamptz`.
#[derive(Debug, Clone, Copy)]
pub enum Zone {
    /// A fixed offset in seconds east of UTC (abbreviations like `EST`, POSIX offsets like `+02:00`).
    Fixed(i32),
    Named(chrono_tz::Tz),
}

thread_local! {
    static SESSION_ZONE: Cell<Zone> = const { Cell::new(Zone::UTC) };
}

/// The time zone of the statement running on this thread (UTC outside any [`with_session_zone`]).
pub fn session_zone() -> Zone {
    SESSION_ZONE.with(Cell::get)
}

/// Runs `f` with `zone` as this thread's session zone, restoring the previous one afterwards (also when
/// `f` panics).
pub fn with_session_zone<R>(zone: Zone, f: impl FnOnce() -> R) -> R {
    struct Restore(Zone);
    impl Drop for Restore {
        fn drop(&mut self) {
            SESSION_ZONE.with(|current| current.set(self.0));
        }
    }
    let _restore = Restore(SESSION_ZONE.with(|current| current.replace(zone)));
    f()
}

impl Zone {
    pub const UTC: Zone = Zone::Fixed(0);

    /// The zone a `TimeZone` setting names, as [`canonical_setting`] stores it (so it parses): a tz
    /// database name, an abbreviation, a POSIX offset, or `<+05>-05` for `SET TIME ZONE 5`.
    pub fn of_setting(value: &str) -> Result<Zone> {
        let trimmed = value.trim();
        if trimmed.eq_ignore_ascii_case("utc") {
            return Ok(Zone::UTC);
        }
        if let Some(seconds) = hours_east(trimmed) {
            return Ok(Zone::Fixed(seconds));
        }
        let posix = match trimmed.strip_prefix('<') {
            // `<+05>-05`: the POSIX part after the bracketed abbreviation.
            Some(rest) => rest.split_once('>').and_then(|(_, spec)| posix_offset(spec)),
            None => posix_offset(&trimmed.to_ascii_lowercase()),
        };
        if let Some(offset) = posix {
            return Ok(Zone::Fixed(offset));
        }
        // The stored setting is spelled as the database spells it: an exact lookup first.
        trimmed
            .parse::<chrono_tz::Tz>()
            .ok()
            .or_else(|| chrono_tz::TZ_VARIANTS.iter().find(|tz| tz.name().eq_ignore_ascii_case(trimmed)).copied())
            .map(Zone::Named)
            .ok_or_else(|| {
                Error::new(sqlstate::INVALID_PARAMETER_VALUE, format!("time zone \"{value}\" not recognized"))
            })
    }

    /// The offset from UTC, in seconds east, at a UTC instant.
    pub fn offset_at(&self, utc: &NaiveDateTime) -> i32 {
        match self {
            Zone::Fixed(offset) => *offset,
            Zone::Named(tz) => tz.offset_from_utc_datetime(utc).fix().local_minus_utc(),
        }
    }

    /// Looks a zone up as PostgreSQL does: abbreviations first, then the tz database (case-insensitively),
    /// then a POSIX offset (`UTC+2`, `+02:00`: hours *west* of Greenwich). 22023 if none matches.
    pub fn parse(name: &str) -> Result<Zone> {
        let trimmed = name.trim();
        let lower = trimmed.to_ascii_lowercase();
        if let Some(offset) = text::zone_abbreviation(&lower) {
            return Ok(Zone::Fixed(offset));
        }
        if let Some(tz) = chrono_tz::TZ_VARIANTS.iter().find(|tz| tz.name().eq_ignore_ascii_case(trimmed)) {
            return Ok(Zone::Named(*tz));
        }
        posix_offset(&lower).map(Zone::Fixed).ok_or_else(|| {
            Error::new(sqlstate::INVALID_PARAMETER_VALUE, format!("time zone \"{name}\" not recognized"))
        })
    }

    /// The tz database's abbreviation of this zone at a UTC instant (`EDT`, `CET`); None for a fixed offset
    /// or where the database has only a numeric one (`+0530` style names are not abbreviations).
    pub fn abbreviation_at(&self, utc: &NaiveDateTime) -> Option<String> {
        match self {
            Zone::Fixed(_) => None,
            Zone::Named(tz) => {
                use chrono_tz::OffsetName;
                let offset = tz.offset_from_utc_datetime(utc);
                offset.abbreviation().filter(|name| name.chars().all(|c| c.is_ascii_alphabetic())).map(str::to_string)
            }
        }
    }

    /// The wall-clock time in this zone at a UTC instant.
    pub fn local(&self, utc: &NaiveDateTime) -> NaiveDateTime {
        match self {
            Zone::Fixed(offset) => *utc + Duration::seconds(*offset as i64),
            Zone::Named(tz) => tz.from_utc_datetime(utc).naive_local(),
        }
    }

    /// The UTC instant of a wall-clock time in this zone. A time skipped by a DST change reads with the
    /// offset before the change; a repeated time as the later (standard-time) instant, as PostgreSQL.
    pub fn utc(&self, local: &NaiveDateTime) -> NaiveDateTime {
        match self {
            Zone::Fixed(offset) => *local - Duration::seconds(*offset as i64),
            Zone::Named(tz) => match tz.from_local_datetime(local) {
                LocalResult::Single(t) => t.naive_utc(),
                LocalResult::Ambiguous(_, later) => later.naive_utc(),
                LocalResult::None => {
                    let before = tz.offset_from_utc_datetime(&(*local - Duration::days(1))).fix();
                    *local - Duration::seconds(before.local_minus_utc() as i64)
                }
            },
        }
    }
}

/// The value `SET TIME ZONE` keeps, as PostgreSQL shows it: a tz database name in its canonical spelling
/// (`america/new_york` -> `America/New_York`), a number of hours east as a POSIX spec (`5` ->
/// `<+05>-05`, `5.5` -> `<+05:30>-05:30`), a POSIX offset as written (`UTC+3`, `-07:00`); None for a zone
/// that does not exist. As PostgreSQL, an abbreviation is a time zone only where the tz database has a
/// zone of that name (`EST`, `GMT`, `CET`, not `PST`).
pub fn canonical_setting(value: &str) -> Option<String> {
    if let Some(seconds) = hours_east(value) {
        let sign = |east: bool| if east { '+' } else { '-' };
        let (hours, minutes) = (seconds.abs() / 3600, seconds.abs() % 3600 / 60);
        let magnitude = if minutes == 0 { format!("{hours:02}") } else { format!("{hours:02}:{minutes:02}") };
        return Some(format!("<{}{magnitude}>{}{magnitude}", sign(seconds >= 0), sign(seconds < 0)));
    }
    match Zone::of_setting(value).ok()? {
        Zone::Named(tz) => Some(tz.name().to_string()),
        Zone::Fixed(_) if value.trim().eq_ignore_ascii_case("utc") => Some("UTC".to_string()),
        Zone::Fixed(_) => Some(value.trim().to_string()),
    }
}

/// `SET TIME ZONE 5` / `-7` / `5.5`: a number of hours east of Greenwich (at most 15), in seconds.
fn hours_east(value: &str) -> Option<i32> {
    let hours = value.trim().parse::<f64>().ok().filter(|h| h.is_finite() && h.abs() <= 15.0)?;
    Some((hours * 3600.0).round() as i32)
}

/// A POSIX-style offset: `[name]±hh[:mm[:ss]]`, positive west of Greenwich. Returns seconds east.
fn posix_offset(text: &str) -> Option<i32> {
    let at = text.find(['+', '-'])?;
    let (name, offset) = text.split_at(at);
    if !(name.is_empty() || name.len() >= 3 && name.chars().all(|c| c.is_ascii_alphabetic())) {
        return None;
    }
    let west = offset.starts_with('+');
    let parts: Vec<&str> = offset[1..].split(':').collect();
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let number = |i: usize| parts.get(i).map_or(Some(0), |p| p.parse::<i32>().ok());
    let seconds = number(0)? * 3600 + number(1)? * 60 + number(2)?;
    Some(if west { -seconds } else { seconds })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{text, DataType, Value};

    #[test]
    fn settings_parse_as_postgres_reads_them() {
        assert_eq!(canonical_setting("america/new_york").as_deref(), Some("America/New_York"));
        assert_eq!(canonical_setting("-7").as_deref(), Some("<-07>+07"));
        assert_eq!(canonical_setting("5.5").as_deref(), Some("<+05:30>-05:30"));
        assert_eq!(canonical_setting("utc").as_deref(), Some("UTC"));
        assert_eq!(canonical_setting("UTC+3").as_deref(), Some("UTC+3"));
        assert_eq!(canonical_setting("EST").as_deref(), Some("EST"));
        assert_eq!(canonical_setting("PST"), None);
        assert_eq!(canonical_setting("Mars/Olympus"), None);
        assert!(matches!(Zone::of_setting("<-07>+07").unwrap(), Zone::Fixed(-25200)));
        assert!(matches!(Zone::of_setting("<+05:30>-05:30").unwrap(), Zone::Fixed(19800)));
        assert!(matches!(Zone::of_setting("UTC+3").unwrap(), Zone::Fixed(-10800)));
        assert!(matches!(Zone::of_setting("Asia/Kolkata").unwrap(), Zone::Named(_)));
    }

    #[test]
    fn the_session_zone_is_scoped_to_the_statement() {
        let utc = Value::Timestamptz(text::parse_timestamptz("2024-07-01 12:00+00").unwrap());
        let kolkata = Zone::of_setting("Asia/Kolkata").unwrap();
        let shown = with_session_zone(kolkata, || text::format(&utc, &DataType::Timestamptz));
        assert_eq!(shown, "2024-07-01 17:30:00+05:30");
        assert_eq!(text::format(&utc, &DataType::Timestamptz), "2024-07-01 12:00:00+00");
        let new_york = Zone::of_setting("America/New_York").unwrap();
        let lmt = with_session_zone(new_york, || {
            text::format(
                &Value::Timestamptz(text::parse_timestamptz("1800-01-01 00:00+00").unwrap()),
                &DataType::Timestamptz,
            )
        });
        assert_eq!(lmt, "1799-12-31 19:03:58-04:56:02");
    }
}
