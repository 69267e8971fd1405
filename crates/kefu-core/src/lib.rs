//! kefu's domain: types and rules with no I/O. Every other crate builds on these;
//! this crate imports no other kefu crate.

pub mod account;
pub mod blueprint;
pub mod calendar;
mod code;
pub mod codes;
pub mod commitment;
pub mod customer;
pub mod error;
pub mod facts;
pub mod gaps;
pub mod holidays;
pub mod i18n;
pub mod jobs;
pub mod lang;
pub mod net;
pub mod page;
pub mod queue;
pub mod rfm;
pub mod routing;
pub mod search;
pub mod sla;
pub mod stats;
pub mod survey;
pub mod text;
pub mod ticket;
pub mod time;

pub use account::{Email, PasswordPolicy, Role, RoleSet, roles};
pub use error::{FieldError, Invalid};
pub use lang::Language;
pub use survey::SurveyKind;
