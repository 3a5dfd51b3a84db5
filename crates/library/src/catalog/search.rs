//! Search ranking: pure, so both dialects rank alike by construction (ADR 0015).
//!
//! The database only finds candidates: the rows whose search text holds any trigram of a
//! query word (pg_trgm's GIN index on PostgreSQL, an FTS5 trigram table on SQLite; both
//! answer the same set). This module scores them. A query word matches an item word by
//! pg_trgm-style trigram similarity, so "chiken" still finds "chicken"; an item scores
//! the mean of its query words' best matches, so word order does not matter.

use std::collections::BTreeSet;

use uuid::Uuid;

/// Items scoring below this are not results: they share a trigram and little else.
pub const MIN_SCORE: f64 = 0.4;

/// Matches in the name count fully; in the rest of the search text (group, local names,
/// muscles...) they count this much.
const OTHER_TEXT_WEIGHT: f64 = 0.8;

/// Longest query the search accepts, in characters.
pub const MAX_QUERY_CHARS: usize = 100;

/// Lower-case ASCII words: accents folded, punctuation as spaces.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match fold(c) {
            Some(folded) => out.push_str(folded),
            None if c.is_ascii_alphanumeric() => out.push(c),
            None => out.push(' '),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Latin letters with marks, and the Greek letters food and vitamin names use.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => "a",
        'ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'ē' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ī' => "i",
        'ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' => "u",
        'ý' | 'ÿ' => "y",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'α' => "alpha",
        'β' => "beta",
        'γ' => "gamma",
        'δ' => "delta",
        'ω' => "omega",
        'µ' | 'μ' => "u",
        _ => return None,
    })
}

/// The words of a query, normalised, without repeats.
pub fn query_words(query: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    normalise(query)
        .split(' ')
        .filter(|word| !word.is_empty() && seen.insert(word.to_owned()))
        .map(str::to_owned)
        .collect()
}

/// The trigrams the database looks for: every three-letter window of every query word of
/// three letters or more. Empty when all words are shorter (the store then falls back to
/// a substring scan).
pub fn candidate_trigrams(words: &[String]) -> Vec<String> {
    let mut grams = BTreeSet::new();
    for word in words {
        let chars: Vec<char> = word.chars().collect();
        for window in chars.windows(3) {
            grams.insert(window.iter().collect::<String>());
        }
    }
    grams.into_iter().collect()
}

/// pg_trgm's trigrams of one word: padded with two spaces before and one after.
fn padded_trigrams(word: &str) -> BTreeSet<[char; 3]> {
    let padded: Vec<char> = "  "
        .chars()
        .chain(word.chars())
        .chain(std::iter::once(' '))
        .collect();
    padded.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}

/// How alike two words are, 0..=1: the best of shared trigrams over all trigrams
/// (pg_trgm's `similarity`), a prefix ("chick" in "chickpea") and a typo within the
/// edits a word of its length allows ("chiken" for "chicken").
pub fn word_similarity(query_word: &str, item_word: &str) -> f64 {
    if query_word == item_word {
        return 1.0;
    }
    let query_chars: Vec<char> = query_word.chars().collect();
    let item_chars: Vec<char> = item_word.chars().collect();
    let typo = typo_similarity(&query_chars, &item_chars);
    let a = padded_trigrams(query_word);
    let b = padded_trigrams(item_word);
    let shared = a.intersection(&b).count();
    let all = a.union(&b).count();
    let trigram = if all == 0 {
        0.0
    } else {
        shared as f64 / all as f64
    };
    let prefix = if query_word.len() >= 3 && item_word.starts_with(query_word) {
        0.9
    } else {
        0.0
    };
    trigram.max(prefix).max(typo)
}

/// 0.85 for one edit, 0.7 for two, where the query word is long enough to carry them
/// (one edit from 4 letters, two from 7: fewer would make every short word match).
fn typo_similarity(query_word: &[char], item_word: &[char]) -> f64 {
    let allowed = match query_word.len() {
        0..=3 => 0,
        4..=6 => 1,
        _ => 2,
    };
    // Each edit changes the length by one at most: most words are out of reach.
    if allowed == 0 || query_word.len().abs_diff(item_word.len()) > allowed {
        return 0.0;
    }
    match edit_distance(query_word, item_word) {
        edits if edits > allowed => 0.0,
        1 => 0.85,
        2 => 0.7,
        _ => 0.0,
    }
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
/// neighbours, each one edit. Three rolling rows on the stack: this runs for many word
/// pairs a search, and catalog words are short (a longer one is simply out of reach).
fn edit_distance(a: &[char], b: &[char]) -> usize {
    const MAX: usize = 48;
    let width = b.len() + 1;
    if width > MAX || a.len() >= MAX {
        return usize::MAX;
    }
    // rows[(i + 1) % 3] is row i - 2, rows[(i + 2) % 3] row i - 1, rows[i % 3] row i.
    let mut rows = [[0usize; MAX]; 3];
    for (j, cell) in rows[0].iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        let (before, previous, current) = ((i + 1) % 3, (i + 2) % 3, i % 3);
        rows[current][0] = i;
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[previous][j] + 1)
                .min(rows[current][j - 1] + 1)
                .min(rows[previous][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[before][j - 2] + 1);
            }
            rows[current][j] = best;
        }
    }
    rows[a.len() % 3][b.len()]
}

/// One row the database found, with the text it is searched by.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: Uuid,
    pub name: String,
    pub search_text: String,
}

/// How well an item answers the query words, 0..=1 (plus a small bonus, below).
pub fn score(words: &[String], candidate: &Candidate) -> f64 {
    if words.is_empty() {
        return 0.0;
    }
    let name = normalise(&candidate.name);
    let name_words: Vec<&str> = name.split(' ').collect();
    let other_words: Vec<&str> = candidate.search_text.split(' ').collect();
    let best = |word: &str, pool: &[&str]| {
        pool.iter()
            .map(|item| word_similarity(word, item))
            .fold(0.0, f64::max)
    };
    let total: f64 = words
        .iter()
        .map(|word| best(word, &name_words).max(OTHER_TEXT_WEIGHT * best(word, &other_words)))
        .sum();
    with_focus(total, words.len(), name_words.len())
}

/// The candidates that answer the query, best first; ties by name, then id, so the
/// order is total and the same on both dialects.
pub fn rank(words: &[String], candidates: Vec<Candidate>) -> Vec<(Candidate, f64)> {
    let mut scored: Vec<(Candidate, f64)> = candidates
        .into_iter()
        .map(|candidate| {
            let score = score(words, &candidate);
            (candidate, score)
        })
        .filter(|(_, score)| *score >= MIN_SCORE)
        .collect();
    scored.sort_by(|(a, sa), (b, sb)| {
        sb.total_cmp(sa)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.id.cmp(&b.id))
    });
    scored
}

/// A kind's search text, split and pre-digested once: every distinct word with its
/// trigrams, and each item as word numbers. The catalog is read-only between seed loads,
/// so [`SearchIndex::rank`] only compares each query word with each distinct word of the
/// candidates once, instead of once per occurrence (the same scores as [`rank`]).
#[derive(Debug, Clone)]
pub struct SearchIndex {
    /// The seed checksum the index was built from: a newer load makes it stale.
    pub checksum: String,
    words: Vec<IndexedWord>,
    items: std::collections::HashMap<Uuid, IndexedItem>,
}

#[derive(Debug, Clone)]
struct IndexedWord {
    text: String,
    chars: Vec<char>,
    trigrams: Vec<[char; 3]>,
}

#[derive(Debug, Clone)]
struct IndexedItem {
    name: String,
    name_words: Vec<u32>,
    /// How many words the name has (repeats counted, as [`score`] counts them).
    name_length: usize,
    other_words: Vec<u32>,
}

impl IndexedWord {
    fn new(word: &str) -> Self {
        IndexedWord {
            text: word.to_owned(),
            chars: word.chars().collect(),
            trigrams: padded_trigrams(word).into_iter().collect(),
        }
    }
}

impl SearchIndex {
    pub fn build(checksum: String, rows: Vec<Candidate>) -> Self {
        let mut numbers = std::collections::HashMap::<String, u32>::new();
        let mut words = Vec::new();
        let mut number = |word: &str| -> u32 {
            if let Some(n) = numbers.get(word) {
                return *n;
            }
            let n = u32::try_from(words.len()).unwrap_or(u32::MAX);
            words.push(IndexedWord::new(word));
            numbers.insert(word.to_owned(), n);
            n
        };
        let mut items = std::collections::HashMap::with_capacity(rows.len());
        for row in rows {
            let name = normalise(&row.name);
            let name_length = name.split(' ').count();
            let mut name_words: Vec<u32> = name.split(' ').map(&mut number).collect();
            let mut other_words: Vec<u32> = row.search_text.split(' ').map(&mut number).collect();
            name_words.sort_unstable();
            name_words.dedup();
            other_words.sort_unstable();
            other_words.dedup();
            items.insert(
                row.id,
                IndexedItem {
                    name: row.name,
                    name_words,
                    name_length,
                    other_words,
                },
            );
        }
        SearchIndex {
            checksum,
            words,
            items,
        }
    }

    /// [`rank`] of the items `ids`; `None` when one of them is not in the index (it is
    /// stale).
    pub fn rank(&self, query: &[String], ids: &[Uuid]) -> Option<Vec<(Uuid, f64)>> {
        if query.is_empty() {
            return Some(Vec::new());
        }
        let query: Vec<IndexedWord> = query.iter().map(|q| IndexedWord::new(q)).collect();
        // One similarity per query word and distinct word, computed when first needed.
        let mut memo = vec![f64::NAN; query.len() * self.words.len()];
        let mut similarity = |q: usize, w: u32| -> f64 {
            let at = q * self.words.len() + w as usize;
            if memo[at].is_nan() {
                let word = &self.words[w as usize];
                memo[at] = similarity_of(&query[q], word);
            }
            memo[at]
        };
        let mut scored = Vec::with_capacity(ids.len());
        for id in ids {
            let item = self.items.get(id)?;
            let mut total = 0.0;
            for q in 0..query.len() {
                let best_name = item
                    .name_words
                    .iter()
                    .map(|w| similarity(q, *w))
                    .fold(0.0, f64::max);
                let best_other = item
                    .other_words
                    .iter()
                    .map(|w| similarity(q, *w))
                    .fold(0.0, f64::max);
                total += best_name.max(OTHER_TEXT_WEIGHT * best_other);
            }
            let score = with_focus(total, query.len(), item.name_length);
            if score >= MIN_SCORE {
                scored.push((*id, score, item));
            }
        }
        scored.sort_by(|(a, sa, ia), (b, sb, ib)| {
            sb.total_cmp(sa)
                .then_with(|| ia.name.cmp(&ib.name))
                .then_with(|| a.cmp(b))
        });
        Some(
            scored
                .into_iter()
                .map(|(id, score, _)| (id, score))
                .collect(),
        )
    }
}

/// [`word_similarity`] of two words already split into characters and trigrams.
fn similarity_of(query_word: &IndexedWord, item_word: &IndexedWord) -> f64 {
    if query_word.text == item_word.text {
        return 1.0;
    }
    let shared = shared_count(&query_word.trigrams, &item_word.trigrams);
    let all = query_word.trigrams.len() + item_word.trigrams.len() - shared;
    let trigram = if all == 0 {
        0.0
    } else {
        shared as f64 / all as f64
    };
    let prefix = if query_word.text.len() >= 3 && item_word.text.starts_with(&query_word.text) {
        0.9
    } else {
        0.0
    };
    trigram
        .max(prefix)
        .max(typo_similarity(&query_word.chars, &item_word.chars))
}

/// How many items two sorted, distinct lists share.
fn shared_count(a: &[[char; 3]], b: &[[char; 3]]) -> usize {
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared
}

/// The mean of the query words' best matches, plus the bonus for names that are mostly
/// the query.
fn with_focus(total: f64, query_words: usize, name_words: usize) -> f64 {
    let mean = total / query_words as f64;
    // Among equal matches, the item whose name is mostly the query comes first:
    // "Chicken, breast" before "Chicken, breast, with skin, fried".
    let focus = query_words as f64 / name_words.max(query_words) as f64;
    mean + 0.05 * focus
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(name: &str, extra: &str) -> Candidate {
        Candidate {
            // Distinct names, distinct ids.
            id: Uuid::from_u128(
                name.bytes()
                    .fold(7u128, |h, b| h.wrapping_mul(31) + u128::from(b)),
            ),
            name: name.to_owned(),
            search_text: normalise(&format!("{name} {extra}")),
        }
    }

    fn names(words: &[String], items: Vec<Candidate>) -> Vec<String> {
        rank(words, items)
            .into_iter()
            .map(|(c, _)| c.name)
            .collect()
    }

    #[test]
    fn edit_distances_count_each_kind_of_edit_once() {
        let distance = |a: &str, b: &str| {
            let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            edit_distance(&a, &b)
        };
        assert_eq!(distance("chicken", "chicken"), 0);
        assert_eq!(distance("chiken", "chicken"), 1, "an insertion");
        assert_eq!(distance("chicken", "chiken"), 1, "a deletion");
        assert_eq!(distance("rice", "rise"), 1, "a substitution");
        assert_eq!(distance("spinahc", "spinach"), 1, "a swap of neighbours");
        assert_eq!(distance("brest", "breast"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(
            distance(&"a".repeat(60), "a"),
            usize::MAX,
            "too long to compare"
        );
    }

    #[test]
    fn the_index_ranks_exactly_as_the_plain_ranking() {
        let items = vec![
            candidate("Chicken, leg, skinless", "poultry chicken leg"),
            candidate("Chicken, breast, skinless", "poultry"),
            candidate("Kitchen salt", "condiments"),
            candidate("Breast milk", "milk breast"),
            candidate("Rice, raw, milled", "cereals"),
            candidate("Rice flakes", "cereals rice"),
        ];
        let ids: Vec<Uuid> = items.iter().map(|c| c.id).collect();
        let index = SearchIndex::build("sum".into(), items.clone());
        for query in [
            "chiken brest",
            "rice",
            "milk",
            "ric",
            "salt kitchen",
            "zz",
            "a b",
        ] {
            let words = query_words(query);
            let plain: Vec<(Uuid, f64)> = rank(&words, items.clone())
                .into_iter()
                .map(|(c, score)| (c.id, score))
                .collect();
            assert_eq!(index.rank(&words, &ids), Some(plain), "{query}");
        }
        assert_eq!(
            index.rank(&query_words("rice"), &[Uuid::from_u128(999)]),
            None
        );
    }

    #[test]
    fn normalising_folds_case_marks_and_punctuation() {
        assert_eq!(normalise("Crème  Brûlée, (Fresh)"), "creme brulee fresh");
        assert_eq!(normalise("α-Tocopherol"), "alpha tocopherol");
    }

    #[test]
    fn query_trigrams_cover_every_word() {
        let words = query_words("Chiken brest");
        assert_eq!(words, ["chiken", "brest"]);
        assert_eq!(
            candidate_trigrams(&words),
            ["bre", "chi", "est", "hik", "ike", "ken", "res"]
        );
        assert!(candidate_trigrams(&query_words("ox")).is_empty());
    }

    #[test]
    fn a_typo_still_matches_its_word() {
        assert_eq!(word_similarity("chiken", "chicken"), 0.85);
        assert_eq!(word_similarity("brest", "breast"), 0.85);
        assert_eq!(word_similarity("spinahc", "spinach"), 0.85);
        assert!(word_similarity("chiken", "kitchen") < 0.3);
        assert!(word_similarity("rce", "rice") < 0.5);
        assert_eq!(word_similarity("rice", "rice"), 1.0);
        assert_eq!(word_similarity("chick", "chickpea"), 0.9);
    }

    #[test]
    fn misspelt_words_in_any_order_find_chicken_breast_first() {
        let items = vec![
            candidate("Chicken, leg, skinless", "poultry"),
            candidate("Chicken, breast, skinless", "poultry"),
            candidate("Kitchen salt", "condiments"),
            candidate("Breast milk", "milk"),
        ];
        let ranked = names(&query_words("brest chiken"), items.clone());
        assert_eq!(ranked[0], "Chicken, breast, skinless");
        assert_eq!(names(&query_words("chiken brest"), items), ranked);
    }

    #[test]
    fn names_outrank_the_rest_of_the_search_text() {
        let items = vec![
            candidate("Bengal gram, whole", "grain legumes"),
            candidate("Green gram, whole", "grain legumes"),
            candidate("Legume soup", "soups"),
        ];
        assert_eq!(names(&query_words("legume"), items)[0], "Legume soup");
    }

    #[test]
    fn unrelated_candidates_are_dropped_and_ties_order_by_name() {
        let items = vec![
            candidate("Rice, raw, milled", "cereals"),
            candidate("Orange juice", "fruits"),
            candidate("Rice, parboiled", "cereals"),
        ];
        let ranked = names(&query_words("rice"), items);
        assert_eq!(ranked, ["Rice, parboiled", "Rice, raw, milled"]);
    }
}
