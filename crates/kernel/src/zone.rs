//! Users' time zones (IANA names, resolved with the bundled tz database so results do
//! not depend on the host's /usr/share/zoneinfo).

use jiff::tz::TimeZone;

/// Resolves an IANA zone name such as `Europe/Berlin`; `None` if unknown.
pub fn resolve(name: &str) -> Option<TimeZone> {
    if name.is_empty() || name.len() > 64 {
        return None;
    }
    jiff::tz::db().get(name).ok()
}

pub fn is_valid(name: &str) -> bool {
    resolve(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_iana_names_only() {
        assert!(is_valid("UTC"));
        assert!(is_valid("Europe/Berlin"));
        assert!(is_valid("America/Argentina/Buenos_Aires"));
        assert!(!is_valid("Mars/Olympus_Mons"));
        assert!(!is_valid(""));
        assert!(!is_valid("../../etc/passwd"));
    }
}
