//! The yearly progress report for the 30 November submission (每年11月30日前将工作进展情况报送): an
//! XLSX workbook with the summary (汇总), the per-item table (分项短板) and the project library
//! (项目库), and the same as one printable HTML page (A4).

use std::fmt::Write as _;

use buqi_schema::evaluate::{Measured, Requirement, Unit};
use chrono::NaiveDate;
use rust_xlsxwriter::Workbook;

use crate::figures::{Figures, YearOnYear};
use crate::plan::{plain_number, unit_zh, Project, Status, Way};
use crate::sheet::{write_table, Cell, Formats, NumFmt};
use crate::OfficeError;

/// What the report is about.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    /// Who reports: `武汉市` (a city) or a province.
    pub region: String,
    pub year: i32,
    pub prepared_on: NaiveDate,
    pub figures: &'a Figures,
    /// This year next to the previous, where there is one.
    pub year_on_year: Option<&'a YearOnYear>,
    pub projects: &'a [Project],
}

impl ReportInput<'_> {
    fn title(&self) -> String {
        format!(
            "{}{}年居住社区建设补短板行动工作进展情况",
            self.region, self.year
        )
    }
}

/// 万元, the unit Chinese budget tables use.
fn wan(yuan: f64) -> f64 {
    yuan / 10_000.0
}

/// A quantity for reading: `120 平方米`, `12.5%`.
pub fn quantity_zh(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Share => format!("{:.1}%", value * 100.0),
        _ => format!("{} {}", plain_number(value), unit_zh(unit)),
    }
}

fn required_zh(r: &Requirement) -> String {
    match r {
        Requirement::AtLeast { value, unit } => format!("≥ {}", quantity_zh(*value, *unit)),
        Requirement::AtMost { value, unit } => format!("≤ {}", quantity_zh(*value, *unit)),
        Requirement::Yes => "是".to_owned(),
        Requirement::OneOf { values } => values.join("/"),
    }
}

fn measured_zh(m: &Measured) -> String {
    match m {
        Measured::Number { value, unit, .. } => quantity_zh(*value, *unit),
        Measured::Yes(true) => "是".to_owned(),
        Measured::Yes(false) => "否".to_owned(),
        Measured::Text(t) => t.clone(),
    }
}

/// What a project closes, one line per check: `建筑面积：要求 ≥ 2200 平方米，现状 2080 平方米，缺 120 平方米`.
pub fn project_shortfall_zh(p: &Project) -> String {
    p.lines
        .iter()
        .map(|l| {
            let mut s = l.title_zh.clone();
            s.push('：');
            if let Some(r) = &l.required {
                let _ = write!(s, "要求 {}", required_zh(r));
            }
            match &l.measured {
                Some(m) => {
                    let _ = write!(s, "，现状 {}", measured_zh(m));
                }
                None => s.push_str("，现状 无"),
            }
            if let Some(short) = l.shortfall {
                let what = if short.over { "超出" } else { "缺" };
                let _ = write!(s, "，{what} {}", quantity_zh(short.value, short.unit));
            }
            s
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn status_date(p: &Project) -> String {
    p.history
        .last()
        .map_or(String::new(), |c| c.date.to_string())
}

/// The headline numbers of the summary.
struct Headline {
    communities: usize,
    complete: usize,
    coverage: f64,
    gaps: usize,
    projects: usize,
    construction: usize,
    cost_yuan: f64,
    by_status: Vec<(Status, usize, f64)>,
}

fn headline(input: &ReportInput) -> Headline {
    let cities = &input.figures.coverage.cities;
    let communities: usize = cities.iter().map(|c| c.communities).sum();
    let complete: usize = cities.iter().map(|c| c.complete).sum();
    let by_status = Status::ALL
        .iter()
        .map(|s| {
            let these = input.projects.iter().filter(|p| p.status == *s);
            let n = these.clone().count();
            let cost = these.filter_map(|p| p.cost_yuan).sum();
            (*s, n, cost)
        })
        .collect();
    Headline {
        communities,
        complete,
        coverage: if communities == 0 {
            0.0
        } else {
            complete as f64 / communities as f64
        },
        gaps: cities.iter().map(|c| c.gaps).sum(),
        projects: input.projects.len(),
        construction: input
            .projects
            .iter()
            .filter(|p| p.way != Way::Manage)
            .count(),
        cost_yuan: input.projects.iter().filter_map(|p| p.cost_yuan).sum(),
        by_status,
    }
}

const SUMMARY_HEADERS: [&str; 9] = [
    "城市",
    "区（县）",
    "居住社区数",
    "完整居住社区数",
    "非完整居住社区数",
    "待定（未调查完）",
    "短板项数合计",
    "完整居住社区覆盖率",
    "上年覆盖率",
];

fn summary_rows(input: &ReportInput) -> (Vec<Vec<Cell>>, Vec<bool>) {
    let cov = &input.figures.coverage;
    let prev = |city: &str, district: Option<&str>| {
        input.year_on_year.and_then(|y| {
            let list = if district.is_some() {
                &y.districts
            } else {
                &y.cities
            };
            list.iter()
                .find(|c| c.city == city && c.district.as_deref() == district)
                .filter(|c| c.communities.from > 0)
                .map(|c| c.coverage.from)
        })
    };
    let mut rows = Vec::new();
    let mut bold = Vec::new();
    for city in &cov.cities {
        let row = |a: &crate::figures::AreaCoverage, district: &str| {
            vec![
                Cell::text(&a.city),
                Cell::text(district),
                Cell::int(a.communities as f64),
                Cell::int(a.complete as f64),
                Cell::int(a.not_complete as f64),
                Cell::int(a.undetermined as f64),
                Cell::int(a.gaps as f64),
                Cell::Num(a.coverage, NumFmt::Percent),
                prev(&a.city, a.district.as_deref())
                    .map_or(Cell::text("—"), |v| Cell::Num(v, NumFmt::Percent)),
            ]
        };
        rows.push(row(city, "全市合计"));
        bold.push(true);
        for d in cov.districts.iter().filter(|d| d.city == city.city) {
            rows.push(row(d, d.district.as_deref().unwrap_or("")));
            bold.push(false);
        }
    }
    (rows, bold)
}

const ITEM_HEADERS: [&str; 9] = [
    "序号",
    "建设内容",
    "短板社区数",
    "上年短板社区数",
    "建议改进",
    "未调查",
    "达标",
    "不适用",
    "主要短缺（检查项：社区数，合计短缺）",
];

fn item_rows(input: &ReportInput) -> Vec<Vec<Cell>> {
    input
        .figures
        .items
        .iter()
        .map(|i| {
            let prev = input
                .year_on_year
                .and_then(|y| y.items.iter().find(|x| x.item == i.item))
                .map_or(Cell::text("—"), |x| Cell::int(x.gap.from as f64));
            let checks = i
                .checks
                .iter()
                .map(|c| match c.unit {
                    Some(u) => format!(
                        "{}：{} 个社区，合计缺 {}",
                        c.title_zh,
                        c.communities,
                        quantity_zh(c.total, u)
                    ),
                    None => format!("{}：{} 个社区", c.title_zh, c.communities),
                })
                .collect::<Vec<_>>()
                .join("\n");
            vec![
                Cell::plain(i.item),
                Cell::text(&i.name_zh),
                Cell::int(i.gap as f64),
                prev,
                Cell::int(i.advisory as f64),
                Cell::int(i.not_surveyed as f64),
                Cell::int(i.met as f64),
                Cell::int(i.not_applicable as f64),
                Cell::text(checks),
            ]
        })
        .collect()
}

const PROJECT_HEADERS: [&str; 16] = [
    "优先序",
    "城市",
    "区（县）",
    "居住社区",
    "序号",
    "建设内容",
    "建设方式",
    "优先类别",
    "短缺情况",
    "估算投资（万元）",
    "估算说明",
    "目标年份",
    "状态",
    "状态日期",
    "方式依据",
    "项目编号",
];

fn project_row(p: &Project) -> Vec<Cell> {
    vec![
        Cell::plain(p.priority.rank as f64),
        Cell::opt_text(p.city.as_deref()),
        Cell::opt_text(p.district.as_deref()),
        Cell::text(&p.community_name),
        Cell::plain(p.item),
        Cell::text(&p.item_name_zh),
        Cell::text(p.way.name_zh()),
        Cell::text(p.priority.tier.name_zh()),
        Cell::text(project_shortfall_zh(p)),
        p.cost_yuan.map_or(Cell::text("未估算"), |c| {
            Cell::Num(wan(c), NumFmt::Decimal)
        }),
        Cell::text(
            p.lines
                .iter()
                .map(|l| format!("{}：{}", l.title_zh, l.cost_note))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        Cell::plain(p.target_year),
        Cell::text(p.status.name_zh()),
        Cell::text(status_date(p)),
        Cell::text(&p.way_reason_zh),
        Cell::text(&p.id),
    ]
}

/// The workbook: 汇总, 分项短板, 项目库. Every sheet has its header row frozen, CJK-aware widths,
/// A4 landscape printing with the header repeated on each page.
pub fn report_xlsx(input: &ReportInput) -> Result<Vec<u8>, OfficeError> {
    let xlsx = |e: rust_xlsxwriter::XlsxError| OfficeError::Xlsx(e.to_string());
    let f = Formats::new();
    let mut wb = Workbook::new();
    let h = headline(input);

    // 汇总: title, the headline figures, then coverage per city and district.
    {
        let ws = wb.add_worksheet();
        ws.set_name("汇总").map_err(xlsx)?;
        ws.write_string_with_format(0, 0, input.title(), &f.title)
            .map_err(xlsx)?;
        ws.write_string_with_format(
            1,
            0,
            format!(
                "填报日期：{}。完整居住社区：按《完整居住社区建设标准（试行）》评估，无短板且各项均已调查。估算投资为指示性估算。",
                input.prepared_on
            ),
            &f.note,
        )
        .map_err(xlsx)?;
        let figures: [(&str, Cell); 7] = [
            ("居住社区数", Cell::int(h.communities as f64)),
            ("完整居住社区数", Cell::int(h.complete as f64)),
            ("完整居住社区覆盖率", Cell::Num(h.coverage, NumFmt::Percent)),
            ("短板项数合计", Cell::int(h.gaps as f64)),
            ("项目库项目数", Cell::int(h.projects as f64)),
            ("其中建设项目数", Cell::int(h.construction as f64)),
            (
                "估算总投资（万元）",
                Cell::Num(wan(h.cost_yuan), NumFmt::Decimal),
            ),
        ];
        let mut row = 3u32;
        for (label, value) in figures {
            ws.write_string_with_format(row, 0, label, &f.bold_text)
                .map_err(xlsx)?;
            match value {
                Cell::Num(n, NumFmt::Percent) => ws.write_number_with_format(row, 1, n, &f.percent),
                Cell::Num(n, NumFmt::Decimal) => ws.write_number_with_format(row, 1, n, &f.decimal),
                Cell::Num(n, _) => ws.write_number_with_format(row, 1, n, &f.integer),
                _ => unreachable!("only numbers in the headline"),
            }
            .map_err(xlsx)?;
            row += 1;
        }
        // Projects by status beside the headline (columns D–F), so that the coverage table's frozen
        // header stays near the top of the screen.
        let headline_end = row;
        for (c, label) in ["项目状态", "项目数", "估算投资（万元）"]
            .iter()
            .enumerate()
        {
            ws.write_string_with_format(3, 3 + c as u16, *label, &f.header)
                .map_err(xlsx)?;
        }
        for (i, (status, n, cost)) in h.by_status.iter().enumerate() {
            let r = 4 + i as u32;
            ws.write_string_with_format(r, 3, status.name_zh(), &f.text)
                .map_err(xlsx)?;
            ws.write_number_with_format(r, 4, *n as f64, &f.integer)
                .map_err(xlsx)?;
            ws.write_number_with_format(r, 5, wan(*cost), &f.decimal)
                .map_err(xlsx)?;
        }
        row = headline_end.max(4 + h.by_status.len() as u32);
        let top = row + 1;
        let (rows, bold) = summary_rows(input);
        write_table(ws, &f, top, &SUMMARY_HEADERS, &rows, &|r| bold[r], 24.0).map_err(xlsx)?;
        // The label column also holds the headline labels.
        ws.set_column_width(0, 22).map_err(xlsx)?;
        ws.set_column_width(1, 16).map_err(xlsx)?;
        print_setup(ws, top).map_err(xlsx)?;
    }
    // 分项短板
    {
        let ws = wb.add_worksheet();
        ws.set_name("分项短板").map_err(xlsx)?;
        ws.write_string_with_format(0, 0, format!("{}：分项短板", input.title()), &f.title)
            .map_err(xlsx)?;
        write_table(
            ws,
            &f,
            1,
            &ITEM_HEADERS,
            &item_rows(input),
            &|_| false,
            60.0,
        )
        .map_err(xlsx)?;
        print_setup(ws, 1).map_err(xlsx)?;
    }
    // 项目库
    {
        let ws = wb.add_worksheet();
        ws.set_name("项目库").map_err(xlsx)?;
        ws.write_string_with_format(0, 0, format!("{}：建设项目库", input.title()), &f.title)
            .map_err(xlsx)?;
        let rows: Vec<Vec<Cell>> = input.projects.iter().map(project_row).collect();
        write_table(ws, &f, 1, &PROJECT_HEADERS, &rows, &|_| false, 40.0).map_err(xlsx)?;
        print_setup(ws, 1).map_err(xlsx)?;
    }
    wb.save_to_buffer().map_err(xlsx)
}

fn print_setup(
    ws: &mut rust_xlsxwriter::Worksheet,
    header_row: u32,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    // 9 = A4 in Excel's paper codes.
    ws.set_paper_size(9).set_landscape();
    ws.set_repeat_rows(header_row, header_row)?;
    ws.set_print_fit_to_pages(1, 0);
    Ok(())
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

fn html_cell(c: &Cell) -> String {
    match c {
        Cell::Empty => "<td></td>".to_owned(),
        // Short labels (城市, 已谋划) must not break between characters in a narrow column.
        Cell::Text(s) if s.chars().count() <= 8 && !s.contains('\n') => {
            format!("<td class=s>{}</td>", esc(s))
        }
        Cell::Text(s) => format!("<td>{}</td>", esc(s)),
        Cell::Num(n, NumFmt::Percent) => format!("<td class=n>{:.1}%</td>", n * 100.0),
        Cell::Num(n, NumFmt::Decimal) => format!("<td class=n>{n:.2}</td>"),
        Cell::Num(n, NumFmt::Integer | NumFmt::Plain) => format!("<td class=n>{n:.0}</td>"),
    }
}

fn html_table(
    out: &mut String,
    headers: &[&str],
    rows: &[Vec<Cell>],
    bold: &dyn Fn(usize) -> bool,
) {
    out.push_str("<table><thead><tr>");
    for h in headers {
        if h.chars().count() <= 6 {
            let _ = write!(out, "<th class=s>{}</th>", esc(h));
        } else {
            let _ = write!(out, "<th>{}</th>", esc(h));
        }
    }
    out.push_str("</tr></thead><tbody>");
    for (i, r) in rows.iter().enumerate() {
        out.push_str(if bold(i) { "<tr class=total>" } else { "<tr>" });
        for c in r {
            out.push_str(&html_cell(c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

const PRINT_CSS: &str = r#"
@page { size: A4 landscape; margin: 12mm 10mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       font-size: 10.5pt; color: #000; margin: 0 auto; max-width: 277mm; }
h1 { font-size: 16pt; margin: 0 0 4pt; }
h2 { font-size: 13pt; margin: 14pt 0 4pt; break-after: avoid; }
p.note { color: #444; font-size: 9pt; margin: 0 0 8pt; }
table { border-collapse: collapse; width: 100%; margin-bottom: 8pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 0.5pt solid #666; padding: 2pt 4pt; vertical-align: top; text-align: left; }
th { background: #ddebf7; font-weight: bold; text-align: center; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: bold; }
.s { white-space: nowrap; }
dl.headline { display: grid; grid-template-columns: max-content max-content; gap: 2pt 16pt; margin: 0 0 8pt; }
dl.headline dt { font-weight: bold; } dl.headline dd { margin: 0; text-align: right; }
section.projects { break-before: page; }
@media screen { body { padding: 12mm; } }
"#;

/// The same report as one self-contained HTML page (no external files), laid out for A4 printing.
pub fn report_html(input: &ReportInput) -> String {
    let h = headline(input);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=zh-CN><head><meta charset=utf-8><title>{t}</title><style>{PRINT_CSS}</style></head><body><h1>{t}</h1>",
        t = esc(&input.title())
    );
    let _ = write!(
        out,
        "<p class=note>填报日期：{}。完整居住社区：按《完整居住社区建设标准（试行）》评估，无短板且各项均已调查。估算投资为指示性估算（万元）。</p>",
        input.prepared_on
    );
    out.push_str("<dl class=headline>");
    let pairs = [
        ("居住社区数", h.communities.to_string()),
        ("完整居住社区数", h.complete.to_string()),
        ("完整居住社区覆盖率", format!("{:.1}%", h.coverage * 100.0)),
        ("短板项数合计", h.gaps.to_string()),
        ("项目库项目数", h.projects.to_string()),
        ("其中建设项目数", h.construction.to_string()),
        ("估算总投资（万元）", format!("{:.2}", wan(h.cost_yuan))),
    ];
    for (k, v) in pairs {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(&v));
    }
    out.push_str("</dl>");
    out.push_str("<h2>一、完整居住社区覆盖情况</h2>");
    let (rows, bold) = summary_rows(input);
    html_table(&mut out, &SUMMARY_HEADERS, &rows, &|r| bold[r]);
    out.push_str("<h2>二、分项短板</h2>");
    html_table(&mut out, &ITEM_HEADERS, &item_rows(input), &|_| false);
    out.push_str("<section class=projects><h2>三、建设项目库</h2>");
    // The printed library leaves out the machine id and the reasoning columns: they are in the XLSX.
    let keep = [0usize, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12];
    let headers: Vec<&str> = keep.iter().map(|i| PROJECT_HEADERS[*i]).collect();
    let rows: Vec<Vec<Cell>> = input
        .projects
        .iter()
        .map(|p| {
            let full = project_row(p);
            keep.iter().map(|i| full[*i].clone()).collect()
        })
        .collect();
    html_table(&mut out, &headers, &rows, &|_| false);
    out.push_str("</section></body></html>\n");
    out
}
