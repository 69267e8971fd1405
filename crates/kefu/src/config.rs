//! The effective configuration: built-in defaults, then a TOML file (`--config`), then `KEFU_*`
//! environment variables, then command-line flags — each overriding the one before.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address and port `kefu serve` listens on.
    pub listen: String,
    /// `sqlite:///path/kefu.db` or `postgres://user:password@host/db`; default: `kefu.db` in `data_dir`.
    pub database_url: Option<String>,
    /// Folder for the SQLite file (and, later, attachments).
    pub data_dir: PathBuf,
    /// Cookies `Secure`: true, false, or unset for automatic (not Secure only on http://localhost).
    pub cookie_secure: Option<bool>,
    pub password_min_chars: usize,
    pub session_idle_minutes: i64,
    pub login_attempts_per_minute: u32,
    /// Failed sign-ins from one address to one account before each further attempt waits.
    pub login_max_failures: u32,
    /// The longest such wait, in minutes (it starts at one and doubles).
    pub lockout_minutes: i64,
    /// Run the job worker in `serve` (turn off on nodes that only serve requests).
    pub worker: bool,
    /// Enqueue periodic jobs from `serve` (harmless on several nodes: each tick runs once).
    pub scheduler: bool,
    /// `text` or `json` (one JSON object per log line).
    pub log_format: String,
    /// A tracing filter such as `info` or `kefu=debug,sqlx=warn`; `RUST_LOG` overrides it.
    pub log_level: String,
    pub db_max_connections: u32,
    pub body_limit_bytes: usize,
    pub webhook_timeout_seconds: u64,
    /// Let webhooks go to loopback, private and link-local addresses (default off: an admin could
    /// otherwise probe the network kefu runs in).
    pub webhook_allow_private: bool,
    /// Behind a reverse proxy that sets X-Forwarded-For: take client addresses from it.
    pub trust_forwarded_for: bool,
    /// With `trust_forwarded_for`: how many proxies stand before kefu (default 1).
    pub forwarded_hops: u32,
    /// When set, `/metrics` answers only `Authorization: Bearer <metrics_token>`.
    pub metrics_token: Option<String>,
    /// Serve `/metrics` on this address alone (e.g. `127.0.0.1:9090`), not on `listen`.
    pub metrics_listen: Option<String>,
    /// The largest message `kefu mail ingest` takes, in bytes (default 25 MiB).
    pub mail_max_message_bytes: u64,
    /// Mail out: `smtp://user:password@host:587?tls=starttls` (also `tls=tls`, `tls=none`, `timeout=30`);
    /// unset sends no mail.
    pub smtp_url: Option<String>,
    /// The sender of mail out, e.g. `客服中心 <support@example.com>`; required with `smtp_url`.
    pub mail_from: Option<String>,
    /// Mail in by polling a mailbox every minute: `imaps://user:password@imap.example.com/INBOX`
    /// (also `imap://…` with STARTTLS, `?tls=none` on loopback, `timeout=30`); unset polls nothing.
    pub imap_url: Option<String>,
    /// Where users reach kefu, e.g. `https://kefu.example.com`: the start of links in mail.
    pub public_url: Option<String>,
    /// The largest ticket attachment taken, in bytes (default 10 MiB).
    pub attachment_max_bytes: u64,
    /// Keep attachment bytes in this directory (under their SHA-256) instead of the database.
    pub attachments_dir: Option<PathBuf>,
    /// The dashboard's word-of-mouth estimate: people who come to hear of one unhappy customer
    /// (default 1825 = 25 told + 500 retold + 1300 further, seed 001).
    pub word_of_mouth_unhappy: u32,
    /// ... and whom one satisfied customer tells (default 3, the middle of seed 001's 1 to 5).
    pub word_of_mouth_happy: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: None,
            data_dir: PathBuf::from("kefu-data"),
            cookie_secure: None,
            password_min_chars: 12,
            session_idle_minutes: 8 * 60,
            login_attempts_per_minute: 10,
            login_max_failures: 5,
            lockout_minutes: 15,
            worker: true,
            scheduler: true,
            log_format: "text".into(),
            // PostgreSQL notices ("relation ... already exists, skipping") are sqlx INFO lines.
            log_level: "info,sqlx=warn".into(),
            db_max_connections: 16,
            body_limit_bytes: 1 << 20,
            webhook_timeout_seconds: 10,
            webhook_allow_private: false,
            trust_forwarded_for: false,
            forwarded_hops: 1,
            metrics_token: None,
            metrics_listen: None,
            mail_max_message_bytes: 25 << 20,
            smtp_url: None,
            mail_from: None,
            imap_url: None,
            public_url: None,
            attachment_max_bytes: 10 << 20,
            attachments_dir: None,
            word_of_mouth_unhappy: 1825,
            word_of_mouth_happy: 3,
        }
    }
}

impl Config {
    pub fn load(file: Option<&Path>) -> Result<Config> {
        let mut layered = match serde_json::to_value(Config::default())? {
            serde_json::Value::Object(m) => m,
            _ => bail!("the default configuration is not a table"),
        };
        if let Some(f) = file {
            if !f.exists() {
                bail!("config file {} does not exist", f.display());
            }
            let text =
                std::fs::read_to_string(f).with_context(|| format!("cannot read config file {}", f.display()))?;
            let table: toml::Table =
                toml::from_str(&text).with_context(|| format!("invalid configuration in {}", f.display()))?;
            // A file is all ours: an unknown key in it is an error that names it (below, by serde).
            for (key, value) in table {
                layered.insert(key, serde_json::to_value(value)?);
            }
        }
        // Only the keys kefu knows come from the environment: other tools' KEFU_* variables (and
        // the CLI's own KEFU_CONFIG) must not break start-up.
        for (name, raw) in std::env::vars() {
            let Some(key) = name.strip_prefix("KEFU_").map(str::to_ascii_lowercase) else {
                continue;
            };
            if let Some(default) = layered.get(&key) {
                let value = env_value(&key, default, &raw).with_context(|| format!("invalid configuration: {name}"))?;
                layered.insert(key, value);
            }
        }
        let cfg: Config =
            serde_json::from_value(serde_json::Value::Object(layered)).context("invalid configuration")?;
        cfg.check()?;
        Ok(cfg)
    }

    /// The configuration keys, as TOML and `KEFU_<KEY>` spell them.
    pub fn keys() -> Vec<String> {
        match serde_json::to_value(Config::default()) {
            Ok(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
            _ => vec![],
        }
    }

    /// `KEFU_*` variables that are neither configuration keys nor the CLI's own, to warn about.
    pub fn unknown_env() -> Vec<String> {
        let keys = Self::keys();
        std::env::vars()
            .filter_map(|(k, _)| k.strip_prefix("KEFU_").map(str::to_ascii_lowercase))
            .filter(|k| !keys.contains(k) && k != "config" && k != "database_url")
            .map(|k| format!("KEFU_{}", k.to_ascii_uppercase()))
            .collect()
    }

    fn check(&self) -> Result<()> {
        if !matches!(self.log_format.as_str(), "text" | "json") {
            bail!("log_format must be \"text\" or \"json\", not {:?}", self.log_format);
        }
        if self.password_min_chars < 8 {
            bail!("password_min_chars must be at least 8");
        }
        if self.mail_max_message_bytes < 1024 {
            bail!("mail_max_message_bytes must be at least 1024");
        }
        self.mail_out()?;
        self.mail_in()?;
        if !(1..=(1 << 30)).contains(&self.attachment_max_bytes) {
            bail!("attachment_max_bytes must be between 1 and 1073741824 (1 GiB)");
        }
        if self.session_idle_minutes < 1 {
            bail!("session_idle_minutes must be at least 1");
        }
        Ok(())
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(u) if !u.trim().is_empty() => u.trim().to_owned(),
            _ => format!("sqlite://{}", self.data_dir.join("kefu.db").display()),
        }
    }

    /// The configuration as `kefu config` shows it: passwords in URLs masked.
    pub fn masked(&self) -> Config {
        let mut c = self.clone();
        c.database_url = Some(kefu_store_postgres::redact(&self.database_url()));
        c.smtp_url = self.smtp_url.as_deref().map(kefu_store_postgres::redact);
        c.imap_url = self.imap_url.as_deref().map(kefu_store_postgres::redact);
        c
    }

    /// The mailbox to poll: `None` without `imap_url`; an error naming the setting.
    pub fn mail_in(&self) -> Result<Option<kefu_mail::ImapUrl>> {
        match self.imap_url.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(u) => kefu_mail::ImapUrl::parse(u)
                .map(Some)
                .map_err(|e| anyhow::anyhow!("imap_url: {e}")),
        }
    }

    /// Mail out as configured: `None` without `smtp_url`; an error naming the bad setting.
    pub fn mail_out(&self) -> Result<Option<kefu_app::notify::MailOut>> {
        let set = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        match (set(&self.smtp_url), set(&self.mail_from)) {
            (None, _) => Ok(None),
            (Some(_), None) => bail!("mail_from must be set with smtp_url (e.g. \"客服中心 <support@example.com>\")"),
            (Some(url), Some(from)) => kefu_app::notify::MailOut::new(&url, &from, set(&self.public_url).as_deref())
                .map(Some)
                .map_err(|e| anyhow::anyhow!(e)),
        }
    }

    pub fn app_config(&self) -> kefu_app::AppConfig {
        kefu_app::AppConfig {
            password_policy: kefu_core::PasswordPolicy {
                min_chars: self.password_min_chars,
            },
            login_throttle: kefu_core::account::ThrottleRule {
                free_failures: self.login_max_failures,
                first_delay_ms: 60_000,
                max_delay_ms: self.lockout_minutes.max(1) * 60_000,
            },
            session_idle_ms: self.session_idle_minutes * 60_000,
            login_attempts_per_minute: self.login_attempts_per_minute,
            webhook_timeout_ms: self.webhook_timeout_seconds * 1000,
            webhook_allow_private: self.webhook_allow_private,
            mail_max_message_bytes: self.mail_max_message_bytes,
            // Checked by `load`.
            mail_out: self.mail_out().ok().flatten(),
            mail_in: self.mail_in().ok().flatten(),
            public_url: self
                .public_url
                .as_deref()
                .map(|u| u.trim().trim_end_matches('/').to_owned())
                .filter(|u| !u.is_empty()),
            attachments: kefu_app::attachments::AttachmentPolicy {
                max_bytes: self.attachment_max_bytes,
                dir: self.attachments_dir.clone().filter(|d| !d.as_os_str().is_empty()),
                ..Default::default()
            },
            word_of_mouth: kefu_app::dashboard::WordOfMouthRule {
                unhappy: self.word_of_mouth_unhappy,
                happy: self.word_of_mouth_happy,
            },
            ..kefu_app::AppConfig::default()
        }
    }
}

/// A `KEFU_<KEY>` variable's text as the configuration value it sets: a number or a flag where the
/// key takes one (as its default shows), else the text itself.
fn env_value(key: &str, default: &serde_json::Value, raw: &str) -> Result<serde_json::Value> {
    let flag = |raw: &str| match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(serde_json::Value::Bool(true)),
        "false" | "0" | "no" | "off" => Ok(serde_json::Value::Bool(false)),
        _ => bail!("{key} takes true or false, not {raw:?}"),
    };
    match default {
        serde_json::Value::Bool(_) => flag(raw),
        // The one optional flag: unset means automatic.
        serde_json::Value::Null if key == "cookie_secure" => flag(raw),
        serde_json::Value::Number(_) => match raw.trim().parse::<i64>() {
            Ok(n) => Ok(serde_json::Value::from(n)),
            Err(_) => bail!("{key} takes a whole number, not {raw:?}"),
        },
        _ => Ok(serde_json::Value::String(raw.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn variables_are_read_as_their_keys_type() {
        assert_eq!(env_value("worker", &json!(true), "off").unwrap(), json!(false));
        assert_eq!(env_value("cookie_secure", &json!(null), "TRUE").unwrap(), json!(true));
        assert_eq!(env_value("db_max_connections", &json!(16), " 32 ").unwrap(), json!(32));
        assert_eq!(
            env_value("listen", &json!("127.0.0.1:8080"), "0.0.0.0:80").unwrap(),
            json!("0.0.0.0:80")
        );
        // A text key keeps digits as text.
        assert_eq!(env_value("mail_from", &json!(null), "123").unwrap(), json!("123"));
        let e = env_value("db_max_connections", &json!(16), "many")
            .unwrap_err()
            .to_string();
        assert!(e.contains("db_max_connections") && e.contains("many"), "{e}");
        assert!(env_value("worker", &json!(true), "maybe").is_err());
    }
}
