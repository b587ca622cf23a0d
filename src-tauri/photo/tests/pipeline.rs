//! The pipeline end to end through the public API: sizes, orientation, EXIF, formats, the
//! folder, the stamp.

mod common;

use buqi_photo::{
    address_of, process, LonLat, PhotoError, PhotoFolder, Processed, Settings, SourceFormat, Stamp,
    Variant,
};
use common::{jpeg, png, tiff, ExifSpec};
use image::{Rgb, RgbImage};

/// A cheap smooth image (the realistic generator is slow unoptimised, and content does not
/// matter for sizes).
fn gradient(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        Rgb([
            (x * 255 / w) as u8,
            (y * 255 / h) as u8,
            ((x + y) % 256) as u8,
        ])
    })
}

fn decode(jpeg: &[u8]) -> RgbImage {
    image::load_from_memory(jpeg).unwrap().into_rgb8()
}

fn sizes(p: &Processed) -> [(u32, u32); 3] {
    let d = decode(&p.display.jpeg);
    let t = decode(&p.thumbnail.jpeg);
    assert_eq!(d.dimensions(), (p.display.width, p.display.height));
    assert_eq!(t.dimensions(), (p.thumbnail.width, p.thumbnail.height));
    [(p.width, p.height), d.dimensions(), t.dimensions()]
}

#[test]
fn twelve_megapixel_landscape_gives_2048_and_320() {
    let bytes = jpeg(&gradient(4000, 3000), 90, None);
    let p = process(&bytes, &Settings::default(), None).unwrap();
    assert_eq!(sizes(&p), [(4000, 3000), (2048, 1536), (320, 240)]);
    assert_eq!(p.format, SourceFormat::Jpeg);
    assert_eq!(p.sha256, address_of(&bytes));
    assert_eq!(p.display.sha256, address_of(&p.display.jpeg));
    assert_eq!(p.thumbnail.sha256, address_of(&p.thumbnail.jpeg));
    assert!(
        p.sha256.len() == 64
            && p.sha256
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(p.original.as_deref(), Some(&bytes[..]));
    assert!(p.display.jpeg.starts_with(&[0xFF, 0xD8]));
}

#[test]
fn portrait_keeps_its_long_edge_vertical() {
    let bytes = jpeg(&gradient(1500, 2000), 85, None);
    let p = process(&bytes, &Settings::default(), None).unwrap();
    assert_eq!(sizes(&p), [(1500, 2000), (1500, 2000), (240, 320)]);
}

#[test]
fn small_images_are_not_upscaled() {
    let bytes = jpeg(&gradient(640, 480), 85, None);
    let p = process(&bytes, &Settings::default(), None).unwrap();
    assert_eq!(sizes(&p), [(640, 480), (640, 480), (320, 240)]);

    let bytes = jpeg(&gradient(200, 90), 85, None);
    let p = process(&bytes, &Settings::default(), None).unwrap();
    assert_eq!(sizes(&p), [(200, 90), (200, 90), (200, 90)]);

    let bytes = jpeg(&gradient(1, 1), 85, None);
    let p = process(&bytes, &Settings::default(), None).unwrap();
    assert_eq!(sizes(&p), [(1, 1), (1, 1), (1, 1)]);
}

/// Four quadrants of clearly different colour, 400 × 300.
fn quadrants() -> RgbImage {
    RgbImage::from_fn(400, 300, |x, y| match (x < 200, y < 150) {
        (true, true) => Rgb([230, 20, 20]),    // top left: red
        (false, true) => Rgb([20, 200, 20]),   // top right: green
        (true, false) => Rgb([20, 20, 230]),   // bottom left: blue
        (false, false) => Rgb([240, 240, 20]), // bottom right: yellow
    })
}

const RED: [u8; 3] = [230, 20, 20];
const GREEN: [u8; 3] = [20, 200, 20];
const BLUE: [u8; 3] = [20, 20, 230];
const YELLOW: [u8; 3] = [240, 240, 20];

/// The colours at the centres of the top-left, top-right, bottom-left and bottom-right
/// quarters of a decoded copy, snapped to the nearest of the four.
fn corners(img: &RgbImage) -> [[u8; 3]; 4] {
    let (w, h) = img.dimensions();
    let at = |x: u32, y: u32| {
        let p = img.get_pixel(x, y).0;
        *[RED, GREEN, BLUE, YELLOW]
            .iter()
            .min_by_key(|c| {
                (0..3)
                    .map(|i| (i32::from(c[i]) - i32::from(p[i])).pow(2))
                    .sum::<i32>()
            })
            .unwrap()
    };
    [
        at(w / 4, h / 4),
        at(3 * w / 4, h / 4),
        at(w / 4, 3 * h / 4),
        at(3 * w / 4, 3 * h / 4),
    ]
}

#[test]
fn exif_orientation_is_applied_to_both_copies() {
    // What a viewer shows for each orientation tag, as [top-left, top-right, bottom-left,
    // bottom-right], and whether width and height swap.
    let cases = [
        (1, [RED, GREEN, BLUE, YELLOW], false),
        (2, [GREEN, RED, YELLOW, BLUE], false),
        (3, [YELLOW, BLUE, GREEN, RED], false),
        (4, [BLUE, YELLOW, RED, GREEN], false),
        (5, [RED, BLUE, GREEN, YELLOW], true),
        (6, [BLUE, RED, YELLOW, GREEN], true),
        (7, [YELLOW, GREEN, BLUE, RED], true),
        (8, [GREEN, YELLOW, RED, BLUE], true),
    ];
    for (orientation, expected, swapped) in cases {
        let exif = tiff(&ExifSpec {
            orientation: Some(orientation),
            ..Default::default()
        });
        let bytes = jpeg(&quadrants(), 92, Some(&exif));
        let settings = Settings {
            display_long_edge: 200,
            thumb_long_edge: 40,
            ..Settings::default()
        };
        let p = process(&bytes, &settings, None).unwrap();
        assert_eq!(p.exif.orientation, orientation as u8);
        let (size, display, thumb) = if swapped {
            ((300, 400), (150, 200), (30, 40))
        } else {
            ((400, 300), (200, 150), (40, 30))
        };
        assert_eq!(
            sizes(&p),
            [size, display, thumb],
            "orientation {orientation}"
        );
        assert_eq!(
            corners(&decode(&p.display.jpeg)),
            expected,
            "display, orientation {orientation}"
        );
        assert_eq!(
            corners(&decode(&p.thumbnail.jpeg)),
            expected,
            "thumbnail, orientation {orientation}"
        );
    }
}

#[test]
fn exif_time_position_and_bearing_are_read() {
    let exif = tiff(&ExifSpec {
        orientation: Some(1),
        date_time_original: Some("2024:05:01 10:20:30"),
        offset_time_original: Some("+08:00"),
        subsec_time_original: Some("25"),
        gps: Some((30.5927, 114.3054)),
        bearing: Some((132.5, "T")),
    });
    let bytes = jpeg(&gradient(64, 48), 85, Some(&exif));
    let e = process(&bytes, &Settings::default(), None).unwrap().exif;
    assert_eq!(
        e.taken_at.unwrap().to_string(),
        "2024-05-01 10:20:30.250",
        "local time with sub-seconds"
    );
    assert_eq!(e.utc_offset_minutes, Some(480));
    assert_eq!(
        e.taken_at_with_offset().unwrap().to_rfc3339(),
        "2024-05-01T10:20:30.250+08:00"
    );
    let LonLat { lon, lat } = e.position.unwrap();
    assert!((lat - 30.5927).abs() < 1e-6, "{lat}");
    assert!((lon - 114.3054).abs() < 1e-6, "{lon}");
    assert_eq!(e.bearing_deg, Some(132.5));
    assert!(!e.bearing_magnetic);
}

#[test]
fn southern_and_western_coordinates_are_negative() {
    let exif = tiff(&ExifSpec {
        date_time_original: Some("2023:12:31 23:59:59"),
        gps: Some((-33.8568, -70.6483)),
        bearing: Some((359.99, "M")),
        ..Default::default()
    });
    let bytes = jpeg(&gradient(64, 48), 85, Some(&exif));
    let e = process(&bytes, &Settings::default(), None).unwrap().exif;
    let LonLat { lon, lat } = e.position.unwrap();
    assert!((lat + 33.8568).abs() < 1e-6, "{lat}");
    assert!((lon + 70.6483).abs() < 1e-6, "{lon}");
    assert_eq!(e.bearing_deg, Some(359.99));
    assert!(e.bearing_magnetic);
    assert_eq!(e.taken_at.unwrap().to_string(), "2023-12-31 23:59:59");
    assert_eq!(e.utc_offset_minutes, None, "no OffsetTimeOriginal, no zone");
    assert_eq!(e.taken_at_with_offset(), None);
    assert_eq!(e.orientation, 1, "no Orientation tag is upright");
}

#[test]
fn photos_without_exif_have_no_facts_and_are_upright() {
    let bytes = jpeg(&gradient(64, 48), 85, None);
    let e = process(&bytes, &Settings::default(), None).unwrap().exif;
    assert_eq!(e, buqi_photo::PhotoExif::default());
    assert_eq!(e.orientation, 1);
    // A 0,0 fix is "no fix", not the Gulf of Guinea.
    let exif = tiff(&ExifSpec {
        gps: Some((0.0, 0.0)),
        ..Default::default()
    });
    let bytes = jpeg(&gradient(64, 48), 85, Some(&exif));
    assert_eq!(
        process(&bytes, &Settings::default(), None)
            .unwrap()
            .exif
            .position,
        None
    );
}

#[test]
fn png_input_works_including_exif_and_transparency() {
    let exif = tiff(&ExifSpec {
        orientation: Some(6),
        gps: Some((22.5431, 114.0579)),
        ..Default::default()
    });
    let bytes = png(
        &image::DynamicImage::ImageRgb8(gradient(800, 600)),
        Some(&exif),
    );
    let p = process(&bytes, &Settings::default(), None).unwrap();
    assert_eq!(p.format, SourceFormat::Png);
    assert_eq!(sizes(&p), [(600, 800), (600, 800), (240, 320)]);
    assert!(p.exif.position.is_some());

    // Fully transparent pixels become white, not whatever colour they hold (black here).
    let rgba = image::RgbaImage::from_fn(100, 100, |x, _| {
        if x < 50 {
            image::Rgba([0, 0, 0, 0])
        } else {
            image::Rgba([0, 0, 200, 255])
        }
    });
    let bytes = png(&image::DynamicImage::ImageRgba8(rgba), None);
    let p = process(&bytes, &Settings::default(), None).unwrap();
    let d = decode(&p.display.jpeg);
    assert!(
        d.get_pixel(10, 50).0.iter().all(|&c| c > 245),
        "{:?}",
        d.get_pixel(10, 50)
    );
    assert!(d.get_pixel(90, 50).0[2] > 180);

    // 16-bit greyscale too.
    let grey = image::ImageBuffer::<image::Luma<u16>, _>::from_fn(50, 40, |x, _| {
        image::Luma([x as u16 * 1000])
    });
    let bytes = png(&image::DynamicImage::ImageLuma16(grey), None);
    assert_eq!(
        sizes(&process(&bytes, &Settings::default(), None).unwrap())[1],
        (50, 40)
    );
}

#[test]
fn greyscale_jpeg_works() {
    let mut out = Vec::new();
    let grey = image::GrayImage::from_fn(120, 80, |x, y| image::Luma([(x + y) as u8]));
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&grey)
        .unwrap();
    let p = process(&out, &Settings::default(), None).unwrap();
    assert_eq!(sizes(&p)[1], (120, 80));
}

fn files_in(folder: &PhotoFolder) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_second_put_of_the_same_photo_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let folder = PhotoFolder::open(dir.path().join("photos")).unwrap();
    let bytes = jpeg(&gradient(300, 200), 85, None);
    let p = process(&bytes, &Settings::default(), None).unwrap();
    assert!(!folder.contains(&p.sha256));

    let first = folder.put(&p).unwrap();
    assert!(first.new);
    assert_eq!(first.sha256, p.sha256);
    assert!(folder.contains(&p.sha256));
    let files = files_in(&folder);
    assert_eq!(
        files,
        [
            format!("{}.display.jpg", p.sha256),
            format!("{}.original", p.sha256),
            format!("{}.thumb.jpg", p.sha256)
        ]
    );
    let modified = std::fs::metadata(folder.path_of(&p.sha256, Variant::Display).unwrap())
        .unwrap()
        .modified()
        .unwrap();

    let second = folder.put(&p).unwrap();
    assert!(!second.new);
    assert_eq!(files_in(&folder), files);
    let again = std::fs::metadata(folder.path_of(&p.sha256, Variant::Display).unwrap())
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(modified, again, "the display copy was not rewritten");

    assert_eq!(
        folder.read(&p.sha256, Variant::Display).unwrap(),
        p.display.jpeg
    );
    assert_eq!(
        folder.read(&p.sha256, Variant::Thumbnail).unwrap(),
        p.thumbnail.jpeg
    );
    assert_eq!(folder.read(&p.sha256, Variant::Original).unwrap(), bytes);

    // The same file imported again is recognised by its hash, without decoding: settings that
    // would refuse it if it were decoded do not matter.
    let refuse_everything = Settings {
        max_pixels: 1,
        ..Settings::default()
    };
    let put = folder.import(&bytes, &refuse_everything, None).unwrap();
    assert!(!put.new);
    assert_eq!(files_in(&folder), files);
}

#[test]
fn import_processes_and_stores_a_new_photo() {
    let dir = tempfile::tempdir().unwrap();
    let folder = PhotoFolder::open(dir.path()).unwrap();
    let bytes = jpeg(&gradient(300, 200), 85, None);
    let put = folder.import(&bytes, &Settings::default(), None).unwrap();
    assert!(put.new);
    assert_eq!(put.sha256, address_of(&bytes));
    assert_eq!(files_in(&folder).len(), 3);
}

#[test]
fn the_original_is_kept_or_dropped_per_setting() {
    let dir = tempfile::tempdir().unwrap();
    let folder = PhotoFolder::open(dir.path()).unwrap();
    let bytes = jpeg(&gradient(300, 200), 85, None);
    let drop_it = Settings {
        keep_original: false,
        ..Settings::default()
    };
    let p = process(&bytes, &drop_it, None).unwrap();
    assert_eq!(p.original, None);
    folder.put(&p).unwrap();
    assert_eq!(files_in(&folder).len(), 2);
    let err = folder.read(&p.sha256, Variant::Original).unwrap_err();
    assert!(matches!(err, PhotoError::NotStored { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!("photo {} has no original copy in this folder", p.sha256)
    );

    let kept = process(&bytes, &Settings::default(), None).unwrap();
    assert_eq!(kept.original.as_deref(), Some(&bytes[..]));
    // A later put with the original fills it in; the photo itself was not new.
    let put = folder.put(&kept).unwrap();
    assert!(!put.new);
    assert_eq!(folder.read(&p.sha256, Variant::Original).unwrap(), bytes);
}

#[test]
fn a_put_that_fails_half_way_leaves_no_photo_and_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let folder = PhotoFolder::open(dir.path()).unwrap();
    let bytes = jpeg(&gradient(300, 200), 85, None);
    let p = process(&bytes, &Settings::default(), None).unwrap();
    // A directory where the display copy must go makes its rename fail, after the original
    // and the thumbnail have been written.
    let display = folder.path_of(&p.sha256, Variant::Display).unwrap();
    std::fs::create_dir(&display).unwrap();
    let err = folder.put(&p).unwrap_err();
    assert!(matches!(err, PhotoError::Io { .. }), "{err}");
    assert!(!folder.contains(&p.sha256));
    assert!(
        files_in(&folder).iter().all(|f| !f.ends_with(".tmp")),
        "temporary files left: {:?}",
        files_in(&folder)
    );
    // Once the obstacle is gone the next put completes the photo.
    std::fs::remove_dir(&display).unwrap();
    assert!(folder.put(&p).unwrap().new);
    assert_eq!(
        folder.read(&p.sha256, Variant::Display).unwrap(),
        p.display.jpeg
    );
}

#[test]
fn a_tampered_photo_is_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let folder = PhotoFolder::open(dir.path()).unwrap();
    let bytes = jpeg(&gradient(300, 200), 85, None);
    let mut p = process(&bytes, &Settings::default(), None).unwrap();
    p.display.jpeg.push(0);
    let err = folder.put(&p).unwrap_err();
    assert!(
        matches!(
            err,
            PhotoError::HashMismatch {
                variant: Variant::Display,
                ..
            }
        ),
        "{err}"
    );

    let mut p = process(&bytes, &Settings::default(), None).unwrap();
    p.sha256 = address_of(b"another photo");
    assert!(matches!(
        folder.put(&p).unwrap_err(),
        PhotoError::HashMismatch {
            variant: Variant::Original,
            ..
        }
    ));
    p.sha256 = "../../etc/passwd".into();
    assert!(matches!(
        folder.put(&p).unwrap_err(),
        PhotoError::BadAddress(_)
    ));
    assert!(files_in(&folder).is_empty());
}

fn stamp() -> Stamp {
    Stamp {
        taken_at: "2024-05-01 10:20".into(),
        position: Some(LonLat {
            lon: 114.3054,
            lat: 30.5927,
        }),
        community: "武汉市武昌区水果湖街道东亭社区".into(),
        item: "4 老年服务站".into(),
        surveyor: "王小明".into(),
    }
}

/// Mean absolute difference per channel over a band of rows.
fn rows_difference(a: &RgbImage, b: &RgbImage, rows: std::ops::Range<u32>) -> f64 {
    let mut sum = 0u64;
    let mut n = 0u64;
    for y in rows {
        for x in 0..a.width() {
            for c in 0..3 {
                sum += u64::from(a.get_pixel(x, y).0[c].abs_diff(b.get_pixel(x, y).0[c]));
                n += 1;
            }
        }
    }
    sum as f64 / n as f64
}

#[test]
fn the_stamp_is_burned_into_the_bottom_of_the_display_copy_only() {
    let bytes = jpeg(&common::photo_like(1600, 1200), 90, None);
    let settings = Settings::default();
    let plain = process(&bytes, &settings, None).unwrap();
    let stamped = process(&bytes, &settings, Some(&stamp())).unwrap();
    let (a, b) = (decode(&plain.display.jpeg), decode(&stamped.display.jpeg));
    let h = a.height();
    assert!(
        rows_difference(&a, &b, 0..h / 2) < 0.01,
        "the top half is untouched"
    );
    assert!(
        rows_difference(&a, &b, h - h / 10..h) > 20.0,
        "the bottom band is stamped"
    );
    assert_eq!(
        plain.thumbnail, stamped.thumbnail,
        "thumbnails are never stamped"
    );
    assert_eq!(
        plain.sha256, stamped.sha256,
        "the address is the original's, stamp or not"
    );
    assert_ne!(plain.display.sha256, stamped.display.sha256);

    // The Chinese characters themselves draw: changing only the community name changes the
    // first line of the band.
    let other = Stamp {
        community: "洪山区珞南街道社区".into(),
        ..stamp()
    };
    let c = decode(
        &process(&bytes, &settings, Some(&other))
            .unwrap()
            .display
            .jpeg,
    );
    assert!(rows_difference(&b, &c, h - h / 10..h) > 1.0);
}

#[test]
fn a_stamp_fits_portrait_and_tiny_images() {
    for (w, h) in [(600, 800), (64, 48), (8, 8)] {
        let bytes = jpeg(&gradient(w, h), 85, None);
        let p = process(&bytes, &Settings::default(), Some(&stamp())).unwrap();
        assert_eq!((p.display.width, p.display.height), (w, h));
    }
    let empty = Stamp::default();
    assert!(empty.lines().is_empty());
    let bytes = jpeg(&gradient(64, 48), 85, None);
    let a = process(&bytes, &Settings::default(), None).unwrap();
    let b = process(&bytes, &Settings::default(), Some(&empty)).unwrap();
    assert_eq!(a.display, b.display, "an empty stamp draws nothing");
}
