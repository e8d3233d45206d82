//! Time zones (SPEC.md §2.10): times are stored UTC and shown in the reader's zone — the one chosen on
//! Account, else the main zone of the organisation's country, else UTC.

use chrono::{NaiveDateTime, Offset, TimeZone};
pub use chrono_tz::Tz;

/// The zone most of a country's people live by (IANA names); countries not listed show UTC.
const BY_COUNTRY: &[(&str, Tz)] = &[
    ("AE", Tz::Asia__Dubai),
    ("AR", Tz::America__Argentina__Buenos_Aires),
    ("AT", Tz::Europe__Vienna),
    ("AU", Tz::Australia__Sydney),
    ("BE", Tz::Europe__Brussels),
    ("BR", Tz::America__Sao_Paulo),
    ("CA", Tz::America__Toronto),
    ("CH", Tz::Europe__Zurich),
    ("CN", Tz::Asia__Shanghai),
    ("CZ", Tz::Europe__Prague),
    ("DE", Tz::Europe__Berlin),
    ("DK", Tz::Europe__Copenhagen),
    ("ES", Tz::Europe__Madrid),
    ("FI", Tz::Europe__Helsinki),
    ("FR", Tz::Europe__Paris),
    ("GB", Tz::Europe__London),
    ("HK", Tz::Asia__Hong_Kong),
    ("ID", Tz::Asia__Jakarta),
    ("IE", Tz::Europe__Dublin),
    ("IL", Tz::Asia__Jerusalem),
    ("IN", Tz::Asia__Kolkata),
    ("IT", Tz::Europe__Rome),
    ("JP", Tz::Asia__Tokyo),
    ("KR", Tz::Asia__Seoul),
    ("MO", Tz::Asia__Macau),
    ("MX", Tz::America__Mexico_City),
    ("MY", Tz::Asia__Kuala_Lumpur),
    ("NL", Tz::Europe__Amsterdam),
    ("NO", Tz::Europe__Oslo),
    ("NZ", Tz::Pacific__Auckland),
    ("PH", Tz::Asia__Manila),
    ("PL", Tz::Europe__Warsaw),
    ("PT", Tz::Europe__Lisbon),
    ("SA", Tz::Asia__Riyadh),
    ("SE", Tz::Europe__Stockholm),
    ("SG", Tz::Asia__Singapore),
    ("TH", Tz::Asia__Bangkok),
    ("TR", Tz::Europe__Istanbul),
    ("TW", Tz::Asia__Taipei),
    ("US", Tz::America__New_York),
    ("VN", Tz::Asia__Ho_Chi_Minh),
    ("ZA", Tz::Africa__Johannesburg),
];

/// The main zone of a country (ISO 3166-1 alpha-2), or UTC.
pub fn for_country(code: &str) -> Tz {
    BY_COUNTRY
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map_or(Tz::UTC, |(_, tz)| *tz)
}

/// An IANA zone name as the Account form sends it.
pub fn parse(name: &str) -> Option<Tz> {
    name.trim().parse::<Tz>().ok()
}

/// The zone of a user: their own choice, else their organisation's country's.
pub fn of_user(chosen: Option<&str>, country: Option<&str>) -> Tz {
    chosen
        .and_then(parse)
        .or_else(|| country.map(for_country))
        .unwrap_or(Tz::UTC)
}

/// A UTC instant as wall-clock time in `tz`.
pub fn local(at: &NaiveDateTime, tz: Tz) -> NaiveDateTime {
    tz.from_utc_datetime(at).naive_local()
}

/// The UTC instant a day starts in `tz` (its first valid local time).
pub fn start_of_day(day: chrono::NaiveDate, tz: Tz) -> NaiveDateTime {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&midnight)
        .earliest()
        .map_or(midnight, |t| t.naive_utc())
}

/// The offset at that instant, as shown beside a time: `UTC`, `UTC+08:00`, `UTC−05:00`.
pub fn offset_label(at: &NaiveDateTime, tz: Tz) -> String {
    let seconds = tz.from_utc_datetime(at).offset().fix().local_minus_utc();
    if seconds == 0 {
        return "UTC".to_owned();
    }
    let sign = if seconds < 0 { '−' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Every zone, by name (the Account form's choices).
pub fn all() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_come_from_the_choice_then_the_country() {
        assert_eq!(
            of_user(Some("Europe/Berlin"), Some("TW")),
            Tz::Europe__Berlin
        );
        assert_eq!(of_user(Some("Mars/Olympus"), Some("TW")), Tz::Asia__Taipei);
        assert_eq!(of_user(None, Some("tw")), Tz::Asia__Taipei);
        assert_eq!(of_user(None, Some("AQ")), Tz::UTC);
        assert_eq!(of_user(None, None), Tz::UTC);
    }

    #[test]
    fn instants_show_in_the_zone_with_its_offset_that_day() {
        let at = NaiveDateTime::parse_from_str("2027-01-08 00:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(
            local(&at, Tz::Asia__Taipei).to_string(),
            "2027-01-08 08:00:00"
        );
        assert_eq!(offset_label(&at, Tz::Asia__Taipei), "UTC+08:00");
        assert_eq!(offset_label(&at, Tz::America__New_York), "UTC−05:00");
        let summer =
            NaiveDateTime::parse_from_str("2027-07-08 00:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(offset_label(&summer, Tz::America__New_York), "UTC−04:00");
        assert_eq!(offset_label(&at, Tz::UTC), "UTC");
        assert!(all().any(|z| z == "Asia/Taipei"));
    }
}
