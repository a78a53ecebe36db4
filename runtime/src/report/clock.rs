//! Wall-clock time as UTC text without a date library: `20261203-145501` for folder names and
//! RFC 3339 for manifests.

use std::time::{SystemTime, UNIX_EPOCH};

/// (year, month, day, hour, minute, second) of a Unix time in seconds.
fn civil(secs: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days_from_civil, inverted.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, (rem / 3600) as u32, (rem / 60 % 60) as u32, (rem % 60) as u32)
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `YYYYmmdd-HHMMSS` in UTC.
pub fn stamp() -> String {
    let (y, mo, d, h, mi, s) = civil(now_secs());
    format!("{y:04}{mo:02}{d:02}-{h:02}{mi:02}{s:02}")
}

/// RFC 3339 in UTC.
pub fn rfc3339() -> String {
    rfc3339_of(now_secs())
}

pub fn rfc3339_of(secs: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_instants_format_as_utc() {
        assert_eq!(super::rfc3339_of(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339_of(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::rfc3339_of(1_796_308_501), "2026-12-03T14:35:01Z");
    }
}
