//! Times: civil dates (days from and to year-month-day), parsing what users
//! put in files, and formatting as RFC 3339. Pure arithmetic on Unix seconds.
//!
//! What offices write is first rewritten to `YYYY-M-D H:M:S`: slashes
//! (`2026/3/1 8:30`), the Chinese form (`2026年3月1日 8时30分`), and Excel
//! serial day numbers (days since 1899-12-30, the 1900 leap-year bug
//! included, fractions for the time of day).

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn num(s: &str, lo: i64, hi: i64) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i64 = s.parse().ok()?;
    (lo..=hi).contains(&v).then_some(v)
}

/// Excel's serial day numbers we accept as times: 20000 (1954-10-03) to
/// 99999 (2173-10-14), so that a year or a small count is never taken for one.
const EXCEL_SERIALS: std::ops::RangeInclusive<f64> = 20_000.0..=99_999.0;

/// An Excel serial day number (`46082.3541666667`) in the zone `offset_s`.
fn excel_serial(s: &str, offset_s: i64) -> Option<i64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    if int.len() != 5 || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) || frac.is_empty() {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    if !EXCEL_SERIALS.contains(&v) {
        return None;
    }
    // day 25569 is 1970-01-01; round to the second (Excel stores ~1e-10 day noise)
    let local = ((v - 25_569.0) * 86_400.0).round() as i64;
    Some(local - offset_s)
}

/// Rewrite `2026/3/1 8:30` and `2026年3月1日 8时30分15秒` as `2026-3-1 8:30:15`.
fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    if s.contains('年') {
        for c in s.chars() {
            match c {
                '年' | '月' => out.push('-'),
                '日' | '号' => out.push(' '),
                '时' | '点' | '分' => out.push(':'),
                '秒' => {}
                c => out.push(c),
            }
        }
    } else {
        let cut = s.find(['T', ' ']).unwrap_or(s.len());
        out.push_str(&s[..cut].replace('/', "-"));
        out.push_str(&s[cut..]);
    }
    let mut parts = out.split_whitespace();
    let date = parts.next().unwrap_or("").trim_end_matches('-').to_owned();
    let clock: String = parts.collect::<Vec<_>>().join("");
    if clock.is_empty() {
        return date;
    }
    let clock = clock.trim_end_matches(':');
    if clock.contains(':') { format!("{date} {clock}") } else { format!("{date} {clock}:00") }
}

/// Parse a time into seconds since the epoch (UTC).
///
/// Accepted: RFC 3339 (`2026-03-01T08:30:00+08:00`, `…Z`, fractional seconds
/// dropped), `YYYY-MM-DD HH:MM[:SS]` and `YYYY-MM-DD` (in the zone
/// `default_offset_s`, east of UTC; also with `/` and without leading zeros:
/// `2026/3/1 8:30`), `2026年3月1日 8时30分`, Excel serial day numbers
/// (20000–99999, fraction = time of day, in the default zone), and integer
/// epoch seconds (9 digits or more).
pub fn parse_time(s: &str, default_offset_s: i64) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.len() >= 9 {
        return s.parse().ok();
    }
    if let Some(t) = excel_serial(s, default_offset_s) {
        return Some(t);
    }
    let normal = if s.contains(['/', '年']) || s.contains("  ") { normalise(s) } else { s.to_owned() };
    let s = normal.as_str();
    let (date, rest) = match s.find(['T', ' ']) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    let mut dp = date.split('-');
    let y = num(dp.next()?, 1, 9999)?;
    let m = num(dp.next()?, 1, 12)?;
    let d = num(dp.next()?, 1, 31)?;
    if dp.next().is_some() {
        return None;
    }
    let (_, m2, d2) = civil_from_days(days_from_civil(y, m, d));
    if (m2, d2) != (m, d) {
        return None; // 2026-02-30
    }
    let mut offset = default_offset_s;
    let mut secs = 0;
    if !rest.is_empty() {
        let (clock, zone) = if let Some(c) = rest.strip_suffix('Z').or_else(|| rest.strip_suffix('z')) {
            (c, Some(0))
        } else if let Some(i) = rest.rfind(['+', '-']) {
            let z = &rest[i + 1..];
            let (hh, mm) = z.split_once(':').unwrap_or((z.get(..2)?, z.get(2..)?));
            let off = num(hh, 0, 14)? * 3600 + num(mm, 0, 59)? * 60;
            (&rest[..i], Some(if rest.as_bytes()[i] == b'-' { -off } else { off }))
        } else {
            (rest, None)
        };
        if let Some(z) = zone {
            offset = z;
        }
        let clock = clock.split('.').next()?;
        let mut cp = clock.split(':');
        let hh = num(cp.next()?, 0, 23)?;
        let mi = num(cp.next()?, 0, 59)?;
        let ss = match cp.next() {
            Some(x) => num(x, 0, 60)?,
            None => 0,
        };
        if cp.next().is_some() {
            return None;
        }
        secs = hh * 3600 + mi * 60 + ss;
    }
    Some(days_from_civil(y, m, d) * 86_400 + secs - offset)
}

/// RFC 3339 in UTC, e.g. `2026-03-01T00:30:00Z`.
pub fn format_time(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// RFC 3339 at a fixed UTC offset (seconds east), e.g. `2026-03-02T00:00:00+08:00`.
pub fn format_time_at(t: i64, offset_s: i64) -> String {
    let l = t + offset_s;
    let (y, m, d) = civil_from_days(l.div_euclid(86_400));
    let s = l.rem_euclid(86_400);
    let (sign, o) = if offset_s < 0 { ('-', -offset_s) } else { ('+', offset_s) };
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}", s / 3600, s / 60 % 60, s % 60, o / 3600, o / 60 % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_forms() {
        // `date -u -d 2010-01-01T06:00:00Z +%s` = 1262325600
        assert_eq!(parse_time("2010-01-01T00:00:00-06:00", 0), Some(1_262_325_600));
        assert_eq!(parse_time("2010-01-01T06:00:00Z", 0), Some(1_262_325_600));
        assert_eq!(parse_time("2010-01-01 14:00:00", 8 * 3600), Some(1_262_325_600));
        assert_eq!(parse_time("2010-01-01T14:00:00.250+08:00", 0), Some(1_262_325_600));
        assert_eq!(parse_time("1262325600", 0), Some(1_262_325_600));
        assert_eq!(parse_time("2026-02-30", 0), None);
        assert_eq!(parse_time("yesterday", 0), None);
        assert_eq!(parse_time("2026-13-01", 0), None);
        assert_eq!(format_time(1_262_325_600), "2010-01-01T06:00:00Z");
        assert_eq!(format_time_at(1_262_325_600, 8 * 3600), "2010-01-01T14:00:00+08:00");
        assert_eq!(format_time_at(1_262_325_600, -6 * 3600), "2010-01-01T00:00:00-06:00");
        assert_eq!(parse_time(&format_time_at(1_262_325_600, -6 * 3600), 0), Some(1_262_325_600));
        for t in [-86_400 * 400, 0, 1_700_000_000, 4_000_000_000] {
            assert_eq!(parse_time(&format_time(t), 0), Some(t));
        }
    }

    #[test]
    fn parses_what_offices_write() {
        let h8 = 8 * 3600;
        // `date -u -d '2026-03-01T08:30:00+08:00' +%s` = 1772325000
        let t = Some(1_772_325_000);
        assert_eq!(parse_time("2026-03-01 08:30:00", h8), t);
        assert_eq!(parse_time("2026/3/1 8:30", h8), t);
        assert_eq!(parse_time("2026/03/01 08:30:00", h8), t);
        assert_eq!(parse_time("2026年3月1日 8时30分", h8), t);
        assert_eq!(parse_time("2026年3月1日8时30分0秒", h8), t);
        assert_eq!(parse_time("2026年3月1日", h8), Some(1_772_325_000 - 8 * 3600 - 30 * 60));
        assert_eq!(parse_time("2026/3/1", h8), parse_time("2026-03-01", h8));
        // Excel: =DATE(2026,3,1)+TIME(8,30,0) is 46082.3541666667
        assert_eq!(parse_time("46082.3541666667", h8), t);
        assert_eq!(parse_time("46082", h8), parse_time("2026-03-01", h8));
        assert_eq!(parse_time("46082.3541666667", 0), Some(1_772_325_000 + h8));
        // not times: a year, a count, a bad day
        assert_eq!(parse_time("2026", h8), None);
        assert_eq!(parse_time("120.5", h8), None);
        assert_eq!(parse_time("2026/2/30 8:30", h8), None);
        assert_eq!(parse_time("2026年13月1日", h8), None);
    }
}
