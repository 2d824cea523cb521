//! Who uses the workbench (DOMAIN "Who uses it"): roles, investigator tiers and supervisor ranks.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A role a user may hold; a user may hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Searches reads under approved requests, verifies reads, receives alerts (R10, R12, R15).
    Investigator,
    /// Approves or rejects search requests (R10, R11).
    Supervisor,
    /// Manages hotlists and reviews their entries (R6, R9).
    HotlistAdmin,
    /// The ring-fenced audit unit: audit sample, evidence locker, audit log (R19, R21, R22).
    Auditor,
    /// Users, roles, tiers, cameras and feeds.
    SystemAdmin,
}

impl Role {
    pub const ALL: [Role; 5] =
        [Role::Investigator, Role::Supervisor, Role::HotlistAdmin, Role::Auditor, Role::SystemAdmin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Investigator => "investigator",
            Role::Supervisor => "supervisor",
            Role::HotlistAdmin => "hotlist_admin",
            Role::Auditor => "auditor",
            Role::SystemAdmin => "system_admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Investigator => "Investigator",
            Role::Supervisor => "Supervisor",
            Role::HotlistAdmin => "Hotlist admin",
            Role::Auditor => "Auditor",
            Role::SystemAdmin => "System admin",
        }
    }
}

/// An investigator's tier: how far back its searches may reach (R12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccessTier {
    /// Up to 90 days by default.
    Local,
    /// Up to 12 months by default.
    Central,
}

impl AccessTier {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessTier::Local => "local",
            AccessTier::Central => "central",
        }
    }
}

/// A supervisor's rank; volume-crime requests need an inspector (R11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Rank {
    Sergeant,
    Inspector,
}

impl Rank {
    pub fn as_str(self) -> &'static str {
        match self {
            Rank::Sergeant => "sergeant",
            Rank::Inspector => "inspector",
        }
    }
}

/// A stored or submitted value that names no known variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`")]
pub struct UnknownVariant {
    pub kind: &'static str,
    pub value: String,
}

macro_rules! str_enum {
    ($ty:ty, $kind:literal, [$($variant:expr),+ $(,)?]) => {
        impl FromStr for $ty {
            type Err = UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                [$($variant),+]
                    .into_iter()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| UnknownVariant { kind: $kind, value: s.to_owned() })
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

str_enum!(Role, "role", [Role::Investigator, Role::Supervisor, Role::HotlistAdmin, Role::Auditor, Role::SystemAdmin]);
str_enum!(AccessTier, "tier", [AccessTier::Local, AccessTier::Central]);
str_enum!(Rank, "rank", [Rank::Sergeant, Rank::Inspector]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_json() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert_eq!("central".parse::<AccessTier>(), Ok(AccessTier::Central));
        assert_eq!("inspector".parse::<Rank>(), Ok(Rank::Inspector));
    }

    #[test]
    fn unknown_names_are_refused_by_name() {
        let err = "superuser".parse::<Role>().unwrap_err();
        assert_eq!(err.to_string(), "unknown role `superuser`");
        assert!("Local".parse::<AccessTier>().is_err(), "names are case-sensitive");
    }
}
