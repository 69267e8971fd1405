//! `application/x-www-form-urlencoded` bodies read as pairs, keeping repeated keys (checkbox
//! lists), which axum's `Form` (serde_urlencoded) cannot.

pub fn pairs(body: &[u8]) -> Vec<(String, String)> {
    body.split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let mut it = p.splitn(2, |b| *b == b'=');
            let k = decode(it.next()?)?;
            let v = decode(it.next().unwrap_or(b""))?;
            Some((k, v))
        })
        .collect()
}

pub fn field(body: &[u8], name: &str) -> Option<String> {
    pairs(body).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// One name or value: `+` is a space, `%XX` a byte, and the bytes UTF-8. Strict where
/// `percent-encoding` is lenient: a `%` without two hex digits after it, or bytes that are not
/// UTF-8, drop the pair instead of passing through as they are.
fn decode(s: &[u8]) -> Option<String> {
    let malformed = (s.iter().enumerate())
        .any(|(i, &b)| b == b'%' && !s.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)));
    if malformed {
        return None;
    }
    let spaced: Vec<u8> = s.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
    percent_encoding::percent_decode(&spaced)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

/// A value percent-encoded for a query string.
pub fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_pairs() {
        assert_eq!(super::field(b"a=1&csrf=x%2By+z&b=2", "csrf").as_deref(), Some("x+y z"));
        assert_eq!(super::field(b"a=1", "csrf"), None);
        assert_eq!(super::field(b"csrf=%zz", "csrf"), None);
        assert_eq!(super::field(b"csrf=%4", "csrf"), None);
        assert_eq!(super::pairs(b"d=1&d=2").len(), 2);
        assert_eq!(super::field(b"q=%E5%AE%A2%E6%9C%8D", "q").as_deref(), Some("客服"));
        assert_eq!(super::field(b"q=%FF", "q"), None, "not UTF-8");
    }
}
