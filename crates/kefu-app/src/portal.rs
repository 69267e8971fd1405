//! Portal accounts (docs/roles.md#scope): a customer-role user speaks for one contact of a customer
//! record and sees that record or, for an intermediate customer, its whole subtree. An agent
//! creates the account with a password, or with an invitation link the customer opens to choose
//! one.

use crate::auth::{hash_password, random_secret, sha256_hex};
use crate::{Actor, App, AppError, AppResult};
use kefu_core::{Email, Invalid, Role};
use kefu_store::{NewUser, PortalAccount, User};
use serde_json::json;

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;

/// What a customer-role caller may see of the customer records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerScope {
    /// Staff who work with every customer.
    All,
    /// This customer and everything beneath it in the channel tree.
    Within(i64),
    /// Nothing (a customer user without a live link, a technician before visits exist).
    Nothing,
}

/// A new portal account: a password now, or an invitation to choose one.
#[derive(Debug, Clone)]
pub enum PortalCredential {
    Password(String),
    Invitation,
}

impl App {
    /// The part of the channel tree the actor may read.
    pub async fn customer_scope(&self, actor: &Actor) -> AppResult<CustomerScope> {
        Ok(match actor.role() {
            Role::Admin | Role::Manager | Role::Agent => CustomerScope::All,
            Role::Technician => CustomerScope::Nothing,
            Role::Customer => match actor.user_id() {
                Some(id) => match self.store.portal_account(id).await? {
                    Some(a) if a.live => CustomerScope::Within(a.customer_id),
                    _ => CustomerScope::Nothing,
                },
                None => CustomerScope::Nothing,
            },
        })
    }

    /// Whether a user may sign in and be served: not disabled and, for a portal user, an account
    /// whose contact and customer record are not deleted (deleting cuts a dealer's users off;
    /// restoring lets them back in). A customer-role user without a portal account signs in to an
    /// empty scope.
    pub(crate) async fn may_sign_in(&self, user: &User) -> AppResult<bool> {
        if user.disabled {
            return Ok(false);
        }
        if user.role != Role::Customer {
            return Ok(true);
        }
        Ok(self.store.portal_account(user.id).await?.is_none_or(|a| a.live))
    }

    /// A customer the actor may read; anything else, a deleted customer included, is `NotFound`, so
    /// existence does not leak and a deleted record reads as gone (it can still be restored).
    pub async fn visible_customer(&self, actor: &Actor, id: i64) -> AppResult<kefu_store::Customer> {
        self.customer_in_scope(actor, id, false).await
    }

    /// A customer in the actor's scope; a deleted one only with `deleted_too` (the archive page that
    /// those who may restore it open from the deleted list).
    pub(crate) async fn customer_in_scope(
        &self,
        actor: &Actor,
        id: i64,
        deleted_too: bool,
    ) -> AppResult<kefu_store::Customer> {
        let visible = match self.customer_scope(actor).await? {
            CustomerScope::All => true,
            CustomerScope::Within(root) => self.store.is_within(root, id).await?,
            CustomerScope::Nothing => false,
        };
        if !visible {
            return Err(AppError::NotFound);
        }
        let c = self.store.get_customer(id).await?;
        if c.deleted_at.is_some() && !deleted_too {
            return Err(AppError::NotFound);
        }
        Ok(c)
    }

    /// Creates a portal account for a contact that has an e-mail address. With an invitation,
    /// returns the one-time token of the link `/invite/{token}` (valid [`INVITATION_DAYS`] days).
    pub async fn create_portal_account(
        &self,
        actor: &Actor,
        contact_id: i64,
        credential: PortalCredential,
    ) -> AppResult<(PortalAccount, Option<String>)> {
        if !actor.role().works_the_desk() {
            return Err(AppError::Forbidden);
        }
        let contact = self.store.get_contact(contact_id).await?;
        if contact.email.is_empty() {
            return Err(Invalid::one(
                "contact_id",
                "contact_without_email",
                "the contact needs an e-mail address to sign in with",
            )
            .into());
        }
        let email = Email::parse(&contact.email)?;
        let password_hash = match &credential {
            PortalCredential::Password(p) => {
                self.config.password_policy.check(p)?;
                Some(hash_password(p).await?)
            }
            PortalCredential::Invitation => None,
        };
        let now = self.now();
        let account = self
            .store
            .create_portal_user(
                NewUser {
                    email: email.to_string(),
                    name: contact.name.clone(),
                    role: Role::Customer,
                    language: contact.language,
                    password_hash,
                    departments: vec![],
                    now,
                },
                contact_id,
            )
            .await
            .map_err(crate::error::conflict_says(format!(
                "a user with e-mail {email} exists already, or this contact has a portal account"
            )))?;
        self.emit_user_created(&account.user).await;
        let token = match credential {
            PortalCredential::Invitation => Some(self.invite(account.user.id, now).await?),
            PortalCredential::Password(_) => None,
        };
        if let Some(token) = &token {
            self.notify(crate::notify::Notice::Invitation {
                user_id: account.user.id,
                token: token.clone(),
            })
            .await;
        }
        self.audit(
            actor,
            "portal_account.create",
            format!("user:{}", account.user.id),
            json!({"email": account.user.email, "contact_id": contact_id, "customer_id": account.customer_id,
                   "invited": token.is_some()}),
        )
        .await?;
        Ok((account, token))
    }

    /// A new invitation for a user without a password yet (or who lost it); earlier ones stay valid
    /// until they expire or one is used.
    pub async fn reinvite(&self, actor: &Actor, user_id: i64) -> AppResult<String> {
        if !actor.role().works_the_desk() {
            return Err(AppError::Forbidden);
        }
        let account = self.store.portal_account(user_id).await?.ok_or(AppError::NotFound)?;
        if account.user.disabled {
            return Err(AppError::Disabled);
        }
        let token = self.invite(user_id, self.now()).await?;
        self.notify(crate::notify::Notice::Invitation {
            user_id,
            token: token.clone(),
        })
        .await;
        self.audit(
            actor,
            "portal_account.invite",
            format!("user:{user_id}"),
            json!({"email": account.user.email}),
        )
        .await?;
        Ok(token)
    }

    async fn invite(&self, user_id: i64, now: i64) -> AppResult<String> {
        let token = random_secret();
        let expires = now + INVITATION_DAYS * 24 * 3600 * 1000;
        self.store
            .create_invitation(user_id, &sha256_hex(&token), expires, now)
            .await?;
        Ok(token)
    }

    /// The customer sets a password with an invitation token; the token is used up.
    ///
    /// Rate-limited by address, and the token is checked before the password is hashed: hashing
    /// costs ~19 MiB and tens of milliseconds, which a stranger with made-up tokens must not buy.
    pub async fn accept_invitation(&self, token: &str, password: &str, ip: Option<&str>) -> AppResult<User> {
        self.public_rate_limit(crate::public::PublicAction::Invitation, ip)
            .await?;
        self.check_invitation(token).await?;
        self.config.password_policy.check(password)?;
        let hash = hash_password(password).await?;
        let user = self
            .store
            .accept_invitation(&sha256_hex(token), &hash, self.now())
            .await?;
        self.audit(
            &Actor::User {
                user: user.clone(),
                ip: None,
            },
            "portal_account.accept_invitation",
            format!("user:{}", user.id),
            json!({"email": user.email}),
        )
        .await?;
        Ok(user)
    }

    /// An invitation that can still be used, checked without using it; anything else is `NotFound`.
    pub async fn check_invitation(&self, token: &str) -> AppResult<()> {
        if token.is_empty()
            || token.len() > 200
            || !self.store.invitation_is_live(&sha256_hex(token), self.now()).await?
        {
            return Err(AppError::NotFound);
        }
        Ok(())
    }

    /// The portal accounts of a customer's contacts (for its archive page).
    pub async fn portal_accounts_of(&self, actor: &Actor, customer_id: i64) -> AppResult<Vec<PortalAccount>> {
        if !actor.role().works_the_desk() {
            return Err(AppError::Forbidden);
        }
        Ok(self.store.portal_accounts_of(customer_id).await?)
    }
}

impl App {
    /// Customers the actor may read, by id, from `filter.after`.
    pub async fn list_customers(
        &self,
        actor: &Actor,
        mut filter: kefu_store::CustomerFilter,
    ) -> AppResult<Vec<kefu_store::Customer>> {
        if filter.deleted_only && !crate::customers::may_delete_customers(actor.role()) {
            return Err(AppError::Forbidden);
        }
        match self.customer_scope(actor).await? {
            CustomerScope::All => {}
            CustomerScope::Within(root) => {
                filter.within = Some(root);
                filter.include_deleted = false;
            }
            CustomerScope::Nothing => return Ok(vec![]),
        }
        Ok(self.store.list_customers(filter).await?)
    }

    /// Full-text search (names, phones, e-mails, tags, notes; Chinese and English) within the
    /// actor's scope.
    pub async fn search_customers(
        &self,
        actor: &Actor,
        text: &str,
        limit: u32,
    ) -> AppResult<Vec<kefu_store::Customer>> {
        let within = match self.customer_scope(actor).await? {
            CustomerScope::All => None,
            CustomerScope::Within(root) => Some(root),
            CustomerScope::Nothing => return Ok(vec![]),
        };
        let query = kefu_core::search::parse_query(text);
        Ok(self.store.search_customers(&query, within, limit).await?)
    }

    /// One level of the channel tree as the actor may see it: the direct customers of `parent`
    /// (or the top of the tree; for a customer user, its own record) with counts beneath.
    pub async fn channel_tree(
        &self,
        actor: &Actor,
        parent: Option<i64>,
        offset: u32,
        limit: u32,
    ) -> AppResult<Vec<kefu_store::TreeNode>> {
        match (self.customer_scope(actor).await?, parent) {
            (CustomerScope::All, p) => {
                if let Some(p) = p {
                    self.store.get_customer(p).await?;
                }
                Ok(self.store.tree_children(p, offset, limit).await?)
            }
            (CustomerScope::Within(root), None) => {
                if offset > 0 {
                    return Ok(vec![]);
                }
                let customer = self.store.get_customer(root).await?;
                let beneath = self.store.subtree_counts(root).await?.iter().map(|(_, n)| n).sum();
                Ok(vec![kefu_store::TreeNode { customer, beneath }])
            }
            (CustomerScope::Within(_), Some(p)) => {
                self.visible_customer(actor, p).await?;
                Ok(self.store.tree_children(Some(p), offset, limit).await?)
            }
            (CustomerScope::Nothing, _) => Err(AppError::NotFound),
        }
    }
}
