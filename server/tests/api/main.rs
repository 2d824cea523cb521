//! Integration tests through the HTTP API. Each test runs on SQLite, on PostgreSQL as well
//! when `ANPR_TEST_POSTGRES_URL` names a server, and on Citus when `ANPR_TEST_CITUS_URL` names a
//! cluster's coordinator (a fresh database is made per test).

mod citus;
mod helpers;

mod analyses_beyond_one_plate;
mod annual_report;
mod audit_log_chained;
mod bad_input_is_named;
mod bounded_soak;
mod csv_cells_are_inert;
mod each_source_for_its_purpose;
mod engines_in;
mod every_read_behind_a_grant;
mod evidence_verified_kept_and_disclosed;
mod exports_lifecycle;
mod hotlists_and_alerts;
mod ingest_at_the_door;
mod locker_edges;
mod no_side_doors;
mod openapi_contract;
mod pages_need_a_session;
mod rate_limits;
mod reads_in;
mod reads_kept_by_day;
mod requests_and_searches;
mod several_servers_as_one;
mod sign_in_and_sessions;
mod simulated_feed;
mod statement_listings;
mod usage_flags;
mod user_administration;
mod yearly_figures_withhold_small_counts;
