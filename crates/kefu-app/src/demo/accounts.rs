//! The demo's organisation and accounts: its settings, departments, staff of every role and
//! customer accounts, created across the two years up to today.

use super::names::{ENGLISH, GIVEN, SURNAMES};
use super::{DEMO_DOMAIN, DEMO_PASSWORD};
use crate::auth::hash_password;
use crate::{App, AppResult};
use kefu_core::time::DAY_MS;
use kefu_core::{Language, Role};
use kefu_store::NewUser;
use rand::RngExt;
use rand::rngs::StdRng;
use serde_json::json;

/// A staff account to create: name, e-mail, role, departments, language.
type StaffSeed = (String, String, Role, Vec<i64>, Option<Language>);

const DEPARTMENTS: &[&str] = &[
    "售前咨询部 Pre-sales",
    "售后服务部 After-sales",
    "投诉处理中心 Complaints",
    "安装维修部 Field service",
    "质量管理部 Quality",
];

/// The heads of [`DEPARTMENTS`], in its order: name and e-mail local part.
const DEPARTMENT_HEADS: &[(&str, &str)] = &[
    ("售前主管 陈静", "head.presales"),
    ("售后主管 周磊", "head.aftersales"),
    ("投诉主管 吴敏", "head.complaints"),
    ("维修主管 郑强", "head.field"),
    ("质量主管 孙丽", "head.quality"),
];

impl App {
    /// The organisation, its departments, staff and `customers` customer accounts, dated from
    /// `start`; (departments, staff) made, the default department counted.
    pub(super) async fn load_demo_accounts(
        &self,
        rng: &mut StdRng,
        customers: u32,
        start: i64,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> AppResult<(usize, usize)> {
        let hash = hash_password(DEMO_PASSWORD).await?;
        let total = DEPARTMENTS.len() as u64 + 16 + DEPARTMENT_HEADS.len() as u64 + u64::from(customers);
        let mut done = 0u64;

        self.store
            .set_setting(
                "organisation",
                &json!({"name": "华信家电 Huaxin Appliances", "time_zone": "Asia/Shanghai"}),
                start,
            )
            .await?;
        self.forget_desk().await;
        let mut depts = Vec::new();
        for name in DEPARTMENTS {
            depts.push(self.store.create_department(name, start).await?);
            done += 1;
            progress(done, total);
        }
        let mut used = std::collections::HashSet::new();
        let mut person = |rng: &mut StdRng| loop {
            let (s, sp) = SURNAMES[rng.random_range(0..SURNAMES.len())];
            let (g, gp) = GIVEN[rng.random_range(0..GIVEN.len())];
            let n = rng.random_range(1..100);
            let email = format!("{gp}.{sp}{n}@{DEMO_DOMAIN}");
            if used.insert(email.clone()) {
                return (format!("{s}{g}"), email);
            }
        };
        // Staff: one admin, two managers, agents in the service departments, technicians in the field team.
        let mut staff: Vec<StaffSeed> = vec![
            (
                "系统管理员 Admin".into(),
                format!("admin@{DEMO_DOMAIN}"),
                Role::Admin,
                vec![],
                None,
            ),
            (
                "服务经理 Li Na".into(),
                format!("manager@{DEMO_DOMAIN}"),
                Role::Manager,
                vec![depts[4].id],
                Some(Language::ZhCn),
            ),
            (
                ENGLISH[0].into(),
                format!("emma.clark@{DEMO_DOMAIN}"),
                Role::Manager,
                vec![depts[1].id, depts[2].id],
                Some(Language::En),
            ),
            (
                "客服 王芳".into(),
                format!("agent@{DEMO_DOMAIN}"),
                Role::Agent,
                vec![depts[2].id],
                None,
            ),
            (
                "技师 张伟".into(),
                format!("technician@{DEMO_DOMAIN}"),
                Role::Technician,
                vec![depts[3].id],
                None,
            ),
        ];
        for i in 0..8 {
            let (name, email) = person(rng);
            staff.push((name, email, Role::Agent, vec![depts[i % 3].id], None));
        }
        for _ in 0..3 {
            let (name, email) = person(rng);
            staff.push((name, email, Role::Technician, vec![depts[3].id], None));
        }
        // Each department's head, a manager: with the two above and the admin, the managers who
        // answer the SERVQUAL expectations for Gap 1 (demo/quality.rs).
        for (i, (name, local)) in DEPARTMENT_HEADS.iter().enumerate() {
            staff.push((
                (*name).into(),
                format!("{local}@{DEMO_DOMAIN}"),
                Role::Manager,
                vec![depts[i].id],
                None,
            ));
        }
        let staff_count = staff.len();
        for (i, (name, email, role, departments, language)) in staff.into_iter().enumerate() {
            let at = start + (i as i64) * DAY_MS;
            self.store
                .create_user(NewUser {
                    email,
                    name,
                    role,
                    language,
                    password_hash: Some(hash.clone()),
                    departments,
                    now: at,
                })
                .await?;
            done += 1;
            progress(done, total);
        }
        for i in 0..customers {
            let (name, email) = if rng.random_ratio(1, 8) {
                let n = ENGLISH[rng.random_range(0..ENGLISH.len())];
                let mut parts = n.split(' ');
                let (first, last) = (parts.next().unwrap_or("guest"), parts.next().unwrap_or("user"));
                (
                    n.to_owned(),
                    format!("{}.{}{i}@{DEMO_DOMAIN}", first.to_lowercase(), last.to_lowercase()),
                )
            } else {
                let (name, email) = person(rng);
                (name, email.replace('@', &format!("{i}@")))
            };
            let at = start + rng.random_range(0..730 * DAY_MS);
            let language = if rng.random_ratio(1, 8) {
                Some(Language::En)
            } else {
                Some(Language::ZhCn)
            };
            self.store
                .create_user(NewUser {
                    email,
                    name,
                    role: Role::Customer,
                    language,
                    password_hash: Some(hash.clone()),
                    departments: vec![],
                    now: at,
                })
                .await?;
            done += 1;
            if done.is_multiple_of(50) || done == total {
                progress(done, total);
            }
        }
        Ok((depts.len() + 1, staff_count))
    }

    /// The demo's customer account (`customer@`): the portal account of a contact of the end
    /// customer with the most tickets, so that the portal shows a customer's real history.
    pub(super) async fn load_demo_portal_account(&self) -> AppResult<bool> {
        let tickets = self
            .store
            .list_tickets(&kefu_store::TicketFilter {
                limit: 5_000,
                ..Default::default()
            })
            .await?;
        let mut counts: std::collections::BTreeMap<i64, usize> = std::collections::BTreeMap::new();
        for t in &tickets {
            *counts.entry(t.customer_id).or_default() += 1;
        }
        let Some((&customer_id, _)) = counts.iter().max_by_key(|(id, n)| (**n, -**id)) else {
            return Ok(false);
        };
        let contact = self
            .add_contact(
                &crate::Actor::Cli,
                customer_id,
                crate::customers::ContactInput {
                    name: "陈静".into(),
                    phone: Some("13900139000".into()),
                    email: Some(format!("customer@{DEMO_DOMAIN}")),
                    role: "本人 Self".into(),
                    language: Some("zh-CN".into()),
                    preferred_channel: "portal".into(),
                    social_style: Some("amiable".into()),
                    is_primary: false,
                },
            )
            .await?;
        self.store
            .create_portal_user(
                NewUser {
                    email: format!("customer@{DEMO_DOMAIN}"),
                    name: "顾客 陈静".into(),
                    role: Role::Customer,
                    language: Some(Language::ZhCn),
                    password_hash: Some(hash_password(DEMO_PASSWORD).await?),
                    departments: vec![],
                    now: self.now(),
                },
                contact.id,
            )
            .await?;
        Ok(true)
    }
}
