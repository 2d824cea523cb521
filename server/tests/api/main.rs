//! Integration tests through the HTTP API. Each test runs on SQLite, and on PostgreSQL as well
//! when `ANPR_TEST_POSTGRES_URL` names a server (a fresh database is made per test).

mod helpers;

mod access;
mod audit;
mod auth;
mod csv_exports;
mod days;
mod evidence;
mod hotlists;
mod ingest;
mod ingest_hygiene;
mod input;
mod limits;
mod locker_access;
mod oversight_figures;
mod pages;
mod search;
mod servers;
mod side_doors;
mod simulator;
mod soak;
mod statements_access;
mod users;
