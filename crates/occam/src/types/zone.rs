//! Time zones: the fixed offsets of abbreviations (`EST`) and POSIX specs (`UTC+2`, `+02:00`), and the
//! named zones of the tz database (`America/New_York`, from the `chrono-tz` crate), with PostgreSQL's rules
//! for a wall-clock time a DST change skips or repeats. `AT TIME ZONE`, `date_trunc(..., zone)`,
//! `make_timestamptz` and timestamptz input with a zone name use them.

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

impl Zone {
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
/// `<+05>-05`), an abbreviation or offset as written; None for a zone that does not exist.
pub fn canonical_setting(value: &str) -> Option<String> {
    if let Ok(hours) = value.trim().parse::<i32>() {
        let sign = |east: bool| if east { '+' } else { '-' };
        return (-15..=15)
            .contains(&hours)
            .then(|| format!("<{}{:02}>{}{:02}", sign(hours >= 0), hours.abs(), sign(hours < 0), hours.abs()));
    }
    match Zone::parse(value).ok()? {
        Zone::Named(tz) => Some(tz.name().to_string()),
        Zone::Fixed(_) => Some(value.to_string()),
    }
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
