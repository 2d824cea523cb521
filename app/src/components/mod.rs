pub mod map;
pub mod nav;
