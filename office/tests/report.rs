//! The yearly report from real surveys, read back with calamine.

mod common;

use std::io::Cursor;

use buqi_office::figures;
use buqi_office::report::{report_html, report_xlsx, ReportInput};
use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use common::*;

fn cell(range: &calamine::Range<Data>, row: u32, col: u32) -> Data {
    range.get_value((row, col)).cloned().unwrap_or(Data::Empty)
}

fn text(range: &calamine::Range<Data>, row: u32, col: u32) -> String {
    match cell(range, row, col) {
        Data::String(s) => s,
        other => panic!("({row}, {col}) is {other:?}, not text"),
    }
}

fn num(range: &calamine::Range<Data>, row: u32, col: u32) -> f64 {
    match cell(range, row, col) {
        Data::Float(f) => f,
        Data::Int(i) => i as f64,
        other => panic!("({row}, {col}) is {other:?}, not a number"),
    }
}

fn find_row(range: &calamine::Range<Data>, col: u32, value: &str) -> u32 {
    (0..range.end().unwrap().0 + 1)
        .find(|r| matches!(range.get_value((*r, col)), Some(Data::String(s)) if s == value))
        .unwrap_or_else(|| panic!("no row with {value:?} in column {col}"))
}

fn write_artifact(name: &str, bytes: &[u8]) {
    // Kept for looking at (LibreOffice → PDF → PNG); not part of the assertions.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("office-report");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

#[test]
fn the_workbook_reads_back_with_its_three_sheets_in_chinese() {
    let (records, projects) = small_city();
    let figures = figures::figures(&records);
    let yoy = figures::year_on_year(&records, 2025, 2026);
    let input = ReportInput {
        region: "示例城市".into(),
        year: 2026,
        prepared_on: "2026-11-25".parse().unwrap(),
        figures: &figures,
        year_on_year: Some(&yoy),
        projects: &projects,
    };
    let bytes = report_xlsx(&input).unwrap();
    write_artifact("report.xlsx", &bytes);
    write_artifact("report.html", report_html(&input).as_bytes());

    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names(), ["汇总", "分项短板", "项目库"]);

    let summary = wb.worksheet_range("汇总").unwrap();
    assert_eq!(
        text(&summary, 0, 0),
        "示例城市2026年居住社区建设补短板行动工作进展情况"
    );
    assert_eq!(text(&summary, 3, 0), "居住社区数");
    assert_eq!(
        num(&summary, 3, 1),
        5.0,
        "five communities, the 2025 Wuhan survey superseded"
    );
    let complete = figures
        .coverage
        .cities
        .iter()
        .map(|c| c.complete)
        .sum::<usize>() as f64;
    assert_eq!(num(&summary, 4, 1), complete);
    assert!((num(&summary, 5, 1) - complete / 5.0).abs() < 1e-12);
    assert_eq!(text(&summary, 3, 3), "项目状态");
    assert_eq!(text(&summary, 4, 3), "已谋划");
    assert_eq!(num(&summary, 4, 4), projects.len() as f64);
    assert_eq!(num(&summary, 8, 4), 0.0, "none accepted yet");
    let wuhan = find_row(&summary, 0, "武汉市");
    assert_eq!(text(&summary, wuhan, 1), "全市合计");
    assert_eq!(num(&summary, wuhan, 2), 1.0);
    assert_eq!(num(&summary, wuhan, 7), 0.0);
    assert_eq!(num(&summary, wuhan, 8), 0.0, "last year's coverage");
    assert_eq!(text(&summary, wuhan + 1, 1), "武昌区");
    let header = find_row(&summary, 0, "城市");
    assert!(header < wuhan);
    assert_eq!(text(&summary, header, 7), "完整居住社区覆盖率");

    let items = wb.worksheet_range("分项短板").unwrap();
    assert_eq!(text(&items, 1, 0), "序号");
    assert_eq!(text(&items, 1, 2), "短板社区数");
    let drainage = find_row(&items, 1, "水、电、路、气、热、信等设施");
    assert_eq!(num(&items, drainage, 0), 9.0);
    let gaps9 = figures.items[8].gap as f64;
    assert_eq!(num(&items, drainage, 2), gaps9);
    assert_eq!(num(&items, drainage, 3), 1.0, "Wuhan's 2025 drainage gap");
    let kg = find_row(&items, 1, "一个幼儿园");
    assert!(
        text(&items, kg, 8).contains("建筑面积："),
        "{}",
        text(&items, kg, 8)
    );

    let library = wb.worksheet_range("项目库").unwrap();
    assert_eq!(text(&library, 1, 6), "建设方式");
    assert_eq!(text(&library, 1, 15), "项目编号");
    assert_eq!(library.end().unwrap().0, 1 + projects.len() as u32);
    for (i, p) in projects.iter().enumerate() {
        let r = 2 + i as u32;
        assert_eq!(num(&library, r, 0), p.priority.rank as f64);
        assert_eq!(text(&library, r, 15), p.id);
        assert_eq!(text(&library, r, 6), p.way.name_zh());
        assert_eq!(text(&library, r, 12), "已谋划");
        assert_eq!(num(&library, r, 11), p.target_year as f64);
        match p.cost_yuan {
            Some(c) => assert!((num(&library, r, 9) - c / 10_000.0).abs() < 1e-9),
            None => assert_eq!(text(&library, r, 9), "未估算"),
        }
    }
    let kg_project = projects
        .iter()
        .position(|p| p.item == 2 && p.community_name == "紫阳社区")
        .unwrap();
    let shortfall = text(&library, 2 + kg_project as u32, 8);
    assert!(
        shortfall.contains("建筑面积：要求 ≥ 2200 平方米，现状 2080 平方米，缺 120 平方米"),
        "{shortfall}"
    );
}

#[test]
fn the_printable_page_is_one_self_contained_a4_document() {
    let (records, projects) = small_city();
    let figures = figures::figures(&records);
    let input = ReportInput {
        region: "示例城市".into(),
        year: 2026,
        prepared_on: "2026-11-25".parse().unwrap(),
        figures: &figures,
        year_on_year: None,
        projects: &projects,
    };
    let html = report_html(&input);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("@page { size: A4"));
    assert!(
        !html.contains("src=") && !html.contains("<link"),
        "no external resources"
    );
    assert!(html.contains("<h1>示例城市2026年居住社区建设补短板行动工作进展情况</h1>"));
    assert!(html.contains("<th>完整居住社区覆盖率</th>"));
    assert!(html.contains("<th class=s>城市</th>"));
    assert_eq!(
        html.matches("<tr>").count() + html.matches("<tr class=total>").count(),
        3 + figures.coverage.cities.len() + figures.coverage.districts.len() + 20 + projects.len()
    );
    // Text is escaped.
    assert!(html.contains("≥ 2200 平方米"));
}
