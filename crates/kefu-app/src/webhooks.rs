//! Webhooks: admins register endpoints per event type; every event becomes one delivery job per
//! endpoint, signed with HMAC-SHA256, retried with backoff, and logged with the response code.
//!
//! A receiver checks `X-Kefu-Signature: t=<unix ms>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
//! or the Standard Webhooks headers `webhook-id` (the same for every attempt of one delivery, so
//! duplicates can be dropped), `webhook-timestamp` and `webhook-signature` (docs/webhooks.md).

use crate::auth::random_secret;
use crate::tickets::{TicketView, fresh};
use crate::{Actor, App, AppError, AppResult};
use hmac::{Hmac, Mac};
use kefu_core::{Invalid, net};
use kefu_store::{Job, NewDelivery, NewWebhook, SurveyLink, SurveyResponse, Ticket, User, Webhook};
use serde_json::json;
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

pub const DELIVER_KIND: &str = "webhook.deliver";

/// The events kefu emits. Later capabilities add theirs here.
pub const EVENTS: &[&str] = &[
    "ping",
    "user.created",
    "ticket.created",
    "ticket.updated",
    "survey.answered",
    "visit.signed",
];

pub fn sign(secret: &str, timestamp_ms: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp_ms.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={timestamp_ms},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The Standard Webhooks signature: `v1,` and the base64 HMAC-SHA256 of `"<id>.<seconds>.<body>"`
/// keyed with the endpoint's secret (a Standard Webhooks library takes it as `whsec_` followed by
/// the base64 of the secret's text, docs/webhooks.md).
pub fn sign_standard(secret: &str, message_id: &str, timestamp_s: i64, body: &[u8]) -> String {
    use base64::Engine;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(message_id.as_bytes());
    mac.update(format!(".{timestamp_s}.").as_bytes());
    mac.update(body);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

/// A delivery's id, fixed when the event is emitted and sent with every attempt, so that a
/// receiver can drop a retry it has already processed.
fn message_id() -> String {
    format!("msg_{}", random_secret())
}

/// A ticket as receivers see it: what it is about and where it stands (docs/webhooks.md).
pub(crate) fn ticket_data(v: &TicketView) -> serde_json::Value {
    let t = &v.ticket;
    json!({
        "id": t.id,
        "reference": v.reference.to_string(),
        "kind": t.kind,
        "status": t.status,
        "priority": t.priority,
        "channel": t.channel,
        "language": t.language,
        "subject": t.subject,
        "customer_id": t.customer_id,
        "contact_id": t.contact_id,
        "on_behalf_of_id": t.on_behalf_of_id,
        "department_id": t.department_id,
        "assignee_id": t.assignee_id,
        "category_id": t.category_id,
        "product": t.product,
        "tags": t.tags,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
    })
}

/// The HTTP client for deliveries. Unless `allow_private`, it resolves names itself and connects
/// only to public addresses ([`PublicOnly`]), and ignores proxy settings, so that what it connects
/// to is what was checked.
fn client(timeout_ms: u64, allow_private: bool) -> &'static reqwest::Client {
    static GUARDED: OnceLock<reqwest::Client> = OnceLock::new();
    static OPEN: OnceLock<reqwest::Client> = OnceLock::new();
    let cell = if allow_private { &OPEN } else { &GUARDED };
    cell.get_or_init(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let b = reqwest::Client::builder()
            .timeout(Duration::from_millis(timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("kefu-webhooks/", env!("CARGO_PKG_VERSION")));
        let b = if allow_private {
            b
        } else {
            b.no_proxy().dns_resolver(std::sync::Arc::new(PublicOnly))
        };
        b.build().expect("HTTP client with the ring provider")
    })
}

/// A resolver that hands the connector only public addresses: the address checked is the one
/// connected to, so a name cannot resolve to a public address when checked and a private one when
/// used (DNS rebinding).
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            if is_local_name(&host) {
                return Err(format!("{host} is not a public address (webhook_allow_private is off)").into());
            }
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| net::is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} resolves to no public address (webhook_allow_private is off)").into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Names that mean this machine whatever DNS says.
fn is_local_name(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    h == "localhost" || h.ends_with(".localhost")
}

/// An address literal in the URL that is not public (names are checked where they resolve).
fn private_literal(u: &reqwest::Url) -> Option<IpAddr> {
    let ip = match u.host()? {
        url::Host::Ipv4(ip) => IpAddr::V4(ip),
        url::Host::Ipv6(ip) => IpAddr::V6(ip),
        url::Host::Domain(_) => return None,
    };
    (!net::is_public(ip)).then_some(ip)
}

/// A receiver URL: http(s) with a host and, unless `allow_private`, a host that is a public
/// address or a name none of whose addresses is private (a name that does not resolve now is taken,
/// and checked again at every delivery).
async fn check_url(url: &str, allow_private: bool) -> AppResult<String> {
    let u =
        reqwest::Url::parse(url.trim()).map_err(|e| Invalid::one("url", "invalid_url", format!("not a URL: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(Invalid::one("url", "invalid_url", "the URL must be http:// or https:// with a host").into());
    }
    if !allow_private {
        let refuse = |what: String| -> AppError {
            Invalid::one(
                "url",
                "private_address",
                format!("{what} is not a public address; webhooks go to the internet (an operator may set webhook_allow_private)"),
            )
            .into()
        };
        if let Some(ip) = private_literal(&u) {
            return Err(refuse(ip.to_string()));
        }
        if let Some(url::Host::Domain(name)) = u.host() {
            if is_local_name(name) {
                return Err(refuse(name.to_owned()));
            }
            let port = u.port_or_known_default().unwrap_or(80);
            let lookup = tokio::time::timeout(Duration::from_secs(3), tokio::net::lookup_host((name, port))).await;
            if let Ok(Ok(found)) = lookup
                && let Some(bad) = found.map(|a| a.ip()).find(|ip| !net::is_public(*ip))
            {
                return Err(refuse(format!("{name} ({bad})")));
            }
        }
    }
    Ok(u.to_string())
}

impl App {
    /// Registers an endpoint; returns it with its signing secret (shown to the admin once).
    pub async fn create_webhook(
        &self,
        actor: &Actor,
        url: &str,
        events: Vec<String>,
        description: &str,
    ) -> AppResult<Webhook> {
        actor.require_admin()?;
        let url = check_url(url, self.config.webhook_allow_private).await?;
        if events.is_empty() {
            return Err(Invalid::one("events", "required", "choose at least one event").into());
        }
        if let Some(bad) = events.iter().find(|e| *e != "*" && !EVENTS.contains(&e.as_str())) {
            return Err(Invalid::one("events", "unknown_event", format!("unknown event {bad:?}")).into());
        }
        let description = description.trim().chars().take(500).collect::<String>();
        let w = self
            .store
            .create_webhook(NewWebhook {
                url,
                secret: random_secret(),
                events,
                description,
                now: self.now(),
            })
            .await?;
        self.forget_webhooks().await;
        self.audit(
            actor,
            "webhook.create",
            format!("webhook:{}", w.id),
            json!({"url": w.url, "events": w.events}),
        )
        .await?;
        Ok(w)
    }

    pub async fn list_webhooks(&self, actor: &Actor) -> AppResult<Vec<Webhook>> {
        actor.require_admin()?;
        Ok(self.store.list_webhooks().await?)
    }

    pub async fn set_webhook_active(&self, actor: &Actor, id: i64, active: bool) -> AppResult<Webhook> {
        actor.require_admin()?;
        let w = self.store.set_webhook_active(id, active, self.now()).await?;
        self.forget_webhooks().await;
        self.audit(
            actor,
            if active { "webhook.enable" } else { "webhook.disable" },
            format!("webhook:{id}"),
            json!({"url": w.url}),
        )
        .await?;
        Ok(w)
    }

    pub async fn delete_webhook(&self, actor: &Actor, id: i64) -> AppResult<()> {
        actor.require_admin()?;
        let w = self.store.get_webhook(id).await?;
        self.store.delete_webhook(id).await?;
        self.forget_webhooks().await;
        self.audit(actor, "webhook.delete", format!("webhook:{id}"), json!({"url": w.url}))
            .await
    }

    /// Emits an event: one delivery job per subscribed, active endpoint. The endpoints are kept
    /// for a few seconds (a burst of tickets reads them once), and forgotten at once when an admin
    /// changes them here.
    pub async fn emit(&self, event: &str, data: serde_json::Value) -> AppResult<u32> {
        let endpoints = self.active_webhooks().await?;
        let at = self.now();
        let mut n = 0;
        for w in endpoints.iter().filter(|w| w.wants(event)) {
            let body = json!({"event": event, "created_at": at, "data": data});
            self.enqueue(
                DELIVER_KIND,
                json!({"webhook_id": w.id, "event": event, "message_id": message_id(), "body": body}),
            )
            .await?;
            n += 1;
        }
        Ok(n)
    }

    /// [`App::emit`] after the change that caused the event has committed: a failure to enqueue
    /// is logged and never undoes the change.
    pub(crate) async fn emit_after(&self, event: &str, data: serde_json::Value) {
        if let Err(e) = self.emit(event, data).await {
            tracing::error!(error = %e, event, "webhook event not enqueued");
        }
    }

    /// A new ticket, from any entry point (API, pages, portal, public form, mail).
    pub(crate) async fn emit_ticket_created(&self, v: &TicketView) {
        self.emit_after("ticket.created", json!({"ticket": ticket_data(v)}))
            .await;
    }

    /// A ticket whose status, assignee or priority changed: what changed, from what to what.
    pub(crate) async fn emit_ticket_updated(&self, before: &Ticket, after: &TicketView) {
        let t = &after.ticket;
        let mut changes = serde_json::Map::new();
        if before.status != t.status {
            changes.insert("status".into(), json!({"from": before.status, "to": t.status}));
        }
        if before.assignee_id != t.assignee_id {
            changes.insert(
                "assignee_id".into(),
                json!({"from": before.assignee_id, "to": t.assignee_id}),
            );
        }
        if before.priority != t.priority {
            changes.insert("priority".into(), json!({"from": before.priority, "to": t.priority}));
        }
        if !changes.is_empty() {
            self.emit_after(
                "ticket.updated",
                json!({"ticket": ticket_data(after), "changes": changes}),
            )
            .await;
        }
    }

    /// A final survey answer, through the answer page or the API. Employee answers name no one:
    /// the staff member asked is left out.
    pub(crate) async fn emit_survey_answered(&self, link: &SurveyLink, r: &SurveyResponse) {
        let answers: serde_json::Value = serde_json::from_str(&r.answers).unwrap_or_default();
        let segment: serde_json::Value = serde_json::from_str(&r.segment).unwrap_or_default();
        let data = json!({"response": {
            "id": r.id,
            "survey_id": r.survey_id,
            "link_id": link.id,
            "campaign_id": link.campaign_id,
            "customer_id": link.customer_id,
            "contact_id": link.contact_id,
            "ticket_id": link.ticket_id,
            "language": link.language,
            "answers": answers,
            "comment": r.comment,
            "segment": if link.user_id.is_some() { json!({"role": segment["role"]}) } else { segment },
            "created_at": r.created_at,
        }});
        self.emit_after("survey.answered", data).await;
    }

    /// A new account: staff from the API, `/admin/users` or `kefu user create`; a portal user
    /// when a contact is given an account.
    pub(crate) async fn emit_user_created(&self, u: &User) {
        self.emit_after(
            "user.created",
            json!({"id": u.id, "email": u.email, "name": u.name, "role": u.role, "created_at": u.created_at}),
        )
        .await;
    }

    /// `ticket.updated` for tickets a job changed, given as they were before: read back only
    /// when an endpoint wants the event.
    pub(crate) async fn emit_tickets_updated(&self, before: Vec<Ticket>) {
        match self.active_webhooks().await {
            Ok(hooks) if hooks.iter().any(|w| w.wants("ticket.updated")) => {}
            Ok(_) => return,
            Err(e) => return tracing::error!(error = %e, "webhook endpoints not read"),
        }
        let ids: Vec<i64> = before.iter().map(|t| t.id).collect();
        let after = match self.store.tickets_by_ids(&ids).await {
            Ok(after) => self.view_tickets(after).await,
            Err(e) => Err(e.into()),
        };
        match after {
            Ok(after) => {
                for v in &after {
                    if let Some(b) = before.iter().find(|b| b.id == v.ticket.id) {
                        self.emit_ticket_updated(b, v).await;
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "ticket.updated not emitted after a job's change"),
        }
    }

    async fn active_webhooks(&self) -> AppResult<Arc<Vec<Webhook>>> {
        if let Some(w) = fresh(&self.webhook_cache).await {
            return Ok(w);
        }
        let active: Vec<Webhook> = self
            .store
            .list_webhooks()
            .await?
            .into_iter()
            .filter(|w| w.active)
            .collect();
        let active = Arc::new(active);
        *self.webhook_cache.write().await = Some((Instant::now(), active.clone()));
        Ok(active)
    }

    async fn forget_webhooks(&self) {
        *self.webhook_cache.write().await = None;
    }

    /// Sends a `ping` to one endpoint, to check it from the admin page.
    pub async fn ping_webhook(&self, actor: &Actor, id: i64) -> AppResult<()> {
        actor.require_admin()?;
        let w = self.store.get_webhook(id).await?;
        let body = json!({"event": "ping", "created_at": self.now(), "data": {"webhook_id": w.id}});
        self.enqueue(
            DELIVER_KIND,
            json!({"webhook_id": w.id, "event": "ping", "message_id": message_id(), "body": body}),
        )
        .await?;
        Ok(())
    }

    /// The job: POST the body, signed; a non-2xx answer or no answer fails the attempt.
    pub async fn deliver_webhook(&self, job: &Job) -> Result<(), String> {
        let id = job.payload["webhook_id"].as_i64().ok_or("payload without webhook_id")?;
        let event = job.payload["event"].as_str().unwrap_or("unknown").to_owned();
        let w = match self.store.get_webhook(id).await {
            Ok(w) => w,
            // Deleted since: nothing left to deliver to.
            Err(kefu_store::StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e.to_string()),
        };
        let body = serde_json::to_vec(&job.payload["body"]).map_err(|e| e.to_string())?;
        // Jobs enqueued before deliveries carried an id take the job's, as stable across retries.
        let message_id = match job.payload["message_id"].as_str() {
            Some(m) => m.to_owned(),
            None => format!("job_{}", job.id),
        };
        let ts = self.now();
        let started = Instant::now();
        let allow_private = self.config.webhook_allow_private;
        let refused = reqwest::Url::parse(&w.url)
            .ok()
            .and_then(|u| private_literal(&u))
            .filter(|_| !allow_private);
        let request = client(self.config.webhook_timeout_ms, allow_private)
            .post(&w.url)
            .header("content-type", "application/json")
            .header("x-kefu-event", &event)
            .header("x-kefu-delivery", format!("{}-{}", job.id, job.attempts))
            .header("x-kefu-signature", sign(&w.secret, ts, &body))
            .header("webhook-id", &message_id)
            .header("webhook-timestamp", (ts / 1000).to_string())
            .header(
                "webhook-signature",
                sign_standard(&w.secret, &message_id, ts / 1000, &body),
            )
            .body(body);
        let result = match refused {
            // Registered when private addresses were allowed, or before they were checked.
            Some(ip) => Err(format!("{ip} is not a public address (webhook_allow_private is off)")),
            None => request.send().await.map_err(|e| {
                // The resolver's refusal is the source of the connect error: say it plainly.
                let mut text = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    text = format!("{text}: {s}");
                    source = s.source();
                }
                text
            }),
        };
        let duration_ms = started.elapsed().as_millis() as i64;
        let (status_code, error) = match &result {
            Ok(r) => (
                Some(r.status().as_u16()),
                (!r.status().is_success()).then(|| format!("receiver answered {}", r.status())),
            ),
            Err(e) => (None, Some(e.clone())),
        };
        self.store
            .record_delivery(NewDelivery {
                webhook_id: w.id,
                job_id: Some(job.id),
                event,
                attempt: job.attempts,
                status_code,
                error: error.clone(),
                duration_ms,
                at: self.now(),
            })
            .await
            .map_err(|e| e.to_string())?;
        error.map_or(Ok(()), Err)
    }

    pub async fn webhook_deliveries(&self, actor: &Actor, id: i64) -> AppResult<(Webhook, Vec<kefu_store::Delivery>)> {
        actor.require_admin()?;
        let w = self.store.get_webhook(id).await.map_err(AppError::from)?;
        Ok((w, self.store.list_deliveries(id, 100).await?))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn signature_matches_a_known_vector() {
        // HMAC-SHA256("secret", "1700000000000.{}") computed independently with Python's hmac module.
        let s = super::sign("secret", 1_700_000_000_000, b"{}");
        assert_eq!(
            s,
            "t=1700000000000,v1=8399216d111287e3bb28e25c0f4f31dffdf831c68c9ee2b96c2f67c9b81d341b"
        );
    }

    #[test]
    fn standard_signature_matches_the_standard_webhooks_library() {
        // Python's standardwebhooks 1.3.0: Webhook("whsec_" + b64("secret")).sign("msg_abc", 1700000000, "{}").
        assert_eq!(
            super::sign_standard("secret", "msg_abc", 1_700_000_000, b"{}"),
            "v1,IOqrSL15DZ9K/kiVZt5plLw/7dMcTa4CSWDdztdCf5Q="
        );
    }

    #[tokio::test]
    async fn urls_are_checked() {
        assert!(
            super::check_url("https://erp.example.com/hooks/kefu", false)
                .await
                .is_ok()
        );
        assert!(super::check_url("https://203.0.113.9/hooks", false).await.is_ok());
        for bad in ["ftp://x.com", "not a url", "http://", "javascript:alert(1)"] {
            assert!(super::check_url(bad, true).await.is_err(), "{bad}");
        }
        for private in [
            "http://127.0.0.1:8080/x",
            "http://[::1]/x",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.5/",
            "http://0.0.0.0/",
            "http://100.64.1.1/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fd00::1]/",
            "http://localhost:9000/",
            "http://api.localhost/",
            "http://2130706433/",
            "http://0x7f.1/",
        ] {
            let e = super::check_url(private, false).await.unwrap_err();
            let crate::AppError::Invalid(inv) = e else {
                panic!("{private}: {e:?}")
            };
            assert_eq!(
                (inv.errors[0].field.as_str(), inv.errors[0].code),
                ("url", "private_address"),
                "{private}"
            );
            assert!(
                super::check_url(private, true).await.is_ok(),
                "{private} with webhook_allow_private"
            );
        }
    }
}
