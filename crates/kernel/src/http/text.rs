//! One rule for text on both dialects: control characters other than tab, line feed and
//! carriage return are refused (422 `invalid_text`) before any handler sees a request.
//! PostgreSQL cannot store NUL in text at all, and no person types the others; refusing
//! them in the extractors keeps the dialects alike and every handler free of the check.

use serde_json::Value;

/// What the contract states for every request string: no character [`allowed`] refuses
/// (`char::is_control` is U+0000-U+001F and U+007F-U+009F).
pub const PATTERN: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";

/// The contract's name for [`json_value_schema`].
pub const JSON_VALUE_SCHEMA: &str = "kernel.JsonValue";

/// Any JSON value whose strings and member names hold no refused character: what a
/// free-form member (GeoJSON `properties`) may carry. Recursive through its own name.
pub fn json_value_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{
        AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, SchemaType, Type,
    };
    use utoipa::openapi::{Ref, RefOr};
    let text = || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(PATTERN))
    };
    let myself = || RefOr::Ref(Ref::from_schema_name(JSON_VALUE_SCHEMA));
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(SchemaType::Array(vec![
            Type::Number,
            Type::Boolean,
            Type::Null,
        ])))
        .item(text())
        .item(ArrayBuilder::new().items(myself()))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property_names(Some(text()))
                .additional_properties(Some(AdditionalProperties::RefOr(myself()))),
        )
        .description(Some(
            "Any JSON value; text (strings and member names) holds no control characters but tab and newlines.",
        ))
        .build()
        .into()
}

/// Whether `c` may appear in text the API accepts.
pub fn allowed(c: char) -> bool {
    !c.is_control() || matches!(c, '\t' | '\n' | '\r')
}

/// The path of the first string (or object key) in `value` holding a refused character.
pub fn first_invalid(value: &Value) -> Option<String> {
    fn walk(value: &Value, path: &mut String) -> bool {
        match value {
            Value::String(text) => !text.chars().all(allowed),
            Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            Value::Object(members) => members.iter().any(|(key, item)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                let found = !key.chars().all(allowed) || walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            _ => false,
        }
    }
    let mut path = String::new();
    walk(value, &mut path).then(|| {
        if path.is_empty() {
            "body".to_owned()
        } else {
            path
        }
    })
}

/// A cheap pre-check of a JSON text: could it hold a refused character? Raw C0 controls
/// are JSON syntax errors anyway; what can smuggle one in is a `\u` escape (below U+0020,
/// or U+007F..=U+009F), or a raw DEL or C1 character. False means certainly clean.
pub fn json_may_hold_controls(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                if bytes.get(i + 1) == Some(&b'u') {
                    let code = bytes
                        .get(i + 2..i + 6)
                        .and_then(|hex| std::str::from_utf8(hex).ok())
                        .and_then(|hex| u32::from_str_radix(hex, 16).ok());
                    if let Some(code) = code
                        && char::from_u32(code).is_some_and(|c| !allowed(c))
                    {
                        return true;
                    }
                }
                i += 2; // the escaped character is never the start of another escape
            }
            0x7f => return true,
            0xc2 if bytes.get(i + 1).is_some_and(|b| (0x80..=0x9f).contains(b)) => return true,
            _ => i += 1,
        }
    }
    false
}

/// The first percent-decoded piece of a query string or path holding a refused
/// character: the query parameter's name, or `None` when all is clean.
pub fn first_invalid_in_query(query: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let clean = |part: &str| decode(part).chars().all(allowed);
        (!clean(name) || !clean(value)).then(|| decode(name))
    })
}

/// Whether a percent-encoded path holds a refused character.
pub fn path_is_clean(path: &str) -> bool {
    decode(path).chars().all(allowed)
}

/// Percent-decodes (and `+` as space), lossy on invalid UTF-8: enough to look for controls.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => match bytes
                .get(i + 1..i + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                }
                None => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tab_and_newlines_are_text_other_controls_are_not() {
        assert!("a\tb\nc\r".chars().all(allowed));
        for c in ['\0', '\u{1}', '\u{1b}', '\u{7f}', '\u{85}'] {
            assert!(!allowed(c), "{c:?}");
        }
        assert!("Grüße 🚲".chars().all(allowed));
    }

    #[test]
    fn finds_the_field_with_a_nul() {
        let body = json!({ "title": "ok", "items": [{ "note": "fine" }, { "note": "a\u{0}b" }] });
        assert_eq!(first_invalid(&body).as_deref(), Some("items[1].note"));
        assert_eq!(first_invalid(&json!({ "a": ["x", 1, null] })), None);
        assert_eq!(first_invalid(&json!("\u{0}")).as_deref(), Some("body"));
    }

    #[test]
    fn the_precheck_sees_escapes_but_not_escaped_backslashes() {
        assert!(json_may_hold_controls(br#"{"email":"a\u0000@x.com"}"#));
        assert!(json_may_hold_controls(br#"{"t":"\u001B[31m"}"#));
        assert!(json_may_hold_controls("{\"t\":\"\u{85}\"}".as_bytes()));
        assert!(!json_may_hold_controls(
            br#"{"t":"\\u0000 is how you write NUL"}"#
        ));
        assert!(!json_may_hold_controls(
            br#"{"t":"tab\tand\nnewline\u0009\u000A"}"#
        ));
        assert!(!json_may_hold_controls("{\"t\":\"Grüße\"}".as_bytes()));
    }

    #[test]
    fn query_and_path_controls_are_found() {
        assert_eq!(
            first_invalid_in_query("q=%00&limit=5").as_deref(),
            Some("q")
        );
        assert_eq!(first_invalid_in_query("q=caf%C3%A9+au+lait"), None);
        assert!(!path_is_clean("/api/v1/docs/%00"));
        assert!(path_is_clean("/api/v1/day-types/date/2026-02-02"));
    }
}
