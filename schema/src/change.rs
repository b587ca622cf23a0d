//! Changes: the unit in which surveys travel between devices and the server.
//!
//! Every edit of a record's field is one [`Change`], stamped with a hybrid logical clock reading
//! ([`Hlc`]) and the id of the device that made it. The newest stamp wins per field; ties of clock
//! readings are broken by device id, so every replica orders the same changes the same way. Deleting
//! a record is a change of its [`DELETED`] field to `true` (a tombstone), and undoing the delete sets
//! it back to `false`; nothing is ever removed from the log. Each change also names the stamp of
//! the value it replaced (its `base`), so that concurrent edits can be told from sequential ones.
//!
//! This module only names things. The clocks themselves live where there is time: the app and the
//! server (both use `uhlc`); this crate has no clock.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use uuid::Uuid;

use crate::record::EntityKind;

/// The field whose `true` value is a record's tombstone.
pub const DELETED: &str = "_deleted";

/// A hybrid logical clock reading: 64-bit NTP-style time as `uhlc` makes it (upper 32 bits
/// seconds since 1970-01-01 UTC, lower 32 bits the fraction, the lowest bits a counter).
///
/// In JSON it is 16 lowercase hex digits: JavaScript numbers cannot hold 64 bits exactly, and
/// fixed-width hex sorts as text the way the numbers sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hlc(pub u64);

impl Hlc {
    /// The reading as 16 hex digits.
    pub fn to_hex(self) -> String {
        format!("{:016x}", self.0)
    }

    /// Reads 16 hex digits.
    pub fn from_hex(text: &str) -> Option<Hlc> {
        if text.len() != 16 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(text, 16).ok().map(Hlc)
    }

    /// Whole seconds since 1970-01-01 UTC, for showing when a change was made.
    pub fn unix_seconds(self) -> u64 {
        self.0 >> 32
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl Serialize for Hlc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hlc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Hlc, D::Error> {
        let text = String::deserialize(deserializer)?;
        Hlc::from_hex(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "expected a clock reading of 16 hex digits, got {text:?}"
            ))
        })
    }
}

/// Who changed a field, and when: the order in which changes to one field win.
///
/// Ordered by clock reading, then device id: a total order that every replica agrees on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Stamp {
    pub hlc: Hlc,
    pub device: Uuid,
}

/// One field of one record set to a value (JSON `null` unsets it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// The community whose survey the record belongs to.
    pub community: Uuid,
    pub kind: EntityKind,
    /// The record's id.
    pub entity: Uuid,
    pub field: String,
    pub value: Value,
    pub hlc: Hlc,
    pub device: Uuid,
    /// The stamp of the field's value the editor saw when making this change (`None` for a
    /// field never set before). Two changes of one field with the same base were made without
    /// seeing each other: a conflict the office gets to see, whichever wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<Stamp>,
}

impl Change {
    pub fn stamp(&self) -> Stamp {
        Stamp {
            hlc: self.hlc,
            device: self.device,
        }
    }

    /// Is this the tombstone of its record (or the undoing of one)?
    pub fn is_deletion_flag(&self) -> bool {
        self.field == DELETED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hlc_hex_sorts_like_the_number() {
        let a = Hlc(0x0000_00ff_0000_0001);
        let b = Hlc(0x0001_0000_0000_0000);
        assert!(a < b);
        assert!(a.to_hex() < b.to_hex());
        assert_eq!(Hlc::from_hex(&a.to_hex()), Some(a));
        assert_eq!(Hlc::from_hex("12"), None);
        assert_eq!(Hlc::from_hex("zzzzzzzzzzzzzzzz"), None);
    }

    #[test]
    fn stamps_order_by_clock_then_device() {
        let early = Stamp {
            hlc: Hlc(5),
            device: Uuid::from_u128(9),
        };
        let late = Stamp {
            hlc: Hlc(6),
            device: Uuid::from_u128(1),
        };
        let tie = Stamp {
            hlc: Hlc(6),
            device: Uuid::from_u128(2),
        };
        assert!(early < late && late < tie);
    }

    #[test]
    fn a_change_reads_back_from_json() {
        let text = r#"{"community":"0190c3a0-0000-7000-8000-000000000001","kind":"facility",
            "entity":"0190c3a0-0000-7000-8000-000000000002","field":"building_area_m2","value":120.5,
            "hlc":"66f0c1a2b3c4d5e6","device":"0190c3a0-0000-7000-8000-0000000000ff",
            "base":{"hlc":"66f0c1a2b3c4d5e0","device":"0190c3a0-0000-7000-8000-0000000000fe"}}"#;
        let change: Change = serde_json::from_str(text).unwrap();
        assert_eq!(change.kind, EntityKind::Facility);
        assert_eq!(change.hlc, Hlc(0x66f0_c1a2_b3c4_d5e6));
        assert_eq!(change.base.unwrap().hlc, Hlc(0x66f0_c1a2_b3c4_d5e0));
        let again: Change = serde_json::from_str(&serde_json::to_string(&change).unwrap()).unwrap();
        assert_eq!(again, change);
        let bad = text.replace("66f0c1a2b3c4d5e6", "soon");
        let err = serde_json::from_str::<Change>(&bad)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("expected a clock reading of 16 hex digits"),
            "{err}"
        );
    }
}
