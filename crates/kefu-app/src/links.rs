//! The paths that kefu's mails, link lists and API answers point people to, written once: the
//! router serves them under these patterns and everything that builds a link uses these
//! functions, so a link in a mail cannot drift from the page it names.

/// A survey's answer page for one respondent (no sign-in: the token is the key).
pub const SURVEY_ANSWER: &str = "/s/{token}";
/// Where a respondent stops further invitations.
pub const SURVEY_OPT_OUT: &str = "/s/{token}/opt-out";
/// The public follow page of a complaint filed without an account.
pub const FOLLOW: &str = "/follow/{token}";
/// An invitation to a portal account: the invitee chooses a password there.
pub const INVITATION: &str = "/invite/{token}";
/// Where the owner of a contact's address confirms a complaint filed with it on the public form.
pub const CONFIRM_REQUESTER: &str = "/confirm/{token}";
/// A ticket as staff see it.
pub const TICKET: &str = "/tickets/{id}";
/// A ticket as its customer sees it in the portal.
pub const MY_REQUEST: &str = "/my/requests/{id}";

pub fn survey_answer(token: &str) -> String {
    SURVEY_ANSWER.replace("{token}", token)
}

pub fn survey_opt_out(token: &str) -> String {
    SURVEY_OPT_OUT.replace("{token}", token)
}

pub fn follow(token: &str) -> String {
    FOLLOW.replace("{token}", token)
}

pub fn invitation(token: &str) -> String {
    INVITATION.replace("{token}", token)
}

pub fn confirm_requester(token: &str) -> String {
    CONFIRM_REQUESTER.replace("{token}", token)
}

pub fn ticket(id: i64) -> String {
    TICKET.replace("{id}", &id.to_string())
}

pub fn my_request(id: i64) -> String {
    MY_REQUEST.replace("{id}", &id.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_fill_their_pattern() {
        assert_eq!(super::survey_answer("t0k"), "/s/t0k");
        assert_eq!(super::survey_opt_out("t0k"), "/s/t0k/opt-out");
        assert_eq!(super::follow("f"), "/follow/f");
        assert_eq!(super::invitation("i"), "/invite/i");
        assert_eq!(super::confirm_requester("c"), "/confirm/c");
        assert_eq!(super::ticket(42), "/tickets/42");
        assert_eq!(super::my_request(7), "/my/requests/7");
    }
}
