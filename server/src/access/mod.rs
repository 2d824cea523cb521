//! Who may do what: accounts, passwords, sessions and signing in. Later: requests, approvals
//! and the `Grant` that every search requires.

pub mod capability;
pub mod login;
pub mod passwords;
pub mod policy;
pub mod restrictions;
pub mod sessions;
pub mod standing;
pub mod users;

pub use capability::{
    Auditor, Capability, HotlistAdmin, Inspector, Investigator, Involved, MapViewer, Overseer, Supervisor, SystemAdmin,
};
