//! PATCH semantics: an absent field leaves a value alone, `null` clears it.
//!
//! Use on `Option<Option<T>>` fields with `#[serde(default, deserialize_with = "present")]`:
//! absent → `None`, `null` → `Some(None)`, a value → `Some(Some(v))`.

use serde::{Deserialize, Deserializer};

pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Patch {
        #[serde(default, deserialize_with = "super::present")]
        name: Option<Option<String>>,
    }

    #[test]
    fn absent_null_and_value_differ() {
        let parse = |json: &str| serde_json::from_str::<Patch>(json).unwrap().name;
        assert_eq!(parse("{}"), None);
        assert_eq!(parse(r#"{"name": null}"#), Some(None));
        assert_eq!(parse(r#"{"name": "Ada"}"#), Some(Some("Ada".into())));
    }
}
