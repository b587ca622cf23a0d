//! Files that must be refused — each with the right error and a message a person can act on —
//! leaving the folder empty; and no input at all makes the pipeline panic.

mod common;

use buqi_photo::{process, PhotoError, PhotoFolder, Settings};
use image::{Rgb, RgbImage};
use proptest::prelude::*;

fn small_jpeg() -> Vec<u8> {
    let img = RgbImage::from_fn(96, 64, |x, y| {
        Rgb([(x * 2) as u8, (y * 3) as u8, (x ^ y) as u8])
    });
    let exif = common::tiff(&common::ExifSpec {
        orientation: Some(6),
        date_time_original: Some("2024:05:01 10:20:30"),
        gps: Some((30.5, 114.3)),
        ..Default::default()
    });
    common::jpeg(&img, 90, Some(&exif))
}

fn small_png() -> Vec<u8> {
    let img = RgbImage::from_fn(40, 30, |x, y| Rgb([(x * 6) as u8, (y * 8) as u8, 77]));
    common::png(&image::DynamicImage::ImageRgb8(img), None)
}

/// Imports `bytes` into a fresh folder, expecting a refusal; checks nothing was stored and
/// returns the error and its message.
fn refused(bytes: &[u8], settings: &Settings) -> (PhotoError, String) {
    let dir = tempfile::tempdir().unwrap();
    let folder = PhotoFolder::open(dir.path()).unwrap();
    let err = folder.import(bytes, settings, None).unwrap_err();
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "a refused photo left files: {left:?}");
    let message = err.to_string();
    (err, message)
}

#[test]
fn empty_input() {
    let (err, message) = refused(b"", &Settings::default());
    assert!(matches!(err, PhotoError::Empty));
    assert_eq!(
        message,
        "the file is empty (0 bytes): there is no photo in it"
    );
}

#[test]
fn a_pdf_is_not_an_image() {
    let (err, message) = refused(
        b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj",
        &Settings::default(),
    );
    assert!(matches!(err, PhotoError::NotAnImage { .. }));
    assert_eq!(
        message,
        "the file is not a JPEG or PNG image (it starts with 25 50 44 46 2D 31 2E 37 \
         \"%PDF-1.7\": a PDF document)"
    );
}

#[test]
fn other_formats_are_named() {
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
    let (err, message) = refused(heic, &Settings::default());
    assert!(matches!(err, PhotoError::NotAnImage { .. }));
    assert!(
        message.contains("HEIF/HEIC photo — set the camera to save JPEG"),
        "{message}"
    );
    for (bytes, name) in [
        (&b"GIF89a\x01\0\x01\0"[..], "GIF"),
        (b"RIFF\x10\0\0\0WEBPVP8 ", "WebP"),
        (b"II*\0\x08\0\0\0", "TIFF"),
        (b"hello", "68 65 6C 6C 6F \"hello\")"),
    ] {
        let (_, message) = refused(bytes, &Settings::default());
        assert!(message.contains(name), "{message}");
    }
}

#[test]
fn a_truncated_jpeg() {
    let jpeg = small_jpeg();
    let (err, message) = refused(&jpeg[..jpeg.len() / 2], &Settings::default());
    assert!(
        matches!(err, PhotoError::Truncated { format: "JPEG", .. }),
        "{err:?}"
    );
    assert!(
        message
            .starts_with("the JPEG image is truncated: the file ends before the image data does"),
        "{message}"
    );
    assert!(
        message.ends_with("copy it from the camera again"),
        "{message}"
    );

    // Cut inside the headers, too.
    let (err, _) = refused(&jpeg[..40], &Settings::default());
    assert!(matches!(err, PhotoError::Truncated { .. }), "{err:?}");
}

#[test]
fn a_truncated_png() {
    let png = small_png();
    let (err, message) = refused(&png[..png.len() * 2 / 3], &Settings::default());
    assert!(
        matches!(err, PhotoError::Truncated { format: "PNG", .. }),
        "{err:?}"
    );
    assert!(
        message.starts_with("the PNG image is truncated"),
        "{message}"
    );
}

#[test]
fn a_corrupt_jpeg() {
    let original = small_jpeg();
    let scan = original.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    let mid = scan + (original.len() - scan) / 2;
    // A marker that cannot occur inside image data, and one out of place.
    for marker in [[0xFF, 0x12], [0xFF, 0xD8]] {
        let mut jpeg = original.clone();
        jpeg[mid..mid + 2].copy_from_slice(&marker);
        let (err, message) = refused(&jpeg, &Settings::default());
        assert!(
            matches!(err, PhotoError::Corrupt { format: "JPEG", .. }),
            "{err:?}"
        );
        assert!(
            message.starts_with("the JPEG image is corrupt: "),
            "{message}"
        );
    }
    // Garbage bytes over a signature-only stub.
    let (err, _) = refused(
        b"\xFF\xD8\xFF\xE0garbage garbage garbage",
        &Settings::default(),
    );
    assert!(
        matches!(
            err,
            PhotoError::Corrupt { .. } | PhotoError::Truncated { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn a_corrupt_png() {
    let mut png = small_png();
    // Damage the compressed pixel data inside IDAT (its CRC no longer matches).
    let idat = png.windows(4).position(|w| w == b"IDAT").unwrap();
    for b in &mut png[idat + 6..idat + 20] {
        *b ^= 0x5A;
    }
    let (err, message) = refused(&png, &Settings::default());
    assert!(
        matches!(err, PhotoError::Corrupt { format: "PNG", .. }),
        "{err:?}"
    );
    assert!(
        message.starts_with("the PNG image is corrupt: "),
        "{message}"
    );
}

/// A real PNG header claiming 100,000 × 100,000 pixels, with a CRC that checks out, and
/// almost no data: what a decompression bomb looks like before it goes off.
fn png_bomb() -> Vec<u8> {
    let mut png = small_png();
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn a_decompression_bomb_is_refused_from_its_header() {
    let (err, message) = refused(&png_bomb(), &Settings::default());
    assert!(
        matches!(
            err,
            PhotoError::TooManyPixels {
                width: 100_000,
                height: 100_000,
                limit: 64_000_000
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        message,
        "the image is 100000 × 100000 pixels, more than the 64-megapixel limit: refused so that \
         it cannot exhaust memory (set the camera to 12 MP if it is a real photo)"
    );

    // A JPEG whose frame header claims 60,000 × 50,000.
    let mut jpeg = small_jpeg();
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    jpeg[sof + 5..sof + 7].copy_from_slice(&50_000u16.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&60_000u16.to_be_bytes());
    let (err, _) = refused(&jpeg, &Settings::default());
    assert!(
        matches!(
            err,
            PhotoError::TooManyPixels {
                width: 60_000,
                height: 50_000,
                ..
            }
        ),
        "{err:?}"
    );

    // The limit is a setting.
    let tight = Settings {
        max_pixels: 96 * 64 - 1,
        ..Settings::default()
    };
    let (err, message) = refused(&small_jpeg(), &tight);
    assert!(matches!(err, PhotoError::TooManyPixels { .. }));
    assert!(
        message.contains("96 × 64 pixels, more than the 6143-pixel limit"),
        "{message}"
    );
}

#[test]
fn a_file_over_the_size_limit() {
    let settings = Settings {
        max_file_bytes: 1000,
        ..Settings::default()
    };
    let (err, message) = refused(&vec![0xFF; 2 * 1024 * 1024], &settings);
    assert!(matches!(err, PhotoError::FileTooLarge { .. }));
    assert_eq!(
        message,
        "the file is 2.0 MB, more than the limit of 1000 bytes for one photo"
    );
}

#[test]
fn settings_that_cannot_work() {
    for (settings, says) in [
        (
            Settings {
                jpeg_quality: 0,
                ..Settings::default()
            },
            "jpeg_quality is 0, not 1–100",
        ),
        (
            Settings {
                display_long_edge: 0,
                ..Settings::default()
            },
            "display_long_edge is 0",
        ),
        (
            Settings {
                thumb_long_edge: 4096,
                ..Settings::default()
            },
            "thumb_long_edge is 4096",
        ),
    ] {
        let (err, message) = refused(&small_jpeg(), &settings);
        assert!(matches!(err, PhotoError::BadSettings(_)));
        assert!(message.contains(says), "{message}");
    }
}

/// What every refusal must be: one of the expected kinds, never a caught panic.
fn assert_refusal_or_success(bytes: &[u8]) {
    match process(bytes, &Settings::default(), None) {
        Ok(p) => assert!(p.display.width >= 1),
        Err(PhotoError::Internal(why)) => panic!("panic inside the pipeline: {why}"),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

#[test]
fn every_truncation_of_a_real_jpeg_and_png_is_refused_cleanly() {
    for (original, png) in [(small_jpeg(), false), (small_png(), true)] {
        for len in 0..original.len() {
            let cut = &original[..len];
            match process(cut, &Settings::default(), None) {
                Err(PhotoError::Truncated { .. } | PhotoError::Empty) => {}
                // Cuts inside the first bytes are not recognisably an image yet.
                Err(PhotoError::NotAnImage { .. }) if len < 8 => {}
                // A PNG cut only inside its 12-byte closing IEND chunk has all its pixels.
                Ok(_) if png && len + 12 > original.len() => {}
                other => panic!("cut at {len} of {}: {other:?}", original.len()),
            }
        }
    }
}

#[test]
fn every_single_byte_change_in_the_headers_is_handled() {
    for original in [small_jpeg(), small_png()] {
        let headers = 700.min(original.len());
        for i in 0..headers {
            for value in [0x00, 0xFF, original[i] ^ 0x80] {
                let mut bytes = original.clone();
                bytes[i] = value;
                assert_refusal_or_success(&bytes);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn random_damage_never_panics(
        png in any::<bool>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
        cut in any::<prop::sample::Index>(),
        do_cut in any::<bool>(),
    ) {
        let mut bytes = if png { small_png() } else { small_jpeg() };
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if do_cut {
            let len = cut.index(bytes.len());
            bytes.truncate(len);
        }
        assert_refusal_or_success(&bytes);
    }

    #[test]
    fn random_bytes_after_a_jpeg_signature_never_panic(tail in prop::collection::vec(any::<u8>(), 0..2000)) {
        let mut bytes = vec![0xFF, 0xD8, 0xFF];
        bytes.extend(tail);
        assert_refusal_or_success(&bytes);
    }
}
