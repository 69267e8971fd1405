//! The records the use cases take and return. They are defined with the store (each backend reads
//! and writes them), and the web layer and the binary name them from here: neither depends on
//! kefu-store, so neither can reach past a use case to the store itself.

pub use kefu_store::{
    Activity, ActivityActor, ApiToken, Attachment, AuditEntry, AuthorKind, BankItem, BankItemPatch, Campaign,
    CampaignLink, Category, Commitment, Contact, ContactPatch, Customer, CustomerFilter, CustomerPatch, Delivery,
    Department, IncidentStep, Job, JobStatus, Macro, MessageKind, Notification, PoolStats, PortalAccount, Purchase,
    SavedView, SchemaStatus, Session, SlaPolicy, StoreError, StoredCalendar, Survey, SurveyDimension, SurveyItem,
    SurveyLink, SurveyResponse, Ticket, TicketFilter, TicketMessage, TicketPage, TreeNode, User, UserFilter, UserPatch,
    Webhook,
};
