//! From camera bytes to RGB pixels: sniff the format, read the size from the header, refuse
//! bombs before allocating, decode, and tell a truncated file from a corrupt one.

use std::io::Cursor;

use image::{ImageDecoder, Limits};
use serde::{Deserialize, Serialize};
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

use crate::PhotoError;

/// The camera file's format, found from its first bytes (never from a file name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    /// JPEG (JFIF or Exif): what cameras write.
    Jpeg,
    /// PNG: screenshots and exported plans.
    Png,
}

impl SourceFormat {
    /// The MIME type, for an upload's `Content-Type`.
    pub fn mime(self) -> &'static str {
        match self {
            SourceFormat::Jpeg => "image/jpeg",
            SourceFormat::Png => "image/png",
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            SourceFormat::Jpeg => "JPEG",
            SourceFormat::Png => "PNG",
        }
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// JPEG or PNG by signature; anything else is refused with a description of what it is.
pub(crate) fn sniff(bytes: &[u8]) -> Result<SourceFormat, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(SourceFormat::Jpeg);
    }
    if bytes.starts_with(PNG_SIGNATURE) {
        return Ok(SourceFormat::Png);
    }
    Err(PhotoError::NotAnImage {
        found: describe_start(bytes),
    })
}

/// `25 50 44 46 2D 31 2E 37 "%PDF-1.7": a PDF document` — the hex so a developer can look it
/// up, the text because many formats start with a readable tag, and a name where we know it so
/// a surveyor knows what they picked.
fn describe_start(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(8)];
    let hex: Vec<String> = head.iter().map(|b| format!("{b:02X}")).collect();
    let text: String = head
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        })
        .collect();
    let mut out = format!("{} {:?}", hex.join(" "), text);
    if let Some(kind) = known_format(bytes) {
        out.push_str(": ");
        out.push_str(kind);
    }
    out
}

fn known_format(b: &[u8]) -> Option<&'static str> {
    let brand = b.get(4..12);
    Some(if b.starts_with(b"%PDF") {
        "a PDF document"
    } else if b.starts_with(b"GIF8") {
        "a GIF image"
    } else if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        "a WebP image"
    } else if matches!(brand, Some(x) if x == b"ftypheic" || x == b"ftypheix" || x == b"ftypmif1" || x == b"ftyphevc")
    {
        "a HEIF/HEIC photo — set the camera to save JPEG (\"Most Compatible\")"
    } else if matches!(brand, Some(x) if x == b"ftypavif") {
        "an AVIF image"
    } else if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        "a TIFF image or camera RAW file"
    } else if b.starts_with(b"BM") {
        "a BMP image"
    } else if b.starts_with(b"PK\x03\x04") {
        "a ZIP archive or office document"
    } else if b.starts_with(&[0xFF, 0xD8]) {
        "a damaged JPEG"
    } else {
        return None;
    })
}

/// A camera file whose header has been read and whose size has passed the limit.
pub(crate) enum Source<'a> {
    Jpeg(Box<JpegDecoder<ZCursor<&'a [u8]>>>),
    Png(Box<image::codecs::png::PngDecoder<Cursor<&'a [u8]>>>),
}

/// Decoded pixels: 8-bit RGB, rows top to bottom, as stored (not yet oriented).
pub(crate) struct Rgb {
    pub(crate) pixels: Vec<u8>,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

impl<'a> Source<'a> {
    /// Reads only the header, then refuses anything over `max_pixels` — before a single pixel
    /// buffer is allocated, which is the whole defence against decompression bombs.
    pub(crate) fn open(
        bytes: &'a [u8],
        format: SourceFormat,
        max_pixels: u64,
    ) -> Result<Self, PhotoError> {
        let source = match format {
            SourceFormat::Jpeg => {
                // Strict: a damaged or cut-off scan is an error, not grey blocks. A photo that is
                // evidence should be retaken on site, not stored half-grey.
                let options = DecoderOptions::default()
                    .set_strict_mode(true)
                    .set_max_width(usize::from(u16::MAX))
                    .set_max_height(usize::from(u16::MAX))
                    .jpeg_set_out_colorspace(ColorSpace::RGB);
                let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
                decoder.decode_headers().map_err(|e| jpeg_error(bytes, e))?;
                Source::Jpeg(Box::new(decoder))
            }
            SourceFormat::Png => {
                let mut limits = Limits::no_limits();
                // Our own pixel check below is the real limit; this only caps what the PNG
                // decoder may allocate for itself (16-bit RGBA is 8 bytes a pixel).
                limits.max_alloc = Some(max_pixels.saturating_mul(8).saturating_add(1 << 24));
                let decoder =
                    image::codecs::png::PngDecoder::with_limits(Cursor::new(bytes), limits)
                        .map_err(|e| png_error(bytes, e))?;
                Source::Png(Box::new(decoder))
            }
        };
        let (width, height) = source.dimensions();
        if width == 0 || height == 0 {
            return Err(PhotoError::Corrupt {
                format: format.name(),
                detail: format!("its header says it is {width} × {height} pixels"),
            });
        }
        if u64::from(width) * u64::from(height) > max_pixels {
            return Err(PhotoError::TooManyPixels {
                width,
                height,
                limit: max_pixels,
            });
        }
        Ok(source)
    }

    /// Width and height as stored in the file (before EXIF orientation).
    pub(crate) fn dimensions(&self) -> (u32, u32) {
        match self {
            Source::Jpeg(d) => d
                .dimensions()
                .map(|(w, h)| (w as u32, h as u32))
                .unwrap_or((0, 0)),
            Source::Png(d) => d.dimensions(),
        }
    }

    pub(crate) fn decode(self, bytes: &[u8]) -> Result<Rgb, PhotoError> {
        let (width, height) = self.dimensions();
        match self {
            Source::Jpeg(mut decoder) => {
                let expected = width as usize * height as usize * 3;
                if decoder.output_buffer_size() != Some(expected) {
                    return Err(PhotoError::Unsupported {
                        format: "JPEG",
                        detail: "its colour space cannot be converted to RGB".into(),
                    });
                }
                let mut pixels = vec![0; expected];
                decoder
                    .decode_into(&mut pixels)
                    .map_err(|e| jpeg_error(bytes, e))?;
                // The decoder pads a scan that stops a few bytes short without a word; the
                // missing end-of-image marker is what gives it away.
                if jpeg_is_truncated(bytes) {
                    return Err(PhotoError::Truncated {
                        format: "JPEG",
                        detail: "there is no end-of-image marker after the image data".into(),
                    });
                }
                Ok(Rgb {
                    pixels,
                    width,
                    height,
                })
            }
            Source::Png(decoder) => {
                let image =
                    image::DynamicImage::from_decoder(*decoder).map_err(|e| png_error(bytes, e))?;
                let pixels = if image.color().has_alpha() {
                    flatten_on_white(image.into_rgba8().into_raw())
                } else {
                    image.into_rgb8().into_raw()
                };
                Ok(Rgb {
                    pixels,
                    width,
                    height,
                })
            }
        }
    }
}

/// Transparent parts of a PNG show as white, as on paper: dropping alpha instead would show
/// whatever colour the transparent pixels happen to hold, usually black.
fn flatten_on_white(rgba: Vec<u8>) -> Vec<u8> {
    rgba.chunks_exact(4)
        .flat_map(|p| {
            let a = u16::from(p[3]);
            let over = |c: u8| ((u16::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
            [over(p[0]), over(p[1]), over(p[2])]
        })
        .collect()
}

fn jpeg_error(bytes: &[u8], e: zune_jpeg::errors::DecodeErrors) -> PhotoError {
    use zune_jpeg::errors::DecodeErrors;
    let detail = e.to_string();
    if let DecodeErrors::Unsupported(_) = e {
        return PhotoError::Unsupported {
            format: "JPEG",
            detail,
        };
    }
    if jpeg_is_truncated(bytes) {
        PhotoError::Truncated {
            format: "JPEG",
            detail,
        }
    } else {
        PhotoError::Corrupt {
            format: "JPEG",
            detail,
        }
    }
}

/// Whether the file stops before its image data ends. Decided from the file's structure, not
/// the decoder's wording: walk the marker segments to the first scan, then look for the
/// end-of-image marker, which cannot occur inside entropy-coded data (0xFF there is always
/// followed by 0x00 or a restart marker). Marker segments before the scan are skipped by their
/// lengths because an embedded Exif thumbnail carries an end-of-image marker of its own.
fn jpeg_is_truncated(bytes: &[u8]) -> bool {
    let mut i = 2;
    loop {
        while bytes.get(i) == Some(&0xFF) && bytes.get(i + 1) == Some(&0xFF) {
            i += 1; // fill bytes
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(i), bytes.get(i + 1)) else {
            // Ran out, or lost the segment structure: out of data only in the first case.
            return i + 1 >= bytes.len();
        };
        if marker == 0xDA {
            // From the end: in a whole file the marker is in the last bytes, so this is quick.
            return !bytes[i..].windows(2).rev().any(|w| w == [0xFF, 0xD9]);
        }
        if (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            i += 2;
            continue;
        }
        let (Some(&hi), Some(&lo)) = (bytes.get(i + 2), bytes.get(i + 3)) else {
            return true;
        };
        let next = i + 2 + usize::from(u16::from_be_bytes([hi, lo]));
        if next > bytes.len() {
            return true;
        }
        i = next;
    }
}

fn png_error(bytes: &[u8], e: image::ImageError) -> PhotoError {
    use image::ImageError;
    let detail = e.to_string();
    match e {
        ImageError::Unsupported(_) => PhotoError::Unsupported {
            format: "PNG",
            detail,
        },
        // Our own pixel check runs first; this is the decoder's allocation cap for the rare
        // image whose decoding needs more memory than its pixel count implies.
        ImageError::Limits(_) => PhotoError::Unsupported {
            format: "PNG",
            detail,
        },
        _ if !bytes.windows(4).any(|w| w == b"IEND") => PhotoError::Truncated {
            format: "PNG",
            detail,
        },
        _ => PhotoError::Corrupt {
            format: "PNG",
            detail,
        },
    }
}
