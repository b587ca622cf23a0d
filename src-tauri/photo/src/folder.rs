//! A content-addressed folder of photos: every file is named by the SHA-256 of the camera
//! original, so storing the same photo twice is a no-op and a name can never point at the
//! wrong picture.
//!
//! Layout, one flat directory (a survey has hundreds to a few thousand photos, which no file
//! system minds):
//!
//! ```text
//! <sha256>.display.jpg   the display copy; its presence means "this photo is stored"
//! <sha256>.thumb.jpg     the thumbnail
//! <sha256>.original      the camera's bytes, unchanged (JPEG or PNG; sniff to tell)
//! .<name>.<pid>.<n>.tmp  a write in progress, or left by a crash; never read
//! ```

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::{address_of, PhotoError, Processed, Settings, Stamp};

/// One of the stored copies of a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// The 2,048-px JPEG, stamped if a stamp was given: what the app shows and syncs.
    Display,
    /// The 320-px JPEG for lists.
    Thumbnail,
    /// The camera's file, byte for byte (only with [`Settings::keep_original`]).
    Original,
}

impl Variant {
    fn suffix(self) -> &'static str {
        match self {
            Variant::Display => "display.jpg",
            Variant::Thumbnail => "thumb.jpg",
            Variant::Original => "original",
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Variant::Display => "display",
            Variant::Thumbnail => "thumbnail",
            Variant::Original => "original",
        })
    }
}

/// What [`PhotoFolder::put`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Put {
    /// The photo's address (SHA-256 of the original).
    pub sha256: String,
    /// `false` when the photo was already stored: nothing was written, the caller has a
    /// duplicate (and should link the existing photo rather than report a new one).
    pub new: bool,
}

/// A directory of photos addressed by SHA-256. See the module docs for the layout.
#[derive(Debug, Clone)]
pub struct PhotoFolder {
    dir: PathBuf,
}

impl PhotoFolder {
    /// Opens `dir`, creating it (and its parents) if missing.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, PhotoError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|e| PhotoError::io("create the photo folder", &dir, e))?;
        Ok(PhotoFolder { dir })
    }

    /// The directory this folder lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the photo with this address is stored (its display copy is there). A malformed
    /// address is simply not stored.
    pub fn contains(&self, sha256: &str) -> bool {
        self.path_of(sha256, Variant::Display)
            .is_ok_and(|p| p.is_file())
    }

    /// Where a copy of a photo is, or would be, stored. Refuses anything but 64 lowercase hex
    /// digits, so an address can never name a file outside the folder.
    pub fn path_of(&self, sha256: &str, variant: Variant) -> Result<PathBuf, PhotoError> {
        check_address(sha256)?;
        Ok(self.dir.join(format!("{sha256}.{}", variant.suffix())))
    }

    /// Reads a stored copy.
    pub fn read(&self, sha256: &str, variant: Variant) -> Result<Vec<u8>, PhotoError> {
        let path = self.path_of(sha256, variant)?;
        fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => PhotoError::NotStored {
                sha256: sha256.to_string(),
                variant,
            },
            _ => PhotoError::io("read", path, e),
        })
    }

    /// Stores a processed photo. A photo already stored writes nothing and returns
    /// `new: false`.
    ///
    /// Each copy is written to a temporary file in the folder, flushed to disk, and renamed
    /// into place, so a copy under its final name is always complete. The display copy goes
    /// last: a crash part-way leaves at most a thumbnail or original without a display copy,
    /// which [`contains`](Self::contains) does not count and the next `put` completes. The
    /// bytes are checked against their addresses first, so a `Processed` edited after
    /// [`process`](crate::process) cannot poison the folder. Two puts of one photo racing each
    /// other both succeed (the second rename replaces identical bytes) and may both say `new`.
    pub fn put(&self, photo: &Processed) -> Result<Put, PhotoError> {
        check_address(&photo.sha256)?;
        let mut copies = vec![
            (
                Variant::Thumbnail,
                &photo.thumbnail.jpeg,
                &photo.thumbnail.sha256,
            ),
            (Variant::Display, &photo.display.jpeg, &photo.display.sha256),
        ];
        if let Some(original) = &photo.original {
            copies.insert(0, (Variant::Original, original, &photo.sha256));
        }
        for (variant, bytes, expected) in &copies {
            if address_of(bytes) != **expected {
                return Err(PhotoError::HashMismatch {
                    variant: *variant,
                    expected: (*expected).clone(),
                });
            }
        }

        let new = !self.contains(&photo.sha256);
        let mut wrote = false;
        for (variant, bytes, _) in &copies {
            let path = self.path_of(&photo.sha256, *variant)?;
            if path.is_file() {
                continue;
            }
            if *variant == Variant::Display && wrote {
                // Make the other copies' names durable before the name that says "stored".
                sync_dir(&self.dir)?;
            }
            write_atomic(&path, |f| f.write_all(bytes))?;
            wrote = true;
        }
        if wrote {
            sync_dir(&self.dir)?;
        }
        Ok(Put {
            sha256: photo.sha256.clone(),
            new,
        })
    }

    /// Hashes the camera file, and only if this folder does not hold it yet, processes and
    /// stores it: re-importing a photo costs one SHA-256, not a decode.
    pub fn import(
        &self,
        bytes: &[u8],
        settings: &Settings,
        stamp: Option<&Stamp>,
    ) -> Result<Put, PhotoError> {
        let sha256 = address_of(bytes);
        if self.contains(&sha256) {
            return Ok(Put { sha256, new: false });
        }
        let photo = crate::process_addressed(bytes, settings, stamp, Some(sha256))?;
        self.put(&photo)
    }
}

fn check_address(sha256: &str) -> Result<(), PhotoError> {
    let ok = sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if ok {
        Ok(())
    } else {
        Err(PhotoError::BadAddress(sha256.to_string()))
    }
}

/// Writes `path` through a temporary file beside it: create (never over an existing file),
/// write, fsync, rename. On any failure the temporary file is removed and `path` is untouched.
pub(crate) fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> Result<(), PhotoError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let (tmp, mut file) = loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => break (tmp, f),
            // Left by a crashed process that had our pid: take the next number.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(PhotoError::io("create a temporary file in", dir, e)),
        }
    };
    let written = write(&mut file)
        .and_then(|()| file.sync_all())
        .map_err(|e| PhotoError::io("write", &tmp, e))
        .and_then(|()| {
            drop(file);
            fs::rename(&tmp, path).map_err(|e| PhotoError::io("rename into place", path, e))
        });
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// Makes renames in `dir` durable. Directories cannot be opened for syncing on Windows, where
/// the rename itself is durable once it returns.
fn sync_dir(dir: &Path) -> Result<(), PhotoError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| PhotoError::io("sync the photo folder", dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_neither_the_file_nor_a_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.display.jpg");
        let err = write_atomic(&path, |f| {
            f.write_all(b"half a photo")?;
            Err(std::io::Error::other("disk full"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn addresses_must_be_lowercase_hex_sha256() {
        let dir = tempfile::tempdir().unwrap();
        let folder = PhotoFolder::open(dir.path()).unwrap();
        for bad in [
            "",
            "../etc/passwd",
            &"A".repeat(64),
            &"0".repeat(63),
            &format!("{}/", "0".repeat(63)),
        ] {
            let err = folder.path_of(bad, Variant::Display).unwrap_err();
            assert!(matches!(err, PhotoError::BadAddress(_)), "{bad}: {err}");
            assert!(!folder.contains(bad));
        }
        assert!(folder.path_of(&"0".repeat(64), Variant::Original).is_ok());
    }
}
