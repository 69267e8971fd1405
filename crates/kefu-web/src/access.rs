//! Who may call what: a route's access rule (`Access`), the surface it answers on (`Surface`),
//! the route's entry (`RouteDef`) and the named role sets the route table uses. A leaf module:
//! the router (`routes.rs`), the access layer (`auth.rs`) and CSRF (`csrf.rs`) all read these
//! rules, and none of them is needed to state them.

use axum::http::Method;
use kefu_core::Role;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    AnyUser,
    /// Only these roles.
    Roles(&'static [Role]),
}

impl Access {
    pub fn allows(self, role: Option<Role>) -> bool {
        match self {
            Access::Public => true,
            Access::AnyUser => role.is_some(),
            Access::Roles(rs) => role.is_some_and(|r| rs.contains(&r)),
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

pub(crate) const ADMIN: &[Role] = &[Role::Admin];
pub(crate) const USER_READERS: &[Role] = &[Role::Admin, Role::Manager];
pub(crate) const CUSTOMER_WRITERS: &[Role] = &[Role::Admin, Role::Manager, Role::Agent];
/// Who may read customer records at all; what each sees is scoped by the app (SPEC section L):
/// a customer user its own record or subtree, a technician those of its visits.
pub(crate) const CUSTOMER_READERS: &[Role] = &[
    Role::Admin,
    Role::Manager,
    Role::Agent,
    Role::Technician,
    Role::Customer,
];
/// Who may file and read tickets; what each sees is scoped by the app (SPEC section L).
pub(crate) const TICKET_USERS: &[Role] = &[Role::Admin, Role::Manager, Role::Agent, Role::Customer];
/// The customer portal's pages.
pub(crate) const PORTAL: &[Role] = &[Role::Customer];
pub(crate) const CUSTOMER_DELETERS: &[Role] = &[Role::Admin, Role::Manager];
/// Who designs surveys, makes their links and reads their reports (SPEC.md L).
pub(crate) const SURVEY_MANAGERS: &[Role] = &[Role::Admin, Role::Manager];
pub(crate) const STAFF: &[Role] = &[Role::Admin, Role::Manager, Role::Agent, Role::Technician];
