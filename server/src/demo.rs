//! The demo accounts: one per role, created on the first start of a demo server (an empty
//! database) with random passwords that are printed once. A deployment creates its first
//! system admin with `server user create-admin` instead.

use crate::access::users;
use crate::audit::Actor;
use crate::error::AppResult;
use crate::store::Db;
use chrono::{DateTime, Utc};
use rand::distributions::{Alphanumeric, DistString};
use shared::{AccessTier, NewUser, Rank, Role, Username};

pub struct DemoAccount {
    pub username: &'static str,
    pub password: String,
    pub roles: Vec<Role>,
}

struct Demo {
    username: &'static str,
    display_name: &'static str,
    roles: &'static [Role],
    tier: Option<AccessTier>,
    rank: Option<Rank>,
}

const fn demo(
    username: &'static str,
    display_name: &'static str,
    roles: &'static [Role],
    tier: Option<AccessTier>,
    rank: Option<Rank>,
) -> Demo {
    Demo { username, display_name, roles, tier, rank }
}

const ACCOUNTS: [Demo; 7] = [
    demo("admin", "Demo System Admin", &[Role::SystemAdmin], None, None),
    // The second system admin who approves what one admin may not grant alone.
    demo("admin2", "Demo System Admin (second)", &[Role::SystemAdmin], None, None),
    demo("investigator", "Demo Investigator (local)", &[Role::Investigator], Some(AccessTier::Local), None),
    demo("analyst", "Demo Investigator (central)", &[Role::Investigator], Some(AccessTier::Central), None),
    demo("inspector", "Demo Inspector", &[Role::Supervisor], None, Some(Rank::Inspector)),
    demo("hotlists", "Demo Hotlist Admin", &[Role::HotlistAdmin], None, None),
    demo("auditor", "Demo Auditor", &[Role::Auditor], None, None),
];

/// Creates the demo accounts if the database has no users yet. `password` fixes every demo
/// password (for automated tests); otherwise each gets a random one. Returns what was created.
pub async fn ensure_accounts(db: &Db, now: DateTime<Utc>, password: Option<&str>) -> AppResult<Vec<DemoAccount>> {
    if users::count(db).await? > 0 {
        return Ok(Vec::new());
    }
    let mut created = Vec::new();
    for Demo { username, display_name, roles, tier, rank } in ACCOUNTS {
        let password = match password {
            Some(p) => p.to_owned(),
            None => Alphanumeric.sample_string(&mut rand::rngs::OsRng, 16),
        };
        let new = NewUser {
            username: Username::parse(username)?,
            display_name: display_name.into(),
            password: password.clone(),
            roles: roles.iter().copied().collect(),
            tier,
            rank,
        };
        users::create(db, now, Actor::system(), new).await?;
        created.push(DemoAccount { username, password, roles: roles.to_vec() });
    }
    Ok(created)
}
