//! A snapshot's checksum: SHA-256 (hex) of its canonical JSON, so any client can verify
//! it whatever order its JSON library writes members in: object keys sorted (by their
//! UTF-8 bytes) at every depth, no whitespace, strings and numbers as serde_json writes
//! them.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// `value` as canonical JSON text.
pub fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, member)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write(member, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// SHA-256 (lowercase hex) of `value`'s canonical JSON, leaving out its top-level
/// `checksum` member (the snapshot's own checksum is not part of what it sums).
pub fn checksum(value: &Value) -> String {
    let text = match value {
        Value::Object(map) if map.contains_key("checksum") => {
            let mut without = map.clone();
            without.remove("checksum");
            canonical(&Value::Object(without))
        }
        other => canonical(other),
    };
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_are_sorted_at_every_depth_without_whitespace() {
        let value = json!({"b": [3, {"z": null, "a": "x\"y"}], "a": {"d": 1.5, "c": true}});
        assert_eq!(
            canonical(&value),
            r#"{"a":{"c":true,"d":1.5},"b":[3,{"a":"x\"y","z":null}]}"#
        );
    }

    #[test]
    fn the_sum_ignores_member_order_and_the_checksum_member() {
        let one = json!({"a": 1, "b": {"y": 2, "x": 3}});
        let two = json!({"checksum": "whatever", "b": {"x": 3, "y": 2}, "a": 1});
        assert_eq!(checksum(&one), checksum(&two));
        assert_ne!(
            checksum(&one),
            checksum(&json!({"a": 2, "b": {"y": 2, "x": 3}}))
        );
    }

    #[test]
    fn the_sum_is_sha256_hex_of_the_canonical_text() {
        // sha256("{}")
        assert_eq!(
            checksum(&json!({})),
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }
}
