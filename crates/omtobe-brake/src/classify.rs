//! Which calendar events are high-stakes.
//!
//! Titles are classified on arrival and then dropped (data minimisation): only the flag
//! computed here is stored, so this is the one place that ever looks at a title.

/// The keywords a person starts with; they can replace them in their settings.
pub const DEFAULT_KEYWORDS: [&str; 4] = ["Board", "Negotiation", "Review", "High-Stakes"];

/// The default keywords as owned strings, the form [`Settings`](crate::machine::Settings)
/// keeps.
pub fn default_keywords() -> Vec<String> {
    DEFAULT_KEYWORDS.iter().map(|k| (*k).to_owned()).collect()
}

/// True when `title` contains one of `keywords` as a whole word (case-insensitive), or
/// starts with `!` once surrounding whitespace is trimmed.
///
/// A whole word means the characters right before and after the match are not letters
/// or digits (or are the ends of the title), so `Review` does not match `Reviewer` but
/// `Board` matches `Q3 board meeting` and `board-meeting`. A keyword may itself contain
/// non-alphanumeric characters (`High-Stakes`). Keywords are trimmed; blank ones are
/// ignored, because an empty keyword would otherwise match every title.
pub fn is_high_stakes(title: &str, keywords: &[String]) -> bool {
    if title.trim().starts_with('!') {
        return true;
    }
    // Lower-casing can change byte lengths (e.g. `İ`), so both sides are lowered first
    // and the boundaries are checked in the lowered title, never in the original.
    let title = title.to_lowercase();
    keywords.iter().any(|keyword| {
        let keyword = keyword.trim().to_lowercase();
        !keyword.is_empty() && contains_word(&title, &keyword)
    })
}

fn contains_word(haystack: &str, word: &str) -> bool {
    let mut from = 0;
    while let Some(found) = haystack.get(from..).and_then(|rest| rest.find(word)) {
        let start = from + found;
        let end = start + word.len();
        let before_ok = haystack
            .get(..start)
            .and_then(|s| s.chars().next_back())
            .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = haystack
            .get(end..)
            .and_then(|s| s.chars().next())
            .is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            return true;
        }
        // Advance by one character, not by the match: a rejected match may overlap an
        // accepted one (keyword `a a` in `aa a a`).
        let step = haystack
            .get(start..)
            .and_then(|s| s.chars().next())
            .map_or(1, char::len_utf8);
        from = start + step;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Vec<String> {
        default_keywords()
    }

    fn hs(title: &str) -> bool {
        is_high_stakes(title, &defaults())
    }

    #[test]
    fn matches_keywords_as_words_case_insensitively() {
        assert!(hs("Q3 board meeting"));
        assert!(hs("BOARD"));
        assert!(hs("Salary negotiation with Alex"));
        assert!(hs("Code review"));
        assert!(hs("review"));
        assert!(hs("(Review)"));
        assert!(hs("board-meeting prep"));
        assert!(hs("Pre-board sync"));
        assert!(hs("annual_review"));
    }

    #[test]
    fn rejects_keywords_inside_longer_words() {
        assert!(!hs("Reviewer onboarding"));
        assert!(!hs("Preview the deck"));
        assert!(!hs("Boardroom cleaning"));
        assert!(!hs("Keyboard shopping"));
        assert!(!hs("Renegotiations"));
        assert!(!hs("board2 planning"));
        assert!(!hs("Lunch"));
        assert!(!hs(""));
    }

    #[test]
    fn hyphenated_keywords_match_whole() {
        assert!(hs("High-Stakes pitch"));
        assert!(hs("a HIGH-STAKES call"));
        assert!(hs("high-stakes"));
        assert!(!hs("high stakes call"));
        assert!(!hs("high-stakesy"));
        assert!(!hs("ultrahigh-stakes"));
    }

    #[test]
    fn a_leading_exclamation_mark_marks_high_stakes() {
        assert!(hs("!Dentist"));
        assert!(hs("   ! call mum"));
        assert!(hs("\t!"));
        assert!(!hs("Dentist!"));
        assert!(!hs("Call ! mum"));
    }

    #[test]
    fn exclamation_mark_counts_even_without_keywords() {
        assert!(is_high_stakes("!x", &[]));
        assert!(!is_high_stakes("Board", &[]));
    }

    #[test]
    fn custom_keywords_are_trimmed_and_blank_ones_ignored() {
        let keywords = vec!["  Pitch ".to_owned(), "   ".to_owned(), String::new()];
        assert!(is_high_stakes("Investor pitch", &keywords));
        assert!(!is_high_stakes("Lunch with Sam", &keywords));
        assert!(!is_high_stakes("", &keywords));
    }

    #[test]
    fn multi_word_and_non_ascii_keywords() {
        let keywords = vec!["Jahresgespräch".to_owned(), "due diligence".to_owned()];
        assert!(is_high_stakes("JAHRESGESPRÄCH mit Chefin", &keywords));
        assert!(!is_high_stakes("Jahresgesprächsvorbereitung", &keywords));
        assert!(is_high_stakes("Due Diligence call", &keywords));
        assert!(!is_high_stakes("Due diligences", &keywords));
        // Letters of any script count as word characters.
        assert!(!is_high_stakes("éreview", &defaults()));
        assert!(is_high_stakes("«Review»", &defaults()));
    }

    #[test]
    fn overlapping_candidates_are_all_tried() {
        let keywords = vec!["a a".to_owned()];
        assert!(is_high_stakes("aa a a", &keywords));
        assert!(!is_high_stakes("aa aa", &keywords));
    }

    #[test]
    fn lowercasing_that_changes_lengths_does_not_panic() {
        let keywords = vec!["i\u{307}stanbul".to_owned(), "ǅ".to_owned()];
        assert!(is_high_stakes("İSTANBUL trip", &keywords));
        assert!(!is_high_stakes("İİİİ ǄǄ", &keywords));
        assert!(is_high_stakes("ǆ", &keywords));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_agrees_with_a_naive_word_split(
            title in "\\PC{0,40}",
            keyword in "[a-zA-Z]{1,8}",
        ) {
            let got = is_high_stakes(&title, std::slice::from_ref(&keyword));
            // For a purely alphanumeric ASCII keyword, "whole word" is exactly "one of
            // the alphanumeric runs of the title equals it".
            let naive = title.trim().starts_with('!')
                || title
                    .to_lowercase()
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|w| w == keyword.to_lowercase());
            proptest::prop_assert_eq!(got, naive);
        }
    }
}
