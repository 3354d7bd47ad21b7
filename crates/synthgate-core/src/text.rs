//! Text forms of values: what the CSV reader accepts for each storage type, and what the CSV
//! writer produces. Parsing is strict so that type inference never loses information: a value
//! with a leading zero (`02139`) is text, not the number 2139, so ZIP codes and zero-padded codes
//! survive a round trip.

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int64Type, TimestampMicrosecondType};

use crate::schema::StorageType;

/// Microseconds in one day.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// An integer in plain decimal form, with no leading zeros (`0` itself is fine).
pub fn parse_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    text.parse().ok()
}

/// Whether `text` is an integer in plain decimal form (as [`parse_int`] reads it) that does not
/// fit 64 bits, such as `94719271504320872445`. Type inference keeps such columns as text: as
/// floats they would silently lose digits.
pub fn is_integer_beyond_i64(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !(digits.len() > 1 && digits.starts_with('0'))
        && parse_int(text).is_none()
}

/// An infinity spelled out: `inf` or `infinity` with an optional sign, in any letter case.
/// Synthgate holds no infinite values: readers refuse them, or read them as missing when `inf`
/// is a missing-value token.
pub fn parse_infinity(text: &str) -> Option<f64> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(body) => (true, body),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("infinity") {
        Some(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        })
    } else {
        None
    }
}

/// A finite decimal number (`517`, `517.0`, `-1.5e3`, `.5`), with no leading zeros before the
/// decimal point and no `inf` or `nan` spellings.
pub fn parse_float(text: &str) -> Option<f64> {
    if !is_float_syntax(text) {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    value.is_finite().then_some(value)
}

/// Whether `text` is a decimal number in [`parse_float`]'s form whose value does not fit a
/// 64-bit float (`1e400`): it would read as an infinity, so readers refuse it as they refuse
/// infinities.
pub fn is_float_beyond_f64(text: &str) -> bool {
    is_float_syntax(text) && text.parse::<f64>().is_ok_and(f64::is_infinite)
}

fn is_float_syntax(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let mantissa_end = body.find(['e', 'E']).unwrap_or(body.len());
    let mantissa = &body[..mantissa_end];
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || !fraction.is_none_or(all_digits) {
        return false;
    }
    if whole.is_empty() && fraction.is_none_or(str::is_empty) {
        return false;
    }
    if whole.len() > 1 && whole.starts_with('0') {
        return false;
    }
    // The exponent is left to the standard parser, which refuses a malformed one.
    true
}

/// `true` or `false`, in any letter case.
pub fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn digits(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        bytes
            .iter()
            .fold(0i64, |acc, &b| acc * 10 + i64::from(b - b'0')),
    )
}

/// Days from 1970-01-01 to the civil date (proleptic Gregorian), after Howard Hinnant's
/// `days_from_civil`.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date of a day count from 1970-01-01 (inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The days of `month` (1-12) in `year` (proleptic Gregorian).
pub fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

/// `YYYY-MM-DD` as days since 1970-01-01.
pub fn parse_date(text: &str) -> Option<i32> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year = digits(&bytes[0..4])?;
    let month = digits(&bytes[5..7])?;
    let day = digits(&bytes[8..10])?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    i32::try_from(days_from_civil(year, month, day)).ok()
}

/// A parsed timestamp: microseconds since 1970-01-01T00:00:00 and whether the text carried a
/// zone (`Z` or an offset), in which case the value is in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// Microseconds since 1970-01-01T00:00:00 (UTC when `zoned`).
    pub micros: i64,
    /// Whether the text carried a zone (`Z` or an offset).
    pub zoned: bool,
}

/// `YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|±HH:MM|±HHMM]`.
pub fn parse_timestamp(text: &str) -> Option<Timestamp> {
    let bytes = text.as_bytes();
    if bytes.len() < 16 || !(bytes[10] == b'T' || bytes[10] == b' ') {
        return None;
    }
    let days = i64::from(parse_date(&text[..10])?);
    let rest = &bytes[11..];
    if rest.len() < 5 || rest[2] != b':' {
        return None;
    }
    let hour = digits(&rest[0..2])?;
    let minute = digits(&rest[3..5])?;
    let mut index = 5;
    let mut second = 0;
    let mut micros = 0;
    if rest.get(index) == Some(&b':') {
        second = digits(rest.get(index + 1..index + 3)?)?;
        index += 3;
        if rest.get(index) == Some(&b'.') {
            let start = index + 1;
            let mut end = start;
            while end < rest.len() && rest[end].is_ascii_digit() {
                end += 1;
            }
            if end == start || end - start > 9 {
                return None;
            }
            let fraction = &rest[start..end];
            let kept = &fraction[..fraction.len().min(6)];
            let scale = 10i64.pow(6 - kept.len() as u32);
            micros = digits(kept)? * scale;
            index = end;
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let zone = &rest[index..];
    let (offset_minutes, zoned) = match zone {
        [] => (0, false),
        [b'Z'] | [b'z'] => (0, true),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            let hours = digits(&[*h1, *h2])?;
            let minutes = digits(&[*m1, *m2])?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let total = hours * 60 + minutes;
            (if *sign == b'-' { -total } else { total }, true)
        }
        _ => return None,
    };
    let local = days * MICROS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1_000_000 + micros;
    Some(Timestamp {
        micros: local - offset_minutes * 60_000_000,
        zoned,
    })
}

/// `YYYY-MM-DD`.
pub fn format_date(days: i32) -> String {
    let (year, month, day) = civil_from_days(i64::from(days));
    format!("{year:04}-{month:02}-{day:02}")
}

/// `YYYY-MM-DDTHH:MM:SS[.ffffff]`, with `Z` appended for UTC instants.
pub fn format_timestamp(micros: i64, utc: bool) -> String {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let within = micros.rem_euclid(MICROS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let seconds = within / 1_000_000;
    let fraction = within % 1_000_000;
    let mut text = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if fraction != 0 {
        text.push_str(&format!(".{fraction:06}"));
    }
    if utc {
        text.push('Z');
    }
    text
}

/// A float in a form that reads back as the same float and as a float (`517.0`, not `517`).
pub fn format_float(value: f64) -> String {
    format!("{value:?}")
}

/// The text form of row `row` of `column`, stored as `storage`, or `None` when missing: the
/// form the CSV writer writes and the readers read back to the same value. A float NaN is a
/// missing value, as everywhere in Synthgate.
pub fn format_cell(column: &dyn Array, storage: StorageType, row: usize) -> Option<String> {
    if column.is_null(row) {
        return None;
    }
    Some(match storage {
        StorageType::Int64 => column.as_primitive::<Int64Type>().value(row).to_string(),
        StorageType::Float64 => {
            let value = column.as_primitive::<Float64Type>().value(row);
            if value.is_nan() {
                return None;
            }
            format_float(value)
        }
        StorageType::Boolean => column.as_boolean().value(row).to_string(),
        StorageType::String => column.as_string::<i32>().value(row).to_string(),
        StorageType::Date => format_date(column.as_primitive::<Date32Type>().value(row)),
        StorageType::Timestamp | StorageType::TimestampUtc => format_timestamp(
            column.as_primitive::<TimestampMicrosecondType>().value(row),
            storage == StorageType::TimestampUtc,
        ),
    })
}

/// Parse the TOML document `text` (read from `path`) as a `T`: a syntax error, an unknown key or
/// a wrong type becomes a spec error naming the file, the line and, on a `key = value` line,
/// the key; `what` names the document ("pipeline spec") and `hint` says where to look.
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &std::path::Path,
    what: &str,
    hint: &str,
) -> crate::Result<T> {
    toml::from_str(text).map_err(|error| {
        let mut location = crate::Location::file(path);
        let mut key = String::new();
        if let Some(span) = error.span() {
            let line = crate::error::line_of(text, span.start);
            location = location.line(line);
            if let Some((name, _)) = text
                .lines()
                .nth(line as usize - 1)
                .and_then(|l| l.split_once('='))
            {
                key = format!(" (key `{}`)", name.trim());
            }
        }
        crate::Error::spec(format!(
            "this {what} is not valid{key}: {}",
            error.message().trim_end()
        ))
        .at(location)
        .hint(hint.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn integers_are_strict() {
        assert_eq!(parse_int("517"), Some(517));
        assert_eq!(parse_int("-3"), Some(-3));
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("02139"), None);
        assert_eq!(parse_int("517.0"), None);
        assert_eq!(parse_int("1e3"), None);
        assert_eq!(parse_int(""), None);
        assert_eq!(parse_int("99999999999999999999"), None);
    }

    #[test]
    fn integers_beyond_64_bits() {
        for big in [
            "94719271504320872445",
            "-94719271504320872445",
            "9223372036854775808",
            "+18446744073709551616",
        ] {
            assert!(is_integer_beyond_i64(big), "{big}");
        }
        for other in [
            "9223372036854775807",
            "-9223372036854775808",
            "0",
            "094719271504320872445",
            "9.4e19",
            "",
            "-",
            "12a",
        ] {
            assert!(!is_integer_beyond_i64(other), "{other}");
        }
    }

    #[test]
    fn infinities() {
        for (text, value) in [
            ("inf", f64::INFINITY),
            ("+Inf", f64::INFINITY),
            ("-inf", f64::NEG_INFINITY),
            ("INFINITY", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
        ] {
            assert_eq!(parse_infinity(text), Some(value), "{text}");
        }
        for other in ["info", "in", "--inf", "nan", "1e999", ""] {
            assert_eq!(parse_infinity(other), None, "{other}");
        }
        assert!(is_float_beyond_f64("1e400") && is_float_beyond_f64("-2.5E999"));
        for other in ["1e300", "inf", "1e", "abc", "0x1p9999"] {
            assert!(!is_float_beyond_f64(other), "{other}");
        }
    }

    #[test]
    fn floats_are_strict() {
        assert_eq!(parse_float("517.0"), Some(517.0));
        assert_eq!(parse_float("-1.5e3"), Some(-1500.0));
        assert_eq!(parse_float(".5"), Some(0.5));
        assert_eq!(parse_float("0.25"), Some(0.25));
        assert_eq!(parse_float("5."), Some(5.0));
        for bad in [
            "inf", "NaN", "007.5", ".", "-", "1.2.3", "e5", "1e", "0x10", "1,5",
        ] {
            assert_eq!(parse_float(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_and_timestamps() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2013-01-01"), Some(15706));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2024-02-29"), Some(19782));
        let stamp = parse_timestamp("2013-01-01T10:00:00Z").expect("valid");
        assert_eq!(stamp.micros, 15706 * MICROS_PER_DAY + 10 * 3_600_000_000);
        assert!(stamp.zoned);
        let shifted = parse_timestamp("2013-01-01T12:00:00+02:00").expect("valid");
        assert_eq!(shifted.micros, stamp.micros);
        let naive = parse_timestamp("2013-01-01 10:00").expect("valid");
        assert!(!naive.zoned);
        assert_eq!(naive.micros, stamp.micros);
        assert_eq!(
            parse_timestamp("2013-01-01T10:00:00.5Z").map(|t| t.micros - stamp.micros),
            Some(500_000)
        );
        assert_eq!(parse_timestamp("2013-01-01T25:00:00"), None);
        assert_eq!(format_timestamp(stamp.micros, true), "2013-01-01T10:00:00Z");
        assert_eq!(
            format_timestamp(stamp.micros + 1, false),
            "2013-01-01T10:00:00.000001"
        );
        assert_eq!(format_date(-1), "1969-12-31");
    }

    proptest! {
        #[test]
        fn civil_round_trip(days in -1_000_000i64..1_000_000) {
            let (year, month, day) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(year, month, day), days);
        }

        #[test]
        fn timestamp_text_round_trip(micros in -10_000_000_000_000_000i64..10_000_000_000_000_000, utc: bool) {
            let text = format_timestamp(micros, utc);
            let parsed = parse_timestamp(&text).expect("own output parses");
            prop_assert_eq!(parsed.micros, micros);
            prop_assert_eq!(parsed.zoned, utc);
        }

        #[test]
        fn float_text_round_trip(value in proptest::num::f64::NORMAL | proptest::num::f64::ZERO) {
            let text = format_float(value);
            prop_assert_eq!(parse_float(&text), Some(value));
        }

        #[test]
        fn parsers_never_panic(text in "\\PC{0,40}") {
            let _ = (parse_int(&text), parse_float(&text), parse_bool(&text));
            let _ = (parse_date(&text), parse_timestamp(&text));
        }
    }
}
