//! "Did you mean" suggestions for key names.

/// Below this Jaro-Winkler similarity two names are unrelated; at 0.8 a
/// truncated name (`key2-pass` for `key2-password`) still matches.
const MIN_SIMILARITY: f64 = 0.8;

/// `no key "pasword"; it has password, username; did you mean "password"?`:
/// what a Secret lacks, the keys it has, and the closest of them.
pub fn absent_key<'a>(key: &str, present: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = present.into_iter().collect();
    let hint =
        closest(key, names.iter().copied()).map(|close| format!("; did you mean {close:?}?")).unwrap_or_default();
    format!("no key {key:?}; it has {}{hint}", names.join(", "))
}

/// The candidate spelled most like `wanted`, if any is close enough. Ties go
/// to the earliest candidate, so the answer is deterministic.
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .filter(|candidate| *candidate != wanted)
        .map(|candidate| (strsim::jaro_winkler(wanted, candidate), candidate))
        .filter(|(similarity, _)| *similarity >= MIN_SIMILARITY)
        .fold(None, |best: Option<(f64, &str)>, (similarity, candidate)| match best {
            Some((best_similarity, _)) if best_similarity >= similarity => best,
            _ => Some((similarity, candidate)),
        })
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_spelling() {
        let produced = ["username", "password", "key2-user", "key2-password", "key2-secret"];
        assert_eq!(closest("key2-pass", produced), Some("key2-password"));
        assert_eq!(closest("pasword", produced), Some("password"));
    }

    #[test]
    fn suggests_nothing_for_unrelated_names() {
        assert_eq!(closest("endpoint", ["username", "password"]), None);
        assert_eq!(closest("x", []), None);
    }
}
