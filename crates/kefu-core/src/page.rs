//! Keyset pagination: `limit` and an opaque `cursor` (the last id seen), so pages stay stable
//! while rows are added and cost no OFFSET scan.

use crate::error::Invalid;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// A validated page request: rows with id greater than `after`, at most `limit` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub after: i64,
    pub limit: u32,
}

impl PageRequest {
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<PageRequest, Invalid> {
        let limit = match limit {
            None | Some("") => DEFAULT_LIMIT,
            Some(s) => match s.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(Invalid::one(
                        "limit",
                        "out_of_range",
                        format!("limit must be a whole number from 1 to {MAX_LIMIT}"),
                    ));
                }
            },
        };
        let after = match cursor {
            None | Some("") => 0,
            Some(c) => decode_cursor(c)
                .ok_or_else(|| Invalid::one("cursor", "invalid_cursor", "cursor is not one this server issued"))?,
        };
        Ok(PageRequest { after, limit })
    }

    pub fn first(limit: u32) -> PageRequest {
        PageRequest {
            after: 0,
            limit: limit.clamp(1, MAX_LIMIT),
        }
    }
}

/// Cursors are `c` + the last id in hex: opaque to clients, cheap to check.
pub fn encode_cursor(last_id: i64) -> String {
    format!("c{last_id:x}")
}

pub fn decode_cursor(c: &str) -> Option<i64> {
    let hex = c.strip_prefix('c')?;
    if hex.is_empty() || hex.len() > 16 {
        return None;
    }
    i64::from_str_radix(hex, 16).ok().filter(|n| *n > 0)
}

/// Given `limit + 1` rows fetched, the page to return and the cursor of the next page, if any.
pub fn split_page<T>(mut rows: Vec<T>, limit: u32, id: impl Fn(&T) -> i64) -> (Vec<T>, Option<String>) {
    if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        let next = rows.last().map(|r| encode_cursor(id(r)));
        (rows, next)
    } else {
        (rows, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_limits_and_cursors() {
        assert_eq!(
            PageRequest::parse(None, None).unwrap(),
            PageRequest { after: 0, limit: 50 }
        );
        assert_eq!(
            PageRequest::parse(Some("10"), Some(&encode_cursor(255))).unwrap(),
            PageRequest { after: 255, limit: 10 }
        );
        for bad in ["0", "201", "-1", "ten", "1.5"] {
            assert_eq!(
                PageRequest::parse(Some(bad), None).unwrap_err().errors[0].field,
                "limit"
            );
        }
        for bad in ["zzz", "c", "cxyz", "c-1", "c0", "c11111111111111111"] {
            assert_eq!(
                PageRequest::parse(None, Some(bad)).unwrap_err().errors[0].field,
                "cursor",
                "{bad}"
            );
        }
    }

    #[test]
    fn splits_pages() {
        let (rows, next) = split_page(vec![1, 2, 3], 2, |x| *x);
        assert_eq!(rows, vec![1, 2]);
        assert_eq!(next.as_deref().and_then(decode_cursor), Some(2));
        let (rows, next) = split_page(vec![1, 2], 2, |x| *x);
        assert_eq!((rows.len(), next), (2, None));
    }
}
