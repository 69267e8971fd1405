//! Sending over SMTP with lettre's tokio transport (rustls for TLS), configured by one URL.

use std::fmt;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::MailError;
use crate::inbound::MailAddress;
use crate::outbound::{OutboundMail, build_message, is_domain};

/// How long one send may take, connection included, unless the URL says `timeout=`.
pub const DEFAULT_TIMEOUT: Duration = crate::endpoint::DEFAULT_TIMEOUT;

pub use crate::endpoint::TlsMode;

/// A parsed SMTP URL: `smtp://user:pass@host:port?tls=none|starttls|tls&timeout=SECONDS` or `smtps://...`.
///
/// - `tls` defaults to `starttls` for `smtp://` and `tls` for `smtps://`; `smtps://` with another value is refused.
/// - The port defaults to 25 (`none`), 587 (`starttls`) or 465 (`tls`).
/// - User name and password are percent-decoded (`p%40ss` is `p@ss`); a password needs a user name.
/// - `timeout` is whole seconds, 1 to 600 (default 30).
/// - A password with `tls=none` is refused unless the host is a loopback address.
/// - Unknown query keys are refused (a typo such as `tsl=none` must not silently mean STARTTLS).
///
/// `Debug` and `Display` show the password as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    password: Option<String>,
    pub timeout: Duration,
}

impl SmtpUrl {
    pub fn parse(s: &str) -> Result<SmtpUrl, MailError> {
        let e = crate::endpoint::Endpoint::parse(s, &crate::endpoint::SMTP).map_err(MailError::Config)?;
        if !e.path.is_empty() {
            return Err(MailError::Config(format!("unexpected path {:?}", e.path)));
        }
        Ok(SmtpUrl {
            host: e.host,
            port: e.port,
            tls: e.tls,
            username: e.username,
            password: e.password,
            timeout: e.timeout,
        })
    }

    /// Whether the URL carries a password (the password itself never leaves this type but to lettre).
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }
}

impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::endpoint::write_masked(
            f,
            &crate::endpoint::SMTP,
            (&self.host, self.port, self.tls, self.timeout),
            self.username.as_deref(),
            self.password.is_some(),
            "",
        )
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Sends [`OutboundMail`] from one configured sender through one SMTP server. Cheap to clone; one connection per
/// message (notifications are sent by jobs, one at a time per job).
#[derive(Clone)]
pub struct SmtpSender {
    url: SmtpUrl,
    from: MailAddress,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSender")
            .field("url", &self.url)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl SmtpSender {
    /// A sender for `url` (see [`SmtpUrl`]) writing as `from`. The EHLO name is the domain of `from`.
    /// Nothing is contacted until [`SmtpSender::send`].
    pub fn new(url: &str, from: MailAddress) -> Result<SmtpSender, MailError> {
        Self::from_parsed(SmtpUrl::parse(url)?, from)
    }

    pub fn from_parsed(url: SmtpUrl, from: MailAddress) -> Result<SmtpSender, MailError> {
        let tls_params = || {
            TlsParameters::new(url.host.clone()).map_err(|e| MailError::Config(format!("TLS for {}: {e}", url.host)))
        };
        let tls = match url.tls {
            TlsMode::None => Tls::None,
            TlsMode::StartTls => Tls::Required(tls_params()?),
            TlsMode::Tls => Tls::Wrapper(tls_params()?),
        };
        let domain = from.address.as_str().rsplit('@').next().unwrap_or("localhost");
        let hello = if is_domain(domain) { domain } else { "localhost" };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(url.host.clone())
            .port(url.port)
            .tls(tls)
            .timeout(Some(url.timeout))
            .hello_name(ClientId::Domain(hello.to_string()));
        if let (Some(user), Some(pass)) = (&url.username, &url.password) {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        Ok(SmtpSender {
            transport: builder.build(),
            url,
            from,
        })
    }

    pub fn url(&self) -> &SmtpUrl {
        &self.url
    }

    pub fn from_address(&self) -> &MailAddress {
        &self.from
    }

    /// Sends one message. `Ok` means the server accepted it (250 after DATA). Errors: [`MailError::Build`] for a
    /// message that cannot be written, [`MailError::SendPermanent`] for a 5xx reply, [`MailError::SendTemporary`]
    /// for a 4xx reply, a refused or dropped connection, TLS trouble or the timeout.
    pub async fn send(&self, mail: &OutboundMail) -> Result<(), MailError> {
        let message = build_message(mail, &self.from)?;
        match tokio::time::timeout(self.url.timeout, self.transport.send(message)).await {
            Err(_) => Err(MailError::SendTemporary {
                code: None,
                detail: format!(
                    "no answer from {}:{} within {} s",
                    self.url.host,
                    self.url.port,
                    self.url.timeout.as_secs()
                ),
            }),
            Ok(Ok(_response)) => Ok(()),
            Ok(Err(e)) => Err(classify(&self.url, &e)),
        }
    }
}

/// 5xx and client-side refusals are permanent; 4xx and everything about the connection is temporary.
fn classify(url: &SmtpUrl, e: &lettre::transport::smtp::Error) -> MailError {
    let code = e.status().and_then(|c| c.to_string().parse::<u16>().ok());
    let mut detail = format!("{}:{}: {e}", url.host, url.port);
    // lettre's Display already ends with the direct source; add the rest of the chain (the io error behind it).
    let mut source = std::error::Error::source(e).and_then(|s| s.source());
    while let Some(s) = source {
        detail.push_str(&format!(": {s}"));
        source = s.source();
    }
    if e.is_permanent() || e.is_client() {
        MailError::SendPermanent { code, detail }
    } else {
        MailError::SendTemporary { code, detail }
    }
}
