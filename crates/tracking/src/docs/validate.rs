//! Doc requests' validation: pure checks, field names as in the request JSON.

use lifeos_kernel::error::Validator;

use super::{DocValues, MAX_BODY_BYTES};
use crate::common;
use crate::error::Result;

/// Longest title, in characters (checked trimmed).
pub const MAX_TITLE_CHARS: usize = 200;

/// A doc as it will be stored.
pub fn validate(doc: &DocValues) -> Result<()> {
    let mut v = Validator::new();
    v.length(doc.title.trim(), "title", 1, MAX_TITLE_CHARS);
    v.check(
        doc.body.len() <= MAX_BODY_BYTES,
        "body",
        "must be at most 1 MiB",
    );
    common::finish(&mut v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TrackingError;

    #[test]
    fn a_doc_needs_a_title_and_at_most_a_mebibyte_of_body() {
        let doc = DocValues {
            title: "Plan".into(),
            body: "x".repeat(MAX_BODY_BYTES),
            track_id: None,
            node_id: None,
        };
        assert!(validate(&doc).is_ok());
        let bad = DocValues {
            title: "   ".into(),
            body: "x".repeat(MAX_BODY_BYTES + 1),
            ..doc
        };
        let Err(TrackingError::Invalid(errors)) = validate(&bad) else {
            panic!("expected invalid");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "body"]);
    }
}
