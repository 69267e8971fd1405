//! Who the request is from, once `auth::identify` has resolved it: the `Identity` every handler
//! may extract, and the signed-in `Caller` of a route whose access rule wants one. A leaf module,
//! so that the layout and the error pages can take an identity without reaching the middleware.

use crate::i18n::Tr;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use kefu_app::Actor;
use kefu_app::model::User;
use kefu_core::Language;

/// The caller of this request.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user: Option<User>,
    /// The session's cookie value and CSRF secret, when signed in through the browser.
    pub session: Option<(String, String)>,
    pub ip: Option<String>,
    pub lang: Language,
    /// For admins and managers on pages: the calendars in use that do not know the coming
    /// holidays, shown as a banner (kefu_app::calendars).
    pub calendar_gaps: Vec<kefu_app::calendars::CalendarGap>,
}

impl Identity {
    pub fn tr(&self) -> Tr {
        Tr::new(self.lang)
    }
}

/// A signed-in caller (the route's `Access` has already let it in).
pub struct Caller {
    /// The signed-in account.
    pub user: User,
    /// The request's identity: session, client address, language.
    pub identity: Identity,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor::User {
            user: self.user.clone(),
            ip: self.identity.ip.clone(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Identity {
    type Rejection = StatusCode;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, StatusCode> {
        parts
            .extensions
            .get::<Identity>()
            .cloned()
            .ok_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = StatusCode;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, StatusCode> {
        let id = parts
            .extensions
            .get::<Identity>()
            .cloned()
            .ok_or(StatusCode::INTERNAL_SERVER_ERROR)?;
        match id.user.clone() {
            Some(user) => Ok(Caller { user, identity: id }),
            None => Err(StatusCode::UNAUTHORIZED),
        }
    }
}
