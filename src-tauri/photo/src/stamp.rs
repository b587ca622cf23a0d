//! The burned-in stamp: who, where, when and for what, drawn into the display copy so that the
//! facts travel with the picture when it is printed or forwarded on its own.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use serde::{Deserialize, Serialize};

use crate::{LonLat, PhotoError};

/// WenQuanYi Micro Hei (文泉驿微米黑) 0.2.0-beta, from Debian's `fonts-wqy-microhei`: Apache-2.0
/// (or GPL-3+ with the font exception), see `fonts/COPYRIGHT`. Chosen because it covers GB 18030's
/// common hanzi plus Latin and digits in one 5 MB face, so every stamp renders with one font and
/// no fallback logic.
static FONT_DATA: &[u8] = include_bytes!("../fonts/wqy-microhei.ttc");

/// What to burn into the bottom of the display copy. The app fills it from the survey, so the
/// strings are already in the surveyor's language; empty fields are left out.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Stamp {
    /// When the photo was taken, already formatted for people (e.g. `2024-05-01 10:20`).
    pub taken_at: String,
    /// Where, printed as `30.59270°N 114.30540°E`.
    pub position: Option<LonLat>,
    /// The community's name (小区/社区).
    pub community: String,
    /// The survey item or facility the photo documents.
    pub item: String,
    /// Who took it.
    pub surveyor: String,
}

impl Stamp {
    /// The two lines drawn: what (community, item) large on top; when, where and who below.
    pub fn lines(&self) -> Vec<String> {
        let line1 = join(&[&self.community, &self.item], "  ·  ");
        let position = self.position.map(|p| {
            format!(
                "{:.5}°{} {:.5}°{}",
                p.lat.abs(),
                if p.lat < 0.0 { 'S' } else { 'N' },
                p.lon.abs(),
                if p.lon < 0.0 { 'W' } else { 'E' },
            )
        });
        let surveyor = if clean(&self.surveyor).is_empty() {
            String::new()
        } else {
            format!("调查员 {}", self.surveyor)
        };
        let line2 = join(
            &[&self.taken_at, position.as_deref().unwrap_or(""), &surveyor],
            "   ",
        );
        [line1, line2]
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect()
    }
}

/// Control characters (a newline pasted into a name) would draw as boxes; they become spaces.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

fn join(parts: &[&str], separator: &str) -> String {
    parts
        .iter()
        .map(|p| clean(p))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(separator)
}

/// The bundled font, parsed once (parsing only reads the table directory).
pub(crate) fn font() -> Result<&'static FontRef<'static>, PhotoError> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice_and_index(FONT_DATA, 0).ok())
        .as_ref()
        .ok_or_else(|| PhotoError::Internal("the bundled stamp font does not parse".into()))
}

/// Darkens a band across the bottom and writes the stamp's lines in white on it.
///
/// Sizes follow the image width (the first line's letters are 2.6 % of it: 53 px on a
/// 2048-px-wide copy), so the stamp reads the same on every photo; a line too long for the
/// width is set smaller rather than cut. The band is 65 % black: white text stays legible over
/// sky or snow, and the photo still shows through.
pub(crate) fn burn(
    rgb: &mut [u8],
    width: u32,
    height: u32,
    stamp: &Stamp,
) -> Result<(), PhotoError> {
    let lines = stamp.lines();
    if lines.is_empty() || width == 0 || height == 0 {
        return Ok(());
    }
    let font = font()?;
    let (w, h) = (width as f32, height as f32);
    let base = (w * 0.026).clamp(9.0, 160.0);
    let margin = (base * 0.45).round();
    let avail = (w - 2.0 * margin).max(1.0);

    let sized: Vec<(String, f32)> = lines
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let want = if i == 0 { base } else { base * 0.78 };
            let natural = line_width(font, &text, want);
            let size = if natural > avail {
                (want * avail / natural).max(6.0)
            } else {
                want
            };
            (text, size)
        })
        .collect();

    let line_height = |size: f32| {
        let s = font.as_scaled(PxScale::from(size));
        s.ascent() - s.descent()
    };
    let gap = base * 0.25;
    let text_height: f32 =
        sized.iter().map(|(_, s)| line_height(*s)).sum::<f32>() + gap * (sized.len() - 1) as f32;
    let band = (text_height + 2.0 * margin).ceil().min(h) as u32;
    let top = height - band;

    let row = width as usize * 3;
    for p in &mut rgb[top as usize * row..height as usize * row] {
        *p = ((u16::from(*p) * 90) >> 8) as u8;
    }

    let mut y = top as f32 + margin;
    for (text, size) in &sized {
        let scaled = font.as_scaled(PxScale::from(*size));
        let baseline = y + scaled.ascent();
        draw_line(rgb, width, height, font, text, *size, margin, baseline);
        y += line_height(*size) + gap;
    }
    Ok(())
}

fn line_width(font: &FontRef<'_>, text: &str, size: f32) -> f32 {
    let scaled = font.as_scaled(PxScale::from(size));
    let mut caret = 0.0;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            caret += scaled.kern(p, id);
        }
        caret += scaled.h_advance(id);
        previous = Some(id);
    }
    caret
}

#[allow(clippy::too_many_arguments)]
fn draw_line(
    rgb: &mut [u8],
    width: u32,
    height: u32,
    font: &FontRef<'_>,
    text: &str,
    size: f32,
    x: f32,
    baseline: f32,
) {
    let scaled = font.as_scaled(PxScale::from(size));
    let mut caret = x;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            caret += scaled.kern(p, id);
        }
        let glyph = id.with_scale_and_position(size, ab_glyph::point(caret, baseline));
        caret += scaled.h_advance(id);
        previous = Some(id);
        let Some(outline) = font.outline_glyph(glyph) else {
            continue; // spaces
        };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let px = bounds.min.x as i64 + i64::from(gx);
            let py = bounds.min.y as i64 + i64::from(gy);
            if px < 0 || py < 0 || px >= i64::from(width) || py >= i64::from(height) {
                return;
            }
            let i = (py as usize * width as usize + px as usize) * 3;
            let a = coverage.clamp(0.0, 1.0);
            for c in &mut rgb[i..i + 3] {
                *c = (f32::from(*c) + (255.0 - f32::from(*c)) * a).round() as u8;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_font_has_every_character_a_stamp_uses() {
        let font = font().unwrap();
        let sample =
            "武汉市武昌区水果湖街道东亭社区老年服务站调查员王小明洪山区珞南 0123456789-:.°·NSEW";
        for c in sample.chars().filter(|c| !c.is_whitespace()) {
            let id = font.glyph_id(c);
            assert_ne!(id.0, 0, "{c:?} would draw as the missing-glyph box");
            let glyph = id.with_scale(40.0);
            assert!(font.outline_glyph(glyph).is_some(), "{c:?} has no outline");
        }
    }

    #[test]
    fn lines_leave_out_what_is_empty_and_sign_coordinates() {
        let stamp = Stamp {
            taken_at: "2024-05-01 10:20".into(),
            position: Some(LonLat {
                lon: -70.64827,
                lat: -33.45694,
            }),
            community: "东亭社区".into(),
            item: String::new(),
            surveyor: " \n ".into(),
        };
        assert_eq!(
            stamp.lines(),
            ["东亭社区", "2024-05-01 10:20   33.45694°S 70.64827°W"]
        );
    }

    #[test]
    fn a_long_line_is_set_smaller_rather_than_cut() {
        let (w, h) = (400u32, 300u32);
        let mut rgb = vec![128u8; (w * h * 3) as usize];
        let stamp = Stamp {
            community: "很长的社区名称".repeat(8),
            ..Stamp::default()
        };
        burn(&mut rgb, w, h, &stamp).unwrap();
        // Text reaches near the right margin, but never the last column.
        let column_has_text = |x: u32| (0..h).any(|y| rgb[((y * w + x) * 3) as usize] > 200);
        assert!((w - 40..w - 5).any(column_has_text));
        assert!(!column_has_text(w - 1));
    }
}
