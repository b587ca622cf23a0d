//! The database schema, one migration per step for each backend. Never edit a shipped step: add
//! one, to both lists, with the same number.
//!
//! Each backend keeps the steps it has applied in `schema_version` and applies the missing ones in
//! one transaction when it opens the database (on PostgreSQL under an advisory lock, so that two
//! servers starting at once on an empty database do not both create it).

/// SQLite's steps; step n is `SQLITE[n - 1]`.
pub const SQLITE: &[&str] = &[
    include_str!("sql/sqlite/001-sync.sql"),
    include_str!("sql/sqlite/002-photo-address.sql"),
];

/// PostgreSQL's steps; step n is `POSTGRES[n - 1]`.
pub const POSTGRES: &[&str] = &[
    include_str!("sql/postgres/001-sync.sql"),
    include_str!("sql/postgres/002-photo-address.sql"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_every_step() {
        assert_eq!(SQLITE.len(), POSTGRES.len());
        assert_eq!(SQLITE.len() as i64, super::super::SCHEMA_VERSION);
    }
}
