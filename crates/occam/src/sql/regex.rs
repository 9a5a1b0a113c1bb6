//! POSIX regular expressions as PostgreSQL has them: the `~`, `~*`, `!~`, `!~*` operators and
//! `regexp_match`, `regexp_replace`, `regexp_split_to_array`, on the `regex` crate.
//!
//! PostgreSQL's "advanced regular expressions" mostly read the same in the `regex` crate; the
//! differences that matter are translated: `.` matches a newline and `^` / `$` anchor the whole string
//! (PostgreSQL's default, not newline-sensitive), `\m` `\M` `\y` (word boundaries) become `\b`, `\Y`
//! `\B`, `\Z` `\z`, `[[:<:]]` / `[[:>:]]` `\b`, a `***=` prefix makes the rest literal, and
//! `regexp_replace`'s `\1` / `\&` become `${1}` / `${0}`. Back-references and lookaround, which the
//! crate cannot run, are refused with `0A000` rather than matched differently. A statement compiles each
//! pattern once ([`RegexCache`] lives in its `FunctionContext`).

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use regex::{Regex, RegexBuilder};

use crate::error::{sqlstate, Error, Result};
use crate::sql::functions::{function_does_not_exist, FunctionContext, ResolvedScalar, ScalarFunction};
use crate::types::{ArrayElement, DataType, Value};

/// A resolved regular-expression operator or function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegexFunction {
    /// `subject ~ pattern` / `~*`.
    Match { case_insensitive: bool },
    /// `regexp_match(subject, pattern[, flags])`.
    FirstMatch,
    /// `regexp_replace(source, pattern, replacement[, flags])`.
    Replace,
    /// `regexp_split_to_array(subject, pattern[, flags])`.
    Split,
}

/// The operator `~` (`~*` when `case_insensitive`) on two text operands.
pub fn resolve_operator(case_insensitive: bool) -> ResolvedScalar {
    ResolvedScalar {
        function: ScalarFunction::Regex(RegexFunction::Match { case_insensitive }),
        arg_types: vec![DataType::Text, DataType::Text],
        result_type: DataType::Bool,
    }
}

/// The regular-expression functions by name; None for any other name.
pub fn resolve(name: &str, args: &[DataType]) -> Option<Result<ResolvedScalar>> {
    let (function, counts, result) = match name {
        "regexp_match" => (RegexFunction::FirstMatch, 2..=3, DataType::Array(ArrayElement::TEXT)),
        "regexp_replace" => (RegexFunction::Replace, 3..=4, DataType::Text),
        "regexp_split_to_array" => (RegexFunction::Split, 2..=3, DataType::Array(ArrayElement::TEXT)),
        "textregexeq" => (RegexFunction::Match { case_insensitive: false }, 2..=2, DataType::Bool),
        _ => return None,
    };
    let stringish = |t: &DataType| t.is_text_like() || *t == DataType::Unknown;
    if !counts.contains(&args.len()) || !args.iter().all(stringish) {
        return Some(Err(function_does_not_exist(name, args)));
    }
    Some(Ok(ResolvedScalar {
        function: ScalarFunction::Regex(function),
        arg_types: vec![DataType::Text; args.len()],
        result_type: result,
    }))
}

/// Evaluates a regular-expression function (strict: NULL in, NULL out).
pub fn invoke(function: RegexFunction, args: &[Value], ctx: &FunctionContext) -> Result<Value> {
    if args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let text = |i: usize| match args.get(i) {
        Some(Value::Text(s)) => s.as_str(),
        _ => "",
    };
    let cache = &ctx.regex_cache;
    Ok(match function {
        RegexFunction::Match { case_insensitive } => Value::Bool(is_match(cache, text(0), text(1), case_insensitive)?),
        RegexFunction::FirstMatch => first_match(cache, text(0), text(1), text(2))?,
        RegexFunction::Replace => Value::Text(replace(cache, text(0), text(1), text(2), text(3))?),
        RegexFunction::Split => split(cache, text(0), text(1), text(2))?,
    })
}

/// Compiled patterns by (pattern, case-insensitive).
type Compiled = HashMap<(String, bool), Arc<Regex>>;

/// The patterns one statement compiled.
#[derive(Clone, Default)]
pub struct RegexCache {
    compiled: Arc<Mutex<Compiled>>,
}

/// At most this many patterns are kept per statement (a pattern per row of a big table would otherwise
/// keep them all).
const CACHE_LIMIT: usize = 256;

impl RegexCache {
    /// The compiled form of `pattern` (2201B for an invalid one, 0A000 for what occam cannot run).
    pub fn get(&self, pattern: &str, case_insensitive: bool) -> Result<Arc<Regex>> {
        let key = (pattern.to_string(), case_insensitive);
        if let Some(found) = self.compiled.lock().get(&key) {
            return Ok(found.clone());
        }
        let compiled = Arc::new(compile(pattern, case_insensitive)?);
        let mut compiled_map = self.compiled.lock();
        if compiled_map.len() >= CACHE_LIMIT {
            compiled_map.clear();
        }
        compiled_map.insert(key, compiled.clone());
        Ok(compiled)
    }
}

fn invalid(message: impl std::fmt::Display) -> Error {
    Error::new(sqlstate::INVALID_REGULAR_EXPRESSION, format!("invalid regular expression: {message}"))
}

/// Translates a PostgreSQL ARE into the `regex` crate's syntax.
fn translate(pattern: &str) -> Result<String> {
    if let Some(literal) = pattern.strip_prefix("***=") {
        return Ok(regex::escape(literal));
    }
    let pattern = pattern.strip_prefix("***:").unwrap_or(pattern);
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut in_brackets = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else { return Err(invalid("invalid escape \\ sequence")) };
                match next {
                    'm' | 'M' | 'y' if !in_brackets => out.push_str("\\b"),
                    'Y' if !in_brackets => out.push_str("\\B"),
                    'Z' if !in_brackets => out.push_str("\\z"),
                    '1'..='9' if !in_brackets => {
                        return Err(Error::unsupported("back-references in regular expressions are not supported"))
                    }
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            '[' if !in_brackets => {
                let rest: String = chars.clone().take(6).collect();
                if rest == "[:<:]]" || rest == "[:>:]]" {
                    // `[[:<:]]` / `[[:>:]]`: word boundaries.
                    for _ in 0..6 {
                        chars.next();
                    }
                    out.push_str("\\b");
                    continue;
                }
                in_brackets = true;
                out.push('[');
                // A `]` or `^]` right after the bracket is a literal `]`.
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                    out.push_str("\\]");
                }
            }
            '[' => {
                // `[:alpha:]`, `[.x.]`, `[=x=]` inside brackets, or a literal `[`.
                if matches!(chars.peek(), Some(':')) {
                    out.push('[');
                    for inner in chars.by_ref() {
                        out.push(inner);
                        if inner == ']' {
                            break;
                        }
                    }
                } else {
                    out.push_str("\\[");
                }
            }
            ']' if in_brackets => {
                in_brackets = false;
                out.push(']');
            }
            '(' if !in_brackets && chars.peek() == Some(&'?') => {
                let lookahead: String = chars.clone().take(2).collect();
                if matches!(lookahead.as_str(), "?=" | "?!" | "?<") {
                    return Err(Error::unsupported("lookahead and lookbehind constraints are not supported"));
                }
                out.push('(');
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

fn compile(pattern: &str, case_insensitive: bool) -> Result<Regex> {
    let translated = translate(pattern)?;
    RegexBuilder::new(&translated)
        .dot_matches_new_line(true)
        .case_insensitive(case_insensitive)
        .size_limit(16 << 20)
        .build()
        .map_err(|err| match err {
            regex::Error::CompiledTooBig(_) => Error::new(
                sqlstate::PROGRAM_LIMIT_EXCEEDED,
                "invalid regular expression: regular expression is too complex",
            ),
            other => invalid(other.to_string().lines().last().unwrap_or("syntax error").trim()),
        })
}

/// The flags of `regexp_replace` and friends: `g` global, `i` case-insensitive, `c` case-sensitive (others
/// are refused: 22023 `invalid regular expression option`).
#[derive(Debug)]
pub struct Flags {
    pub global: bool,
    pub case_insensitive: bool,
}

pub fn parse_flags(flags: &str, allow_global: bool) -> Result<Flags> {
    let mut parsed = Flags { global: false, case_insensitive: false };
    for c in flags.chars() {
        match c {
            'g' if allow_global => parsed.global = true,
            'g' => {
                return Err(Error::new(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    "regexp_match() does not support the \"global\" option",
                )
                .with_hint("Use the regexp_matches function instead."))
            }
            'i' => parsed.case_insensitive = true,
            'c' => parsed.case_insensitive = false,
            other => {
                return Err(Error::new(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    format!("invalid regular expression option: \"{other}\""),
                ))
            }
        }
    }
    Ok(parsed)
}

/// `subject ~ pattern` (`~*` when `case_insensitive`).
pub fn is_match(cache: &RegexCache, subject: &str, pattern: &str, case_insensitive: bool) -> Result<bool> {
    Ok(cache.get(pattern, case_insensitive)?.is_match(subject))
}

/// `regexp_match(subject, pattern[, flags])`: the capture groups of the first match (the whole match when
/// there are none), NULL when nothing matches.
pub fn first_match(cache: &RegexCache, subject: &str, pattern: &str, flags: &str) -> Result<Value> {
    let flags = parse_flags(flags, false)?;
    let regex = cache.get(pattern, flags.case_insensitive)?;
    let Some(captures) = regex.captures(subject) else { return Ok(Value::Null) };
    let groups: Vec<Value> = if captures.len() == 1 {
        vec![Value::Text(captures[0].to_string())]
    } else {
        (1..captures.len())
            .map(|i| captures.get(i).map_or(Value::Null, |m| Value::Text(m.as_str().to_string())))
            .collect()
    };
    Ok(Value::Array(groups))
}

/// `regexp_replace(source, pattern, replacement[, flags])`: the first match (every match with `g`)
/// replaced; `\1`..`\9` in the replacement are the groups, `\&` the whole match.
pub fn replace(cache: &RegexCache, source: &str, pattern: &str, replacement: &str, flags: &str) -> Result<String> {
    let flags = parse_flags(flags, true)?;
    let regex = cache.get(pattern, flags.case_insensitive)?;
    let mut translated = String::with_capacity(replacement.len());
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek().copied()) {
            ('\\', Some(d @ '1'..='9')) => {
                chars.next();
                translated.push_str(&format!("${{{d}}}"));
            }
            ('\\', Some('&')) => {
                chars.next();
                translated.push_str("${0}");
            }
            ('\\', Some('\\')) => {
                chars.next();
                translated.push('\\');
            }
            ('$', _) => translated.push_str("$$"),
            (other, _) => translated.push(other),
        }
    }
    Ok(if flags.global {
        regex.replace_all(source, translated.as_str()).into_owned()
    } else {
        regex.replace(source, translated.as_str()).into_owned()
    })
}

/// `regexp_split_to_array(subject, pattern[, flags])`.
pub fn split(cache: &RegexCache, subject: &str, pattern: &str, flags: &str) -> Result<Value> {
    let flags = parse_flags(flags, false)?;
    let regex = cache.get(pattern, flags.case_insensitive)?;
    // PostgreSQL ignores a zero-length match at the start and end of the string.
    let mut parts = Vec::new();
    let mut start = 0;
    for found in regex.find_iter(subject) {
        if found.start() == found.end() && (found.start() == 0 || found.start() == subject.len()) {
            continue;
        }
        if found.start() == found.end() {
            // A zero-length match between characters splits there.
            parts.push(Value::Text(subject[start..found.start()].to_string()));
            start = found.start();
            continue;
        }
        parts.push(Value::Text(subject[start..found.start()].to_string()));
        start = found.end();
    }
    parts.push(Value::Text(subject[start..].to_string()));
    Ok(Value::Array(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_patterns() {
        let cache = RegexCache::default();
        assert!(is_match(&cache, "orders", "^(orders)$", false).unwrap());
        assert!(!is_match(&cache, "pg_toast", "^pg_toastx", false).unwrap());
        assert!(is_match(&cache, "a\nb", "a.b", false).unwrap());
        assert!(is_match(&cache, "ABC", "^abc$", true).unwrap());
        assert!(is_match(&cache, "foo bar", "\\mbar\\M", false).unwrap());
        assert!(is_match(&cache, "a.b", "***=.", false).unwrap());
        assert!(is_match(&cache, "x]y", "[]]", false).unwrap());
        assert!(is_match(&cache, "abc", "[[:alpha:]]+", false).unwrap());
        assert_eq!(is_match(&cache, "x", "(", false).unwrap_err().code, "2201B");
        assert_eq!(is_match(&cache, "aa", "(a)\\1", false).unwrap_err().code, "0A000");
    }

    #[test]
    fn functions() {
        let cache = RegexCache::default();
        assert_eq!(
            first_match(&cache, "foobarbequebaz", "(bar)(beque)", "").unwrap(),
            Value::Array(vec![Value::Text("bar".into()), Value::Text("beque".into())])
        );
        assert_eq!(first_match(&cache, "abc", "x", "").unwrap(), Value::Null);
        assert_eq!(replace(&cache, "foobarbaz", "b..", "X", "").unwrap(), "fooXbaz");
        assert_eq!(replace(&cache, "foobarbaz", "b(.)(.)", "[\\2\\1]", "g").unwrap(), "foo[ra][za]");
        assert_eq!(replace(&cache, "a$b", "\\$", "&", "").unwrap(), "a&b");
        assert_eq!(
            split(&cache, "hello world  x", "\\s+", "").unwrap(),
            Value::Array(vec![Value::Text("hello".into()), Value::Text("world".into()), Value::Text("x".into())])
        );
        assert_eq!(parse_flags("z", true).unwrap_err().code, "22023");
    }
}
