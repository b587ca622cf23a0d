//! Areas measured with a tape: the surveyor splits a room or yard into rectangles.

/// Why a set of tape rectangles gives no area.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TapeError {
    /// No rectangles at all: an area of nothing is a form left blank, not a measurement of 0 m².
    #[error("no rectangles were measured")]
    NoRectangles,
    /// A side is zero, negative, NaN or infinite.
    #[error("rectangle {index}: the {side} is {value} m; each side must be a positive, finite length in metres")]
    BadSide {
        /// Index of the rectangle in the input.
        index: usize,
        /// `"width"` (the first number) or `"length"` (the second).
        side: &'static str,
        /// What was given.
        value: f64,
    },
}

/// The sum of `width × length` over `[width_m, length_m]` rectangles, m².
///
/// A zero side is refused rather than counted as nothing: on a tablet it is almost always a field
/// the surveyor has not filled in yet.
pub fn tape_area(rectangles: &[[f64; 2]]) -> Result<f64, TapeError> {
    if rectangles.is_empty() {
        return Err(TapeError::NoRectangles);
    }
    let mut total = 0.0;
    for (index, &[width, length]) in rectangles.iter().enumerate() {
        for (side, value) in [("width", width), ("length", length)] {
            if !(value.is_finite() && value > 0.0) {
                return Err(TapeError::BadSide { index, side, value });
            }
        }
        total += width * length;
    }
    Ok(total)
}
