//! Numbers with a domain: areas and lengths that cannot be negative, counts that are whole.
//!
//! They exist so that a bad value in a survey file is refused where it is read, with a message a
//! surveyor can act on (`expected a number ≥ 0, got "abc"`), instead of surfacing later as a
//! nonsense verdict.

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A finite number ≥ 0: an area in m², a length in m, a time in minutes.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct NonNegative(f64);

impl NonNegative {
    /// `None` for a negative, NaN or infinite value.
    pub fn new(value: f64) -> Option<Self> {
        (value.is_finite() && value >= 0.0).then_some(NonNegative(value))
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

impl Serialize for NonNegative {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0)
    }
}

impl<'de> Deserialize<'de> for NonNegative {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(NumberVisitor { whole: false })
            .map(NonNegative)
    }
}

impl JsonSchema for NonNegative {
    fn schema_name() -> Cow<'static, str> {
        "NonNegative".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "number", "minimum": 0 })
    }
}

/// A whole number ≥ 0: classes, compartments, parking spaces, households.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Count(u32);

impl Count {
    pub fn new(value: u32) -> Self {
        Count(value)
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.0)
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = deserializer.deserialize_any(NumberVisitor { whole: true })?;
        // The visitor has already refused fractions and negatives; this refuses the absurdly large.
        if value > f64::from(u32::MAX) {
            return Err(de::Error::custom(format!(
                "expected a whole number ≥ 0, got {value}, which is too large"
            )));
        }
        Ok(Count(value as u32))
    }
}

impl JsonSchema for Count {
    fn schema_name() -> Cow<'static, str> {
        "Count".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "minimum": 0, "maximum": u32::MAX })
    }
}

/// Accepts a JSON number and refuses everything else with a message that quotes what it got.
struct NumberVisitor {
    whole: bool,
}

impl NumberVisitor {
    fn wanted(&self) -> &'static str {
        if self.whole {
            "a whole number ≥ 0"
        } else {
            "a number ≥ 0"
        }
    }

    fn refuse<E: de::Error>(&self, got: impl fmt::Display) -> E {
        E::custom(format!("expected {}, got {got}", self.wanted()))
    }

    fn check<E: de::Error>(&self, value: f64) -> Result<f64, E> {
        if !value.is_finite() || value < 0.0 || (self.whole && value.fract() != 0.0) {
            return Err(self.refuse(value));
        }
        Ok(value)
    }
}

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.wanted())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        self.check(v as f64)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        self.check(v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        self.check(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        Err(self.refuse(format_args!("{v:?}")))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<f64, E> {
        Err(self.refuse(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<f64, E> {
        Err(self.refuse("null"))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<f64, A::Error> {
        Err(self.refuse("a list"))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<f64, A::Error> {
        Err(self.refuse("an object"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read<T: for<'de> Deserialize<'de>>(json: &str) -> Result<T, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn refusals_quote_what_they_got() {
        let err = read::<NonNegative>(r#""abc""#).unwrap_err();
        assert!(
            err.starts_with(r#"expected a number ≥ 0, got "abc""#),
            "{err}"
        );
        let err = read::<NonNegative>("-1.5").unwrap_err();
        assert!(err.starts_with("expected a number ≥ 0, got -1.5"), "{err}");
        let err = read::<Count>("2.5").unwrap_err();
        assert!(
            err.starts_with("expected a whole number ≥ 0, got 2.5"),
            "{err}"
        );
        let err = read::<Count>("5000000000").unwrap_err();
        assert!(err.contains("too large"), "{err}");
        let err = read::<Count>("null").unwrap_err();
        assert!(
            err.starts_with("expected a whole number ≥ 0, got null"),
            "{err}"
        );
    }

    #[test]
    fn good_values_pass() {
        assert_eq!(read::<NonNegative>("0").unwrap().get(), 0.0);
        assert_eq!(read::<NonNegative>("820.5").unwrap().get(), 820.5);
        assert_eq!(read::<Count>("6").unwrap().get(), 6);
        assert_eq!(read::<Count>("6.0").unwrap().get(), 6);
    }
}
