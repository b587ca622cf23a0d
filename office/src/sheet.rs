//! Tables as cells, written to XLSX with CJK-aware column widths and frozen headers; shared by the
//! yearly report and the exports.

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Worksheet, XlsxError};
use unicode_width::UnicodeWidthStr;

/// How a number reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumFmt {
    /// 1,234
    Integer,
    /// 2027: years, ranks, item numbers.
    Plain,
    /// 1,234.56
    Decimal,
    /// 12.3%
    Percent,
}

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Num(f64, NumFmt),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn int(n: impl Into<f64>) -> Cell {
        Cell::Num(n.into(), NumFmt::Integer)
    }

    /// A number read as a label: a year, a rank, an item number.
    pub fn plain(n: impl Into<f64>) -> Cell {
        Cell::Num(n.into(), NumFmt::Plain)
    }

    pub fn opt_text(s: Option<&str>) -> Cell {
        s.map_or(Cell::Empty, Cell::text)
    }

    /// The cell as plain text, for CSV: numbers unformatted, so they read back exactly.
    pub fn to_plain(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Num(n, _) => n.to_string(),
        }
    }

    /// The width the cell needs, in Excel's character units: CJK characters are two wide.
    fn width(&self) -> f64 {
        let w = match self {
            Cell::Empty => 0,
            Cell::Text(s) => s.lines().map(UnicodeWidthStr::width).max().unwrap_or(0),
            Cell::Num(n, NumFmt::Percent) => format!("{:.1}%", n * 100.0).len(),
            // Thousands separators add a third.
            Cell::Num(n, NumFmt::Plain) => format!("{n}").len(),
            Cell::Num(n, _) => format!("{n:.2}").len() * 4 / 3,
        };
        w as f64
    }
}

/// The formats of one workbook (rust_xlsxwriter formats are values; made once, used everywhere).
pub struct Formats {
    pub header: Format,
    pub title: Format,
    pub note: Format,
    pub text: Format,
    pub wrap: Format,
    pub integer: Format,
    pub plain: Format,
    pub decimal: Format,
    pub percent: Format,
    pub bold_text: Format,
    pub bold_integer: Format,
    pub bold_percent: Format,
}

/// A font that has the CJK glyphs in Office and LibreOffice alike; where it is missing, both fall
/// back to a CJK font of the system.
const CJK_FONT: &str = "等线";

impl Formats {
    pub fn new() -> Formats {
        let base = Format::new().set_font_name(CJK_FONT).set_font_size(10.5);
        let cell = base
            .clone()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Top);
        Formats {
            header: cell
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(Color::RGB(0xDDEBF7)),
            title: base.clone().set_bold().set_font_size(16),
            note: base
                .clone()
                .set_italic()
                .set_font_color(Color::RGB(0x595959)),
            text: cell.clone(),
            wrap: cell.clone().set_text_wrap(),
            integer: cell.clone().set_num_format("#,##0"),
            plain: cell.clone().set_num_format("0"),
            decimal: cell.clone().set_num_format("#,##0.00"),
            percent: cell.clone().set_num_format("0.0%"),
            bold_text: cell.clone().set_bold(),
            bold_integer: cell.clone().set_bold().set_num_format("#,##0"),
            bold_percent: cell.set_bold().set_num_format("0.0%"),
        }
    }
}

impl Default for Formats {
    fn default() -> Self {
        Formats::new()
    }
}

/// Writes a table at `top`: a header row, frozen with everything above it, then the rows; sets
/// each column's width from its widest cell (CJK counted double), between `min` and `max`, with
/// wrapping where a cell would pass `max`. `bold` says which rows are totals.
pub fn write_table(
    ws: &mut Worksheet,
    f: &Formats,
    top: u32,
    headers: &[&str],
    rows: &[Vec<Cell>],
    bold: &dyn Fn(usize) -> bool,
    max_width: f64,
) -> Result<(), XlsxError> {
    // Widths first: a cell wraps, and its row grows, only against its column's final width.
    let mut widths: Vec<f64> = headers
        .iter()
        .map(|h| UnicodeWidthStr::width(*h) as f64)
        .collect();
    for row in rows {
        for (c, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(c) {
                *w = w.max(cell.width());
            }
        }
    }
    let widths: Vec<f64> = widths.iter().map(|w| w.clamp(4.0, max_width)).collect();
    for (c, w) in widths.iter().enumerate() {
        // +2 for the cell's padding; the 10.5 pt font needs a little more than Excel's unit.
        ws.set_column_width(c as u16, w * 1.1 + 2.0)?;
    }
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(top, c as u16, *h, &f.header)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let at = top + 1 + r as u32;
        let strong = bold(r);
        let mut lines = 1usize;
        for (c, cell) in row.iter().enumerate() {
            let col = c as u16;
            match cell {
                Cell::Empty => {
                    ws.write_blank(at, col, &f.text)?;
                }
                Cell::Text(s) => {
                    let width = widths.get(c).copied().unwrap_or(max_width).max(1.0);
                    let needed: usize = s
                        .split('\n')
                        .map(|l| {
                            ((UnicodeWidthStr::width(l) as f64 / width).ceil() as usize).max(1)
                        })
                        .sum();
                    lines = lines.max(needed);
                    let fmt = if strong {
                        &f.bold_text
                    } else if needed > 1 {
                        &f.wrap
                    } else {
                        &f.text
                    };
                    ws.write_string_with_format(at, col, s, fmt)?;
                }
                Cell::Num(n, kind) => {
                    let fmt = match (kind, strong) {
                        (NumFmt::Integer, false) => &f.integer,
                        (NumFmt::Integer, true) => &f.bold_integer,
                        (NumFmt::Plain, _) => &f.plain,
                        (NumFmt::Decimal, _) => &f.decimal,
                        (NumFmt::Percent, false) => &f.percent,
                        (NumFmt::Percent, true) => &f.bold_percent,
                    };
                    ws.write_number_with_format(at, col, *n, fmt)?;
                }
            }
        }
        if lines > 1 {
            // Neither Excel nor LibreOffice grows a row for wrapped text written by a library.
            ws.set_row_height(at, 14.5 * lines as f64)?;
        }
    }
    ws.set_freeze_panes(top + 1, 0)?;
    Ok(())
}
