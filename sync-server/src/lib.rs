//! buqi-server: the city office's sync server (`buqi serve`) and its administration commands.
//!
//! - [`protocol`]: protocol v1's messages (in `buqi-schema`, which the app shares), as they travel (docs/sync-protocol.md).
//! - [`merge`]: what a push does to the survey data: which changes are new, which field each wins,
//!   which pairs are conflicts. Pure; it applies the rules of [`buqi_schema::merge`] and no others.
//! - [`store`]: the server's database behind one interface, on SQLite or PostgreSQL.
//! - [`photos`]: the server's photos: stored copies (a folder) and resumable uploads.
//! - [`serve`]: the HTTP server.
//! - [`cli`]: `buqi serve`, `buqi user`, `buqi community`, `buqi assign`, `buqi unassign`, `buqi device`, `buqi import`.
//! - [`secret`]: device tokens, enrollment codes and passwords; [`clock`]: the server's clock.

pub mod cli;
pub mod clock;
pub mod merge;
pub mod photos;
pub use buqi_schema::protocol;
pub mod secret;
pub mod serve;
pub mod store;
