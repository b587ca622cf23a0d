//! buqi-app: the field app for surveyors' tablets.
//!
//! The app evaluates surveys only through the one evaluator in `buqi-schema`, re-exported here so
//! that the app's modules name one place. The offline store, GPS and measuring, the photo pipeline,
//! the sync client and the Tauri window are later work (see ARCHITECTURE.md); none of them exists
//! yet, and nothing here pretends otherwise.

pub use buqi_schema as schema;
