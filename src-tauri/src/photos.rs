//! Photos taken in the field, filed: the image through `buqi-photo` into the device's photo
//! folder, and a photo record in the survey that points at it by its SHA-256, with the time,
//! position and bearing the camera wrote.

use buqi_photo::{PhotoError, PhotoExif, PhotoFolder, Settings, Stamp};
use buqi_schema::record::{EntityKind, Fields};
use chrono::FixedOffset;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::store::{Store, StoreError};

/// What a photo is of. A photo may be filed under an item, a facility, both or neither.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attachment {
    pub item: Option<u8>,
    pub facility: Option<Uuid>,
    pub caption: Option<String>,
}

/// How images are processed as they are filed.
#[derive(Debug, Clone, Copy)]
pub struct Processing<'a> {
    pub settings: &'a Settings,
    /// Burned into the display copy, if given.
    pub stamp: Option<&'a Stamp>,
    /// The tablet's UTC offset, used when the camera did not write one.
    pub zone: FixedOffset,
}

/// A photo as filed.
#[derive(Debug, Clone, PartialEq)]
pub struct FiledPhoto {
    /// The photo record's id.
    pub record: Uuid,
    /// The image's address.
    pub sha256: String,
    /// False when the same image was already in the folder (attached elsewhere, or taken
    /// twice): nothing new was written.
    pub new_image: bool,
    pub exif: PhotoExif,
}

/// Why a photo was not filed.
#[derive(Debug, thiserror::Error)]
pub enum PhotoFileError {
    /// The image was refused; nothing was stored.
    #[error("the photo was not added: {0}")]
    Image(#[from] PhotoError),
    /// The record was refused (a facility that is not there, say). The image may stay in the
    /// folder: it is content-addressed and immutable, so an unreferenced copy harms nothing and
    /// is reused if the same photo is added again.
    #[error("the photo was not added: {0}")]
    Record(#[from] StoreError),
}

impl Store {
    /// Processes a camera file and files it under `attach` in a community's survey. The image is
    /// stored first and the record second, so a record never points at an image that is not on
    /// the device.
    pub fn add_photo(
        &mut self,
        folder: &PhotoFolder,
        community: Uuid,
        bytes: &[u8],
        attach: &Attachment,
        how: Processing<'_>,
    ) -> Result<FiledPhoto, PhotoFileError> {
        let processed = buqi_photo::process(bytes, how.settings, how.stamp)?;
        let put = folder.put(&processed)?;
        let exif = processed.exif;

        let mut fields = Fields::new();
        fields.insert("sha256".into(), Value::String(put.sha256.clone()));
        if let Some(item) = attach.item {
            fields.insert("item".into(), json!(item));
        }
        if let Some(facility) = attach.facility {
            fields.insert("facility".into(), json!(facility.to_string()));
        }
        if let Some(caption) = attach.caption.as_deref().filter(|c| !c.trim().is_empty()) {
            fields.insert("caption".into(), json!(caption));
        }
        let taken_at = exif.taken_at_with_offset().or_else(|| {
            exif.taken_at
                .and_then(|t| t.and_local_timezone(how.zone).single())
        });
        if let Some(t) = taken_at {
            fields.insert("taken_at".into(), json!(t.to_rfc3339()));
        }
        if let Some(p) = exif.position {
            fields.insert("position".into(), json!({"lon": p.lon, "lat": p.lat}));
        }
        // The survey model's bearing is from true north; a magnetic one would be off by the
        // local declination, so it is left out rather than filed wrong.
        if let (Some(b), false) = (exif.bearing_deg, exif.bearing_magnetic) {
            fields.insert("bearing_deg".into(), json!(b));
        }
        let record = self.create(community, EntityKind::Photo, fields)?;
        Ok(FiledPhoto {
            record,
            sha256: put.sha256,
            new_image: put.new,
            exif,
        })
    }
}
