//! User accounts: the validated shapes the API accepts and returns.

use crate::form::{Problems, Validate};
use crate::roles::{AccessTier, Rank, Role};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Shortest password accepted. Length, not composition rules, is what makes a password strong.
pub const MIN_PASSWORD_LEN: usize = 12;
/// Longest password accepted (bounds the hashing work an attacker can ask for).
pub const MAX_PASSWORD_LEN: usize = 256;

/// Why an account's fields were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("username must be 3 to 64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter")]
    Username,
    #[error("display name must be 1 to 120 characters")]
    DisplayName,
    #[error("password must be {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters")]
    Password,
    #[error("a user needs at least one role")]
    NoRoles,
    #[error("an investigator needs a tier (local or central)")]
    InvestigatorWithoutTier,
    #[error("a tier is only for investigators")]
    TierWithoutInvestigator,
    #[error("a supervisor needs a rank (sergeant or inspector)")]
    SupervisorWithoutRank,
    #[error("a rank is only for supervisors")]
    RankWithoutSupervisor,
    #[error("a system admin cannot also be an investigator, supervisor or auditor (separation of duties)")]
    AdminCombined,
    #[error("an auditor cannot also be an investigator or supervisor: an auditor never judges their own searches")]
    AuditorCombined,
}

/// A login name: lower-case, stable, safe to print in the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        let s = raw.trim();
        let ok_len = (3..=64).contains(&s.len());
        let ok_first = s.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        let ok_chars = s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if ok_len && ok_first && ok_chars {
            Ok(Username(s.to_owned()))
        } else {
            Err(AccountError::Username)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = AccountError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Username::parse(&value)
    }
}

impl From<Username> for String {
    fn from(value: Username) -> Self {
        value.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub fn check_password(password: &str) -> Result<(), AccountError> {
    let n = password.chars().count();
    if (MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&n) {
        Ok(())
    } else {
        Err(AccountError::Password)
    }
}

pub fn check_display_name(name: &str) -> Result<(), AccountError> {
    let n = name.trim().chars().count();
    if (1..=120).contains(&n) {
        Ok(())
    } else {
        Err(AccountError::DisplayName)
    }
}

/// The role-dependent attributes of an account, checked together: an investigator has a tier,
/// a supervisor a rank, and nobody has an attribute of a role they do not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Authority {
    pub roles: BTreeSet<Role>,
    pub tier: Option<AccessTier>,
    pub rank: Option<Rank>,
}

impl Authority {
    pub fn check(&self) -> Result<(), AccountError> {
        if self.roles.is_empty() {
            return Err(AccountError::NoRoles);
        }
        let investigator = self.roles.contains(&Role::Investigator);
        let supervisor = self.roles.contains(&Role::Supervisor);
        let auditor = self.roles.contains(&Role::Auditor);
        if self.roles.contains(&Role::SystemAdmin) && (investigator || supervisor || auditor) {
            return Err(AccountError::AdminCombined);
        }
        if auditor && (investigator || supervisor) {
            return Err(AccountError::AuditorCombined);
        }
        match (investigator, self.tier) {
            (true, None) => return Err(AccountError::InvestigatorWithoutTier),
            (false, Some(_)) => return Err(AccountError::TierWithoutInvestigator),
            _ => {}
        }
        match (supervisor, self.rank) {
            (true, None) => Err(AccountError::SupervisorWithoutRank),
            (false, Some(_)) => Err(AccountError::RankWithoutSupervisor),
            _ => Ok(()),
        }
    }
}

impl Authority {
    /// What this authority grants that `before` did not and that takes a second system admin's
    /// approval: the system admin role, the supervisor role, inspector rank, the central tier,
    /// the auditor role.
    pub fn elevations_over(&self, before: &Authority) -> Vec<&'static str> {
        let mut out = Vec::new();
        let gained = |role: Role| self.roles.contains(&role) && !before.roles.contains(&role);
        if gained(Role::SystemAdmin) {
            out.push("the system admin role");
        }
        if gained(Role::Supervisor) {
            out.push("the supervisor role");
        }
        if self.rank == Some(Rank::Inspector) && before.rank != Some(Rank::Inspector) {
            out.push("inspector rank");
        }
        if self.tier == Some(AccessTier::Central) && before.tier != Some(AccessTier::Central) {
            out.push("the central tier");
        }
        if gained(Role::Auditor) {
            out.push("the auditor role");
        }
        out
    }

    /// No authority at all: what a new account is compared against.
    pub fn none() -> Authority {
        Authority { roles: BTreeSet::new(), tier: None, rank: None }
    }
}

/// Why a sign-in posted by the page's own form failed: the page says it in its own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInFailure {
    Refused,
    Busy,
    CrossSite,
    Failed,
}

impl SignInFailure {
    pub const ALL: [SignInFailure; 4] =
        [SignInFailure::Refused, SignInFailure::Busy, SignInFailure::CrossSite, SignInFailure::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            SignInFailure::Refused => "refused",
            SignInFailure::Busy => "busy",
            SignInFailure::CrossSite => "cross_site",
            SignInFailure::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<SignInFailure> {
        SignInFailure::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub fn message(self) -> &'static str {
        match self {
            SignInFailure::Refused => "username or password is incorrect",
            SignInFailure::Busy => "too many sign-ins just now: wait a little and try again",
            SignInFailure::CrossSite => "a sign-in from another site is refused",
            SignInFailure::Failed => "the sign-in failed: try again",
        }
    }
}

/// A change to an account that waits for a second system admin (separation of duties).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingUserChange {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub change: UserUpdate,
    /// What it grants that needs the second admin.
    pub elevations: Vec<String>,
    pub proposed_by: String,
    pub proposed_at: chrono::DateTime<chrono::Utc>,
}

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: i64,
    pub username: Username,
    pub display_name: String,
    pub roles: BTreeSet<Role>,
    pub tier: Option<AccessTier>,
    pub rank: Option<Rank>,
    pub disabled: bool,
}

impl UserView {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has(*r))
    }
}

/// A user as others may look them up (to name them in an audience).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirectoryEntry {
    pub id: i64,
    pub username: Username,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

impl LoginRequest {
    pub fn check(&self) -> Result<(), String> {
        if self.username.trim().is_empty() || self.password.is_empty() {
            return Err("username and password are required".into());
        }
        if self.username.trim().len() > 64 || self.password.chars().count() > MAX_PASSWORD_LEN {
            return Err("username or password is too long".into());
        }
        Ok(())
    }
}

/// A new account, created by a system admin.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: Username,
    pub display_name: String,
    pub password: String,
    pub roles: BTreeSet<Role>,
    #[serde(default)]
    pub tier: Option<AccessTier>,
    #[serde(default)]
    pub rank: Option<Rank>,
}

impl Validate for NewUser {
    type Error = AccountError;

    fn problems(&self) -> Vec<(&'static str, AccountError)> {
        let mut p = Problems::default();
        p.result("display_name", check_display_name(&self.display_name))
            .result("password", check_password(&self.password))
            .result("roles", self.authority().check());
        p.into_vec()
    }
}

impl NewUser {
    pub fn authority(&self) -> Authority {
        Authority { roles: self.roles.clone(), tier: self.tier, rank: self.rank }
    }
}

/// A change to an account by a system admin. Absent fields stay as they are; `tier` and `rank`
/// are replaced whenever `roles` is given (so a role and its attribute change together).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub roles: Option<BTreeSet<Role>>,
    #[serde(default)]
    pub tier: Option<AccessTier>,
    #[serde(default)]
    pub rank: Option<Rank>,
    #[serde(default)]
    pub disabled: Option<bool>,
    #[serde(default)]
    pub password: Option<String>,
}

impl UserUpdate {
    /// The account's authority after this update is applied to `current`.
    pub fn apply_to(&self, current: &Authority) -> Authority {
        match &self.roles {
            Some(roles) => Authority { roles: roles.clone(), tier: self.tier, rank: self.rank },
            None => Authority {
                roles: current.roles.clone(),
                tier: self.tier.or(current.tier),
                rank: self.rank.or(current.rank),
            },
        }
    }

    pub fn check(&self, current: &Authority) -> Result<Authority, AccountError> {
        if let Some(name) = &self.display_name {
            check_display_name(name)?;
        }
        if let Some(password) = &self.password {
            check_password(password)?;
        }
        let next = self.apply_to(current);
        next.check()?;
        Ok(next)
    }

    pub fn is_empty(&self) -> bool {
        self.display_name.is_none()
            && self.roles.is_none()
            && self.tier.is_none()
            && self.rank.is_none()
            && self.disabled.is_none()
            && self.password.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authority(roles: &[Role], tier: Option<AccessTier>, rank: Option<Rank>) -> Authority {
        Authority { roles: roles.iter().copied().collect(), tier, rank }
    }

    #[test]
    fn usernames_are_checked_at_the_edge() {
        assert_eq!(Username::parse(" pc.smith-1 ").unwrap().as_str(), "pc.smith-1");
        for bad in ["ab", "Smith", "1abc", "a b c", "smith@met", &"a".repeat(65)] {
            assert_eq!(Username::parse(bad), Err(AccountError::Username), "{bad:?}");
        }
        assert!(Username::parse(&"a".repeat(64)).is_ok());
        let err = serde_json::from_str::<Username>("\"Bad Name\"").unwrap_err();
        assert!(err.to_string().contains("username must be"), "{err}");
    }

    #[test]
    fn password_length_is_bounded_at_both_ends() {
        assert_eq!(check_password(&"x".repeat(MIN_PASSWORD_LEN - 1)), Err(AccountError::Password));
        assert_eq!(check_password(&"x".repeat(MIN_PASSWORD_LEN)), Ok(()));
        assert_eq!(check_password(&"x".repeat(MAX_PASSWORD_LEN)), Ok(()));
        assert_eq!(check_password(&"x".repeat(MAX_PASSWORD_LEN + 1)), Err(AccountError::Password));
    }

    #[test]
    fn tiers_belong_to_investigators_and_ranks_to_supervisors() {
        use AccessTier::*;
        use Rank::*;
        use Role::*;
        assert_eq!(authority(&[], None, None).check(), Err(AccountError::NoRoles));
        assert_eq!(authority(&[Investigator], None, None).check(), Err(AccountError::InvestigatorWithoutTier));
        assert_eq!(authority(&[Auditor], Some(Local), None).check(), Err(AccountError::TierWithoutInvestigator));
        assert_eq!(authority(&[Supervisor], None, None).check(), Err(AccountError::SupervisorWithoutRank));
        assert_eq!(authority(&[SystemAdmin], None, Some(Sergeant)).check(), Err(AccountError::RankWithoutSupervisor));
        assert_eq!(authority(&[Investigator, Supervisor], Some(Central), Some(Inspector)).check(), Ok(()));
    }

    #[test]
    fn changing_roles_replaces_tier_and_rank() {
        let current = authority(&[Role::Investigator], Some(AccessTier::Local), None);
        let to_auditor = UserUpdate { roles: Some([Role::Auditor].into_iter().collect()), ..Default::default() };
        assert_eq!(to_auditor.check(&current).unwrap(), authority(&[Role::Auditor], None, None));

        let promote = UserUpdate { tier: Some(AccessTier::Central), ..Default::default() };
        assert_eq!(promote.check(&current).unwrap().tier, Some(AccessTier::Central));

        let bad = UserUpdate { rank: Some(Rank::Inspector), ..Default::default() };
        assert_eq!(bad.check(&current), Err(AccountError::RankWithoutSupervisor));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = serde_json::from_str::<UserUpdate>(r#"{"is_admin": true}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `is_admin`"), "{err}");
    }
}

string_schema!(
    Username,
    "A login name: 3 to 64 characters, lower-case letters, digits, `.`, `_` or `-`, starting with a letter."
);
