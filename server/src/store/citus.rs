//! Citus, the distributed PostgreSQL: past one database server (R4 at a national scale).
//!
//! The server recognises a Citus coordinator by the `citus` extension in its database (the
//! operator creates it there and on every worker, and adds the nodes; README, "Past one
//! database"). Its schema is then PostgreSQL's — the same migrations run first, the same SQL is
//! sent — laid out across the cluster by [`lay_out`] after every run of the migrations:
//!
//! - `reads` is distributed by `plate` (still partitioned by day on every worker; the day
//!   partitions made ahead and dropped by the purge (R18) are created and dropped on every
//!   shard by Citus): a vehicle's history is one shard, other searches fan out;
//! - `read_skeleton_days` is distributed by `skeleton`, on its own;
//! - the small tables every read query joins or every grant check reads (feeds, cameras,
//!   hotlists and their entries and members, users, their roles and restrictions) are
//!   reference tables, copied to every node;
//! - everything else — the audit log (R21), requests, searches, the locker, exports, sessions
//!   and the rest of the workbench's own records — stays on the coordinator, added to Citus'
//!   metadata as local tables so that it joins the reference tables there.
//!
//! Each step is taken only when not yet done, so it runs on an empty cluster, on a
//! single-node database restored into the coordinator (its rows are moved to the shards in
//! place) and on every later start alike. A migration that adds a table leaves it local until
//! it is named here.

use sqlx::{AnyConnection, Row};

/// Tables distributed across the workers, with their distribution column.
pub const DISTRIBUTED: &[(&str, &str)] = &[("reads", "plate"), ("read_skeleton_days", "skeleton")];

/// Tables copied to every node, each after the tables it refers to.
pub const REFERENCE: &[&str] = &[
    "feeds",
    "cameras",
    "users",
    "user_roles",
    "user_denied_cameras",
    "user_denied_capabilities",
    "hotlists",
    "hotlist_entries",
    "hotlist_members",
];

#[derive(Debug, thiserror::Error)]
pub enum CitusError {
    #[error(
        "the Citus coordinator is not in its own metadata: run SELECT citus_set_coordinator_host('<host>', <port>) \
         in this database first (README, \"Past one database\")"
    )]
    NoCoordinator,
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

/// True when `conn`'s database has the `citus` extension: a Citus coordinator.
pub async fn is_coordinator(conn: &mut AnyConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')").fetch_one(conn).await
}

/// Lays the schema out across the cluster as the module's note says; does only what is not yet
/// done.
pub async fn lay_out(conn: &mut AnyConnection) -> Result<(), CitusError> {
    let coordinator: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_dist_node WHERE groupid = 0)")
        .fetch_one(&mut *conn)
        .await?;
    if !coordinator {
        return Err(CitusError::NoCoordinator);
    }
    // Servers starting together lay it out one at a time (the lock goes with the connection).
    sqlx::query("SELECT 1 FROM pg_advisory_lock(hashtext('anpr citus layout'))").execute(&mut *conn).await?;
    let mut converted = false;
    for (table, column) in DISTRIBUTED {
        if placement(conn, table).await?.as_deref() != Some("distributed") {
            converted = true;
            // Colocated with nothing: each is looked up by its own key. (The functions here return
            // `void`, which sqlx's `Any` driver cannot carry: called in FROM.)
            sqlx::query("SELECT 1 FROM create_distributed_table($1, $2, colocate_with => 'none')")
                .bind(*table)
                .bind(*column)
                .execute(&mut *conn)
                .await?;
        }
    }
    for table in REFERENCE {
        // The first reference table brings every table linked to it by foreign keys into Citus'
        // metadata as a local table; those named here are then made reference tables.
        if placement(conn, table).await?.as_deref() != Some("reference") {
            converted = true;
            sqlx::query("SELECT 1 FROM create_reference_table($1)").bind(*table).execute(&mut *conn).await?;
        }
    }
    // The rest stays on the coordinator, in Citus' metadata; a table that a foreign key brought
    // in is added for good, so that it stays there even if that key goes.
    let local: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_dist_partition p ON p.logicalrelid = c.oid \
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
           AND c.relname <> '_sqlx_migrations' AND (p.logicalrelid IS NULL OR p.autoconverted) ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    for table in &local {
        sqlx::query("SELECT 1 FROM citus_add_local_table_to_metadata($1)").bind(table).execute(&mut *conn).await?;
    }
    if converted || !local.is_empty() {
        identities_past_their_rows(conn).await?;
    }
    sqlx::query("SELECT pg_advisory_unlock(hashtext('anpr citus layout'))").execute(&mut *conn).await?;
    Ok(())
}

/// Moves every identity column's sequence past the highest value its table holds. A table with
/// rows that Citus takes into its metadata keeps its rows but is given a fresh sequence, which
/// would hand out ids already taken. Never moves a sequence back.
async fn identities_past_their_rows(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    let columns = sqlx::query(
        "SELECT c.relname::text AS t, a.attname::text AS col FROM pg_attribute a \
         JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND a.attidentity <> '' AND c.relkind IN ('r', 'p') AND NOT c.relispartition",
    )
    .fetch_all(&mut *conn)
    .await?;
    for column in columns {
        let (table, col): (String, String) = (column.try_get("t")?, column.try_get("col")?);
        sqlx::query(&format!(
            "SELECT setval(q.s, GREATEST(q.m, nextval(q.s))) FROM \
             (SELECT pg_get_serial_sequence($1, $2) AS s, MAX(\"{col}\") AS m FROM \"{table}\") q WHERE q.m IS NOT NULL"
        ))
        .bind(&table)
        .bind(&col)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// How `table` is placed: `distributed`, `reference`, `local` (in Citus' metadata, on the
/// coordinator), or `None` when Citus does not know it.
pub async fn placement(conn: &mut AnyConnection, table: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT CASE WHEN partmethod = 'h' THEN 'distributed' WHEN repmodel = 't' THEN 'reference' ELSE 'local' END \
         FROM pg_dist_partition WHERE logicalrelid = to_regclass($1)",
    )
    .bind(table)
    .fetch_optional(conn)
    .await
}
