//! Who may call what: a route's access rule (`Access`), the surface it answers on (`Surface`),
//! the route's entry (`RouteDef`) and the named role sets the route table uses. A leaf module:
//! the router (`routes.rs`), the access layer (`auth.rs`) and CSRF (`csrf.rs`) all read these
//! rules, and none of them is needed to state them.

use axum::http::Method;
use kefu_core::{Role, RoleSet, roles};

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    AnyUser,
    /// Only these roles.
    Roles(RoleSet),
}

impl Access {
    pub fn allows(self, role: Option<Role>) -> bool {
        match self {
            Access::Public => true,
            Access::AnyUser => role.is_some(),
            Access::Roles(set) => role.is_some_and(|r| set.contains(r)),
        }
    }
}

/// Pages answer with HTML and redirect to the login; the API answers problem+json and 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Page,
    Api,
    Ops,
}

#[derive(Debug, Clone)]
pub struct RouteDef {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub surface: Surface,
}

// The route table's names for the role sets of kefu_core::roles (docs/roles.md).
pub(crate) const ADMIN: RoleSet = roles::ADMINS;
pub(crate) const USER_READERS: RoleSet = roles::MANAGERS;
pub(crate) const CUSTOMER_WRITERS: RoleSet = roles::DESK;
/// Who may read customer records at all; what each sees is scoped by the use case
/// (docs/roles.md#scope): a customer user its own record or subtree, a technician none until
/// visits exist.
pub(crate) const CUSTOMER_READERS: RoleSet = roles::EVERYONE;
/// Who may file and read tickets; what each sees is scoped by the use case (docs/roles.md#scope).
pub(crate) const TICKET_USERS: RoleSet = roles::TICKET_USERS;
/// The customer portal's pages.
pub(crate) const PORTAL: RoleSet = roles::CUSTOMERS;
pub(crate) const CUSTOMER_DELETERS: RoleSet = roles::MANAGERS;
/// Who designs surveys, makes their links and reads their reports (docs/roles.md#surveys).
pub(crate) const SURVEY_MANAGERS: RoleSet = roles::MANAGERS;
pub(crate) const STAFF: RoleSet = roles::STAFF;
/// Who ticks the five-gap checklist (docs/roles.md#quality); every staff role reads the gaps.
pub(crate) const DIAGNOSTICIANS: RoleSet = roles::MANAGERS;
