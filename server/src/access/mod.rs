//! Who may do what: accounts, passwords, sessions and signing in. Later: requests, approvals
//! and the `Grant` that every search requires.

pub mod login;
pub mod passwords;
pub mod restrictions;
pub mod sessions;
pub mod users;
