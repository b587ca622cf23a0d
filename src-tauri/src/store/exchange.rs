//! Moving one community's survey in and out of the device in the interchange format
//! (`buqi.survey`, the same files `buqi evaluate` reads): a backup, a hand-over to another tablet,
//! or a survey prepared in the office.

use buqi_schema::record::{records_of, EntityKind};
use buqi_schema::Survey;
use rusqlite::OptionalExtension;
use uuid::Uuid;

use super::{table, Result, Store, StoreError};

impl Store {
    /// The community's survey as an interchange file (pretty JSON).
    pub fn export_community(&self, community: Uuid) -> Result<String> {
        Ok(self.survey(community)?.to_json())
    }

    /// Reads a survey file and adds its community to the device, keeping every id in it; each
    /// field becomes a change made on this device now. Refused whole, changing nothing, if the
    /// file does not read or any of its ids is already on the device.
    pub fn import_community(&mut self, json: &str) -> Result<Uuid> {
        let survey = Survey::from_json(json).map_err(StoreError::BadFile)?;
        let records = records_of(&survey);
        let community = survey.community.id;
        self.batch(|b| {
            let tx = &b.tx;
            let existing: Option<String> = tx
                .query_row(
                    "SELECT coalesce(name, '') FROM community WHERE id = ?1",
                    [community.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(name) = existing {
                return Err(StoreError::AlreadyHere {
                    id: community,
                    name,
                });
            }
            for r in records.iter().filter(|r| r.kind != EntityKind::Community) {
                for kind in EntityKind::ALL {
                    let taken: bool = tx.query_row(
                        &format!(
                            "SELECT EXISTS (SELECT 1 FROM {} WHERE id = ?1)",
                            table(kind)
                        ),
                        [r.id.to_string()],
                        |row| row.get(0),
                    )?;
                    if taken {
                        return Err(StoreError::IdTaken {
                            id: r.id,
                            kind: r.kind,
                        });
                    }
                }
            }
            b.insert_survey(community, &records)?;
            Ok(community)
        })
    }
}
