//! Threading: which ticket an inbound message may belong to.
//!
//! The rule the app applies (this crate gives it the facts, the app has the tickets):
//! 1. Look up every id of [`ThreadHint::candidate_message_ids`] among the Message-IDs *we sent* (stored with
//!    each outbound message). Look up the whole id: the ticket number inside our ids
//!    (`kefu.{ticket}.{random}@{domain}`) is readable by anyone and must not be trusted by itself.
//! 2. Else take [`ThreadHint::reference_in_subject`] (`Re: [KF-2026-000123] ...`).
//! 3. A ticket found either way takes the message as a customer reply only if
//!    [`ThreadHint::sender_is_contact`] holds for the ticket's contact addresses. Headers are free text: anyone
//!    can copy an In-Reply-To or a reference into a new message, so a matching id from a *different* sender
//!    is a forged or forwarded reply. Do not append it to the conversation (that would let a stranger write
//!    into someone else's ticket and receive its notifications); open a new ticket, or hold it for an agent,
//!    linked to the one it names.
//! 4. Nothing found: a new ticket.

use kefu_core::Email;
use kefu_core::ticket::Reference;

use crate::InboundMail;

/// What an inbound message says about the thread it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadHint {
    /// The first ticket reference written in full in the subject (`KF-2026-000123`, six digits or more, any
    /// case, not glued to letters or digits).
    pub reference_in_subject: Option<Reference>,
    /// Normalised without `<>`.
    pub in_reply_to: Vec<String>,
    /// Oldest first, as in the header.
    pub references: Vec<String>,
    /// The `From` address, which the app compares with the ticket's contact.
    pub sender: Email,
}

impl ThreadHint {
    /// The ids to look up among those we sent, most telling first: In-Reply-To, then References newest first;
    /// each id once.
    pub fn candidate_message_ids(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for id in self.in_reply_to.iter().chain(self.references.iter().rev()) {
            if !out.contains(&id.as_str()) {
                out.push(id);
            }
        }
        out
    }

    /// True when the sender is one of the ticket's contact addresses (compared lower-cased).
    pub fn sender_is_contact<'a>(&self, contacts: impl IntoIterator<Item = &'a str>) -> bool {
        contacts
            .into_iter()
            .any(|c| c.trim().to_lowercase() == self.sender.as_str())
    }
}

/// The threading facts of a parsed message.
pub fn thread_key(mail: &InboundMail) -> ThreadHint {
    ThreadHint {
        reference_in_subject: Reference::find_in(&mail.subject),
        in_reply_to: mail.in_reply_to.clone(),
        references: mail.references.clone(),
        sender: mail.from.address.clone(),
    }
}
