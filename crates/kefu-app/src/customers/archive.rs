//! The customer archive (客户档案): one customer's record with everything a page shows beside it,
//! read within the caller's scope.

use super::chain::CustomerChain;
use crate::{Actor, App, AppResult};
use kefu_store::{Contact, Customer, PortalAccount, Purchase, User, UserFilter};

/// How many purchases the archive shows (the newest).
const ARCHIVE_PURCHASES: u32 = 100;
/// How many staff of each role the account-manager picker offers.
const MANAGER_CHOICES: u32 = 500;

/// A customer and what its archive page shows beside it.
#[derive(Debug, Clone)]
pub struct CustomerArchive {
    pub customer: Customer,
    pub chain: CustomerChain,
    pub contacts: Vec<Contact>,
    /// The newest purchases.
    pub purchases: Vec<Purchase>,
    pub portal_accounts: Vec<PortalAccount>,
    /// Records that look like the same customer.
    pub duplicates: Vec<Customer>,
    pub account_manager: Option<User>,
    /// The record this one was merged into.
    pub merged_into: Option<Customer>,
}

impl App {
    /// The archive of a customer the actor may see (`NotFound` otherwise). A deleted customer's
    /// archive opens only for those who may restore it.
    pub async fn customer_archive(&self, actor: &Actor, id: i64) -> AppResult<CustomerArchive> {
        let restorer = super::may_delete_customers(actor.role());
        let customer = self.customer_in_scope(actor, id, restorer).await?;
        let (chain, contacts, purchases, portal_accounts, duplicates) = tokio::try_join!(
            self.chain_of(actor, id),
            async { Ok(self.store.list_contacts(id).await?) },
            async { Ok(self.store.list_purchases(id, ARCHIVE_PURCHASES).await?) },
            self.portal_accounts_of(actor, id),
            self.duplicates_of(id),
        )?;
        let account_manager = match customer.account_manager_id {
            Some(m) => self.store.get_user(m).await.map(Some).or_else(not_found_as_none)?,
            None => None,
        };
        let merged_into = match customer.merged_into {
            Some(m) => self.store.get_customer(m).await.map(Some).or_else(not_found_as_none)?,
            None => None,
        };
        Ok(CustomerArchive {
            customer,
            chain,
            contacts,
            purchases,
            portal_accounts,
            duplicates,
            account_manager,
            merged_into,
        })
    }

    /// The staff a customer's account manager may be chosen from: enabled admins, managers and
    /// agents (the first [`MANAGER_CHOICES`] of each role, so portal users never crowd them out),
    /// by id. For those who may write customers.
    pub async fn account_manager_choices(&self, actor: &Actor) -> AppResult<Vec<User>> {
        if !super::may_write_customers(actor.role()) {
            return Err(crate::AppError::Forbidden);
        }
        let mut out = Vec::new();
        for &role in kefu_core::roles::DESK.roles() {
            let users = self
                .store
                .list_users(UserFilter {
                    after: 0,
                    limit: MANAGER_CHOICES,
                    role: Some(role),
                })
                .await?;
            out.extend(users.into_iter().filter(|u| !u.disabled));
        }
        out.sort_by_key(|u| u.id);
        Ok(out)
    }
}

fn not_found_as_none<T>(e: kefu_store::StoreError) -> Result<Option<T>, kefu_store::StoreError> {
    match e {
        kefu_store::StoreError::NotFound => Ok(None),
        e => Err(e),
    }
}
