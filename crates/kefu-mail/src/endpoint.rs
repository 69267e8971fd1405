//! A mail server named by one URL (`smtp://`, `smtps://`, `imap://`, `imaps://`): host, port, how
//! the connection is protected, credentials, a timeout and, for IMAP, the mailbox. Shared by
//! [`crate::SmtpUrl`] and [`crate::ImapUrl`] so both read their settings by the same rules.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use percent_encoding::percent_decode_str;

/// How long one exchange may take, connection included, unless the URL says `timeout=`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection to the server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text; only for a server on the same machine or a test server (refused with a password elsewhere).
    None,
    /// Plain connection upgraded with STARTTLS, which is required: the exchange fails rather than go on in clear.
    StartTls,
    /// TLS from the first byte (SMTPS on 465, IMAPS on 993).
    Tls,
}

/// A protocol's schemes and default ports (for `tls=none`, `starttls`, `tls`).
pub(crate) struct Protocol {
    pub plain: &'static str,
    pub secure: &'static str,
    pub ports: [u16; 3],
}

pub(crate) const SMTP: Protocol = Protocol {
    plain: "smtp",
    secure: "smtps",
    ports: [25, 587, 465],
};

pub(crate) const IMAP: Protocol = Protocol {
    plain: "imap",
    secure: "imaps",
    ports: [143, 143, 993],
};

/// A parsed server URL. Errors are plain text; the caller names the setting.
pub(crate) struct Endpoint {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<String>,
    pub timeout: Duration,
    /// The percent-decoded path without its leading `/` (empty when none).
    pub path: String,
}

impl Endpoint {
    /// `scheme://user:pass@host:port/path?tls=none|starttls|tls&timeout=SECONDS`:
    /// - `tls` defaults to `starttls` for the plain scheme and `tls` for the secure one, which
    ///   takes no other value; the port defaults by protocol and mode.
    /// - User name and password are percent-decoded (`p%40ss` is `p@ss`); a password needs a user name.
    /// - `timeout` is whole seconds, 1 to 600 (default 30).
    /// - A password with `tls=none` is refused unless the host is a loopback address.
    /// - Unknown query keys are refused (a typo such as `tsl=none` must not silently mean STARTTLS).
    pub fn parse(s: &str, p: &Protocol) -> Result<Endpoint, String> {
        let url = url::Url::parse(s.trim()).map_err(|e| format!("not a URL ({e})"))?;
        let scheme_tls = match url.scheme() {
            x if x == p.plain => TlsMode::StartTls,
            x if x == p.secure => TlsMode::Tls,
            other => return Err(format!("scheme {other:?}: use {}:// or {}://", p.plain, p.secure)),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| "the URL has no host".to_owned())?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
        if url.fragment().is_some() {
            return Err("unexpected #fragment".into());
        }
        let mut tls = scheme_tls;
        let mut timeout = DEFAULT_TIMEOUT;
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "tls" => {
                    tls = match value.as_ref() {
                        "none" => TlsMode::None,
                        "starttls" => TlsMode::StartTls,
                        "tls" => TlsMode::Tls,
                        v => return Err(format!("tls={v:?}: use none, starttls or tls")),
                    };
                    if scheme_tls == TlsMode::Tls && tls != TlsMode::Tls {
                        return Err(format!("{}:// is always TLS, not tls={value}", p.secure));
                    }
                }
                "timeout" => {
                    let secs: u64 = value
                        .parse()
                        .ok()
                        .filter(|s| (1..=600).contains(s))
                        .ok_or_else(|| format!("timeout={value:?}: whole seconds from 1 to 600"))?;
                    timeout = Duration::from_secs(secs);
                }
                other => return Err(format!("unknown parameter {other:?} (known: tls, timeout)")),
            }
        }
        let decode = |s: &str| {
            percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| "user name, password or path is not UTF-8 after percent-decoding".to_owned())
        };
        let username = Some(decode(url.username())?).filter(|u| !u.is_empty());
        let password = url.password().map(decode).transpose()?;
        if password.is_some() && username.is_none() {
            return Err("a password without a user name".into());
        }
        let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        if tls == TlsMode::None && password.is_some() && !loopback {
            return Err(format!(
                "tls=none would send the password to {host} in clear; use tls=starttls or tls=tls"
            ));
        }
        let port = url.port().unwrap_or(match tls {
            TlsMode::None => p.ports[0],
            TlsMode::StartTls => p.ports[1],
            TlsMode::Tls => p.ports[2],
        });
        if port == 0 {
            return Err("port 0".into());
        }
        let path = decode(url.path().trim_start_matches('/'))?;
        Ok(Endpoint {
            host,
            port,
            tls,
            username,
            password,
            timeout,
            path,
        })
    }
}

/// The URL with the password as `***`: `scheme://user:***@host:port/path?tls=…&timeout=…`.
pub(crate) fn write_masked(
    f: &mut fmt::Formatter<'_>,
    p: &Protocol,
    (host, port, tls, timeout): (&str, u16, TlsMode, Duration),
    username: Option<&str>,
    has_password: bool,
    path: &str,
) -> fmt::Result {
    let scheme = if tls == TlsMode::Tls { p.secure } else { p.plain };
    write!(f, "{scheme}://")?;
    if let Some(u) = username {
        let u = percent_encoding::utf8_percent_encode(u, percent_encoding::NON_ALPHANUMERIC);
        if has_password {
            write!(f, "{u}:***@")?;
        } else {
            write!(f, "{u}@")?;
        }
    }
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let tls = match tls {
        TlsMode::None => "none",
        TlsMode::StartTls => "starttls",
        TlsMode::Tls => "tls",
    };
    write!(f, "{host}:{port}")?;
    if !path.is_empty() {
        write!(
            f,
            "/{}",
            percent_encoding::utf8_percent_encode(path, percent_encoding::NON_ALPHANUMERIC)
        )?;
    }
    write!(f, "?tls={tls}&timeout={}", timeout.as_secs())
}
