//! Integration tests through the HTTP API. Each test runs on SQLite, and on PostgreSQL as well
//! when `ANPR_TEST_POSTGRES_URL` names a server (a fresh database is made per test).

mod helpers;

mod access;
mod audit;
mod auth;
mod days;
mod evidence;
mod hotlists;
mod ingest;
mod input;
mod limits;
mod pages;
mod search;
mod servers;
mod simulator;
mod soak;
mod users;
