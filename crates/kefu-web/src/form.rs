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

fn decode(s: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let h = std::str::from_utf8(s.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(h, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
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
    }
}
