//! Ticket pages for staff: the agent queue (a list with filters, or the four urgency × importance
//! quadrants: docs/statistics.md#queue-quadrants), a ticket with its SLA targets, conversation
//! and activity, and the form an agent files a ticket with (a phone call, a walk-in). Every text a
//! customer wrote is shown escaped.
//!
//! `queue.rs` is the queue and its saved views, `ticket.rs` the ticket page and its forms,
//! `workspace.rs` the agent's side panel on it, `new.rs` the form a ticket is filed with.

mod new;
mod queue;
mod ticket;
mod workspace;

pub(crate) use workspace::answer_text;

pub use new::{create, new_form};
pub use queue::{delete_view, download, queue, save_view};
pub use ticket::{
    add, add_step, attach, confirm_requester, resolution, set_fields, set_purchase, set_status, share, show,
};
