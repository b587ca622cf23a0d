//! Benchmark: a seeded city of 3,000 communities → the figures and the yearly report XLSX.
//!
//! The communities are made deterministically from the repository's example surveys with varied
//! values (facility areas and counts scaled, observations flipped, districts and years assigned),
//! and evaluated by the real evaluator. Timed (medians over runs): the figures (coverage, shortfalls,
//! year on year), the action plan over all communities, and the report workbook; next to a
//! reference made in the same run — rust_xlsxwriter alone writing the same number of cells (the
//! same strings and numbers, no formats, no widths) — and printed as ratios. Target: report < 5 s.
//!
//!     cargo run --release -p buqi-office --example bench_report [communities] [runs]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use buqi_office::figures::{self, Surveyed};
use buqi_office::report::{report_xlsx, ReportInput};
use buqi_office::{plan, rank, CostTable, PlanOptions, Project};
use buqi_schema::survey::Survey;
use buqi_schema::values::{Count, NonNegative};
use buqi_schema::{evaluate, Standard};
use uuid::Uuid;

/// A small deterministic generator (SplitMix64), so every run builds the same city.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.range(0.0, 1.0) < p
    }
}

const DISTRICTS: [&str; 12] = [
    "江岸区",
    "江汉区",
    "硚口区",
    "汉阳区",
    "武昌区",
    "青山区",
    "洪山区",
    "东西湖区",
    "汉南区",
    "蔡甸区",
    "江夏区",
    "黄陂区",
];

fn vary(base: &Survey, i: usize, rng: &mut Rng) -> Survey {
    let mut s = base.clone();
    s.community.id = Uuid::from_u128(0x0190_c3a0_0000_7000_8000_0000_0000_0000 | i as u128);
    s.community.name = format!("{}{:04}", s.community.name.trim_end_matches("社区"), i);
    s.community.city = Some("示例市".to_owned());
    s.community.district = Some(DISTRICTS[i % DISTRICTS.len()].to_owned());
    let scale = |v: Option<NonNegative>, rng: &mut Rng| {
        v.and_then(|x| NonNegative::new((x.get() * rng.range(0.6, 1.4)).round()))
    };
    let count = |v: Option<Count>, rng: &mut Rng| {
        v.map(|x| Count::new((f64::from(x.get()) * rng.range(0.6, 1.4)).round() as u32))
    };
    s.community.total_floor_area_m2 = scale(s.community.total_floor_area_m2, rng);
    s.community.households = count(s.community.households, rng);
    for f in &mut s.facilities {
        f.building_area_m2 = scale(f.building_area_m2, rng);
        f.land_area_m2 = scale(f.land_area_m2, rng);
        f.usable_area_m2 = scale(f.usable_area_m2, rng);
        f.compartments = count(f.compartments, rng);
        f.spaces = count(f.spaces, rng);
    }
    // A few facilities gone, some observations the other way.
    if rng.chance(0.3) && !s.facilities.is_empty() {
        let k = (rng.next() % s.facilities.len() as u64) as usize;
        let gone = s.facilities[k].id;
        // Only a facility nothing else refers to, so the survey stays valid.
        let referred = s.facilities.iter().any(|f| f.located_in == Some(gone))
            || s.measurements.iter().any(|m| m.facility == Some(gone))
            || s.photos.iter().any(|p| p.facility == Some(gone))
            || s.gps_points.iter().any(|g| g.facility == Some(gone))
            || s.checklist_runs
                .iter()
                .any(|r| r.checkpoints.iter().any(|c| c.facility == Some(gone)));
        if !referred {
            s.facilities.remove(k);
        }
    }
    // A third of the communities have some observation the other way.
    if rng.chance(0.33) {
        for v in s.observations.values_mut() {
            if rng.chance(0.1) {
                *v = !*v;
            }
        }
    }
    s
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(std::hint::black_box(f()));
        times.push(t.elapsed());
    }
    (median(times), last.expect("at least one run"))
}

/// The reference: rust_xlsxwriter writing `strings` and `numbers` cells, plain, on three sheets.
fn reference_xlsx(strings: &[String], numbers: usize) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let cols = 16u32;
    for (i, s) in strings.iter().enumerate() {
        let i = i as u32;
        ws.write_string(i / cols, (i % cols) as u16, s).unwrap();
    }
    let ws = wb.add_worksheet();
    for i in 0..numbers as u32 {
        ws.write_number(i / cols, (i % cols) as u16, f64::from(i))
            .unwrap();
    }
    wb.save_to_buffer().unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .get(1)
        .map_or(3000, |a| a.parse().expect("communities"));
    let runs: usize = args.get(2).map_or(5, |a| a.parse().expect("runs"));

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut bases = Vec::new();
    for name in [
        "guangzhou-new-large",
        "shenyang-new-complete",
        "wuhan-old-estate",
        "xian-existing-partial",
        "yichang-hubei-profile",
    ] {
        let text = std::fs::read_to_string(root.join(format!("examples/{name}.json"))).unwrap();
        bases.push(Survey::from_json(&text).unwrap());
    }
    let standard = Standard::builtin();
    let costs = CostTable::builtin();
    let options = PlanOptions::new(2027, "2026-11-20".parse().unwrap());

    let t = Instant::now();
    let mut rng = Rng(20_201_118);
    let mut surveys = Vec::with_capacity(n);
    let mut records = Vec::with_capacity(n * 2);
    for i in 0..n {
        let survey = vary(&bases[i % bases.len()], i, &mut rng);
        // Two thirds were also surveyed the year before, with the values a little worse.
        if i % 3 != 0 {
            let before = vary(&survey, i, &mut rng);
            records.push(Surveyed {
                city: "示例市".into(),
                district: before.community.district.clone().unwrap(),
                year: Some(2025),
                evaluation: evaluate(&before, &standard),
            });
        }
        let evaluation = evaluate(&survey, &standard);
        records.push(Surveyed {
            city: "示例市".into(),
            district: survey.community.district.clone().unwrap(),
            year: Some(2026),
            evaluation,
        });
        surveys.push(survey);
    }
    let seeded = t.elapsed();
    let this_year: Vec<&Surveyed> = records.iter().filter(|r| r.year == Some(2026)).collect();
    println!(
        "seeded {n} communities ({} evaluations) in {:.2} s",
        records.len(),
        seeded.as_secs_f64()
    );

    let (t_figures, (figs, yoy)) = time(runs, || {
        (
            figures::figures(&records),
            figures::year_on_year(&records, 2025, 2026),
        )
    });
    let (t_plan, projects) = time(runs, || {
        let mut all: Vec<Project> = Vec::new();
        for (s, r) in surveys.iter().zip(&this_year) {
            all.extend(plan(s, &r.evaluation, &standard, &costs, &options).unwrap());
        }
        rank(&mut all, &options);
        all
    });
    let input = ReportInput {
        region: "示例市".into(),
        year: 2026,
        prepared_on: "2026-11-25".parse().unwrap(),
        figures: &figs,
        year_on_year: Some(&yoy),
        projects: &projects,
    };
    let (t_report, bytes) = time(runs, || report_xlsx(&input).unwrap());

    // The same number of cells as the report: 16 per project, 9 per item, 9 per coverage row.
    let strings: Vec<String> = projects
        .iter()
        .flat_map(|p| {
            let mut v = vec![
                p.id.clone(),
                p.community_name.clone(),
                p.item_name_zh.clone(),
            ];
            v.extend(
                p.lines
                    .iter()
                    .map(|l| format!("{}：{:?}", l.title_zh, l.shortfall)),
            );
            v.resize(10, p.way_reason_zh.clone());
            v
        })
        .collect();
    let numbers = projects.len() * 6
        + figs.items.len() * 9
        + (figs.coverage.cities.len() + figs.coverage.districts.len()) * 9;
    let (t_reference, ref_bytes) = time(runs, || reference_xlsx(&strings, numbers));

    let gaps: usize = figs.coverage.cities.iter().map(|c| c.gaps).sum();
    println!(
        "{} communities this year, coverage {:.1}%, {gaps} gaps, {} projects",
        this_year.len(),
        figs.coverage.cities[0].coverage * 100.0,
        projects.len()
    );
    println!("medians over {runs} runs:");
    println!(
        "  figures (coverage, shortfalls, year on year)  {:8.1} ms",
        t_figures.as_secs_f64() * 1e3
    );
    println!(
        "  action plan over all communities             {:8.1} ms",
        t_plan.as_secs_f64() * 1e3
    );
    println!(
        "  yearly report XLSX ({} KiB)                {:8.1} ms   target < 5000 ms: {}",
        bytes.len() / 1024,
        t_report.as_secs_f64() * 1e3,
        if t_report < Duration::from_secs(5) {
            "met"
        } else {
            "NOT met"
        }
    );
    println!(
        "  reference: rust_xlsxwriter alone, {} cells ({} KiB) {:8.1} ms",
        strings.len() + numbers,
        ref_bytes.len() / 1024,
        t_reference.as_secs_f64() * 1e3
    );
    println!(
        "  report ÷ reference: {:.2}×;  figures + plan + report: {:.1} ms",
        t_report.as_secs_f64() / t_reference.as_secs_f64(),
        (t_figures + t_plan + t_report).as_secs_f64() * 1e3
    );
}
