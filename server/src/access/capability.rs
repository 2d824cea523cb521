//! Who may call: one capability per role, each built only from a user's standing as it is now
//! (loaded afresh for every request, and again for every delivery of a long-lived stream).
//! Domain functions that act for a user take the capability they need, so who may call them is
//! in their signature; the HTTP layer builds them through its role extractors.

use shared::{Rank, Role, UserView};
use std::ops::Deref;

/// A role held now by a user who is not disabled. Streams build theirs again for every delivery
/// (`standing`), so what they send follows the user's standing as it is at that moment.
pub trait Capability: Sized + Deref<Target = UserView> {
    /// The role this capability stands for.
    const ROLE: Role;

    /// The capability, if `user` (as they stand now) holds the role and is not disabled.
    fn of(user: UserView) -> Result<Self, UserView>;
}

macro_rules! capabilities {
    ($($(#[$doc:meta])* $name:ident => $role:expr),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(UserView);

        impl Capability for $name {
            const ROLE: Role = $role;

            fn of(user: UserView) -> Result<Self, UserView> {
                if user.has($role) && !user.disabled {
                    Ok($name(user))
                } else {
                    Err(user)
                }
            }
        }

        impl Deref for $name {
            type Target = UserView;

            fn deref(&self) -> &UserView {
                &self.0
            }
        }
    )*};
}

capabilities! {
    /// An investigator (R10, R12): searches, watches, verification, the locker.
    Investigator => Role::Investigator,
    /// A supervisor (R10, R11): decisions on requests and statements.
    Supervisor => Role::Supervisor,
    /// An auditor (R21, R22): the audit log, the sample, locker reviews, figures.
    Auditor => Role::Auditor,
    /// A hotlist admin (R6, R9): lists and their entries.
    HotlistAdmin => Role::HotlistAdmin,
    /// A system admin (R3): users, feeds, cameras, camera health.
    SystemAdmin => Role::SystemAdmin,
}

/// A supervisor of inspector rank (R11): volume-crime approvals, partial plates on hotlists.
#[derive(Debug, Clone)]
pub struct Inspector(Supervisor);

impl Inspector {
    pub fn of(supervisor: Supervisor) -> Result<Self, Supervisor> {
        if supervisor.rank == Some(Rank::Inspector) {
            Ok(Inspector(supervisor))
        } else {
            Err(supervisor)
        }
    }

    pub fn supervisor(&self) -> &Supervisor {
        &self.0
    }
}

impl Deref for Inspector {
    type Target = UserView;

    fn deref(&self) -> &UserView {
        &self.0
    }
}

/// Someone involved in investigations: an investigator, a supervisor or an auditor. Each sees
/// requests and locker cases by their part in them (R10, R19); a user holding both the
/// investigator and supervisor roles stands as a supervisor.
#[derive(Debug, Clone)]
pub enum Involved {
    Investigator(Investigator),
    Supervisor(Supervisor),
    Auditor(Auditor),
}

impl Involved {
    pub const ROLES: [Role; 3] = [Role::Investigator, Role::Supervisor, Role::Auditor];

    pub fn of(user: UserView) -> Result<Self, UserView> {
        let user = match Auditor::of(user) {
            Ok(auditor) => return Ok(Involved::Auditor(auditor)),
            Err(user) => user,
        };
        let user = match Supervisor::of(user) {
            Ok(supervisor) => return Ok(Involved::Supervisor(supervisor)),
            Err(user) => user,
        };
        Investigator::of(user).map(Involved::Investigator)
    }

    /// Auditors see every locker case (R19, R21); everyone else the cases they are named on.
    pub fn sees_every_case(&self) -> bool {
        matches!(self, Involved::Auditor(_))
    }

    /// Supervisors, who decide requests, and auditors see every request; an investigator their
    /// own (R10).
    pub fn sees_every_request(&self) -> bool {
        !matches!(self, Involved::Investigator(_))
    }
}

impl Deref for Involved {
    type Target = UserView;

    fn deref(&self) -> &UserView {
        match self {
            Involved::Investigator(c) => c,
            Involved::Supervisor(c) => c,
            Involved::Auditor(c) => c,
        }
    }
}

macro_rules! any_of {
    ($($(#[$doc:meta])* $name:ident => [$($role:expr),+]),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(UserView);

        impl $name {
            pub const ROLES: [Role; [$($role),+].len()] = [$($role),+];

            pub fn of(user: UserView) -> Result<Self, UserView> {
                if user.has_any(&Self::ROLES) && !user.disabled {
                    Ok($name(user))
                } else {
                    Err(user)
                }
            }
        }

        impl Deref for $name {
            type Target = UserView;

            fn deref(&self) -> &UserView {
                &self.0
            }
        }
    )*};
}

any_of! {
    /// Someone who may see the camera network on the map: an investigator, a hotlist admin or a
    /// system admin (cameras, never reads).
    MapViewer => [Role::Investigator, Role::HotlistAdmin, Role::SystemAdmin],
    /// Someone who answers for the network as a whole: a system admin (its outages) or an
    /// auditor (its technical difficulties and how evenly it watches, R23). Figures only.
    Overseer => [Role::SystemAdmin, Role::Auditor],
}
