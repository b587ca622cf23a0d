//! buqi-office: what the city office does with merged surveys — the action plan from the gaps,
//! the figures, the yearly progress report and the exports. Pure functions over the schema's
//! types: no HTTP and no SQL here (those are `buqi serve`'s).

pub mod costs;
pub mod export;
pub mod figures;
pub mod plan;
pub mod report;
pub mod sheet;

pub use costs::CostTable;
pub use plan::{gap_closed, plan, rank, transition, Closure, PlanOptions, Project, Status, Way};

/// Everything this crate refuses, each message naming what and where.
#[derive(Debug, thiserror::Error)]
pub enum OfficeError {
    #[error("cost table: {0}")]
    CostTable(String),
    #[error("survey and evaluation do not match: {0}")]
    Mismatch(String),
    #[error("status change refused: {0}")]
    Transition(String),
    #[error("export: {0}")]
    Export(String),
    #[error("writing the workbook: {0}")]
    Xlsx(String),
}
