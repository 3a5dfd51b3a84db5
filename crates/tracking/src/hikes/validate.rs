//! Hike requests' validation: pure checks over what a hike carries, however it arrives
//! (by hand or from GPX), with field names as in the request JSON.

use lifeos_kernel::error::Validator;
use serde_json::Value;

use super::{MAX_DISTANCE_KM, MAX_DURATION_MINUTES, MAX_ELEVATION_GAIN_M, MAX_URL_LEN, gpx};
use crate::common;
use crate::error::Result;

/// The fields every hike must satisfy, however it arrives.
#[derive(Debug, Clone, Copy)]
pub struct HikeFields<'a> {
    pub distance_km: f64,
    pub elevation_gain_m: Option<i32>,
    pub duration_minutes: Option<i32>,
    pub screenshot_url: Option<&'a str>,
    pub track: Option<&'a Value>,
    pub notes: Option<&'a str>,
}

pub fn validate(fields: HikeFields<'_>) -> Result<()> {
    let mut v = Validator::new();
    v.check(
        fields.distance_km.is_finite() && (0.0..=MAX_DISTANCE_KM).contains(&fields.distance_km),
        "distanceKm",
        format!("must be between 0 and {MAX_DISTANCE_KM} km"),
    );
    if let Some(gain) = fields.elevation_gain_m {
        v.check(
            (0..=MAX_ELEVATION_GAIN_M).contains(&gain),
            "elevationGainM",
            format!("must be between 0 and {MAX_ELEVATION_GAIN_M}"),
        );
    }
    if let Some(minutes) = fields.duration_minutes {
        v.check(
            (0..=MAX_DURATION_MINUTES).contains(&minutes),
            "durationMinutes",
            "must be between 0 and 20160 (14 days)",
        );
    }
    if let Some(url) = fields.screenshot_url {
        v.check(
            is_https_url(url),
            "screenshotUrl",
            format!("must be an https URL of at most {MAX_URL_LEN} characters"),
        );
    }
    if let Some(track) = fields.track
        && let Err(message) = check_geojson_line(track)
    {
        v.check(false, "track", message);
    }
    common::check_text(&mut v, fields.notes, "notes", 2000);
    common::finish(&mut v)
}

fn is_https_url(text: &str) -> bool {
    text.len() <= MAX_URL_LEN
        && url::Url::parse(text).is_ok_and(|url| {
            url.scheme() == "https" && url.host_str().is_some_and(|h| !h.is_empty())
        })
}

/// Accepts a GeoJSON `LineString` or `MultiLineString` geometry with [lon, lat(, ele)] positions.
pub fn check_geojson_line(track: &Value) -> std::result::Result<(), String> {
    let kind = track.get("type").and_then(Value::as_str);
    let coordinates = track
        .get("coordinates")
        .and_then(Value::as_array)
        .ok_or("needs `coordinates`")?;
    let lines: Vec<&Vec<Value>> = match kind {
        Some("LineString") => vec![coordinates],
        Some("MultiLineString") => coordinates
            .iter()
            .map(|l| l.as_array().ok_or("each line must be an array"))
            .collect::<std::result::Result<_, _>>()?,
        _ => return Err("must be a GeoJSON LineString or MultiLineString".into()),
    };
    let points: usize = lines.iter().map(|l| l.len()).sum();
    if points > gpx::MAX_POINTS {
        return Err(format!("at most {} points", gpx::MAX_POINTS));
    }
    for line in lines {
        if line.len() < 2 {
            return Err("each line needs at least two positions".into());
        }
        for position in line {
            let numbers: Vec<f64> = position
                .as_array()
                .map(|p| p.iter().filter_map(Value::as_f64).collect())
                .unwrap_or_default();
            let valid = matches!(numbers.len(), 2 | 3)
                && position
                    .as_array()
                    .is_some_and(|p| p.len() == numbers.len())
                && (-180.0..=180.0).contains(&numbers[0])
                && (-90.0..=90.0).contains(&numbers[1]);
            if !valid {
                return Err("positions are [longitude, latitude] or [longitude, latitude, elevation] in range".into());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn absurd_values_are_rejected() {
        let base = HikeFields {
            distance_km: 8.5,
            elevation_gain_m: Some(450),
            duration_minutes: Some(135),
            screenshot_url: None,
            track: None,
            notes: None,
        };
        assert!(validate(base).is_ok());
        assert!(
            validate(HikeFields {
                distance_km: -1.0,
                ..base
            })
            .is_err()
        );
        assert!(
            validate(HikeFields {
                distance_km: 500.1,
                ..base
            })
            .is_err()
        );
        assert!(
            validate(HikeFields {
                distance_km: f64::NAN,
                ..base
            })
            .is_err()
        );
        assert!(
            validate(HikeFields {
                duration_minutes: Some(20161),
                ..base
            })
            .is_err()
        );
        assert!(
            validate(HikeFields {
                screenshot_url: Some("http://example.com/a.png"),
                ..base
            })
            .is_err()
        );
        assert!(
            validate(HikeFields {
                screenshot_url: Some("https://example.com/a.png"),
                ..base
            })
            .is_ok()
        );
        let long = format!("https://example.com/{}", "a".repeat(500));
        assert!(
            validate(HikeFields {
                screenshot_url: Some(&long),
                ..base
            })
            .is_err()
        );
    }

    #[test]
    fn geojson_lines_are_checked() {
        assert!(
            check_geojson_line(
                &json!({"type": "LineString", "coordinates": [[11.0, 47.0], [11.0, 47.001, 610.5]]})
            )
            .is_ok()
        );
        assert!(check_geojson_line(&json!({"type": "MultiLineString", "coordinates": [[[11.0, 47.0], [11.0, 47.001]], [[12.0, 47.0], [12.0, 47.1]]]})).is_ok());
        assert!(
            check_geojson_line(&json!({"type": "Point", "coordinates": [11.0, 47.0]})).is_err()
        );
        assert!(
            check_geojson_line(&json!({"type": "LineString", "coordinates": [[11.0, 47.0]]}))
                .is_err()
        );
        assert!(
            check_geojson_line(
                &json!({"type": "LineString", "coordinates": [[200.0, 47.0], [11.0, 47.0]]})
            )
            .is_err()
        );
        assert!(
            check_geojson_line(
                &json!({"type": "LineString", "coordinates": [["a", 47.0], [11.0, 47.0]]})
            )
            .is_err()
        );
    }
}
