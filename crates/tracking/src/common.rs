//! Pieces every tracking aggregate shares: date ranges, the list cursor and validation glue.
//! Syncable-row bookkeeping lives in `lifeos_kernel::sync_row`.

use lifeos_kernel::error::Validator;
use lifeos_kernel::page::{PageParams, PageRequest};
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use crate::error::{Result, TrackingError};

/// Lists are ordered by (date, id); the cursor is the last row's pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateCursor {
    pub date: Date,
    pub id: Uuid,
}

/// An inclusive date range from `?from=&to=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateRange {
    pub from: Option<Date>,
    pub to: Option<Date>,
}

impl DateRange {
    pub fn new(from: Option<Date>, to: Option<Date>) -> Result<Self> {
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(TrackingError::invalid("from", "must not be after `to`"));
        }
        Ok(Self { from, to })
    }
}

pub fn page(
    limit: Option<u32>,
    cursor: Option<String>,
) -> std::result::Result<PageRequest<DateCursor>, lifeos_kernel::AppError> {
    PageParams { limit, cursor }.parse()
}

/// `?from=&to=&limit=&cursor=` for lists ordered by date.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DateListParams {
    /// First date (inclusive).
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub from: Option<Date>,
    /// Last date (inclusive).
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub to: Option<Date>,
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl DateListParams {
    pub fn page(&self) -> std::result::Result<PageRequest<DateCursor>, lifeos_kernel::AppError> {
        page(self.limit, self.cursor.clone())
    }
}

pub fn finish(v: &mut Validator) -> Result<()> {
    v.finish().map_err(|e| TrackingError::Invalid(e.errors))
}

/// Optional free text: at most `max` characters.
pub fn check_text(v: &mut Validator, value: Option<&str>, field: &str, max: usize) {
    if let Some(text) = value {
        v.length(text, field, 0, max);
    }
}
