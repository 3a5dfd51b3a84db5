//! Hikes: logged by hand (distance, climb, time, a screenshot) or imported from GPX.

pub mod gpx;
pub mod http;
pub mod service;
pub mod store;
pub mod sync;
pub mod validate;

use lifeos_kernel::Timestamp;
use lifeos_kernel::patch::present;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::Date;
use utoipa::ToSchema;
use utoipa::openapi::schema::Schema;
use uuid::Uuid;

pub use service::{Hikes, HikesService, SharedHikes};
pub use validate::{HikeFields, check_geojson_line, validate};

/// Longest plausible hike distance, in km.
pub const MAX_DISTANCE_KM: f64 = 500.0;
pub const MAX_ELEVATION_GAIN_M: i32 = 20_000;
/// 14 days.
pub const MAX_DURATION_MINUTES: i32 = 14 * 24 * 60;
pub const MAX_URL_LEN: usize = 500;
/// Largest GPX upload.
pub const MAX_GPX_BYTES: usize = 10 * 1024 * 1024;

lifeos_kernel::text_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = tracking::HikeSource)]
    pub enum HikeSource {
        Manual = "manual",
        Gpx = "gpx",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::Hike)]
pub struct Hike {
    pub id: Uuid,
    /// The day of the hike.
    pub date: Date,
    pub started_at: Option<Timestamp>,
    /// Kilometres (stored exactly as whole metres).
    pub distance_km: f64,
    pub elevation_gain_m: Option<i32>,
    pub duration_minutes: Option<i32>,
    pub screenshot_url: Option<String>,
    /// GeoJSON `LineString` (or `MultiLineString` for a GPX with several segments).
    #[schema(value_type = Option<GeoJsonLine>)]
    pub track: Option<Value>,
    pub source: HikeSource,
    pub notes: Option<String>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A hike's `track` as the API answers it: a GeoJSON geometry (RFC 7946) whose positions
/// are `[longitude, latitude]` or `[longitude, latitude, elevation]`. Other members a client
/// sent (`bbox`, `properties`) are kept as sent. The contract's type only: the track is
/// stored and answered as the JSON it was given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type")]
#[schema(as = tracking::GeoJsonLine)]
pub enum GeoJsonLine {
    /// One line (a GPX with one segment): at least two positions.
    LineString { coordinates: Vec<Vec<f64>> },
    /// Several lines (a GPX with several segments or tracks).
    MultiLineString { coordinates: Vec<Vec<Vec<f64>>> },
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::NewHike)]
pub struct NewHike {
    pub id: Option<Uuid>,
    #[serde(deserialize_with = "lifeos_kernel::date::in_range")]
    pub date: Date,
    pub started_at: Option<Timestamp>,
    #[schema(minimum = 0, maximum = 500, example = 8.5)]
    pub distance_km: f64,
    #[schema(minimum = 0, maximum = 20000)]
    pub elevation_gain_m: Option<i32>,
    #[schema(minimum = 0, maximum = 20160)]
    pub duration_minutes: Option<i32>,
    /// An https URL, at most 500 characters.
    #[schema(
        pattern = "^https://[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?(/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?$",
        max_length = 500
    )]
    pub screenshot_url: Option<String>,
    #[schema(schema_with = track_schema)]
    pub track: Option<Value>,
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::HikePatch)]
pub struct HikePatch {
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub date: Option<Date>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Timestamp>)]
    pub started_at: Option<Option<Timestamp>>,
    #[schema(minimum = 0, maximum = 500)]
    pub distance_km: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 20000)]
    pub elevation_gain_m: Option<Option<i32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 20160)]
    pub duration_minutes: Option<Option<i32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = "^https://[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?(/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?$", max_length = 500)]
    pub screenshot_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = track_schema)]
    pub track: Option<Option<Value>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub notes: Option<Option<String>>,
}

/// Metres from the kilometres clients send (8.5 → 8500).
pub fn km_to_m(km: f64) -> i32 {
    // Validated to 0..=500 km before, so the cast cannot truncate.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "bounded to 0..=500_000 by validation"
    )]
    let metres = (km * 1000.0).round() as i32;
    metres
}

pub fn m_to_km(metres: i32) -> f64 {
    f64::from(metres) / 1000.0
}

/// A hike's stored values, for insert and update alike (the distance in whole metres).
#[derive(Debug, Clone, PartialEq)]
pub struct HikeValues {
    pub date: Date,
    pub started_at: Option<Timestamp>,
    pub distance_m: i32,
    pub elevation_gain_m: Option<i32>,
    pub duration_minutes: Option<i32>,
    pub screenshot_url: Option<String>,
    pub track: Option<Value>,
    pub notes: Option<String>,
}

impl HikeValues {
    /// The values as validation sees them.
    pub fn fields(&self) -> HikeFields<'_> {
        HikeFields {
            distance_km: m_to_km(self.distance_m),
            elevation_gain_m: self.elevation_gain_m,
            duration_minutes: self.duration_minutes,
            screenshot_url: self.screenshot_url.as_deref(),
            track: self.track.as_ref(),
            notes: self.notes.as_deref(),
        }
    }
}

/// The `track` a request may carry, as `validate::check_geojson_line` takes it: a GeoJSON
/// LineString (at least two positions) or MultiLineString, positions [longitude, latitude]
/// or [longitude, latitude, elevation] in range; null clears it.
fn track_schema() -> Schema {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{
        AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, SchemaType, Type,
    };
    let number = |min: f64, max: f64| {
        Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .minimum(Some(min))
                .maximum(Some(max))
                .build(),
        )
    };
    let position = ArrayBuilder::new()
        .prefix_items([number(-180.0, 180.0), number(-90.0, 90.0)])
        .items(ObjectBuilder::new().schema_type(Type::Number))
        .min_items(Some(2))
        .max_items(Some(3));
    let line = ArrayBuilder::new()
        .items(position)
        .min_items(Some(2))
        .max_items(Some(gpx::MAX_POINTS))
        .build();
    let geometry = |kind: &str, coordinates: utoipa::openapi::schema::Array| {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(
                "type",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([kind])),
            )
            .property("coordinates", coordinates)
            .required("type")
            .required("coordinates")
            // Other members (GeoJSON's `properties`, `bbox`) are kept as sent.
            .additional_properties(Some(AdditionalProperties::RefOr(RefOr::Ref(
                utoipa::openapi::Ref::from_schema_name(
                    lifeos_kernel::http::text::JSON_VALUE_SCHEMA,
                ),
            ))))
            .property_names(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(lifeos_kernel::http::text::PATTERN)),
            ))
    };
    OneOfBuilder::new()
        .item(geometry("LineString", line.clone()))
        .item(geometry(
            "MultiLineString",
            ArrayBuilder::new()
                .items(utoipa::openapi::RefOr::T(Schema::Array(line)))
                .build(),
        ))
        .item(ObjectBuilder::new().schema_type(SchemaType::Type(Type::Null)))
        .description(Some(
            "A GeoJSON LineString (at least two positions) or MultiLineString; positions are \
             [longitude, latitude] or [longitude, latitude, elevation]; null clears it.",
        ))
        .build()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kilometres_round_trip_exactly_through_metres() {
        for km in [0.0, 8.5, 12.345, 499.999, 500.0] {
            assert_eq!(m_to_km(km_to_m(km)), km);
        }
    }
}
