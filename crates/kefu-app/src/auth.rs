//! Authentication: Argon2id passwords, login with rate limits and growing delays, database-stored
//! sessions (any node serves any request), and API tokens. Secrets are random 32-byte values;
//! only their SHA-256 is stored, so a database leak gives no live session or token.

use crate::{App, AppError, AppResult};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use kefu_core::Email;
use kefu_store::{ApiToken, NewSession, Session, StoreError, User};
use rand::Rng;
use sha2::{Digest, Sha256};

/// Token use is recorded at most this often, so reads write nothing most of the time.
pub const TOUCH_EVERY_MS: i64 = 60_000;

pub async fn hash_password(password: &str) -> AppResult<String> {
    let pw = password.to_owned();
    tokio::task::spawn_blocking(move || {
        // The salt's bytes from rand (the password-hash crate's own generator wants rand_core 0.6).
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        let salt = SaltString::encode_b64(&bytes)?;
        Argon2::default()
            .hash_password(pw.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| AppError::Refused(format!("password hashing failed: {e}")))?
    .map_err(|e| AppError::Refused(format!("password hashing failed: {e}")))
}

pub async fn verify_password(password: &str, hash: &str) -> bool {
    let (pw, h) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&h).is_ok_and(|parsed| Argon2::default().verify_password(pw.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so that a wrong e-mail takes as
/// long as a wrong password and does not reveal which accounts exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3uxlA3vCNN0zJlB4ClbgTGTDwvn0pDN+6jzWMXw+1dA";

/// A fresh random secret, URL-safe.
pub fn random_secret() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A new session: the cookie value to give the browser and its CSRF secret.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub user: User,
    pub session_token: String,
    pub csrf_secret: String,
}

impl App {
    /// Checks e-mail and password. Attempts are limited per client address per minute; failures
    /// slow down further attempts per account and address, and per address alone, with growing
    /// delays answered at once as `RateLimited` — never per account alone, so nobody elsewhere can
    /// keep the owner out. An unknown account gets the same answers after the same work (a
    /// password verified against a dummy hash), and the owner of a known one is mailed when its
    /// sign-ins start being slowed (SECURITY.md).
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> AppResult<LoginOutcome> {
        let now = self.now();
        let window = now - now.rem_euclid(60_000);
        let address = ip.unwrap_or("unknown");
        let hits = self.store.rate_limit_hit(&format!("login:{address}"), window).await?;
        if hits > self.config.login_attempts_per_minute {
            return Err(AppError::RateLimited {
                retry_after_s: ((window + 60_000 - now) / 1000).max(1) as u64,
            });
        }
        // Keyed by the address as typed (normalised), so unknown accounts are throttled alike.
        let typed: String = email.trim().to_lowercase().chars().take(320).collect();
        let pair_key = format!("pair:{typed}|{address}");
        let address_key = format!("address:{address}");
        let keys = [pair_key.clone(), address_key.clone()];
        if let Some(until) = self.store.login_blocked_until(&keys).await?.filter(|u| *u > now) {
            return Err(AppError::RateLimited {
                retry_after_s: ((until - now) as u64).div_ceil(1000).max(1),
            });
        }
        let user = match Email::parse(email) {
            Ok(e) => match self.store.get_user_by_email(e.as_str()).await {
                Ok(u) => Some(u),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
            Err(_) => None,
        };
        let ok = match user.as_ref().and_then(|u| u.password_hash.as_deref()) {
            Some(h) => verify_password(password, h).await,
            None => {
                verify_password(password, DUMMY_HASH).await;
                false
            }
        };
        if !ok {
            self.count_login_failure(&pair_key, &address_key, user.as_ref(), ip, now)
                .await?;
            return Err(AppError::BadCredentials);
        }
        let Some(user) = user else {
            return Err(AppError::BadCredentials);
        };
        self.store.clear_login_failures(&pair_key).await?;
        if !self.may_sign_in(&user).await? {
            return Err(AppError::Disabled);
        }
        self.store.record_login_success(user.id, now).await?;
        let session_token = random_secret();
        let csrf_secret = random_secret();
        self.store
            .create_session(NewSession {
                token_hash: sha256_hex(&session_token),
                user_id: user.id,
                csrf_secret: csrf_secret.clone(),
                ip: ip.map(str::to_owned),
                user_agent: user_agent.map(|s| s.chars().take(300).collect()),
                created_at: now,
                expires_at: now + self.config.session_idle_ms,
            })
            .await?;
        Ok(LoginOutcome {
            user,
            session_token,
            csrf_secret,
        })
    }

    /// Counts a failed sign-in under both keys and sets their delays; mails the account's owner
    /// (at most once an hour) when the first delay starts for an address trying its account.
    async fn count_login_failure(
        &self,
        pair_key: &str,
        address_key: &str,
        user: Option<&User>,
        ip: Option<&str>,
        now: i64,
    ) -> AppResult<()> {
        const FORGET_MS: i64 = 3_600_000;
        let pair_rule = self.config.login_throttle;
        let address_rule = pair_rule.scaled(4);
        let pair = self.store.add_login_failure(pair_key, now, now - FORGET_MS).await?;
        if let Some(d) = pair_rule.delay_after(pair) {
            self.store.block_login(pair_key, now + d).await?;
        }
        let address = self.store.add_login_failure(address_key, now, now - FORGET_MS).await?;
        if let Some(d) = address_rule.delay_after(address) {
            self.store.block_login(address_key, now + d).await?;
        }
        let Some(user) = user else {
            return Ok(());
        };
        let failures = self.store.record_login_failure(user.id, None).await?;
        if pair == pair_rule.free_failures {
            let hour = now - now.rem_euclid(FORGET_MS);
            if self
                .store
                .rate_limit_hit(&format!("login_alert:{}", user.id), hour)
                .await?
                == 1
            {
                self.notify(crate::notify::Notice::LoginFailures {
                    user_id: user.id,
                    ip: ip.map(str::to_owned),
                    failures,
                })
                .await;
            }
        }
        Ok(())
    }

    /// The live session behind a cookie value, sliding its idle expiry (at most once a minute).
    pub async fn session(&self, token: &str) -> AppResult<(Session, User)> {
        let now = self.now();
        let hash = sha256_hex(token);
        let (session, user) = self.store.get_session(&hash, now).await?;
        if now - session.created_at > self.config.session_absolute_ms || !self.may_sign_in(&user).await? {
            self.store.delete_session(&hash).await?;
            return Err(AppError::NotFound);
        }
        if now - session.last_seen_at > TOUCH_EVERY_MS {
            self.store
                .touch_session(&hash, now, now + self.config.session_idle_ms)
                .await?;
        }
        Ok((session, user))
    }

    pub async fn logout(&self, token: &str) -> AppResult<()> {
        Ok(self.store.delete_session(&sha256_hex(token)).await?)
    }

    /// Creates an API token for a user; the plain token is returned once and never stored.
    pub async fn create_token(&self, actor: &crate::Actor, user_id: i64, name: &str) -> AppResult<(ApiToken, String)> {
        if actor.user_id() != Some(user_id) {
            actor.require_admin()?;
        }
        let user = self.store.get_user(user_id).await?;
        let plain = format!("kefu_{}", random_secret());
        let name = if name.trim().is_empty() { "api" } else { name.trim() };
        let token = self
            .store
            .create_token(user.id, name, &sha256_hex(&plain), self.now())
            .await?;
        self.audit(
            actor,
            "token.create",
            format!("user:{}", user.id),
            serde_json::json!({"token_id": token.id, "name": token.name}),
        )
        .await?;
        Ok((token, plain))
    }

    /// The user behind a bearer token; records its use at most once a minute.
    pub async fn authenticate_token(&self, plain: &str) -> AppResult<User> {
        if !plain.starts_with("kefu_") || plain.len() > 100 {
            return Err(AppError::BadCredentials);
        }
        let (token, user) = match self.store.find_token(&sha256_hex(plain)).await {
            Ok(found) => found,
            Err(StoreError::NotFound) => return Err(AppError::BadCredentials),
            Err(e) => return Err(e.into()),
        };
        if !self.may_sign_in(&user).await? {
            return Err(AppError::BadCredentials);
        }
        let now = self.now();
        if token.last_used_at.is_none_or(|t| now - t > TOUCH_EVERY_MS) {
            self.store.touch_token(token.id, now).await?;
        }
        Ok(user)
    }
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let h1 = hash_password("correct horse battery").await.unwrap();
        let h2 = hash_password("correct horse battery").await.unwrap();
        assert!(h1.starts_with("$argon2id$"));
        assert_ne!(h1, h2, "salted");
        assert!(verify_password("correct horse battery", &h1).await);
        assert!(!verify_password("wrong horse battery", &h1).await);
        assert!(!verify_password("x", "not a hash").await);
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn constant_time() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
