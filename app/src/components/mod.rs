pub mod alerts;
#[cfg(feature = "hydrate")]
pub mod live;
pub mod map;
pub mod nav;
pub mod outcome;
pub mod read_detail;
