//! Photos filed in the store: the image in the folder, the record in the survey, or neither.

use buqi_app::photos::{Attachment, PhotoFileError, Processing};
use buqi_app::schema::record::{EntityKind, Fields};
use buqi_app::store::Store;
use buqi_photo::{PhotoFolder, Settings, Variant};
use chrono::FixedOffset;
use serde_json::json;
use uuid::Uuid;

fn fields(value: serde_json::Value) -> Fields {
    serde_json::from_value(value).unwrap()
}

/// A small camera-like JPEG: a gradient, so it compresses like a photo, not like a flat colour.
fn jpeg(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([
            (x / 3) as u8,
            (y / 2) as u8,
            seed.wrapping_add((x ^ y) as u8),
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn how() -> Processing<'static> {
    static SETTINGS: std::sync::OnceLock<Settings> = std::sync::OnceLock::new();
    Processing {
        settings: SETTINGS.get_or_init(Settings::default),
        stamp: None,
        zone: FixedOffset::east_opt(8 * 3600).unwrap(),
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    store: Store,
    folder: PhotoFolder,
    community: Uuid,
    facility: Uuid,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("survey.db")).unwrap();
    let folder = PhotoFolder::open(dir.path().join("photos")).unwrap();
    let community = store
        .create_community(fields(json!({"name": "中南社区"})))
        .unwrap();
    let facility = store
        .create(
            community,
            EntityKind::Facility,
            fields(json!({"kind": "elderly_station"})),
        )
        .unwrap();
    Setup {
        _dir: dir,
        store,
        folder,
        community,
        facility,
    }
}

fn files_in(folder: &PhotoFolder) -> usize {
    std::fs::read_dir(folder.dir())
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn a_photo_is_filed_with_its_image() {
    let mut s = setup();
    let attach = Attachment {
        item: Some(4),
        facility: Some(s.facility),
        caption: Some("老年服务站入口".into()),
    };
    let filed = s
        .store
        .add_photo(&s.folder, s.community, &jpeg(1), &attach, how())
        .unwrap();
    assert!(filed.new_image);
    assert!(s.folder.contains(&filed.sha256));
    let thumb = s.folder.read(&filed.sha256, Variant::Thumbnail).unwrap();
    assert!(thumb.starts_with(&[0xFF, 0xD8]), "a JPEG thumbnail");

    let survey = s.store.survey(s.community).unwrap();
    assert_eq!(survey.photos.len(), 1);
    let photo = &survey.photos[0];
    assert_eq!(photo.id, filed.record);
    assert_eq!(photo.sha256, filed.sha256);
    assert_eq!(photo.item, Some(4));
    assert_eq!(photo.facility, Some(s.facility));
    assert_eq!(photo.caption.as_deref(), Some("老年服务站入口"));

    // The same picture filed again (under another item): a second record, no second image.
    let again = s
        .store
        .add_photo(
            &s.folder,
            s.community,
            &jpeg(1),
            &Attachment {
                item: Some(12),
                ..Attachment::default()
            },
            how(),
        )
        .unwrap();
    assert!(!again.new_image);
    assert_eq!(again.sha256, filed.sha256);
    assert_ne!(again.record, filed.record);
    assert_eq!(s.store.survey(s.community).unwrap().photos.len(), 2);
}

#[test]
fn a_broken_image_files_nothing() {
    let mut s = setup();
    let before = s.store.changes_after(0, usize::MAX).unwrap().len();
    let mut cut = jpeg(2);
    cut.truncate(cut.len() / 2);
    for bad in [cut, b"%PDF-1.7 not a photo".to_vec(), Vec::new()] {
        let err = s
            .store
            .add_photo(&s.folder, s.community, &bad, &Attachment::default(), how())
            .unwrap_err();
        assert!(matches!(err, PhotoFileError::Image(_)), "{err}");
        assert!(
            err.to_string().starts_with("the photo was not added: "),
            "{err}"
        );
    }
    assert_eq!(files_in(&s.folder), 0);
    assert_eq!(s.store.changes_after(0, usize::MAX).unwrap().len(), before);
    assert!(s.store.survey(s.community).unwrap().photos.is_empty());
}

#[test]
fn a_photo_of_a_missing_facility_is_refused() {
    let mut s = setup();
    let err = s
        .store
        .add_photo(
            &s.folder,
            s.community,
            &jpeg(3),
            &Attachment {
                facility: Some(Uuid::now_v7()),
                ..Attachment::default()
            },
            how(),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains(".facility: no facility has id"), "{err}");
    assert!(s.store.survey(s.community).unwrap().photos.is_empty());
}
