//! Mail in by polling a mailbox over IMAP (async-imap; rustls for TLS), configured by one URL:
//! `imaps://user:password@imap.example.com/INBOX` (see [`ImapUrl`]).
//!
//! A poll takes the unseen messages of the mailbox, oldest first, at most `max` a pass, and hands
//! each one's raw bytes to the caller, who says what became of it ([`Disposition`]):
//! - [`Disposition::Taken`]: marked `\Seen`, so the next poll skips it.
//! - [`Disposition::Refused`]: marked `\Seen` and `\Flagged`, left in the mailbox for a person to
//!   look at; a broken message is not fetched again and again.
//! - [`Disposition::Stop`]: left unseen and the pass ends (the database is down, say): the next
//!   poll takes it again. A message taken twice is harmless, as the app drops a Message-ID it has.
//!
//! Messages are fetched with `BODY.PEEK[]`, so fetching alone marks nothing.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_imap::Client;
use futures::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::MailError;
use crate::endpoint::{Endpoint, IMAP, TlsMode, write_masked};

/// A parsed IMAP URL: `imap://user:pass@host:port/MAILBOX?tls=none|starttls|tls&timeout=SECONDS`
/// or `imaps://…`. The mailbox is the path (default `INBOX`); the rest follows the SMTP URL's
/// rules (`tls` defaults to `starttls` for `imap://`, port 143, and `tls` for `imaps://`, port
/// 993; a password in clear only to a loopback host). `Debug` and `Display` show the password as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct ImapUrl {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: String,
    password: String,
    pub mailbox: String,
    /// The longest any one exchange with the server may take.
    pub timeout: Duration,
}

impl ImapUrl {
    pub fn parse(s: &str) -> Result<ImapUrl, MailError> {
        let bad = |m: String| MailError::ImapConfig(m);
        let e = Endpoint::parse(s, &IMAP).map_err(bad)?;
        let (Some(username), Some(password)) = (e.username, e.password) else {
            return Err(bad(
                "the URL needs the mailbox's user name and password (imaps://user:password@host/INBOX)".into(),
            ));
        };
        let mailbox = if e.path.is_empty() { "INBOX".to_owned() } else { e.path };
        if mailbox.contains('/') || mailbox.chars().any(char::is_control) || mailbox.contains('"') {
            return Err(bad(format!(
                "mailbox {mailbox:?}: one mailbox name, without /, quotes or control characters"
            )));
        }
        Ok(ImapUrl {
            host: e.host,
            port: e.port,
            tls: e.tls,
            username,
            password,
            mailbox,
            timeout: e.timeout,
        })
    }
}

impl fmt::Display for ImapUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_masked(
            f,
            &IMAP,
            (&self.host, self.port, self.tls, self.timeout),
            Some(&self.username),
            true,
            &self.mailbox,
        )
    }
}

impl fmt::Debug for ImapUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImapUrl({self})")
    }
}

/// What became of one fetched message (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Taken,
    Refused,
    Stop,
}

/// What one poll did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Unseen messages in the mailbox when the poll began.
    pub unseen: usize,
    pub taken: usize,
    pub refused: usize,
    /// True when a [`Disposition::Stop`] ended the pass early.
    pub stopped: bool,
}

fn fetch_err(url: &ImapUrl, what: &str, e: impl fmt::Display) -> MailError {
    MailError::Fetch(format!("{}:{}: {what}: {e}", url.host, url.port))
}

/// Polls the mailbox once: at most `max` unseen messages, each handed to `handle` (see the module
/// documentation). Errors: [`MailError::Fetch`] when the server cannot be reached, refuses the
/// login or the mailbox, or stops answering within the URL's timeout.
pub async fn poll<F, Fut>(url: &ImapUrl, max: usize, handle: F) -> Result<PollReport, MailError>
where
    F: FnMut(Vec<u8>) -> Fut,
    Fut: std::future::Future<Output = Disposition>,
{
    let tcp = tokio::time::timeout(url.timeout, TcpStream::connect((url.host.as_str(), url.port)))
        .await
        .map_err(|_| fetch_err(url, "connect", "no answer within the timeout"))?
        .map_err(|e| fetch_err(url, "connect", e))?;
    match url.tls {
        TlsMode::None => {
            let mut client = Client::new(tcp);
            greeting(url, &mut client).await?;
            session(url, client, max, handle).await
        }
        TlsMode::Tls => {
            let tls = tls_connect(url, tcp).await?;
            let mut client = Client::new(tls);
            greeting(url, &mut client).await?;
            session(url, client, max, handle).await
        }
        TlsMode::StartTls => {
            let mut client = Client::new(tcp);
            greeting(url, &mut client).await?;
            within(url, "STARTTLS", client.run_command_and_check_ok("STARTTLS", None)).await?;
            let tls = tls_connect(url, client.into_inner()).await?;
            // No greeting after STARTTLS.
            session(url, Client::new(tls), max, handle).await
        }
    }
}

async fn within<T, E: fmt::Display>(
    url: &ImapUrl,
    what: &str,
    f: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, MailError> {
    tokio::time::timeout(url.timeout, f)
        .await
        .map_err(|_| fetch_err(url, what, "no answer within the timeout"))?
        .map_err(|e| fetch_err(url, what, e))
}

async fn greeting<S>(url: &ImapUrl, client: &mut Client<S>) -> Result<(), MailError>
where
    S: AsyncRead + AsyncWrite + Unpin + fmt::Debug + Send,
{
    match within(url, "greeting", client.read_response()).await? {
        Some(_) => Ok(()),
        None => Err(fetch_err(url, "greeting", "the server closed the connection")),
    }
}

async fn tls_connect(url: &ImapUrl, tcp: TcpStream) -> Result<tokio_rustls::client::TlsStream<TcpStream>, MailError> {
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| fetch_err(url, "TLS", e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(url.host.clone()).map_err(|e| fetch_err(url, "TLS", e))?;
    within(
        url,
        "TLS",
        tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp),
    )
    .await
}

async fn session<S, F, Fut>(
    url: &ImapUrl,
    client: Client<S>,
    max: usize,
    mut handle: F,
) -> Result<PollReport, MailError>
where
    S: AsyncRead + AsyncWrite + Unpin + fmt::Debug + Send,
    F: FnMut(Vec<u8>) -> Fut,
    Fut: std::future::Future<Output = Disposition>,
{
    let mut s = match tokio::time::timeout(url.timeout, client.login(&url.username, &url.password)).await {
        Err(_) => return Err(fetch_err(url, "login", "no answer within the timeout")),
        Ok(Err((e, _))) => return Err(fetch_err(url, &format!("login as {}", url.username), e)),
        Ok(Ok(s)) => s,
    };
    within(url, &format!("select {}", url.mailbox), s.select(&url.mailbox)).await?;
    let mut uids: Vec<u32> = within(url, "search", s.uid_search("UNSEEN"))
        .await?
        .into_iter()
        .collect();
    uids.sort_unstable();
    let mut report = PollReport {
        unseen: uids.len(),
        ..Default::default()
    };
    for uid in uids.into_iter().take(max) {
        let raw = {
            let mut fetched = within(url, "fetch", s.uid_fetch(uid.to_string(), "BODY.PEEK[]")).await?;
            let mut raw = None;
            while let Some(f) = within(url, "fetch", async { fetched.next().await.transpose() }).await? {
                if raw.is_none() {
                    raw = f.body().map(<[u8]>::to_vec);
                }
            }
            raw
        };
        // A message the server no longer has (expunged meanwhile) is skipped.
        let Some(raw) = raw else { continue };
        let flags = match handle(raw).await {
            Disposition::Taken => {
                report.taken += 1;
                "+FLAGS.SILENT (\\Seen)"
            }
            Disposition::Refused => {
                report.refused += 1;
                "+FLAGS.SILENT (\\Seen \\Flagged)"
            }
            Disposition::Stop => {
                report.stopped = true;
                break;
            }
        };
        let mut stored = within(url, "store", s.uid_store(uid.to_string(), flags)).await?;
        while within(url, "store", async { stored.next().await.transpose() })
            .await?
            .is_some()
        {}
    }
    // Leaving politely; the work is done whatever the server answers.
    let _ = tokio::time::timeout(url.timeout, s.logout()).await;
    Ok(report)
}
