//! The opaque pull cursor: the position `(after, floor)` a client continues from.
//!
//! `after` is the last version the client has; `floor` is the user's version when the
//! client's full pull began (tombstones at or below it are never sent: the client never
//! had those rows). The text is `p1` + both numbers as 16 hex digits + a 2-digit check,
//! so a cursor a client mangled or made up is refused rather than silently misread.

use crate::error::{Result, SyncError};

const PREFIX: &str = "p1";
const LEN: usize = PREFIX.len() + 16 + 16 + 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The client has every change with a version up to this one.
    pub after: i64,
    /// Tombstones with versions up to this one are skipped.
    pub floor: i64,
}

impl Cursor {
    /// The start of a full pull of a user whose current version is `floor`.
    pub fn full(floor: i64) -> Self {
        Self { after: 0, floor }
    }

    /// The position of a client holding the user's state as of `version` (a snapshot's).
    pub fn at(version: i64) -> Self {
        Self {
            after: version,
            floor: version,
        }
    }

    pub fn encode(self) -> String {
        let body = format!("{PREFIX}{:016x}{:016x}", self.after, self.floor);
        let check = check(&body);
        format!("{body}{check:02x}")
    }

    /// The cursor `text` encodes; [`SyncError::CursorInvalid`] for anything this server
    /// did not give out.
    pub fn decode(text: &str) -> Result<Self> {
        parse(text).ok_or(SyncError::CursorInvalid)
    }
}

fn parse(text: &str) -> Option<Cursor> {
    if text.len() != LEN || !text.is_ascii() || !text.starts_with(PREFIX) {
        return None;
    }
    let (body, sum) = text.split_at(LEN - 2);
    if u8::from_str_radix(sum, 16).ok()? != check(body) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        let digits = &body[range];
        // from_str_radix accepts a leading sign; a cursor never has one.
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        i64::try_from(u64::from_str_radix(digits, 16).ok()?).ok()
    };
    let after = number(2..18)?;
    let floor = number(18..34)?;
    (after >= 0 && floor >= 0).then_some(Cursor { after, floor })
}

/// A byte that changes with any single changed character (a rotating sum).
fn check(body: &str) -> u8 {
    body.bytes()
        .fold(0x5a_u8, |acc, byte| acc.rotate_left(3) ^ byte)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_cursor_reads_back() {
        let cursor = Cursor {
            after: 42,
            floor: 7,
        };
        let text = cursor.encode();
        assert_eq!(text.len(), LEN);
        assert_eq!(Cursor::decode(&text).unwrap(), cursor);
    }

    #[test]
    fn garbage_is_refused() {
        let good = Cursor { after: 3, floor: 9 }.encode();
        for bad in [
            "",
            "p1",
            "hello",
            &good[..good.len() - 1],
            &format!("{good}0"),
            &good.to_uppercase(),
            &good.replacen("p1", "p2", 1),
            &format!("p1{}{}00", "-".repeat(16), "0".repeat(16)),
            &format!("p1{}{}00", "f".repeat(16), "0".repeat(16)),
        ] {
            assert!(
                matches!(Cursor::decode(bad), Err(SyncError::CursorInvalid)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn one_changed_digit_is_noticed() {
        let good = Cursor {
            after: 1234,
            floor: 99,
        }
        .encode();
        for at in 2..good.len() {
            let mut bytes = good.clone().into_bytes();
            bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
            let changed = String::from_utf8(bytes).unwrap();
            assert!(Cursor::decode(&changed).is_err(), "{changed}");
        }
    }

    proptest! {
        #[test]
        fn every_position_round_trips(after in 0..=i64::MAX, floor in 0..=i64::MAX) {
            let cursor = Cursor { after, floor };
            prop_assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        }

        #[test]
        fn random_text_never_panics(text in "\\PC{0,40}") {
            let _ = Cursor::decode(&text);
        }
    }
}
