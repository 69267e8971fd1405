//! Tickets (docs/tickets.md#a-ticket): kinds, the status workflow, priority, channels, the five
//! classification axes, remedies, the public reference (`KF-2026-000123`), and the
//! resolution figures computed from a ticket's history (first-contact resolution, reopen count).

use crate::code::code_enum;
use crate::error::Invalid;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;

code_enum! {
    /// What a ticket is about (docs/tickets.md#a-ticket).
    pub enum Kind("kind") {
        /// 投诉
        Complaint = "complaint", "Complaint", "投诉";
        /// 服务请求: installation, repair, a visit.
        Request = "request", "Service request", "服务请求";
        /// 咨询
        Inquiry = "inquiry", "Inquiry", "咨询";
        /// 建议
        Suggestion = "suggestion", "Suggestion", "建议";
        /// 表扬
        Praise = "praise", "Praise", "表扬";
        /// A failure the company found itself before a customer complained; its recovery log can be
        /// shared with the affected customer.
        Incident = "incident", "Incident", "故障事件";
    }
}

code_enum! {
    /// Where a ticket stands. The moves allowed between them are [`Status::can_move_to`] and
    /// [`Workflow::transition`].
    pub enum Status("status") {
        /// Filed, nobody has worked on it yet.
        New = "new", "New", "新建";
        /// Being worked on.
        Open = "open", "Open", "处理中";
        /// Waiting for the customer: the resolution and next-response clocks are paused.
        Pending = "pending", "Waiting for customer", "待客户回复";
        /// Solved; the customer may still reply and reopen it.
        Resolved = "resolved", "Resolved", "已解决";
        /// Finished: reopened only within the [`Workflow`]'s window.
        Closed = "closed", "Closed", "已关闭";
    }
}

impl Status {
    /// `open,pending` as the statuses it names, each once: a list however long (`?status=` of a
    /// query) asks for at most the five statuses.
    pub fn parse_list(s: &str) -> Result<Vec<Status>, Invalid> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let status = Status::parse(part)?;
            if !out.contains(&status) {
                out.push(status);
            }
        }
        Ok(out)
    }
}

code_enum! {
    /// The stored priority, set by an agent, a routing rule or an escalation; it selects the SLA
    /// policy. Ordered from low to urgent; `normal` by default.
    #[derive(Default)]
    pub enum Priority("priority") {
        Low = "low", "Low", "低";
        #[default]
        Normal = "normal", "Normal", "普通";
        High = "high", "High", "高";
        Urgent = "urgent", "Urgent", "紧急";
    }
}

code_enum! {
    /// How a ticket reached us (every way a customer may complain: complaining must be easy).
    pub enum Channel("channel") {
        /// The public form, no login.
        WebForm = "web_form", "Web form", "网页表单";
        /// The customer portal, logged in.
        Portal = "portal", "Customer portal", "客户门户";
        Email = "email", "Email", "电子邮件";
        /// A call logged by an agent.
        Phone = "phone", "Phone", "电话";
        Api = "api", "API", "API";
        /// The public form opened from a QR code at a location or touchpoint.
        Qr = "qr", "QR code", "二维码";
        /// Entered by an agent on the customer's behalf (walk-in, chat, letter).
        Agent = "agent", "Agent", "坐席录入";
    }
}

code_enum! {
    /// Classification by time: 售前 / 售中 / 售后服务.
    pub enum Phase("phase") {
        PreSale = "pre_sale", "Pre-sale", "售前";
        InSale = "in_sale", "In-sale", "售中";
        AfterSale = "after_sale", "After-sale", "售后";
    }
}

code_enum! {
    /// Classification by nature: 技术性 / 非技术性服务.
    pub enum Nature("nature") {
        Technical = "technical", "Technical", "技术性";
        NonTechnical = "non_technical", "Non-technical", "非技术性";
    }
}

code_enum! {
    /// Classification by place: 定点 / 巡回服务.
    pub enum Place("place") {
        /// At a service point: the shop, the service centre, the phone line.
        Fixed = "fixed", "Fixed point", "定点";
        /// At the customer's site (巡回: the technician travels).
        OnSite = "on_site", "On-site", "巡回";
    }
}

code_enum! {
    /// Classification by fee: 无偿 / 有偿服务.
    pub enum Fee("fee") {
        Free = "free", "Free", "无偿";
        Paid = "paid", "Paid", "有偿";
    }
}

code_enum! {
    /// Classification by frequency: 一次性 / 经常性服务.
    pub enum Frequency("frequency") {
        OneOff = "one_off", "One-off", "一次性";
        Recurring = "recurring", "Recurring", "经常性";
    }
}

code_enum! {
    /// What the customer was given to put things right.
    pub enum Remedy("remedy") {
        /// 道歉
        Apology = "apology", "Apology", "道歉";
        /// 维修
        Repair = "repair", "Repair", "维修";
        /// 换货
        Exchange = "exchange", "Exchange", "换货";
        /// 退款 (an amount may be recorded)
        Refund = "refund", "Refund", "退款";
        /// 补偿 (an amount is required)
        Compensation = "compensation", "Compensation", "补偿";
    }
}

code_enum! {
    /// Why it went wrong, as found when resolving (the cause the gap and improvement pages count).
    pub enum RootCause("root_cause") {
        /// 产品质量
        ProductDefect = "product_defect", "Product defect", "产品质量";
        /// 安装
        Installation = "installation", "Installation", "安装问题";
        /// 物流
        Logistics = "logistics", "Delivery and logistics", "物流配送";
        /// 服务态度
        StaffAttitude = "staff_attitude", "Staff attitude", "服务态度";
        /// 沟通不到位 (the value was not perceived: docs/statistics.md#dissatisfaction-causes)
        Communication = "communication", "Communication", "沟通不到位";
        /// 流程
        Process = "process", "Process", "流程问题";
        /// 政策
        Policy = "policy", "Policy or terms", "政策条款";
        /// 第三方 (a dealer, a carrier)
        ThirdParty = "third_party", "Third party", "第三方";
        /// 使用不当
        CustomerUse = "customer_use", "Customer use", "使用不当";
        /// 无法确定
        Unknown = "unknown", "Unknown", "原因不明";
    }
}

impl Priority {
    /// One step up, as an escalation raises it; `urgent` stays `urgent`.
    pub fn raised(self) -> Priority {
        match self {
            Priority::Low => Priority::Normal,
            Priority::Normal => Priority::High,
            Priority::High | Priority::Urgent => Priority::Urgent,
        }
    }
}

/// The five classification axes (phase, nature, place, fee, frequency); each is optional until
/// someone classifies the ticket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Classification {
    #[serde(default)]
    pub phase: Option<Phase>,
    #[serde(default)]
    pub nature: Option<Nature>,
    #[serde(default)]
    pub place: Option<Place>,
    #[serde(default)]
    pub fee: Option<Fee>,
    #[serde(default)]
    pub frequency: Option<Frequency>,
}

impl Remedy {
    /// Checks the amount (minor units) recorded with a remedy: compensation needs a positive
    /// amount, a refund may have one, the others have none.
    pub fn check_amount(self, amount_minor: Option<i64>) -> Result<(), Invalid> {
        match (self, amount_minor) {
            (_, Some(a)) if a <= 0 => Err(Invalid::one(
                "amount",
                "invalid_amount",
                "the amount must be greater than zero",
            )),
            (Remedy::Compensation, None) => Err(Invalid::one("amount", "required", "compensation needs an amount")),
            (Remedy::Apology | Remedy::Repair | Remedy::Exchange, Some(_)) => Err(Invalid::one(
                "amount",
                "not_allowed",
                format!(
                    "{} takes no amount; record money as a refund or compensation",
                    self.as_str()
                ),
            )),
            _ => Ok(()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Workflow

impl Status {
    /// The workflow graph, after Zendesk and Zammad:
    ///
    /// ```text
    /// new      → open | pending | resolved     (answered and solved at first contact is allowed)
    /// open     → pending | resolved
    /// pending  → open | resolved               (the customer answered, or we solved it meanwhile)
    /// resolved → closed | open                 (open = reopen)
    /// closed   → open                          (reopen, only within the Workflow's window)
    /// ```
    /// Nothing goes back to `new`, and only a resolved ticket is closed: a ticket is solved before
    /// it is filed away. Merging is not a status move: the merged ticket is closed by the merge.
    pub fn can_move_to(self, next: Status) -> bool {
        use Status::*;
        matches!(
            (self, next),
            (New, Open | Pending | Resolved)
                | (Open, Pending | Resolved)
                | (Pending, Open | Resolved)
                | (Resolved, Closed | Open)
                | (Closed, Open)
        )
    }

    /// New and open tickets are being worked: every SLA clock runs.
    pub fn is_active(self) -> bool {
        matches!(self, Status::New | Status::Open)
    }

    /// Resolved and closed tickets are done: the SLA clocks stop.
    pub fn is_done(self) -> bool {
        matches!(self, Status::Resolved | Status::Closed)
    }

    /// The status after an agent's public reply: a new ticket becomes open, others keep theirs.
    pub fn after_agent_reply(self) -> Status {
        if self == Status::New { Status::Open } else { self }
    }
}

/// A move the workflow allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// An ordinary step.
    Step,
    /// A resolved or closed ticket opened again: the reopen count goes up.
    Reopen,
}

/// A status change the workflow forbids; nothing is changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("a ticket cannot go from {from} to {to}")]
    Forbidden { from: Status, to: Status },
    #[error("the ticket is already {0}")]
    Unchanged(Status),
    #[error("the ticket was closed more than {days} days ago and cannot be reopened; file a follow-up ticket")]
    ReopenWindowPassed { days: u32 },
}

impl From<WorkflowError> for Invalid {
    fn from(e: WorkflowError) -> Invalid {
        let code = match e {
            WorkflowError::Forbidden { .. } => "forbidden_transition",
            WorkflowError::Unchanged(_) => "unchanged",
            WorkflowError::ReopenWindowPassed { .. } => "reopen_window_passed",
        };
        Invalid::one("status", code, e.to_string())
    }
}

/// The workflow's one setting: how long a closed ticket can still be reopened (Zammad lets
/// follow-ups reopen a closed ticket, Zendesk never does; we allow a window, 14 days by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workflow {
    /// Days after closing in which a closed ticket can be reopened; 0: closed is final.
    pub closed_reopen_days: u32,
}

impl Default for Workflow {
    fn default() -> Self {
        Workflow { closed_reopen_days: 14 }
    }
}

/// What a customer's message does to a ticket's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnCustomerMessage {
    /// The status stays (new and open tickets).
    Keep,
    /// Move to this status: pending → open (the customer answered), resolved/closed → open (reopen).
    MoveTo(Status, Move),
    /// The ticket is closed for good: the message starts a new ticket that refers to this one.
    FollowUp,
}

impl Workflow {
    fn window(&self) -> SignedDuration {
        SignedDuration::from_hours(24 * i64::from(self.closed_reopen_days))
    }

    /// Whether a ticket closed at `closed_at` may still be reopened at `now`.
    pub fn may_reopen_closed(&self, closed_at: Timestamp, now: Timestamp) -> bool {
        self.closed_reopen_days > 0 && now.duration_since(closed_at) <= self.window()
    }

    /// Checks a status change. `closed_at` is when the ticket was closed (only read when `from`
    /// is closed; `None` there counts as closed just now).
    pub fn transition(
        &self,
        from: Status,
        to: Status,
        closed_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Move, WorkflowError> {
        if from == to {
            return Err(WorkflowError::Unchanged(from));
        }
        if !from.can_move_to(to) {
            return Err(WorkflowError::Forbidden { from, to });
        }
        if from == Status::Closed && !self.may_reopen_closed(closed_at.unwrap_or(now), now) {
            return Err(WorkflowError::ReopenWindowPassed {
                days: self.closed_reopen_days,
            });
        }
        Ok(if from.is_done() { Move::Reopen } else { Move::Step })
    }

    /// The effect of a customer's message on a ticket in `status` (closed at `closed_at`, if closed).
    pub fn on_customer_message(
        &self,
        status: Status,
        closed_at: Option<Timestamp>,
        now: Timestamp,
    ) -> OnCustomerMessage {
        match status {
            Status::New | Status::Open => OnCustomerMessage::Keep,
            Status::Pending => OnCustomerMessage::MoveTo(Status::Open, Move::Step),
            Status::Resolved => OnCustomerMessage::MoveTo(Status::Open, Move::Reopen),
            Status::Closed => match self.transition(status, Status::Open, closed_at, now) {
                Ok(m) => OnCustomerMessage::MoveTo(Status::Open, m),
                Err(_) => OnCustomerMessage::FollowUp,
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// History

/// What happened on a ticket, as far as its clocks and resolution figures care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The customer wrote (any channel), or called in.
    CustomerMessage,
    /// Something the customer heard from us: a public reply or a logged phone call with them.
    /// Internal notes are not events here.
    AgentReply,
    /// The status changed to this one. A ticket starts `new`; one filed in another status has
    /// this event at its creation instant.
    StatusChanged(Status),
}

/// One entry of a ticket's history, in the order it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketEvent {
    pub at: Timestamp,
    pub kind: EventKind,
}

impl TicketEvent {
    pub fn new(at: Timestamp, kind: EventKind) -> TicketEvent {
        TicketEvent { at, kind }
    }
}

/// How many times a resolved or closed ticket was opened again.
pub fn reopen_count(events: &[TicketEvent]) -> u32 {
    let mut status = Status::New;
    let mut n = 0;
    for e in events {
        if let EventKind::StatusChanged(to) = e.kind {
            if status.is_done() && !to.is_done() {
                n += 1;
            }
            status = to;
        }
    }
    n
}

/// First-contact resolution: the customer's problem was solved in the first contact, with nothing
/// more to ask. `None` while the ticket has never been resolved. `Some(true)` when it was resolved
/// (or closed) and never reopened, we spoke to the customer at most once before that (one reply,
/// or the phone call in which it was solved), and the customer did not have to write again
/// between our first contact and the resolution. What the customer writes after the resolution
/// (a thank-you) does not count unless it reopens the ticket.
pub fn first_contact_resolution(events: &[TicketEvent]) -> Option<bool> {
    let mut replies = 0u32;
    let mut asked_again = false;
    let mut resolved = false;
    let mut status = Status::New;
    for e in events {
        match e.kind {
            EventKind::AgentReply if !resolved => replies += 1,
            EventKind::CustomerMessage if !resolved && replies > 0 => asked_again = true,
            EventKind::StatusChanged(to) => {
                if status.is_done() && !to.is_done() {
                    return Some(false);
                }
                resolved |= to.is_done();
                status = to;
            }
            _ => {}
        }
    }
    resolved.then_some(replies <= 1 && !asked_again)
}

// ---------------------------------------------------------------------------------------------
// Reference

/// The public reference of a ticket, `KF-2026-000123`: the year it was filed (in the
/// organisation's time zone) and its number (the ticket id), zero-padded to six digits and longer
/// when the id is. Customers quote it on the phone and in mail subjects; it is not a secret (the
/// private follow-up link carries a token of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    pub year: i16,
    pub number: i64,
}

/// The most digits a reference number may have.
const MAX_NUMBER_DIGITS: usize = 15;

impl Reference {
    /// The reference of ticket `id` created at `created_at`, the year read in `tz`.
    pub fn for_ticket(id: i64, created_at: Timestamp, tz: &TimeZone) -> Reference {
        Reference {
            year: created_at.to_zoned(tz.clone()).year(),
            number: id,
        }
    }

    /// Reads a reference as people type it: case and surrounding blanks do not matter, and the
    /// zero padding may be left out (`kf-2026-123`).
    pub fn parse(s: &str) -> Result<Reference, Invalid> {
        let bad = || {
            Invalid::one(
                "reference",
                "invalid_reference",
                format!("{s:?} is not a ticket reference such as KF-2026-000123"),
            )
        };
        let t = s.trim();
        let mut parts = t.splitn(3, '-');
        let (prefix, year, number) = (
            parts.next().ok_or_else(bad)?,
            parts.next().ok_or_else(bad)?,
            parts.next().ok_or_else(bad)?,
        );
        let digits =
            |x: &str, min: usize, max: usize| (min..=max).contains(&x.len()) && x.bytes().all(|b| b.is_ascii_digit());
        if !prefix.eq_ignore_ascii_case("KF") || !digits(year, 4, 4) || !digits(number, 1, MAX_NUMBER_DIGITS) {
            return Err(bad());
        }
        let year: i16 = year.parse().map_err(|_| bad())?;
        let number: i64 = number.parse().map_err(|_| bad())?;
        if number == 0 || year == 0 {
            return Err(bad());
        }
        Ok(Reference { year, number })
    }

    /// The first reference written in full (`KF-2026-000123`, six digits or more) in a text such
    /// as a mail subject, `Re: [KF-2026-000123] 屏幕坏了`. A reference glued to letters or
    /// digits on either side is not one.
    pub fn find_in(text: &str) -> Option<Reference> {
        let b = text.as_bytes();
        let mut i = 0;
        while let Some(off) = text[i..].find(['K', 'k']) {
            let start = i + off;
            i = start + 1;
            if start > 0 && b[start - 1].is_ascii_alphanumeric() {
                continue;
            }
            let rest = &b[start..];
            if rest.len() < 14 || !rest[..3].eq_ignore_ascii_case(b"KF-") || rest[7] != b'-' {
                continue;
            }
            let n = rest[8..].iter().take_while(|c| c.is_ascii_digit()).count();
            let end = 8 + n;
            if !(6..=MAX_NUMBER_DIGITS).contains(&n) || rest.get(end).is_some_and(|c| c.is_ascii_alphanumeric()) {
                continue;
            }
            if let Ok(r) = Reference::parse(&text[start..start + end]) {
                return Some(r);
            }
        }
        None
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KF-{:04}-{:06}", self.year, self.number)
    }
}

impl std::str::FromStr for Reference {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Reference, Invalid> {
        Reference::parse(s)
    }
}

impl Serialize for Reference {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Reference {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Reference, D::Error> {
        let s = String::deserialize(d)?;
        Reference::parse(&s).map_err(|e| serde::de::Error::custom(&e.errors[0].message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Language;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn status_lists_name_each_status_once() {
        assert_eq!(
            Status::parse_list("open, pending,open,,").unwrap(),
            vec![Status::Open, Status::Pending]
        );
        let long = vec!["open"; 10_000].join(",");
        assert_eq!(
            Status::parse_list(&long).unwrap(),
            vec![Status::Open],
            "bounded by the statuses"
        );
        assert!(Status::parse_list("").unwrap().is_empty());
        assert_eq!(Status::parse_list("open,lost").unwrap_err().errors[0].field, "status");
    }

    #[test]
    fn codes_are_the_documented_values() {
        let codes = |all: Vec<&str>| all.join("|");
        assert_eq!(
            codes(Kind::ALL.iter().map(|k| k.as_str()).collect()),
            "complaint|request|inquiry|suggestion|praise|incident"
        );
        assert_eq!(
            codes(Status::ALL.iter().map(|k| k.as_str()).collect()),
            "new|open|pending|resolved|closed"
        );
        assert_eq!(
            codes(Priority::ALL.iter().map(|k| k.as_str()).collect()),
            "low|normal|high|urgent"
        );
        assert_eq!(
            codes(Channel::ALL.iter().map(|k| k.as_str()).collect()),
            "web_form|portal|email|phone|api|qr|agent"
        );
        assert_eq!(
            codes(Remedy::ALL.iter().map(|k| k.as_str()).collect()),
            "apology|repair|exchange|refund|compensation"
        );
        assert_eq!(Phase::parse("after_sale").unwrap(), Phase::AfterSale);
        assert_eq!(Nature::parse("non_technical").unwrap(), Nature::NonTechnical);
        assert_eq!(Place::parse("on_site").unwrap(), Place::OnSite);
        assert_eq!(Fee::parse("paid").unwrap(), Fee::Paid);
        assert_eq!(Frequency::parse("one_off").unwrap(), Frequency::OneOff);
        assert_eq!(Channel::WebForm.label(Language::ZhCn), "网页表单");
        assert_eq!(Place::OnSite.label(Language::ZhCn), "巡回");
        let e = Kind::parse("complain").unwrap_err();
        assert_eq!((e.errors[0].field.as_str(), e.errors[0].code), ("kind", "unknown_kind"));
        assert_eq!(Channel::parse("fax").unwrap_err().errors[0].code, "unknown_channel");
    }

    #[test]
    fn classification_reads_partial_json_and_rejects_unknown_axes() {
        let c: Classification = serde_json::from_str(r#"{"phase":"after_sale","place":"on_site"}"#).unwrap();
        assert_eq!(c.phase, Some(Phase::AfterSale));
        assert_eq!(c.nature, None);
        assert!(serde_json::from_str::<Classification>(r#"{"colour":"red"}"#).is_err());
        assert!(serde_json::from_str::<Classification>(r#"{"fee":"cheap"}"#).is_err());
        let back: Classification = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn priorities_are_ordered_and_rise_to_urgent() {
        assert!(Priority::Low < Priority::Normal && Priority::High < Priority::Urgent);
        assert_eq!(Priority::Low.raised(), Priority::Normal);
        assert_eq!(Priority::High.raised(), Priority::Urgent);
        assert_eq!(Priority::Urgent.raised(), Priority::Urgent);
        assert_eq!(Priority::default(), Priority::Normal);
    }

    #[test]
    fn the_workflow_graph() {
        use Status::*;
        let allowed: Vec<(Status, Status)> = Status::ALL
            .iter()
            .flat_map(|&a| Status::ALL.iter().map(move |&b| (a, b)))
            .filter(|&(a, b)| a.can_move_to(b))
            .collect();
        assert_eq!(
            allowed,
            vec![
                (New, Open),
                (New, Pending),
                (New, Resolved),
                (Open, Pending),
                (Open, Resolved),
                (Pending, Open),
                (Pending, Resolved),
                (Resolved, Open),
                (Resolved, Closed),
                (Closed, Open),
            ]
        );
        assert_eq!(New.after_agent_reply(), Open);
        assert_eq!(Pending.after_agent_reply(), Pending);
    }

    #[test]
    fn transitions_and_the_reopen_window() {
        let w = Workflow::default();
        let now = at("2026-06-20T10:00:00Z");
        assert_eq!(w.transition(Status::New, Status::Open, None, now), Ok(Move::Step));
        assert_eq!(
            w.transition(Status::Resolved, Status::Open, None, now),
            Ok(Move::Reopen)
        );
        assert_eq!(
            w.transition(Status::Open, Status::Closed, None, now),
            Err(WorkflowError::Forbidden {
                from: Status::Open,
                to: Status::Closed
            })
        );
        assert_eq!(
            w.transition(Status::Open, Status::New, None, now)
                .unwrap_err()
                .to_string(),
            "a ticket cannot go from open to new"
        );
        assert_eq!(
            w.transition(Status::Open, Status::Open, None, now),
            Err(WorkflowError::Unchanged(Status::Open))
        );
        // Closed 14 days ago exactly: still within; a second later: not.
        let closed = at("2026-06-06T10:00:00Z");
        assert_eq!(
            w.transition(Status::Closed, Status::Open, Some(closed), now),
            Ok(Move::Reopen)
        );
        let late = w
            .transition(Status::Closed, Status::Open, Some(closed), at("2026-06-20T10:00:01Z"))
            .unwrap_err();
        assert_eq!(late, WorkflowError::ReopenWindowPassed { days: 14 });
        let inv: Invalid = late.into();
        assert_eq!(
            (inv.errors[0].field.as_str(), inv.errors[0].code),
            ("status", "reopen_window_passed")
        );
        let final_close = Workflow { closed_reopen_days: 0 };
        assert!(
            final_close
                .transition(Status::Closed, Status::Open, Some(now), now)
                .is_err()
        );
        assert_eq!(
            Invalid::from(WorkflowError::Unchanged(Status::New)).errors[0].code,
            "unchanged"
        );
    }

    #[test]
    fn a_customer_message_moves_the_status() {
        let w = Workflow::default();
        let now = at("2026-06-20T10:00:00Z");
        assert_eq!(w.on_customer_message(Status::Open, None, now), OnCustomerMessage::Keep);
        assert_eq!(w.on_customer_message(Status::New, None, now), OnCustomerMessage::Keep);
        assert_eq!(
            w.on_customer_message(Status::Pending, None, now),
            OnCustomerMessage::MoveTo(Status::Open, Move::Step)
        );
        assert_eq!(
            w.on_customer_message(Status::Resolved, None, now),
            OnCustomerMessage::MoveTo(Status::Open, Move::Reopen)
        );
        assert_eq!(
            w.on_customer_message(Status::Closed, Some(at("2026-06-19T10:00:00Z")), now),
            OnCustomerMessage::MoveTo(Status::Open, Move::Reopen)
        );
        assert_eq!(
            w.on_customer_message(Status::Closed, Some(at("2026-01-01T00:00:00Z")), now),
            OnCustomerMessage::FollowUp
        );
    }

    fn history(list: &[(&str, EventKind)]) -> Vec<TicketEvent> {
        list.iter().map(|(t, k)| TicketEvent::new(at(t), *k)).collect()
    }

    #[test]
    fn first_contact_resolution_and_reopens() {
        use EventKind::*;
        use Status::*;
        let t = "2026-06-01T10:00:00Z";
        // One reply that solves it, a thank-you afterwards: FCR.
        let fcr = history(&[
            (t, CustomerMessage),
            (t, AgentReply),
            (t, StatusChanged(Resolved)),
            (t, CustomerMessage),
            (t, StatusChanged(Closed)),
        ]);
        assert_eq!(first_contact_resolution(&fcr), Some(true));
        assert_eq!(reopen_count(&fcr), 0);
        // Solved during the phone call that opened it, no written reply: FCR.
        assert_eq!(
            first_contact_resolution(&history(&[(t, AgentReply), (t, StatusChanged(Resolved))])),
            Some(true)
        );
        assert_eq!(
            first_contact_resolution(&history(&[(t, StatusChanged(Resolved))])),
            Some(true)
        );
        // Not yet resolved.
        assert_eq!(
            first_contact_resolution(&history(&[(t, AgentReply), (t, StatusChanged(Open))])),
            None
        );
        // The customer had to write again.
        assert_eq!(
            first_contact_resolution(&history(&[
                (t, AgentReply),
                (t, StatusChanged(Pending)),
                (t, CustomerMessage),
                (t, StatusChanged(Open)),
                (t, StatusChanged(Resolved)),
            ])),
            Some(false)
        );
        // Two replies.
        assert_eq!(
            first_contact_resolution(&history(&[
                (t, AgentReply),
                (t, AgentReply),
                (t, StatusChanged(Resolved))
            ])),
            Some(false)
        );
        // Reopened, even if solved again at once.
        let reopened = history(&[
            (t, AgentReply),
            (t, StatusChanged(Resolved)),
            (t, CustomerMessage),
            (t, StatusChanged(Open)),
            (t, StatusChanged(Resolved)),
            (t, StatusChanged(Closed)),
            (t, StatusChanged(Open)),
        ]);
        assert_eq!(first_contact_resolution(&reopened), Some(false));
        assert_eq!(reopen_count(&reopened), 2);
    }

    #[test]
    fn references_format_parse_and_are_found_in_subjects() {
        let shanghai = TimeZone::get("Asia/Shanghai").unwrap();
        // 1 Jan 2026 00:30 in Shanghai is still 2025 in UTC: the organisation's year counts.
        let r = Reference::for_ticket(123, at("2025-12-31T16:30:00Z"), &shanghai);
        assert_eq!(r.to_string(), "KF-2026-000123");
        assert_eq!(
            Reference::for_ticket(123, at("2025-12-31T16:30:00Z"), &TimeZone::UTC).year,
            2025
        );
        assert_eq!(
            Reference {
                year: 2026,
                number: 12_345_678
            }
            .to_string(),
            "KF-2026-12345678"
        );
        assert_eq!(Reference::parse(" kf-2026-000123 ").unwrap(), r);
        assert_eq!(Reference::parse("KF-2026-123").unwrap(), r);
        assert_eq!("KF-2026-000123".parse::<Reference>().unwrap(), r);
        for bad in [
            "",
            "KF",
            "KF-2026",
            "KF-26-000123",
            "XX-2026-000123",
            "KF-2026-",
            "KF-2026-000000",
            "KF-0000-000001",
            "KF-2026-12a",
            "KF-2026-+12",
            "KF-2026-1234567890123456",
            "KF-２０２６-000123",
        ] {
            let e = Reference::parse(bad).unwrap_err();
            assert_eq!(e.errors[0].code, "invalid_reference", "{bad:?}");
        }
        assert_eq!(Reference::find_in("Re: [KF-2026-000123] 屏幕坏了"), Some(r));
        assert_eq!(Reference::find_in("回复：工单KF-2026-000123已收到"), Some(r));
        assert_eq!(
            Reference::find_in("kf-2026-000124 and KF-2026-000123").unwrap().number,
            124
        );
        assert_eq!(Reference::find_in("Re: KF-2026-000123x"), None);
        assert_eq!(Reference::find_in("XKF-2026-000123"), None);
        assert_eq!(Reference::find_in("KF-2026-123 is too short to be sure"), None);
        assert_eq!(Reference::find_in("KK KF-2026-9 KF-2026-000777").unwrap().number, 777);
        assert_eq!(Reference::find_in("ends with KF-2026-00"), None);
        assert_eq!(Reference::find_in("k"), None);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, "\"KF-2026-000123\"");
        assert_eq!(serde_json::from_str::<Reference>(&json).unwrap(), r);
        assert!(serde_json::from_str::<Reference>("\"KF-1\"").is_err());
    }

    #[test]
    fn remedy_amounts() {
        assert!(Remedy::Compensation.check_amount(Some(5_000)).is_ok());
        assert_eq!(
            Remedy::Compensation.check_amount(None).unwrap_err().errors[0].code,
            "required"
        );
        assert!(Remedy::Refund.check_amount(None).is_ok());
        assert!(Remedy::Refund.check_amount(Some(100)).is_ok());
        assert_eq!(
            Remedy::Refund.check_amount(Some(0)).unwrap_err().errors[0].code,
            "invalid_amount"
        );
        assert_eq!(
            Remedy::Apology.check_amount(Some(100)).unwrap_err().errors[0].code,
            "not_allowed"
        );
        assert!(Remedy::Repair.check_amount(None).is_ok());
    }
}
