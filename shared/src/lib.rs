//! The workbench's domain: pure types and rules, no I/O. Builds for wasm32 (the UI) and native
//! (the server), so both sides agree on every shape and check. Rule numbers (R1–R23) refer to
//! the domain rules in the project's documentation.

/// A schema for the API's contract (feature `openapi`, the server's only) of a type that travels
/// as a string it is parsed from: `string_schema!(Plate, "…")`.
macro_rules! string_schema {
    ($ty:ty, $description:expr) => {
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($description))
                    .into()
            }
        }
        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $ty {}
    };
}

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
