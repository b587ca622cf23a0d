//! Resizing and orienting 8-bit RGB buffers, and JPEG encoding.

use fast_image_resize as fr;

use crate::PhotoError;

/// The size that fits `long_edge` keeping the aspect ratio; never larger than the original
/// (upscaling only adds bytes) and never 0 pixels on a side.
pub(crate) fn fit(width: u32, height: u32, long_edge: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= long_edge {
        return (width, height);
    }
    let scale = |side: u32| {
        let scaled =
            (u64::from(side) * u64::from(long_edge) + u64::from(long) / 2) / u64::from(long);
        (scaled as u32).max(1)
    };
    (scale(width), scale(height))
}

/// How many threads to spread one resize over: the cores there are, up to 4 (past that the
/// duplicated filter margins and thread start-up eat the gain on a 3-megapixel output).
pub(crate) fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// Lanczos-3 resize of RGB pixels, split into horizontal bands resized on `threads` threads.
///
/// Each band is the same resize with a crop box on the source; `fast_image_resize` reads past
/// the crop box for the filter's support, so the bands join without a seam and the result is
/// the same as one whole resize.
pub(crate) fn resize(
    src: &[u8],
    (sw, sh): (u32, u32),
    (dw, dh): (u32, u32),
    threads: usize,
) -> Result<Vec<u8>, PhotoError> {
    let mut dst = vec![0u8; dw as usize * dh as usize * 3];
    if (sw, sh) == (dw, dh) {
        dst.copy_from_slice(src);
        return Ok(dst);
    }
    let src_image =
        fr::images::ImageRef::new(sw, sh, src, fr::PixelType::U8x3).map_err(internal)?;
    let options =
        fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3));
    // Fewer bands for small outputs: below ~64 rows a band costs more to set up than it saves.
    let bands = threads.clamp(1, (dh as usize / 64).max(1));
    let rows_per_band = (dh as usize).div_ceil(bands);
    let scale_y = f64::from(sh) / f64::from(dh);
    let row_bytes = dw as usize * 3;

    let resize_band = |first_row: usize, band: &mut [u8]| -> Result<(), PhotoError> {
        let rows = band.len() / row_bytes;
        let mut dst_image =
            fr::images::Image::from_slice_u8(dw, rows as u32, band, fr::PixelType::U8x3)
                .map_err(internal)?;
        let crop = options.crop(
            0.0,
            first_row as f64 * scale_y,
            f64::from(sw),
            rows as f64 * scale_y,
        );
        fr::Resizer::new()
            .resize(&src_image, &mut dst_image, &crop)
            .map_err(internal)
    };

    std::thread::scope(|s| {
        let mut chunks = dst.chunks_mut(rows_per_band * row_bytes).enumerate();
        // The first band runs on this thread; the others get one thread each.
        let (_, first) = chunks.next().expect("dh >= 1, so there is a first band");
        let handles: Vec<_> = chunks
            .map(|(i, band)| s.spawn(move || resize_band(i * rows_per_band, band)))
            .collect();
        let mut result = resize_band(0, first);
        for h in handles {
            let band_result = h.join().unwrap_or_else(|p| Err(crate::panicked(p)));
            result = result.and(band_result);
        }
        result
    })?;
    Ok(dst)
}

fn internal(e: impl std::fmt::Display) -> PhotoError {
    PhotoError::Internal(format!("resize: {e}"))
}

/// Applies an EXIF orientation (1…8) to RGB pixels, returning the upright pixels and size.
///
/// Done on the display copy and thumbnail, not the full image: turning 3 megapixels instead of
/// 12 is a quarter of the memory traffic. The transposing orientations (5–8) walk the output
/// in 32×32 tiles so that both the rows read and the rows written stay in cache.
pub(crate) fn orient(src: &[u8], w: u32, h: u32, orientation: u8) -> (Vec<u8>, u32, u32) {
    let (w, h) = (w as usize, h as usize);
    let mut dst = vec![0u8; src.len()];
    let row = w * 3;
    match orientation {
        2..=4 => {
            for (y, out) in dst.chunks_exact_mut(row).enumerate() {
                let sy = if orientation == 2 { y } else { h - 1 - y };
                let line = &src[sy * row..(sy + 1) * row];
                if orientation == 4 {
                    out.copy_from_slice(line);
                } else {
                    for (o, i) in out.chunks_exact_mut(3).zip(line.chunks_exact(3).rev()) {
                        o.copy_from_slice(i);
                    }
                }
            }
            (dst, w as u32, h as u32)
        }
        5..=8 => {
            // The output is h wide and w high; output (x, y) comes from source (sx, sy).
            let (dw, dh) = (h, w);
            let from = |x: usize, y: usize| -> (usize, usize) {
                match orientation {
                    5 => (y, x),
                    6 => (y, h - 1 - x),
                    7 => (w - 1 - y, h - 1 - x),
                    _ => (w - 1 - y, x),
                }
            };
            const TILE: usize = 32;
            for ty in (0..dh).step_by(TILE) {
                for tx in (0..dw).step_by(TILE) {
                    for y in ty..(ty + TILE).min(dh) {
                        let out_row = &mut dst[y * dw * 3..(y + 1) * dw * 3];
                        for x in tx..(tx + TILE).min(dw) {
                            let (sx, sy) = from(x, y);
                            let i = (sy * w + sx) * 3;
                            out_row[x * 3..x * 3 + 3].copy_from_slice(&src[i..i + 3]);
                        }
                    }
                }
            }
            (dst, dw as u32, dh as u32)
        }
        _ => {
            dst.copy_from_slice(src);
            (dst, w as u32, h as u32)
        }
    }
}

/// Baseline JPEG, 4:2:0 below quality 90 like every camera, with chroma averaged rather than
/// point-sampled (point sampling makes coloured edges ragged).
pub(crate) fn encode_jpeg(rgb: &[u8], w: u32, h: u32, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let (Ok(w16), Ok(h16)) = (u16::try_from(w), u16::try_from(h)) else {
        return Err(PhotoError::Internal(format!(
            "a {w} × {h} copy is too large to encode as JPEG"
        )));
    };
    let mut out = Vec::with_capacity(rgb.len() / 8);
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_chroma_subsampling_method(jpeg_encoder::ChromaSubsamplingMethod::Average);
    encoder
        .encode(rgb, w16, h16, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| PhotoError::Internal(format!("JPEG encoder: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_aspect_and_never_upscales() {
        assert_eq!(fit(4000, 3000, 2048), (2048, 1536));
        assert_eq!(fit(3000, 4000, 2048), (1536, 2048));
        assert_eq!(fit(2048, 1536, 320), (320, 240));
        assert_eq!(fit(640, 480, 2048), (640, 480));
        assert_eq!(fit(10_000, 1, 320), (320, 1));
    }

    #[test]
    fn orient_matches_image_crate() {
        let (w, h) = (37u32, 23u32);
        let img =
            image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, (x * y) as u8]));
        for o in 1..=8u8 {
            let (ours, ow, oh) = orient(img.as_raw(), w, h, o);
            let mut theirs = image::DynamicImage::ImageRgb8(img.clone());
            theirs.apply_orientation(image::metadata::Orientation::from_exif(o).unwrap());
            let theirs = theirs.into_rgb8();
            assert_eq!((ow, oh), theirs.dimensions(), "orientation {o}");
            assert_eq!(&ours, theirs.as_raw(), "orientation {o}");
        }
    }

    #[test]
    fn banded_resize_equals_one_resize() {
        let (w, h) = (900u32, 700u32);
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x * 7 + y * 3) as u8, (x ^ y) as u8, (x * y / 13) as u8])
        });
        let one = resize(img.as_raw(), (w, h), (461, 359), 1).unwrap();
        let four = resize(img.as_raw(), (w, h), (461, 359), 4).unwrap();
        let max_diff = one
            .iter()
            .zip(&four)
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap();
        assert!(
            max_diff <= 1,
            "bands differ from a whole resize by {max_diff}"
        );
    }
}
