//! The workbench's domain: pure types and rules, no I/O. Builds for wasm32 (the UI) and native
//! (the server), so both sides agree on every shape and check. Rule numbers (R1–R23) refer to
//! the domain rules in the project's documentation.

pub mod accounts;
pub mod analysis;
pub mod api;
pub mod audit;
pub mod cameras;
pub mod endpoints;
pub mod export;
pub mod flags;
pub mod form;
pub mod hotlists;
pub mod locker;
pub mod oversight;
pub mod plate;
pub mod reads;
pub mod registers;
pub mod requests;
pub mod roles;
pub mod search;
pub mod verification;
pub mod watch;

pub use accounts::{AccountError, Authority, LoginRequest, NewUser, UserUpdate, UserView, Username};
pub use api::{ErrorBody, MapSettings, Policy, ShellData};
pub use audit::{AuditAction, AuditEntry, AuditFilter, ChainReport};
pub use cameras::{CameraHealth, CameraStatus, CameraView, FeedView};
pub use form::{FieldProblem, Validate};
pub use plate::Plate;
pub use reads::{ImageKind, IngestReport, NativeRead, ReadView};
pub use roles::{AccessTier, Rank, Role};
