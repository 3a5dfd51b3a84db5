//! The per-field merge of documents, without SQL: a write sets the top-level fields it
//! names (a `null` removes one) and stamps each with its version, so a later write from a
//! device that saw an older version can tell which fields changed under it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// The version that last wrote each top-level field of a document's `data` (a removed
/// field keeps the version of its removal).
pub type FieldVersions = BTreeMap<String, i64>;

/// A document's merged state: its data and the version of each field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Merged {
    pub data: Map<String, Value>,
    pub field_versions: FieldVersions,
}

impl Merged {
    /// Writes `patch` at `version`: each named field is set, or removed when `null`, and
    /// remembers `version`; fields the patch does not name keep their value and version.
    pub fn write(&mut self, patch: &Map<String, Value>, version: i64) {
        for (field, value) in patch {
            if value.is_null() {
                self.data.remove(field);
            } else {
                self.data.insert(field.clone(), value.clone());
            }
            self.field_versions.insert(field.clone(), version);
        }
    }

    /// A new document's state: `data` written at `version` (its `null`s dropped).
    pub fn created(data: &Map<String, Value>, version: i64) -> Self {
        let mut merged = Self::default();
        merged.write(data, version);
        merged
    }

    /// The server's values of those fields of `incoming` written after `base_version`
    /// that differ from the incoming values (an absent field counts as `null`): what an
    /// update from a device that last saw `base_version` overwrites. A field the server
    /// has not touched since then is the device's alone, however it differs.
    pub fn changed_since(
        &self,
        base_version: i64,
        incoming: &Map<String, Value>,
    ) -> Map<String, Value> {
        incoming
            .iter()
            .filter(|(field, _)| {
                self.field_versions
                    .get(*field)
                    .is_some_and(|v| *v > base_version)
            })
            .filter_map(|(field, value)| {
                let server = self.data.get(field).cloned().unwrap_or(Value::Null);
                (server != *value).then(|| (field.clone(), server))
            })
            .collect()
    }
}

/// The size of `data` serialised as JSON, in bytes (what the 256 KiB limit counts).
pub fn serialised_len(data: &Map<String, Value>) -> usize {
    serde_json::to_vec(data).map_or(usize::MAX, |bytes| bytes.len())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn a_write_sets_removes_and_stamps_only_what_it_names() {
        let mut doc = Merged::created(&object(json!({"a": 1, "b": [1, 2], "gone": null})), 3);
        assert_eq!(
            Value::Object(doc.data.clone()),
            json!({"a": 1, "b": [1, 2]})
        );
        assert_eq!(doc.field_versions.get("gone"), Some(&3));

        doc.write(&object(json!({"b": null, "c": {"x": true}})), 7);
        assert_eq!(
            Value::Object(doc.data.clone()),
            json!({"a": 1, "c": {"x": true}})
        );
        assert_eq!(doc.field_versions.get("a"), Some(&3));
        assert_eq!(doc.field_versions.get("b"), Some(&7));
        assert_eq!(doc.field_versions.get("c"), Some(&7));
    }

    #[test]
    fn only_fields_written_after_the_base_and_different_conflict() {
        let mut doc = Merged::created(&object(json!({"a": 1, "b": 2, "c": 3})), 1);
        doc.write(&object(json!({"b": 20, "c": null})), 5);
        let incoming = object(json!({"a": 100, "b": 200, "c": 300, "new": 1}));
        // `a` changed only on the device; `b` and `c` on both sides.
        assert_eq!(
            Value::Object(doc.changed_since(1, &incoming)),
            json!({"b": 20, "c": null})
        );
        // A device that saw version 5 overwrites nothing it did not see.
        assert!(doc.changed_since(5, &incoming).is_empty());
        // The same value written on both sides is no conflict.
        assert!(
            doc.changed_since(1, &object(json!({"b": 20, "c": null})))
                .is_empty()
        );
    }

    #[test]
    fn size_counts_the_serialised_json() {
        assert_eq!(
            serialised_len(&object(json!({"a": "xy"}))),
            r#"{"a":"xy"}"#.len()
        );
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::from),
            "[a-z]{0,4}".prop_map(Value::from),
            any::<bool>().prop_map(Value::from),
        ]
    }

    fn patch() -> impl Strategy<Value = Map<String, Value>> {
        prop::collection::btree_map("[a-e]", value(), 0..5)
            .prop_map(|fields| fields.into_iter().collect())
    }

    proptest! {
        /// Two devices patch one document from the same base; the server applies one
        /// then the other. The result holds every field only one of them wrote, the
        /// later write wins each field both wrote, and what the later write overwrote is
        /// exactly the earlier one's differing values of the fields both wrote.
        #[test]
        fn concurrent_writes_merge_per_field(base in patch(), first in patch(), second in patch()) {
            let mut doc = Merged::created(&base, 1);
            let before = doc.clone();
            doc.write(&first, 2);
            let overwritten = doc.changed_since(1, &second);
            doc.write(&second, 3);

            for (field, value) in &second {
                prop_assert_eq!(doc.data.get(field), (!value.is_null()).then_some(value));
                prop_assert_eq!(doc.field_versions.get(field), Some(&3));
            }
            for (field, value) in first.iter().filter(|(f, _)| !second.contains_key(*f)) {
                prop_assert_eq!(doc.data.get(field), (!value.is_null()).then_some(value));
            }
            for (field, value) in before.data.iter().filter(|(f, _)| !first.contains_key(*f) && !second.contains_key(*f)) {
                prop_assert_eq!(doc.data.get(field), Some(value));
            }
            let expected: Map<String, Value> = second
                .iter()
                .filter(|(f, v)| first.get(*f).is_some_and(|w| w != *v))
                .map(|(f, _)| (f.clone(), first[f].clone()))
                .collect();
            prop_assert_eq!(overwritten, expected);
            prop_assert!(doc.data.values().all(|v| !v.is_null()));
        }
    }
}
