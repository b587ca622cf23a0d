//! 体验活动 checklist templates: for each group of participants the disability federation brings
//! (wheelchair users, blind and low-vision people, deaf and hard-of-hearing people, elderly
//! people), a route of checkpoints through the places item 12 looks at. The templates are data
//! (`checklists/*.toml`), compiled in; a run records the template's id and one checkpoint record
//! per place, which the evaluator counts in item 12.

use serde::{Deserialize, Serialize};

use crate::survey::{CheckpointTarget, ParticipantCategory};
use crate::vocab::FacilityKind;

/// The shipped templates' files, in the order the app offers them.
const FILES: &[(&str, &str)] = &[
    (
        "checklists/wheelchair.toml",
        include_str!("../checklists/wheelchair.toml"),
    ),
    (
        "checklists/blind_low_vision.toml",
        include_str!("../checklists/blind_low_vision.toml"),
    ),
    (
        "checklists/deaf_hard_of_hearing.toml",
        include_str!("../checklists/deaf_hard_of_hearing.toml"),
    ),
    (
        "checklists/elderly.toml",
        include_str!("../checklists/elderly.toml"),
    ),
];

/// One route of checkpoints for one group of participants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistTemplate {
    /// Stable id, kept in a run's `template`.
    pub id: String,
    /// Whose experience the route is for: a run's `category`.
    pub group: ParticipantCategory,
    pub title_zh: String,
    pub title_en: String,
    pub checkpoints: Vec<CheckpointTemplate>,
}

/// One place on a route and what to look for there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointTemplate {
    /// Unique within its template.
    pub id: String,
    /// What the checkpoint is about: a checkpoint record's `target`.
    pub target: CheckpointTarget,
    /// The kind of facility the place belongs to, where it belongs to one (the service
    /// station's counter), so the app can offer that facility to link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility_kind: Option<FacilityKind>,
    pub title_zh: String,
    pub title_en: String,
    pub look_for_zh: String,
    pub look_for_en: String,
}

/// Why a template file cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct InvalidTemplate {
    pub file: String,
    pub message: String,
}

impl ChecklistTemplate {
    /// Reads one template file; `file` names it in errors. Unknown targets, facility kinds and
    /// groups are refused by the types; this also refuses empty texts, duplicate checkpoint ids
    /// and routes outside 6–10 checkpoints (shorter is no route, longer tires the participants).
    pub fn from_toml(file: &str, text: &str) -> Result<ChecklistTemplate, InvalidTemplate> {
        let bad = |message: String| InvalidTemplate {
            file: file.to_owned(),
            message,
        };
        let t: ChecklistTemplate = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        if !(6..=10).contains(&t.checkpoints.len()) {
            return Err(bad(format!(
                "a route has 6 to 10 checkpoints, this one has {}",
                t.checkpoints.len()
            )));
        }
        for (field, value) in [
            ("id", &t.id),
            ("title_zh", &t.title_zh),
            ("title_en", &t.title_en),
        ] {
            if value.trim().is_empty() {
                return Err(bad(format!("{field} is empty")));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (i, c) in t.checkpoints.iter().enumerate() {
            for (field, value) in [
                ("id", &c.id),
                ("title_zh", &c.title_zh),
                ("title_en", &c.title_en),
                ("look_for_zh", &c.look_for_zh),
                ("look_for_en", &c.look_for_en),
            ] {
                if value.trim().is_empty() {
                    return Err(bad(format!("checkpoints[{i}].{field} is empty")));
                }
            }
            if !seen.insert(c.id.as_str()) {
                return Err(bad(format!("checkpoints[{i}].id {:?} is used twice", c.id)));
            }
        }
        Ok(t)
    }
}

/// The shipped templates, in the order the app offers them.
pub fn templates() -> Result<Vec<ChecklistTemplate>, InvalidTemplate> {
    FILES
        .iter()
        .map(|(file, text)| ChecklistTemplate::from_toml(file, text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_templates_are_valid_and_cover_every_group() {
        let all = templates().unwrap();
        let groups: Vec<_> = all.iter().map(|t| t.group).collect();
        assert_eq!(
            groups,
            [
                ParticipantCategory::Wheelchair,
                ParticipantCategory::BlindLowVision,
                ParticipantCategory::DeafHardOfHearing,
                ParticipantCategory::Elderly,
            ]
        );
        let ids: std::collections::HashSet<_> = all.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids.len(), all.len(), "template ids are unique");
        // Between them the routes visit every kind of place item 12 names.
        for target in [
            CheckpointTarget::Entrance,
            CheckpointTarget::Ramp,
            CheckpointTarget::Lift,
            CheckpointTarget::Toilet,
            CheckpointTarget::Counter,
            CheckpointTarget::TactilePaving,
            CheckpointTarget::Signage,
        ] {
            assert!(
                all.iter()
                    .flat_map(|t| &t.checkpoints)
                    .any(|c| c.target == target),
                "no route visits {target:?}"
            );
        }
    }

    #[test]
    fn an_unknown_target_is_named() {
        let text = FILES[0]
            .1
            .replacen("target = \"ramp\"", "target = \"escalator\"", 1);
        let err = ChecklistTemplate::from_toml("x.toml", &text).unwrap_err();
        assert!(err.to_string().contains("escalator"), "{err}");
        assert!(err.to_string().starts_with("x.toml"), "{err}");
    }

    #[test]
    fn an_unknown_facility_kind_and_a_duplicate_id_are_refused() {
        let text = FILES[0].1.replacen(
            "facility_kind = \"service_station\"",
            "facility_kind = \"spa\"",
            1,
        );
        let err = ChecklistTemplate::from_toml("x.toml", &text).unwrap_err();
        assert!(err.to_string().contains("spa"), "{err}");

        let text = FILES[0].1.replacen("id = \"path\"", "id = \"gate\"", 1);
        let err = ChecklistTemplate::from_toml("x.toml", &text).unwrap_err();
        assert!(err.to_string().contains("\"gate\" is used twice"), "{err}");
    }
}
