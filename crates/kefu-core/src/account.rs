//! Accounts: roles, e-mail addresses, the password policy and the login lockout rule.

use crate::error::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The five roles (docs/roles.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Manager,
    Agent,
    Technician,
    Customer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Manager,
        Role::Agent,
        Role::Technician,
        Role::Customer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Agent => "agent",
            Role::Technician => "technician",
            Role::Customer => "customer",
        }
    }

    /// Whether the role is one of `set`.
    pub fn is_in(self, set: RoleSet) -> bool {
        set.contains(self)
    }

    /// Staff are the roles that work inside the company: everyone but customers ([`roles::STAFF`]).
    pub fn is_staff(self) -> bool {
        self.is_in(roles::STAFF)
    }

    /// The roles that work the service desk: tickets and customer records ([`roles::DESK`]).
    pub fn works_the_desk(self) -> bool {
        self.is_in(roles::DESK)
    }

    /// Admins and managers: they set service levels, design surveys, read every ticket
    /// ([`roles::MANAGERS`]).
    pub fn manages(self) -> bool {
        self.is_in(roles::MANAGERS)
    }

    /// Users, departments, settings, webhooks and the audit log are the admin's alone to change.
    pub fn may_administer(self) -> bool {
        self.is_in(roles::ADMINS)
    }

    /// Managers may read the user list (docs/roles.md#accounts-and-the-organisation).
    pub fn may_read_users(self) -> bool {
        self.manages()
    }

    /// Whether a user of this role may be put in departments: managers, agents and technicians may;
    /// admins (who see everything) and customers may not. An agent sees the tickets of its
    /// departments (docs/roles.md#scope).
    pub fn belongs_to_departments(self) -> bool {
        matches!(self, Role::Agent | Role::Technician | Role::Manager)
    }
}

/// A set of roles: the one place a guard such as "admins and managers" is written. The named sets
/// are in [`roles`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleSet(&'static [Role]);

impl RoleSet {
    pub const fn new(roles: &'static [Role]) -> RoleSet {
        RoleSet(roles)
    }

    pub const fn contains(self, role: Role) -> bool {
        let mut i = 0;
        while i < self.0.len() {
            if self.0[i] as u8 == role as u8 {
                return true;
            }
            i += 1;
        }
        false
    }

    /// The roles in the set, in the order [`Role::ALL`] gives them.
    pub fn roles(self) -> &'static [Role] {
        self.0
    }
}

/// The named sets of roles that kefu's guards use (docs/roles.md).
pub mod roles {
    use super::{Role, RoleSet};

    /// The administrator alone.
    pub const ADMINS: RoleSet = RoleSet::new(&[Role::Admin]);
    /// Admins and managers.
    pub const MANAGERS: RoleSet = RoleSet::new(&[Role::Admin, Role::Manager]);
    /// Who works the service desk: tickets and customer records.
    pub const DESK: RoleSet = RoleSet::new(&[Role::Admin, Role::Manager, Role::Agent]);
    /// Everyone who works inside the company.
    pub const STAFF: RoleSet = RoleSet::new(&[Role::Admin, Role::Manager, Role::Agent, Role::Technician]);
    /// Who files and reads tickets; what each sees is scoped by the use case.
    pub const TICKET_USERS: RoleSet = RoleSet::new(&[Role::Admin, Role::Manager, Role::Agent, Role::Customer]);
    /// The customer portal's users.
    pub const CUSTOMERS: RoleSet = RoleSet::new(&[Role::Customer]);
    /// Every signed-in user.
    pub const EVERYONE: RoleSet = RoleSet::new(&Role::ALL);
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            Invalid::one(
                "role",
                "unknown_role",
                format!("unknown role {s:?}: expected admin, manager, agent, technician or customer"),
            )
        })
    }
}

impl TryFrom<String> for Role {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        s.parse()
    }
}

/// A syntactically plausible e-mail address, lower-cased so it compares as the same account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, Invalid> {
        let s = raw.trim();
        let bad = |msg: &str| Invalid::one("email", "invalid_email", format!("{msg}: {s:?}"));
        if s.is_empty() {
            return Err(Invalid::one("email", "required", "an e-mail address is required"));
        }
        if s.len() > 254 {
            return Err(bad("e-mail address longer than 254 characters"));
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(|| bad("e-mail address without @"))?;
        let ok_local = !local.is_empty() && local.len() <= 64 && !local.contains('@');
        let ok_domain = !domain.is_empty()
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let no_space = !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"(),;:[]\\".contains(c));
        if !(ok_local && ok_domain && no_space) {
            return Err(bad("not an e-mail address"));
        }
        Ok(Email(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Password rules: a minimum length in characters (not bytes, so Chinese passphrases count fairly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub min_chars: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy { min_chars: 12 }
    }
}

impl PasswordPolicy {
    pub const MAX_CHARS: usize = 1024;

    pub fn check(&self, password: &str) -> Result<(), Invalid> {
        let n = password.chars().count();
        if n < self.min_chars {
            return Err(Invalid::one(
                "password",
                "too_short",
                format!("password must have at least {} characters (it has {n})", self.min_chars),
            ));
        }
        if n > Self::MAX_CHARS {
            return Err(Invalid::one(
                "password",
                "too_long",
                format!("password must have at most {} characters", Self::MAX_CHARS),
            ));
        }
        Ok(())
    }
}

/// How failed sign-ins slow down (SECURITY.md): failures are counted per account and client
/// address, and per address alone, never per account alone (an attacker elsewhere must not keep
/// the owner out). After `free_failures` failures, every further attempt from there waits a delay
/// that starts at `first_delay_ms` and doubles with each failure, up to `max_delay_ms`; a 429 with
/// `Retry-After` says so at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThrottleRule {
    pub free_failures: u32,
    pub first_delay_ms: i64,
    pub max_delay_ms: i64,
}

impl Default for ThrottleRule {
    fn default() -> Self {
        ThrottleRule {
            free_failures: 5,
            first_delay_ms: 60_000,
            max_delay_ms: 15 * 60_000,
        }
    }
}

impl ThrottleRule {
    /// The wait before the next attempt after `failures` failures (the one just made included),
    /// or `None` while they are free.
    pub fn delay_after(&self, failures: u32) -> Option<i64> {
        let over = failures.checked_sub(self.free_failures)?;
        let doubled = self.first_delay_ms.saturating_mul(1_i64 << over.min(40));
        Some(doubled.min(self.max_delay_ms).max(0))
    }

    /// The same rule for a client address across accounts: `factor` times the free failures.
    pub fn scaled(self, factor: u32) -> ThrottleRule {
        ThrottleRule {
            free_failures: self.free_failures.saturating_mul(factor),
            ..self
        }
    }
}

/// A display name: trimmed, 1–200 characters, no control characters.
pub fn display_name(raw: &str, field: &str) -> Result<String, Invalid> {
    crate::text::check_line(field, raw, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_sets_hold_their_roles() {
        use Role::*;
        let members = |set: RoleSet| Role::ALL.into_iter().filter(|r| r.is_in(set)).collect::<Vec<_>>();
        assert_eq!(members(roles::ADMINS), [Admin]);
        assert_eq!(members(roles::MANAGERS), [Admin, Manager]);
        assert_eq!(members(roles::DESK), [Admin, Manager, Agent]);
        assert_eq!(members(roles::STAFF), [Admin, Manager, Agent, Technician]);
        assert_eq!(members(roles::TICKET_USERS), [Admin, Manager, Agent, Customer]);
        assert_eq!(members(roles::CUSTOMERS), [Customer]);
        assert_eq!(members(roles::EVERYONE), Role::ALL);
        assert!(Agent.works_the_desk() && !Technician.works_the_desk() && Technician.is_staff());
    }

    #[test]
    fn roles_round_trip_and_reject_unknown() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        let e = "root".parse::<Role>().unwrap_err();
        assert_eq!(e.errors[0].code, "unknown_role");
    }

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Wang.Fang@Example.COM ").unwrap().as_str(),
            "wang.fang@example.com"
        );
        assert_eq!(Email::parse("王芳@例子.中国").unwrap().as_str(), "王芳@例子.中国");
        for bad in [
            "",
            "no-at",
            "@x.com",
            "a@",
            "a@.com",
            "a@b..com",
            "a b@c.com",
            "<a>@c.com",
            "a@b.com.",
            "x@y@z",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn password_policy_counts_characters() {
        let p = PasswordPolicy::default();
        assert!(p.check("short").is_err());
        assert!(p.check("twelve chars").is_ok());
        assert!(p.check("十二个汉字的密码短语好记又安全").is_ok());
        assert_eq!(p.check("十一个字").unwrap_err().errors[0].code, "too_short");
        assert!(p.check(&"x".repeat(2000)).is_err());
    }

    #[test]
    fn delays_grow_after_the_free_failures() {
        let r = ThrottleRule {
            free_failures: 3,
            first_delay_ms: 1000,
            max_delay_ms: 5000,
        };
        let delays: Vec<Option<i64>> = (1..=7).map(|f| r.delay_after(f)).collect();
        assert_eq!(
            delays,
            [None, None, Some(1000), Some(2000), Some(4000), Some(5000), Some(5000)]
        );
        assert_eq!(r.delay_after(u32::MAX), Some(5000), "no overflow");
        assert_eq!(r.scaled(4).free_failures, 12);
    }

    #[test]
    fn display_names() {
        assert_eq!(display_name("  王芳 ", "name").unwrap(), "王芳");
        assert!(display_name("   ", "name").is_err());
        assert!(display_name("a\u{7}b", "name").is_err());
        assert!(display_name(&"长".repeat(201), "name").is_err());
    }
}
