//! The field app's photo pipeline.
//!
//! One job: turn the bytes a camera hands over into what the survey keeps — an address (the
//! SHA-256 of those bytes), the EXIF facts (time, position, bearing), an upright display copy
//! with an optional burned-in stamp, and a thumbnail — or refuse the file with a reason a
//! surveyor can act on. Then store them in a content-addressed [`PhotoFolder`].
//!
//! ```no_run
//! use buqi_photo::{PhotoFolder, Settings, Stamp, process};
//!
//! let bytes = std::fs::read("IMG_0001.jpg")?;
//! let stamp = Stamp {
//!     taken_at: "2024-05-01 10:20".into(),
//!     community: "水果湖社区".into(),
//!     item: "4 老年服务站".into(),
//!     surveyor: "王小明".into(),
//!     ..Stamp::default()
//! };
//! let photo = process(&bytes, &Settings::default(), Some(&stamp))?;
//! println!("{} taken {:?} at {:?}", photo.sha256, photo.exif.taken_at, photo.exif.position);
//! let folder = PhotoFolder::open("photos")?;
//! let put = folder.put(&photo)?;
//! assert_eq!(put.sha256, photo.sha256);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Nothing here panics on any input, and nothing is stored unless everything succeeded.

#![warn(missing_docs)]

mod decode;
mod error;
mod exif;
mod folder;
mod pixels;
mod stamp;

use std::panic::{catch_unwind, AssertUnwindSafe};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use decode::SourceFormat;
pub use error::PhotoError;
pub use exif::{LonLat, PhotoExif};
pub use folder::{PhotoFolder, Put, Variant};
pub use stamp::Stamp;

/// How photos are processed. [`Settings::default`] is what the app uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Long edge of the display copy, px (2048: full-screen on a 10–12" tablet, ~0.5 MB).
    pub display_long_edge: u32,
    /// Long edge of the thumbnail, px (320: a list row at 2× density).
    pub thumb_long_edge: u32,
    /// JPEG quality of both copies, 1–100. 85 is where artefacts stop being visible in survey
    /// photos (signage, cracks, ramps) and files are still ~0.5 MB.
    pub jpeg_quality: u8,
    /// Keep the camera's file. On by default: the original is the evidence, the only place
    /// the full EXIF lives, and what the address is the hash of — without it nobody can ever
    /// re-check a photo. Off for tablets short of space (a 12 MP original is ~4 MB).
    pub keep_original: bool,
    /// Refuse images with more pixels than this, read from the header before decoding.
    /// 64 million: above any phone's default output (12–50 MP) and the 61 MP of the largest
    /// full-frame cameras, while decoding one takes 192 MB of RGB (a progressive JPEG about as
    /// much again for its coefficients) — about as much as an Android tablet app can take at
    /// once. 108–200 MP "high-resolution" phone modes are refused.
    pub max_pixels: u64,
    /// Refuse files larger than this (64 MiB: a 61 MP JPEG at top quality is ~40 MB).
    pub max_file_bytes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            display_long_edge: 2048,
            thumb_long_edge: 320,
            jpeg_quality: 85,
            keep_original: true,
            max_pixels: 64_000_000,
            max_file_bytes: 64 * 1024 * 1024,
        }
    }
}

impl Settings {
    fn check(&self) -> Result<(), PhotoError> {
        let bad = |m: String| Err(PhotoError::BadSettings(m));
        if !(1..=16_384).contains(&self.display_long_edge) {
            return bad(format!(
                "display_long_edge is {}, not 1–16384 px",
                self.display_long_edge
            ));
        }
        if !(1..=self.display_long_edge).contains(&self.thumb_long_edge) {
            return bad(format!(
                "thumb_long_edge is {}, not 1 px up to display_long_edge ({})",
                self.thumb_long_edge, self.display_long_edge
            ));
        }
        if !(1..=100).contains(&self.jpeg_quality) {
            return bad(format!("jpeg_quality is {}, not 1–100", self.jpeg_quality));
        }
        if self.max_pixels == 0 || self.max_file_bytes == 0 {
            return bad("max_pixels and max_file_bytes must be above 0".into());
        }
        Ok(())
    }
}

/// A JPEG made from the photo, with its own hash (the sync upload verifies it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JpegCopy {
    /// The JPEG file's bytes.
    pub jpeg: Vec<u8>,
    /// SHA-256 of `jpeg`, lowercase hex.
    pub sha256: String,
    /// Width in px, upright.
    pub width: u32,
    /// Height in px, upright.
    pub height: u32,
}

/// A photo ready to store: the result of [`process`].
#[derive(Debug, Clone, PartialEq)]
pub struct Processed {
    /// The photo's address: SHA-256 of the camera's file, lowercase hex (`PhotoRef.sha256`).
    pub sha256: String,
    /// What the camera's file was.
    pub format: SourceFormat,
    /// Width of the original once upright (EXIF orientation applied), px.
    pub width: u32,
    /// Height of the original once upright, px.
    pub height: u32,
    /// What the camera recorded.
    pub exif: PhotoExif,
    /// Upright, at most [`Settings::display_long_edge`], stamped if a stamp was given.
    pub display: JpegCopy,
    /// Upright, at most [`Settings::thumb_long_edge`], never stamped (a stamp is unreadable at
    /// that size and would only hide the picture).
    pub thumbnail: JpegCopy,
    /// The camera's bytes, unchanged, if [`Settings::keep_original`].
    pub original: Option<Vec<u8>>,
}

/// The address of a camera file: its SHA-256 as 64 lowercase hex digits. Cheap (~1 ms per
/// 4 MB) — check [`PhotoFolder::contains`] with it before processing a re-import.
pub fn address_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest.iter() {
        hex.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        hex.push(char::from_digit(u32::from(b & 0xF), 16).unwrap_or('0'));
    }
    hex
}

/// Turns a camera JPEG or PNG into a [`Processed`] photo, or says why it cannot.
///
/// In order: the size limit, the format (from the first bytes), the pixel count (from the
/// header, before any pixel is decoded), then the decode — hashing and EXIF run on a second
/// thread meanwhile — a Lanczos-3 resize to the display size, the thumbnail made from the
/// display copy (not from the 12 MP image), EXIF orientation applied to those two small copies,
/// the stamp, and both JPEGs encoded in parallel.
pub fn process(
    bytes: &[u8],
    settings: &Settings,
    stamp: Option<&Stamp>,
) -> Result<Processed, PhotoError> {
    process_addressed(bytes, settings, stamp, None)
}

/// [`process`], reusing an address the caller has already computed.
pub(crate) fn process_addressed(
    bytes: &[u8],
    settings: &Settings,
    stamp: Option<&Stamp>,
    sha256: Option<String>,
) -> Result<Processed, PhotoError> {
    // Decoders are third-party code fed untrusted bytes; if one has a bug, the surveyor gets
    // an error for this photo rather than losing the app.
    let mut marks = Marks::new();
    catch_unwind(AssertUnwindSafe(|| {
        pipeline(bytes, settings, stamp, sha256, &mut marks)
    }))
    .unwrap_or_else(|p| Err(panicked(p)))
}

/// [`process`], also returning how long each stage took — for `examples/bench_photo.rs`, to
/// show where the time goes. Not part of the API.
#[doc(hidden)]
pub fn process_timed(
    bytes: &[u8],
    settings: &Settings,
    stamp: Option<&Stamp>,
) -> (
    Result<Processed, PhotoError>,
    Vec<(&'static str, std::time::Duration)>,
) {
    let mut marks = Marks::new();
    let result = catch_unwind(AssertUnwindSafe(|| {
        pipeline(bytes, settings, stamp, None, &mut marks)
    }))
    .unwrap_or_else(|p| Err(panicked(p)));
    (result, marks.stages)
}

/// Stage timings: a handful of `Instant::now()` calls per photo, too cheap to switch off.
struct Marks {
    last: std::time::Instant,
    stages: Vec<(&'static str, std::time::Duration)>,
}

impl Marks {
    fn new() -> Self {
        Marks {
            last: std::time::Instant::now(),
            stages: Vec::new(),
        }
    }

    fn mark(&mut self, stage: &'static str) {
        let now = std::time::Instant::now();
        self.stages.push((stage, now - self.last));
        self.last = now;
    }
}

pub(crate) fn panicked(payload: Box<dyn std::any::Any + Send>) -> PhotoError {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into());
    PhotoError::Internal(message)
}

fn pipeline(
    bytes: &[u8],
    settings: &Settings,
    stamp: Option<&Stamp>,
    sha256: Option<String>,
    marks: &mut Marks,
) -> Result<Processed, PhotoError> {
    settings.check()?;
    if bytes.len() > settings.max_file_bytes {
        return Err(PhotoError::FileTooLarge {
            bytes: bytes.len(),
            limit: settings.max_file_bytes,
        });
    }
    let format = decode::sniff(bytes)?;
    let source = decode::Source::open(bytes, format, settings.max_pixels)?;
    let threads = pixels::threads();
    marks.mark("read header");

    // The decode has one thread's worth of work; the other thread meanwhile does everything
    // that needs only the file's bytes.
    let (sha256, exif, original, decoded) = std::thread::scope(|s| {
        let meta = s.spawn(|| {
            let sha256 = sha256.unwrap_or_else(|| address_of(bytes));
            let original = settings.keep_original.then(|| bytes.to_vec());
            (sha256, exif::read(bytes), original)
        });
        let decoded = source.decode(bytes);
        let (sha256, exif, original) = meta.join().map_err(panicked)?;
        decoded.map(|d| (sha256, exif, original, d))
    })?;
    marks.mark("decode ‖ SHA-256 + EXIF");

    let (w, h) = (decoded.width, decoded.height);
    let (dw, dh) = pixels::fit(w, h, settings.display_long_edge);
    let display = if (dw, dh) == (w, h) {
        decoded.pixels
    } else {
        // Free the full-size pixels (36 MB for 12 MP) before encoding, not after.
        let display = pixels::resize(&decoded.pixels, (w, h), (dw, dh), threads)?;
        drop(decoded);
        display
    };
    marks.mark("resize to display");
    let (tw, th) = pixels::fit(dw, dh, settings.thumb_long_edge);
    let thumbnail = pixels::resize(&display, (dw, dh), (tw, th), threads)?;
    marks.mark("resize display to thumbnail");

    let orientation = exif.orientation;
    let quality = settings.jpeg_quality;
    let (display, thumbnail) = std::thread::scope(|s| {
        let thumb = s.spawn(move || finish(thumbnail, (tw, th), orientation, None, quality));
        let display = finish(display, (dw, dh), orientation, stamp, quality);
        let thumb = thumb.join().map_err(panicked)?;
        Ok::<_, PhotoError>((display?, thumb?))
    })?;
    marks.mark("orient + stamp + encode display ‖ thumbnail");

    let (width, height) = if orientation >= 5 { (h, w) } else { (w, h) };
    Ok(Processed {
        sha256,
        format,
        width,
        height,
        exif,
        display,
        thumbnail,
        original,
    })
}

/// Orient, stamp, encode and hash one copy.
fn finish(
    pixels: Vec<u8>,
    (w, h): (u32, u32),
    orientation: u8,
    stamp: Option<&Stamp>,
    quality: u8,
) -> Result<JpegCopy, PhotoError> {
    let (mut pixels, w, h) = if orientation == 1 {
        (pixels, w, h)
    } else {
        pixels::orient(&pixels, w, h, orientation)
    };
    if let Some(stamp) = stamp {
        stamp::burn(&mut pixels, w, h, stamp)?;
    }
    let jpeg = pixels::encode_jpeg(&pixels, w, h, quality)?;
    Ok(JpegCopy {
        sha256: address_of(&jpeg),
        jpeg,
        width: w,
        height: h,
    })
}
