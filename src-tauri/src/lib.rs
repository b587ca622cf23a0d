//! buqi-app: the field app for surveyors' tablets.
//!
//! The core works without a window, so it is tested fast:
//! - [`store`]: the offline SQLite store, its change log and the queries the screens need;
//! - `buqi-measure` (src-tauri/measure): GPS and measuring, filed by [`measuring`] as batches of
//!   edits (a boundary walk with its GPS points and the measurement that cites them);
//! - `buqi-photo` (src-tauri/photo): the photo pipeline, filed by [`photos`] (the image in the
//!   content-addressed folder first, then the record that points at it).
//!
//! - [`sync`]: the sync client (enroll, push, pull, evict; backoff over bad networks).
//!
//! Compliance is never decided here: the app evaluates surveys only through the one evaluator in
//! `buqi-schema`, re-exported as [`schema`].

pub use buqi_schema as schema;

#[cfg(feature = "window")]
pub mod app;
pub mod measuring;
pub mod photos;
pub mod store;
pub mod sync;
