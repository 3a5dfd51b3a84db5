//! The library's catalog through HTTP, as a user would check it: a fixed list of searches
//! whose top three are the same literal lists on both dialects (the parity proof), filters
//! that return only (and all) the matching seed rows, pages that walk a whole list once, one
//! row by id, the problems, and `lifeos library load` run twice changing nothing.

use std::collections::BTreeSet;

use lifeos_kernel::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::{JWT_SECRET, Reply, TestApp};

const LIBRARY: &str = "/api/v1/library";

/// The seed files the server embeds: filters are checked against what they hold.
const FOODS: &str = include_str!("../../../../crates/library/seed/data/foods.json");
const EXERCISES: &str = include_str!("../../../../crates/library/seed/data/exercises.json");
const PROGRAMS: &str = include_str!("../../../../crates/library/seed/data/programs.json");

/// (kind, query, the top three names): one literal list for both dialects, so a ranking
/// that differs between PostgreSQL and SQLite fails here.
const TOP_THREE: &[(&str, &str, &[&str])] = &[
    // Typos and either word order.
    (
        "foods",
        "chiken brest",
        &[
            "Chicken, poultry, breast, skinless",
            "Chicken mushroom, fresh",
            "Country hen, breast, with skin",
        ],
    ),
    (
        "foods",
        "brest chiken",
        &[
            "Chicken, poultry, breast, skinless",
            "Chicken mushroom, fresh",
            "Country hen, breast, with skin",
        ],
    ),
    (
        "foods",
        "rice",
        &["Rice flakes", "Rice puffed", "Rice bran oil"],
    ),
    // The local and English names count too: Agathi's and Basella's hold "spinach".
    (
        "foods",
        "spinach",
        &["Spinach", "Agathi leaves", "Basella leaves"],
    ),
    (
        "foods",
        "dal",
        &["Lentil dal", "Bengal gram, dal", "Black gram, dal"],
    ),
    (
        "exercises",
        "squat",
        &["Back Squat", "Braced Squat", "Overhead Squat"],
    ),
    (
        "exercises",
        "bench pres",
        &[
            "Bench Press",
            "Incline Bench Press",
            "Bench Press Narrow Grip",
        ],
    ),
    (
        "supplements",
        "vitamin d",
        &["Vitamin D", "Vitamin A", "Vitamin B12"],
    ),
    // One iron supplement, one iron nutrient: nothing else scores as a result.
    ("supplements", "iron", &["Iron"]),
    ("nutrients", "iron", &["Iron"]),
    (
        "programs",
        "strength",
        &[
            "Starting Strength novice program",
            "StrongLifts 5x5",
            "5/3/1 Boring But Big",
        ],
    ),
];

/// Which rows a filter keeps, read the test's way from the seed or an answer.
type Keep = Box<dyn Fn(&Value) -> bool>;

fn seed_rows(file: &str) -> Vec<Value> {
    let parsed: Value = serde_json::from_str(file).unwrap();
    parsed["rows"].as_array().unwrap().clone()
}

fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn search_path(kind: &str, q: &str, limit: u32) -> String {
    format!("{LIBRARY}/{kind}?q={}&limit={limit}", encoded(q))
}

/// A 200 page's items.
#[track_caller]
fn items(app: &TestApp, reply: &Reply) -> Vec<Value> {
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}: {}",
        app.label,
        reply.body
    );
    reply.body["items"].as_array().unwrap().clone()
}

fn names(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|row| row["name"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(rows: &[Value]) -> BTreeSet<String> {
    rows.iter()
        .map(|row| row["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Every row of `path` (which has no cursor yet), following `nextCursor`; and the pages.
async fn walk(app: &TestApp, token: &str, path: &str) -> (Vec<Value>, usize) {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page_path = match &cursor {
            Some(cursor) => format!("{path}&cursor={}", encoded(cursor)),
            None => path.to_owned(),
        };
        let reply = app.get(&page_path, token).await;
        rows.extend(items(app, &reply));
        pages += 1;
        assert!(pages <= 1000, "{}: {path} pages without end", app.label);
        match reply.body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (rows, pages),
        }
    }
}

/// The ids of the seed rows `keep` selects.
fn seed_ids(file: &str, keep: impl Fn(&Value) -> bool) -> BTreeSet<String> {
    seed_rows(file)
        .iter()
        .filter(|row| keep(row))
        .map(|row| row["id"].as_str().unwrap().to_owned())
        .collect()
}

fn has(list: &Value, code: &str) -> bool {
    list.as_array().unwrap().iter().any(|item| item == code)
}

lifeos_kernel::dialect_test! {
    async fn the_fixed_searches_rank_the_same_on_both_dialects(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let mut wrong = Vec::new();
        for (kind, q, expected) in TOP_THREE {
            let found = names(&items(&app, &app.get(&search_path(kind, q, 3), &ada).await));
            if found != *expected {
                wrong.push(format!("    (\"{kind}\", \"{q}\", {found:?}),"));
            }
        }
        assert!(
            wrong.is_empty(),
            "{}: searches whose top three differ; found:\n{}",
            app.label,
            wrong.join("\n")
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn food_filters_return_exactly_the_matching_foods(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let number = |row: &Value, field: &str| row[field].as_f64().unwrap();
        let cases: Vec<(&str, Keep)> = vec![
            ("group=Poultry", Box::new(|f| f["foodGroup"] == "Poultry")),
            // Any case, as the parameter's description says.
            ("group=green%20leafy%20vegetables", Box::new(|f| f["foodGroup"] == "Green Leafy Vegetables")),
            ("minProteinG=25", Box::new(move |f| number(f, "proteinG") >= 25.0)),
            ("maxEnergyKcal=30", Box::new(move |f| number(f, "energyKcal") <= 30.0)),
            (
                "group=Grain%20Legumes&minProteinG=20&maxEnergyKcal=350",
                Box::new(move |f| {
                    f["foodGroup"] == "Grain Legumes"
                        && number(f, "proteinG") >= 20.0
                        && number(f, "energyKcal") <= 350.0
                }),
            ),
        ];
        for (query, keep) in &cases {
            let expected = seed_ids(FOODS, keep);
            assert!(!expected.is_empty(), "{query} selects some seed foods");
            let (rows, _) = walk(&app, &ada, &format!("{LIBRARY}/foods?{query}&limit=100")).await;
            assert!(rows.iter().all(keep), "{}: {query} answered a food outside it", app.label);
            assert_eq!(ids(&rows), expected, "{}: {query}", app.label);
            assert_eq!(rows.len(), expected.len(), "{}: {query} repeats no food", app.label);
        }

        // A search with a filter ranks only the foods the filter keeps.
        let lean = items(&app, &app.get(&format!("{}&minProteinG=20", search_path("foods", "chicken", 50)), &ada).await);
        assert!(!lean.is_empty(), "{}: lean chicken", app.label);
        assert!(lean.iter().all(|f| number(f, "proteinG") >= 20.0), "{}: {lean:?}", app.label);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn exercise_and_program_filters_return_exactly_the_matching_rows(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let exercise_cases: Vec<(&str, Keep)> = vec![
            ("muscle=quads", Box::new(|e| has(&e["primaryMuscles"], "quads") || has(&e["secondaryMuscles"], "quads"))),
            ("equipment=barbell", Box::new(|e| has(&e["equipment"], "barbell"))),
            (
                "muscle=chest&equipment=dumbbell",
                Box::new(|e| {
                    (has(&e["primaryMuscles"], "chest") || has(&e["secondaryMuscles"], "chest"))
                        && has(&e["equipment"], "dumbbell")
                }),
            ),
        ];
        for (query, keep) in &exercise_cases {
            let expected = seed_ids(EXERCISES, keep);
            assert!(!expected.is_empty(), "{query} selects some seed exercises");
            let (rows, _) = walk(&app, &ada, &format!("{LIBRARY}/exercises?{query}&limit=100")).await;
            assert!(rows.iter().all(keep), "{}: {query} answered an exercise outside it", app.label);
            assert_eq!(ids(&rows), expected, "{}: {query}", app.label);
        }

        let program_cases: Vec<(&str, Keep)> = vec![
            ("goal=strength", Box::new(|p| p["goal"] == "strength")),
            ("daysPerWeek=3", Box::new(|p| p["daysPerWeek"] == 3)),
            ("level=intermediate", Box::new(|p| p["level"] == "intermediate")),
            ("goal=strength&level=beginner&daysPerWeek=3", Box::new(|p| {
                p["goal"] == "strength" && p["level"] == "beginner" && p["daysPerWeek"] == 3
            })),
        ];
        for (query, keep) in &program_cases {
            let expected = seed_ids(PROGRAMS, keep);
            assert!(!expected.is_empty(), "{query} selects some seed programs");
            let rows = items(&app, &app.get(&format!("{LIBRARY}/programs?{query}"), &ada).await);
            assert!(rows.iter().all(keep), "{}: {query} answered a program outside it", app.label);
            assert_eq!(ids(&rows), expected, "{}: {query}", app.label);
        }
        // A filter matching nothing is an empty page, not a problem.
        let none = app.get(&format!("{LIBRARY}/programs?goal=strength&daysPerWeek=7"), &ada).await;
        assert!(items(&app, &none).is_empty(), "{}: {}", app.label, none.body);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn pages_walk_every_food_once_in_name_order(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let (rows, pages) = walk(&app, &ada, &format!("{LIBRARY}/foods?limit=100")).await;
        assert_eq!(pages, 6, "{}: 542 foods in pages of 100", app.label);
        assert_eq!(rows.len(), 542, "{}", app.label);
        assert_eq!(ids(&rows).len(), 542, "{}: no food twice", app.label);
        assert_eq!(ids(&rows), seed_ids(FOODS, |_| true), "{}: every seed food", app.label);
        // By name in byte order (then id) on both dialects.
        let mut sorted: Vec<(String, String)> = rows
            .iter()
            .map(|f| (f["name"].as_str().unwrap().to_owned(), f["id"].as_str().unwrap().to_owned()))
            .collect();
        let listed = sorted.clone();
        sorted.sort();
        assert_eq!(listed, sorted, "{}: foods listed by name", app.label);

        // A search pages through the same ranking it answers in one page.
        let whole = items(&app, &app.get(&search_path("foods", "chicken", 500), &ada).await);
        assert!(whole.len() > 4, "{}: chicken finds several foods", app.label);
        let (paged, pages) = walk(&app, &ada, &search_path("foods", "chicken", 2)).await;
        assert_eq!(pages, whole.len().div_ceil(2), "{}", app.label);
        assert_eq!(names(&paged), names(&whole), "{}: the search's pages", app.label);

        // A plain list's cursor is not a search's.
        let listed = app.get(&format!("{LIBRARY}/foods?limit=1"), &ada).await;
        let cursor = listed.body["nextCursor"].as_str().unwrap().to_owned();
        let mixed = format!("{}&cursor={}", search_path("foods", "chicken", 2), encoded(&cursor));
        let reply = app.get(&mixed, &ada).await;
        reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(reply.body["errors"][0]["field"], "cursor", "{}", reply.body);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn one_row_by_id_and_unknown_ids_are_404(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        for kind in ["foods", "nutrients", "supplements", "exercises", "programs"] {
            let first = items(&app, &app.get(&format!("{LIBRARY}/{kind}?limit=1"), &ada).await);
            let id = first[0]["id"].as_str().unwrap();
            let one = app.get(&format!("{LIBRARY}/{kind}/{id}"), &ada).await;
            assert_eq!(one.status, StatusCode::OK, "{}: {kind}/{id}: {}", app.label, one.body);
            assert_eq!(one.body, first[0], "{}: {kind}: the row as listed", app.label);
            assert!(one.body["source"].as_str().is_some_and(|s| !s.is_empty()), "{kind} cited");

            let unknown = app
                .get(&format!("{LIBRARY}/{kind}/00000000-0000-4000-8000-000000000000"), &ada)
                .await;
            unknown.assert_problem(StatusCode::NOT_FOUND, "not_found");
            let malformed = app.get(&format!("{LIBRARY}/{kind}/not-a-uuid"), &ada).await;
            assert!(malformed.status.is_client_error(), "{}: {kind}: {}", app.label, malformed.body);
            assert_eq!(malformed.content_type(), "application/problem+json");
        }
        // Another kind's id is not found either.
        let food = &items(&app, &app.get(&search_path("foods", "chiken brest", 1), &ada).await)[0];
        assert_eq!(food["name"], "Chicken, poultry, breast, skinless");
        let food_id = food["id"].as_str().unwrap();
        app.get(&format!("{LIBRARY}/exercises/{food_id}"), &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        let one = app.get(&format!("{LIBRARY}/foods/{food_id}"), &ada).await;
        assert_eq!(one.body["foodGroup"], "Poultry");
        assert!(one.body["nutrients"].as_object().is_some_and(|n| n.len() > 10), "{}", one.body);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn bad_queries_are_problems_never_500(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let long = "a".repeat(101);
        for kind in ["foods", "nutrients", "supplements", "exercises", "programs"] {
            let reply = app.get(&search_path(kind, &long, 10), &ada).await;
            reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
            assert_eq!(reply.body["errors"][0]["field"], "q", "{}: {kind}: {}", app.label, reply.body);
            // 100 characters are a search (that finds nothing much).
            let at_most = app.get(&search_path(kind, &"a".repeat(100), 10), &ada).await;
            assert_eq!(at_most.status, StatusCode::OK, "{}: {kind}: {}", app.label, at_most.body);
        }
        for path in [
            "foods?colour=red",
            "foods?muscle=quads",
            "exercises?minProteinG=10",
            "programs?group=Poultry",
            "nutrients?goal=strength",
            "foods?minProteinG=lots",
            "foods?minProteinG=-1",
            "exercises?equipment=spaceship",
            "exercises?level=expert",
            "programs?goal=flying",
            "programs?daysPerWeek=9",
            "foods?limit=0",
            "foods?limit=501",
            "foods?cursor=not-a-cursor",
            "foods?q=rice&cursor=not-a-cursor",
        ] {
            let reply = app.get(&format!("{LIBRARY}/{path}"), &ada).await;
            assert!(
                reply.status.is_client_error(),
                "{}: {path} answered {}: {}",
                app.label,
                reply.status,
                reply.body
            );
            assert_eq!(reply.content_type(), "application/problem+json", "{path}: {}", reply.body);
            assert!(reply.body["code"].is_string(), "{path}: {}", reply.body);
        }
        // Odd but harmless searches answer 200.
        for q in ["%", "_", "'; DROP TABLE foods; --", "\"", "   ", "ü", "🍗 chicken", "a"] {
            let reply = app.get(&search_path("foods", q, 5), &ada).await;
            assert_eq!(reply.status, StatusCode::OK, "{}: q={q:?}: {}", app.label, reply.body);
        }
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn the_library_needs_a_token(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        for path in [
            "foods",
            "foods?q=rice",
            "nutrients",
            "supplements",
            "exercises?muscle=quads",
            "programs",
            "foods/00000000-0000-4000-8000-000000000000",
        ] {
            for token in [None, Some("not-a-token")] {
                let reply = app.call(Method::GET, &format!("{LIBRARY}/{path}"), token, None).await;
                assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}: {path}: {}", app.label, reply.body);
                assert_eq!(reply.content_type(), "application/problem+json", "{path}");
            }
        }
        app.stop().await;
    }
}

/// `lifeos library load` against `db_url`: its exit status and what it printed.
fn library_load(db_url: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lifeos"))
        .args(["library", "load"])
        .current_dir(dir.path())
        .env("LIFEOS_ENV", "dev")
        .env(
            "LIFEOS_VAULT_KEYS",
            "t:a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=",
        )
        .env("DATABASE_URL", db_url)
        .env("LIFEOS_JWT_SECRET", JWT_SECRET)
        .env("LIFEOS_MAIL_DIR", dir.path())
        .env("LIFEOS_DB_MAX_CONNECTIONS", "2")
        .env("RUST_LOG", "warn")
        .env_remove("LIFEOS_SMTP_URL")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("lifeos runs");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), printed)
}

/// "dataset: version V, R rows, C inserted or changed" lines: dataset -> (rows, changed).
fn load_report(printed: &str) -> std::collections::BTreeMap<String, (u64, u64)> {
    printed
        .lines()
        .filter_map(|line| {
            let (dataset, rest) = line.split_once(": version ")?;
            let numbers: Vec<u64> = rest
                .split(|c: char| !c.is_ascii_digit())
                .filter(|part| !part.is_empty())
                .map(|part| part.parse().unwrap())
                .collect();
            match numbers[..] {
                [_version, rows, changed] => Some((dataset.trim().to_owned(), (rows, changed))),
                _ => None,
            }
        })
        .collect()
}

lifeos_kernel::dialect_test! {
    async fn library_load_twice_changes_nothing_the_second_time(db: TestDatabase) {
        let (ok, first) = library_load(&db.url);
        assert!(ok, "{}: first load: {first}", db.label);
        let first = load_report(&first);
        let (ok, second) = library_load(&db.url);
        assert!(ok, "{}: second load: {second}", db.label);
        let second = load_report(&second);

        let expected_rows = [
            ("nutrients", 41),
            ("foods", 542),
            ("supplements", 24),
            ("exercises", 222),
            ("programs", 10),
        ];
        for (dataset, rows) in expected_rows {
            assert_eq!(first.get(dataset), Some(&(rows, rows)), "{}: {dataset} loaded: {first:?}", db.label);
        }
        assert!(first.contains_key("nutrition_templates") && first.contains_key("recommendation_rules"), "{first:?}");
        assert_eq!(second.len(), first.len(), "{}: {second:?}", db.label);
        for (dataset, (rows, changed)) in &second {
            assert_eq!(*changed, 0, "{}: {dataset} changed on the second load: {second:?}", db.label);
            assert_eq!(Some(rows), first.get(dataset).map(|(rows, _)| rows), "{dataset}");
        }

        // The served API holds exactly those rows, and searches them.
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        for (dataset, rows) in expected_rows {
            let (listed, _) = walk(&app, &ada, &format!("{LIBRARY}/{dataset}?limit=500")).await;
            assert_eq!(listed.len(), rows as usize, "{}: {dataset}", app.label);
        }
        let found = items(&app, &app.get(&search_path("foods", "chiken brest", 1), &ada).await);
        assert_eq!(names(&found), ["Chicken, poultry, breast, skinless"], "{}", app.label);
        app.stop().await;

        // A load while the data is served (serve loaded nothing new) still changes nothing.
        let (ok, third) = library_load(&db.url);
        assert!(ok, "{}: third load: {third}", db.label);
        assert!(load_report(&third).values().all(|(_, changed)| *changed == 0), "{}: {third}", db.label);
    }
}
