//! Test images made in code: camera-like pixels, and EXIF written byte by byte so the tests
//! control exactly what the camera "said". Also used by `examples/bench_photo.rs`.

#![allow(dead_code)]

use image::{ImageEncoder, RgbImage};

/// What to put in a hand-made EXIF block. `None` leaves the tag out.
#[derive(Debug, Clone, Default)]
pub struct ExifSpec {
    pub orientation: Option<u16>,
    /// `YYYY:MM:DD HH:MM:SS`
    pub date_time_original: Option<&'static str>,
    /// `+08:00`
    pub offset_time_original: Option<&'static str>,
    pub subsec_time_original: Option<&'static str>,
    /// (latitude, longitude) in signed degrees, written as unsigned D/M/S plus N/S/E/W.
    pub gps: Option<(f64, f64)>,
    /// (degrees, `T` or `M`)
    pub bearing: Option<(f64, &'static str)>,
}

const SHORT: u16 = 3;
const LONG: u16 = 4;
const ASCII: u16 = 2;
const RATIONAL: u16 = 5;

struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    data: Vec<u8>,
}

fn ascii(tag: u16, s: &str) -> Entry {
    let mut data = s.as_bytes().to_vec();
    data.push(0);
    Entry {
        tag,
        kind: ASCII,
        count: data.len() as u32,
        data,
    }
}

fn rationals(tag: u16, values: &[(u32, u32)]) -> Entry {
    let mut data = Vec::new();
    for (n, d) in values {
        data.extend_from_slice(&n.to_le_bytes());
        data.extend_from_slice(&d.to_le_bytes());
    }
    Entry {
        tag,
        kind: RATIONAL,
        count: values.len() as u32,
        data,
    }
}

fn long(tag: u16, v: u32) -> Entry {
    Entry {
        tag,
        kind: LONG,
        count: 1,
        data: v.to_le_bytes().to_vec(),
    }
}

/// Degrees as D/1, M/1, S×1000/1000 — how phones write them.
fn dms(value: f64) -> [(u32, u32); 3] {
    let v = value.abs();
    let d = v.floor();
    let m = ((v - d) * 60.0).floor();
    let s = ((v - d) * 60.0 - m) * 60.0;
    [
        (d as u32, 1),
        (m as u32, 1),
        ((s * 1000.0).round() as u32, 1000),
    ]
}

fn ifd_len(entries: &[Entry]) -> usize {
    2 + 12 * entries.len() + 4 + entries.iter().map(|e| padded(e.data.len())).sum::<usize>()
}

fn padded(n: usize) -> usize {
    if n <= 4 {
        0
    } else {
        n + n % 2
    }
}

/// Writes one IFD at `start` (offsets are from the TIFF header), values over 4 bytes after it.
fn write_ifd(out: &mut Vec<u8>, entries: &mut [Entry]) {
    entries.sort_by_key(|e| e.tag);
    let start = out.len();
    let mut data_at = start + 2 + 12 * entries.len() + 4;
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    let mut data = Vec::new();
    for e in entries.iter() {
        out.extend_from_slice(&e.tag.to_le_bytes());
        out.extend_from_slice(&e.kind.to_le_bytes());
        out.extend_from_slice(&e.count.to_le_bytes());
        if e.data.len() <= 4 {
            let mut inline = e.data.clone();
            inline.resize(4, 0);
            out.extend_from_slice(&inline);
        } else {
            out.extend_from_slice(&(data_at as u32).to_le_bytes());
            data.extend_from_slice(&e.data);
            if e.data.len() % 2 == 1 {
                data.push(0);
            }
            data_at += padded(e.data.len());
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    out.extend_from_slice(&data);
}

/// A little-endian TIFF structure (what goes after `Exif\0\0` in APP1, or in a PNG `eXIf`).
pub fn tiff(spec: &ExifSpec) -> Vec<u8> {
    let mut exif_ifd = Vec::new();
    if let Some(t) = spec.date_time_original {
        exif_ifd.push(ascii(0x9003, t));
    }
    if let Some(o) = spec.offset_time_original {
        exif_ifd.push(ascii(0x9011, o));
    }
    if let Some(s) = spec.subsec_time_original {
        exif_ifd.push(ascii(0x9291, s));
    }
    let mut gps_ifd = Vec::new();
    if let Some((lat, lon)) = spec.gps {
        gps_ifd.push(ascii(1, if lat < 0.0 { "S" } else { "N" }));
        gps_ifd.push(rationals(2, &dms(lat)));
        gps_ifd.push(ascii(3, if lon < 0.0 { "W" } else { "E" }));
        gps_ifd.push(rationals(4, &dms(lon)));
    }
    if let Some((deg, reference)) = spec.bearing {
        gps_ifd.push(ascii(0x10, reference));
        gps_ifd.push(rationals(0x11, &[((deg * 100.0).round() as u32, 100)]));
    }

    let mut ifd0 = Vec::new();
    if let Some(o) = spec.orientation {
        ifd0.push(Entry {
            tag: 0x0112,
            kind: SHORT,
            count: 1,
            data: o.to_le_bytes().to_vec(),
        });
    }
    // Pointers are fixed-size, so IFD0's length is known before their values are.
    let pointers = usize::from(!exif_ifd.is_empty()) + usize::from(!gps_ifd.is_empty());
    let ifd0_len = ifd_len(&ifd0) + 12 * pointers;
    let exif_at = 8 + ifd0_len;
    let gps_at = exif_at
        + if exif_ifd.is_empty() {
            0
        } else {
            ifd_len(&exif_ifd)
        };
    if !exif_ifd.is_empty() {
        ifd0.push(long(0x8769, exif_at as u32));
    }
    if !gps_ifd.is_empty() {
        ifd0.push(long(0x8825, gps_at as u32));
    }

    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&8u32.to_le_bytes());
    write_ifd(&mut out, &mut ifd0);
    assert_eq!(out.len(), exif_at);
    if !exif_ifd.is_empty() {
        write_ifd(&mut out, &mut exif_ifd);
    }
    assert_eq!(out.len(), gps_at);
    if !gps_ifd.is_empty() {
        write_ifd(&mut out, &mut gps_ifd);
    }
    out
}

/// Something like a street photo: sky gradient, façades with windows, ground, fine texture and
/// sensor noise, so JPEG sizes and decode costs are like a camera's (a 4000×3000 one at
/// quality 90 is ~4–5 MB). Pixel (x, y) does not depend on the size, bar the gradients.
pub fn photo_like(width: u32, height: u32) -> RgbImage {
    let mut state = 0x9E37_79B9u32 ^ width.wrapping_mul(31) ^ height;
    let (w, h) = (width as f32, height as f32);
    RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state & 0x1F) as f32 - 15.5;
        let (fx, fy) = (x as f32 / w, y as f32 / h);
        let texture = ((x as f32 * 0.31).sin() * (y as f32 * 0.23).cos()) * 14.0
            + ((x + 2 * y) as f32 * 0.05).sin() * 9.0;
        let horizon = 0.45 + 0.08 * (fx * 6.0).sin();
        let (r, g, b) = if fy < horizon * 0.6 {
            // sky
            (110.0 + 60.0 * fy, 150.0 + 50.0 * fy, 230.0 - 30.0 * fy)
        } else if fy < horizon {
            // façades: blocks of colour, window grid
            let block = ((fx * 9.0) as u32 * 37 % 5) as f32;
            let window = ((x / 23) % 3 == 0 && (y / 31) % 2 == 0) as u32 as f32;
            (
                150.0 + 18.0 * block - 70.0 * window + texture,
                120.0 + 11.0 * block - 60.0 * window + texture,
                95.0 + 7.0 * block - 40.0 * window + texture,
            )
        } else {
            // paving and grass
            let grass = (fx * 3.0 + fy * 2.0).sin() > 0.3;
            if grass {
                (70.0 + texture * 1.5, 120.0 + texture * 2.0, 50.0 + texture)
            } else {
                (
                    130.0 + texture * 2.0,
                    128.0 + texture * 2.0,
                    124.0 + texture * 2.0,
                )
            }
        };
        let px = |v: f32| (v + noise).clamp(0.0, 255.0) as u8;
        image::Rgb([px(r), px(g), px(b)])
    })
}

/// A JPEG like a phone's: 4:2:0, with the given EXIF (TIFF bytes) in APP1 if any.
pub fn jpeg(img: &RgbImage, quality: u8, exif_tiff: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    if let Some(t) = exif_tiff {
        encoder.add_exif_metadata(t).unwrap();
    }
    encoder
        .encode(
            img.as_raw(),
            img.width() as u16,
            img.height() as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .unwrap();
    out
}

/// A PNG, with an `eXIf` chunk if given.
pub fn png(img: &image::DynamicImage, exif_tiff: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = image::codecs::png::PngEncoder::new(&mut out);
    if let Some(t) = exif_tiff {
        encoder.set_exif_metadata(t.to_vec()).unwrap();
    }
    encoder
        .write_image(
            img.as_bytes(),
            img.width(),
            img.height(),
            img.color().into(),
        )
        .unwrap();
    out
}
