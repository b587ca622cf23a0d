//! Every way a photo can be refused or fail to be stored, worded for the person who has to act.

use std::fmt;
use std::path::PathBuf;

/// Why a photo was refused, or could not be stored or read.
///
/// Messages are complete English sentences after "the photo was refused: " — they name what
/// was wrong with this file and, where there is one, what to do about it. Nothing has been
/// stored when any of these is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PhotoError {
    /// Zero bytes: usually a camera or file picker that handed over nothing.
    #[error("the file is empty (0 bytes): there is no photo in it")]
    Empty,

    /// More bytes than [`Settings::max_file_bytes`](crate::Settings::max_file_bytes).
    #[error(
        "the file is {}, more than the limit of {} for one photo",
        size(*.bytes as u64),
        size(*.limit as u64)
    )]
    FileTooLarge {
        /// Size of the file.
        bytes: usize,
        /// The limit it broke.
        limit: usize,
    },

    /// Neither a JPEG nor a PNG; `found` describes what it starts with.
    #[error("the file is not a JPEG or PNG image (it starts with {found})")]
    NotAnImage {
        /// The first bytes in hex and as text, and the format they look like if we know it.
        found: String,
    },

    /// The file ends before the image data does: an interrupted copy or download.
    #[error(
        "the {format} image is truncated: the file ends before the image data does ({detail}); \
         copy it from the camera again"
    )]
    Truncated {
        /// `JPEG` or `PNG`.
        format: &'static str,
        /// What the decoder was reading when the data ran out.
        detail: String,
    },

    /// The bytes are damaged inside the image: decoding it would show garbage.
    #[error("the {format} image is corrupt: {detail}")]
    Corrupt {
        /// `JPEG` or `PNG`.
        format: &'static str,
        /// The decoder's own words for what it found.
        detail: String,
    },

    /// A valid image using a feature this pipeline cannot decode (arithmetic-coded or lossless
    /// JPEG, say). Re-saving it as an ordinary JPEG fixes it.
    #[error("the {format} image uses a feature this app cannot read: {detail}")]
    Unsupported {
        /// `JPEG` or `PNG`.
        format: &'static str,
        /// Which feature.
        detail: String,
    },

    /// The header claims more pixels than [`Settings::max_pixels`](crate::Settings::max_pixels):
    /// a decompression bomb, or a camera mode far larger than any survey photo needs.
    #[error(
        "the image is {width} × {height} pixels, more than the {} limit: refused so that it \
         cannot exhaust memory (set the camera to 12 MP if it is a real photo)",
        Pixels(*.limit)
    )]
    TooManyPixels {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
        /// The pixel limit it broke.
        limit: u64,
    },

    /// [`Settings`](crate::Settings) that cannot produce a photo (a zero size, quality 0…).
    #[error("the photo settings are invalid: {0}")]
    BadSettings(String),

    /// A string that is not 64 lowercase hex digits was used as a photo address. Checked
    /// because addresses become file names.
    #[error("{0:?} is not a photo address (the 64 lowercase hex digits of a SHA-256)")]
    BadAddress(String),

    /// A [`Processed`](crate::Processed) whose bytes do not hash to the addresses it carries:
    /// storing it would break content addressing.
    #[error("the {variant} bytes do not match their SHA-256 {expected}: refused to store them")]
    HashMismatch {
        /// Which copy.
        variant: crate::Variant,
        /// The address it claimed.
        expected: String,
    },

    /// [`PhotoFolder::read`](crate::PhotoFolder::read) of a copy that is not in the folder.
    #[error("photo {sha256} has no {variant} copy in this folder")]
    NotStored {
        /// The photo's address.
        sha256: String,
        /// Which copy was asked for.
        variant: crate::Variant,
    },

    /// The file system refused: full, read-only, permissions…
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        /// What was being done ("write", "create the photo folder"…).
        action: &'static str,
        /// Where.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },

    /// A bug: a decoder or this crate panicked. The photo was not stored; please report it
    /// with the file.
    #[error("the photo pipeline failed unexpectedly ({0}); this is a bug — please report it with the photo")]
    Internal(String),
}

/// `4.4 MB` (MiB, as file managers show it), or `900 bytes` below one.
fn size(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        return format!("{bytes} bytes");
    }
    let tenths = bytes.saturating_mul(10) / (1024 * 1024);
    format!("{}.{} MB", tenths / 10, tenths % 10)
}

/// `64-megapixel` (one decimal if not whole), or `6143-pixel` below a megapixel.
struct Pixels(u64);

impl fmt::Display for Pixels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            n if n < 1_000_000 => write!(f, "{n}-pixel"),
            n if n % 1_000_000 == 0 => write!(f, "{}-megapixel", n / 1_000_000),
            n => write!(f, "{:.1}-megapixel", n as f64 / 1e6),
        }
    }
}

impl PhotoError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        PhotoError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
