//! The unit-cost table a plan's estimates come from (`office/costs/default.toml`, or a city's own).

use serde::{Deserialize, Serialize};

use crate::plan::Way;
use crate::OfficeError;

/// The shipped table: indicative placeholders, each entry saying so in its `source`.
pub const DEFAULT_COSTS: &str = include_str!("../costs/default.toml");

/// What a price is per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    /// Per unit of the shortfall: m² for areas, one for counts.
    Unit,
    /// Per household of the community.
    Household,
    /// Per m² of the community's total floor area.
    FloorM2,
    /// Once per community.
    Lump,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableInfo {
    pub name_zh: String,
    pub name_en: String,
    pub currency: String,
    pub note_zh: String,
    pub note_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostEntry {
    /// A check id of the standard (`2.building_area`).
    pub check: String,
    /// Only for this way; absent: any way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub way: Option<String>,
    pub yuan: f64,
    pub per: Per,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostTable {
    pub table: TableInfo,
    #[serde(default)]
    pub cost: Vec<CostEntry>,
}

impl CostTable {
    /// The shipped default table.
    pub fn builtin() -> CostTable {
        CostTable::from_toml(DEFAULT_COSTS).expect("the shipped cost table is valid (tested)")
    }

    /// Reads a table; refuses unknown fields, unknown ways and prices that are negative or not numbers,
    /// naming the entry.
    pub fn from_toml(text: &str) -> Result<CostTable, OfficeError> {
        let table: CostTable =
            toml::from_str(text).map_err(|e| OfficeError::CostTable(e.to_string()))?;
        for (i, e) in table.cost.iter().enumerate() {
            if let Some(w) = &e.way {
                if Way::from_id(w).is_none() {
                    let valid: Vec<&str> = Way::ALL.iter().map(|w| w.id()).collect();
                    return Err(OfficeError::CostTable(format!(
                        "cost[{i}] ({}): unknown way {w:?}; valid: {}",
                        e.check,
                        valid.join(", ")
                    )));
                }
            }
            if !e.yuan.is_finite() || e.yuan < 0.0 {
                return Err(OfficeError::CostTable(format!(
                    "cost[{i}] ({}): yuan must be a number ≥ 0, got {}",
                    e.check, e.yuan
                )));
            }
        }
        Ok(table)
    }

    /// The price of a check closed in a way: the first entry for that way, else the first for any way.
    pub fn find(&self, check: &str, way: Way) -> Option<&CostEntry> {
        self.cost
            .iter()
            .find(|e| e.check == check && e.way.as_deref() == Some(way.id()))
            .or_else(|| {
                self.cost
                    .iter()
                    .find(|e| e.check == check && e.way.is_none())
            })
    }
}

impl CostTable {
    /// The text of the shipped table, to start a city's own from.
    pub fn builtin_text() -> &'static str {
        DEFAULT_COSTS
    }
}
