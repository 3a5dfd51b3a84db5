//! Cursor pagination: `?limit=&cursor=` in, `{items, nextCursor}` out.
//!
//! A cursor is the sort key of the last row served, as base64url JSON. It is opaque to
//! clients; stores fetch `limit + 1` rows to learn whether another page exists.

use crate::error::CommonCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::error::FieldError;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The `nextCursor` of the previous page; empty or absent for the first.
    pub cursor: Option<String>,
}

/// A validated page request with the decoded cursor.
#[derive(Debug, Clone)]
pub struct PageRequest<C> {
    pub limit: u32,
    pub after: Option<C>,
}

impl PageParams {
    pub fn parse<C: DeserializeOwned>(&self) -> Result<PageRequest<C>, AppError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(invalid(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        // An empty cursor is the first page, so `?cursor=${nextCursor ?? ""}` works.
        let after = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(text) => Some(
                decode_cursor(text)
                    .ok_or_else(|| invalid("cursor", "is not a cursor this API issued".into()))?,
            ),
        };
        Ok(PageRequest { limit, after })
    }
}

fn invalid(field: &str, message: String) -> AppError {
    let mut error = AppError::validation(vec![FieldError {
        field: field.into(),
        message,
    }]);
    error.code = CommonCode::InvalidQuery.as_str();
    error
}

fn decode_cursor<C: DeserializeOwned>(text: &str) -> Option<C> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[expect(
    clippy::expect_used,
    reason = "cursors are plain structs of dates, ids and numbers: serialising cannot fail"
)]
pub fn encode_cursor<C: Serialize>(cursor: &C) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).expect("cursor keys serialise"))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in order.
    pub fn from_rows<C: Serialize>(mut rows: Vec<T>, limit: u32, key: impl Fn(&T) -> C) -> Self {
        let limit = limit as usize;
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| encode_cursor(&key(last)))
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }

    /// A complete, single-page list.
    pub fn all(items: Vec<T>) -> Self {
        Page {
            items,
            next_cursor: None,
        }
    }
}

/// Every item of a keyset-paged list, `limit` at a time: `fetch` answers one page and
/// `key` gives an item's sort key, the next page's `after`. For callers inside the server
/// (a CLI listing, a composed answer) that need the whole list, not a client's page.
pub async fn all_pages<T, C, E, Fut>(
    limit: u32,
    key: impl Fn(&T) -> C,
    mut fetch: impl FnMut(PageRequest<C>) -> Fut,
) -> Result<Vec<T>, E>
where
    Fut: Future<Output = Result<Page<T>, E>>,
{
    let mut items = Vec::new();
    let mut after = None;
    loop {
        let page = fetch(PageRequest { limit, after }).await?;
        let more = page.next_cursor.is_some();
        after = page.items.last().map(&key);
        items.extend(page.items);
        if !more || after.is_none() {
            return Ok(items);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn all_pages_follows_the_cursor_to_the_last_page() {
        let rows: Vec<u32> = (1..=7).collect();
        let mut requests = Vec::new();
        let all = all_pages(
            3,
            |n: &u32| *n,
            |page: PageRequest<u32>| {
                requests.push(page.after);
                let after = page.after.unwrap_or(0);
                let rest: Vec<u32> = rows
                    .iter()
                    .copied()
                    .filter(|n| *n > after)
                    .take(4)
                    .collect();
                std::future::ready(Ok::<_, ()>(Page::from_rows(rest, page.limit, |n| *n)))
            },
        )
        .await
        .unwrap();
        assert_eq!(all, rows);
        assert_eq!(requests, [None, Some(3), Some(6)]);
    }

    #[test]
    fn next_cursor_only_when_more_rows_exist() {
        let page = Page::from_rows(vec![1, 2, 3], 2, |n| *n);
        assert_eq!(page.items, vec![1, 2]);
        let params = PageParams {
            limit: Some(2),
            cursor: page.next_cursor.clone(),
        };
        assert_eq!(params.parse::<i32>().unwrap().after, Some(2));

        let last = Page::from_rows(vec![1, 2], 2, |n| *n);
        assert!(last.next_cursor.is_none());
    }

    #[test]
    fn limits_and_cursors_are_validated() {
        let zero = PageParams {
            limit: Some(0),
            cursor: None,
        };
        assert_eq!(zero.parse::<i32>().unwrap_err().code, "invalid_query");
        let big = PageParams {
            limit: Some(501),
            cursor: None,
        };
        assert!(big.parse::<i32>().is_err());
        let junk = PageParams {
            limit: None,
            cursor: Some("%%%".into()),
        };
        assert_eq!(junk.parse::<i32>().unwrap_err().errors[0].field, "cursor");
        assert_eq!(PageParams::default().parse::<i32>().unwrap().limit, 50);
        let empty = PageParams {
            limit: None,
            cursor: Some(String::new()),
        };
        assert!(empty.parse::<i32>().unwrap().after.is_none());
    }
}
