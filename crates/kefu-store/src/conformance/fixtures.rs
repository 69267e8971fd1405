//! The rows the cases build from (users, jobs, customers, contacts, purchases, import rows), and
//! the users and customers a case sets up before its story begins.

use super::*;

pub(crate) const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

pub(crate) fn new_user(email: &str, role: Role) -> NewUser {
    NewUser {
        email: email.into(),
        name: format!("用户 {email}"),
        role,
        language: None,
        password_hash: Some("$argon2id$placeholder".into()),
        departments: vec![],
        now: T0,
    }
}

pub(crate) fn job(kind: &str, run_at: i64, unique: Option<&str>) -> NewJob {
    NewJob {
        kind: kind.into(),
        payload: serde_json::json!({"k": kind}),
        run_at,
        max_attempts: 3,
        unique_key: unique.map(str::to_owned),
        now: T0,
    }
}

pub(crate) fn new_customer(name: &str, kind: kefu_core::customer::CustomerKind, parent: Option<i64>) -> NewCustomer {
    NewCustomer {
        external_id: Some(format!("ext-{name}")),
        name: name.into(),
        kind,
        subkind: None,
        is_organisation: kind != kefu_core::customer::CustomerKind::End,
        parent_id: parent,
        region: "华东".into(),
        tags: vec!["vip".into(), "<b>标签</b>".into()],
        account_manager_id: None,
        notes: String::new(),
        now: T0,
    }
}

pub(crate) fn import_row(
    ext: &str,
    name: &str,
    kind: kefu_core::customer::CustomerKind,
    parent: Option<&str>,
) -> ImportCustomer {
    ImportCustomer {
        external_id: ext.into(),
        name: name.into(),
        kind,
        subkind: None,
        is_organisation: false,
        parent_external_id: parent.map(str::to_owned),
        region: String::new(),
        tags: vec![],
        account_manager_id: None,
        notes: String::new(),
        phone: Some(("138-0013-8000".into(), "13800138000".into())),
        email: None,
        social_style: Some(kefu_core::customer::SocialStyle::Expressive),
    }
}

pub(crate) fn simple_contact(customer_id: i64, name: &str, phone_norm: &str, email: &str) -> NewContact {
    NewContact {
        customer_id,
        name: name.into(),
        phone: phone_norm.into(),
        phone_norm: phone_norm.into(),
        email: email.into(),
        role: String::new(),
        language: None,
        preferred_channel: String::new(),
        social_style: None,
        is_primary: true,
        now: T0,
    }
}

pub(crate) fn simple_purchase(ext: &str, customer_id: i64, amount_minor: i64, seller_id: Option<i64>) -> NewPurchase {
    NewPurchase {
        external_id: ext.into(),
        customer_id,
        purchased_on: "2026-03-01".into(),
        amount_minor,
        currency: "CNY".into(),
        sku: "SKU".into(),
        product_name: "空气净化器".into(),
        category: "家电".into(),
        serial: String::new(),
        seller_id,
        now: T0,
    }
}

/// A user a case starts from, created (see [`new_user`]).
pub(crate) async fn add_user(s: &DynStore, email: &str, role: Role) -> User {
    s.create_user(new_user(email, role)).await.unwrap()
}

/// A customer a case starts from, created (see [`new_customer`]).
pub(crate) async fn add_customer(
    s: &DynStore,
    name: &str,
    kind: kefu_core::customer::CustomerKind,
    parent: Option<i64>,
) -> Customer {
    s.create_customer(new_customer(name, kind, parent)).await.unwrap()
}

/// The ids of the customers a read found, in its order.
pub(crate) fn ids(found: StoreResult<Vec<Customer>>) -> Vec<i64> {
    found.unwrap().iter().map(|c| c.id).collect()
}

/// An open NPS survey (no items: the recommendation question only), slugged by its id.
pub(crate) async fn add_nps_survey(s: &DynStore) -> Survey {
    s.create_survey(NewSurvey {
        slug: None,
        kind: kefu_core::SurveyKind::Nps,
        title: "推荐意愿".into(),
        language: "zh-CN".into(),
        weights: None,
        importance: false,
        overall: false,
        comment: true,
        competitor: None,
        status: "open".into(),
        created_by: None,
        items: vec![],
        now: T0,
    })
    .await
    .unwrap()
}
