//! Gamification as a user lives it, with the test clock: thirty days in Berlin with
//! `dayStartHour` 4 (every stat, every level-up, badges), rest and missed days, the
//! 48-hour grace for offline completions, undo, habit stats and summaries, a traveller
//! flying Los Angeles -> Tokyo -> Los Angeles, and both Berlin DST changes.

use lifeos_kernel::Timestamp;
use lifeos_kernel::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::macros::date;
use time::{Date, Duration, Weekday};

use crate::common::seed::track;
use crate::common::{Reply, TestApp};

/// A signed-in user whose token is renewed whenever the clock moves (access tokens live
/// 15 minutes).
struct Person<'a> {
    app: &'a TestApp,
    email: &'static str,
    token: String,
    signed_in_at: Timestamp,
}

impl<'a> Person<'a> {
    /// Registers `email` at `now` (RFC 3339) in `zone` with `day_start_hour`.
    async fn register(
        app: &'a TestApp,
        email: &'static str,
        now: &str,
        zone: &str,
        day_start_hour: i32,
    ) -> Person<'a> {
        app.clock.set(Timestamp::parse(now).unwrap());
        let token = app.user(email).await;
        let person = Person {
            app,
            email,
            token,
            signed_in_at: app.now(),
        };
        person.settle(zone, day_start_hour).await;
        person
    }

    async fn settle(&self, zone: &str, day_start_hour: i32) {
        let me = self
            .call(
                Method::PATCH,
                "/api/v1/me",
                Some(json!({ "timezone": zone, "dayStartHour": day_start_hour })),
            )
            .await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    }

    async fn move_to(&self, zone: &str) {
        let me = self
            .call(
                Method::PATCH,
                "/api/v1/me",
                Some(json!({ "timezone": zone })),
            )
            .await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.body);
        assert_eq!(me.body["timezone"], zone);
    }

    /// Moves the clock to `instant` (RFC 3339 with the local offset).
    async fn at(&mut self, instant: &str) {
        self.app.clock.set(Timestamp::parse(instant).unwrap());
        let since = self.app.now().since(self.signed_in_at);
        if since >= Duration::minutes(10) || since < Duration::ZERO {
            self.token = self.app.login(self.email).await;
            self.signed_in_at = self.app.now();
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.app.call(method, path, Some(&self.token), body).await
    }

    async fn get(&self, path: &str) -> Value {
        let reply = self.app.get(path, &self.token).await;
        assert_eq!(reply.status, StatusCode::OK, "GET {path}: {}", reply.body);
        reply.body
    }

    async fn complete_with(&self, node: &str, body: Value) -> Reply {
        self.app
            .post(
                &format!("/api/v1/nodes/{node}/complete"),
                Some(&self.token),
                body,
            )
            .await
    }

    /// Completes `node` now; asserts 201 and returns the answer.
    async fn complete(&self, node: &str) -> Value {
        let reply = self.complete_with(node, json!({})).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{} at {}: complete {node}: {}",
            self.app.label,
            self.app.now(),
            reply.body
        );
        reply.body
    }

    async fn stats(&self) -> Value {
        self.get("/api/v1/me/stats").await
    }

    async fn undo(&self, completion: &str) -> Reply {
        self.call(
            Method::DELETE,
            &format!("/api/v1/completions/{completion}"),
            None,
        )
        .await
    }

    async fn node(&self, track: &str, body: Value) -> String {
        let reply = self
            .app
            .post(
                &format!("/api/v1/tracks/{track}/nodes"),
                Some(&self.token),
                body,
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["id"].as_str().unwrap().to_owned()
    }

    async fn task(&self, track: &str, title: &str) -> String {
        self.node(track, json!({ "type": "task", "title": title }))
            .await
    }

    async fn milestone(&self, track: &str, title: &str) -> String {
        self.node(track, json!({ "type": "milestone", "title": title }))
            .await
    }

    /// A habit with `schedule` (the habit-schedule body).
    async fn habit(&self, track: &str, title: &str, schedule: Value) -> String {
        let id = self
            .node(track, json!({ "type": "habit", "title": title }))
            .await;
        let reply = self
            .call(
                Method::PUT,
                &format!("/api/v1/nodes/{id}/habit-schedule"),
                Some(schedule),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        id
    }

    async fn plan_free(&self, date: Date) {
        let reply = self
            .app
            .post(
                "/api/v1/day-types",
                Some(&self.token),
                json!({ "date": date.to_string(), "plannedType": "free" }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
}

/// `date` at `hh:mm` on Berlin's wall clock, as RFC 3339 (CEST from 2026-03-29 03:00 to
/// 2026-10-25 03:00; the repeated 02:xx of October is not used).
fn berlin(date: Date, hh_mm: &str) -> String {
    let hour: u8 = hh_mm[..2].parse().unwrap();
    let (spring, autumn) = (date!(2026 - 03 - 29), date!(2026 - 10 - 25));
    let summer = (date > spring || (date == spring && hour >= 3))
        && (date < autumn || (date == autumn && hour < 2));
    let offset = if summer { "+02:00" } else { "+01:00" };
    format!("{date}T{hh_mm}:00{offset}")
}

/// The level a total reaches: `xp_to_next(level) = level * 100`, so level `l` begins at
/// `50 * l * (l - 1)` XP. (level, xpIntoLevel, xpToNext).
fn level_of(xp: i64) -> (i64, i64, i64) {
    let mut level = 1;
    while xp >= 50 * (level + 1) * level {
        level += 1;
    }
    (level, xp - 50 * level * (level - 1), level * 100)
}

/// What `GET /me/stats` (or a completion's `stats`) should say.
#[derive(Debug, Clone, Copy)]
struct Expected<'s> {
    xp: i64,
    streak: i64,
    longest: i64,
    last: Option<&'s str>,
    today: i64,
    rest: bool,
}

#[track_caller]
fn assert_stats(stats: &Value, want: Expected<'_>, context: &str) {
    let (level, into, to_next) = level_of(want.xp);
    let expected = json!({
        "xp": want.xp,
        "level": level,
        "xpIntoLevel": into,
        "xpToNext": to_next,
        "currentStreak": want.streak,
        "longestStreak": want.longest,
        "lastActiveOn": want.last,
        "completionsToday": want.today,
        "restDay": want.rest,
    });
    assert_eq!(stats, &expected, "{context}");
}

fn codes(badges: &Value) -> Vec<String> {
    badges
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["code"].as_str().unwrap().to_owned())
        .collect()
}

fn id_of(answer: &Value) -> String {
    answer["completion"]["id"].as_str().unwrap().to_owned()
}

fn days(from: Date, count: i64) -> impl Iterator<Item = Date> {
    (0..count).map(move |i| from + Duration::days(i))
}

/// Every completion in `[from, to]`, following the cursor `limit` at a time.
async fn all_completions(person: &Person<'_>, from: Date, to: Date, limit: u32) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let page = person
            .get(&format!(
                "/api/v1/completions?from={from}&to={to}&limit={limit}&cursor={cursor}"
            ))
            .await;
        let got = page["items"].as_array().unwrap();
        assert!(got.len() <= limit as usize, "{page}");
        items.extend(got.iter().cloned());
        pages += 1;
        assert!(pages < 100, "the cursor ends");
        match page["nextCursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return items,
        }
    }
}

/// Days of the 30-day story on which a milestone is reached too (chosen so that the
/// level-ups land on exactly 100, 300, 600 and 1000 XP).
const MILESTONE_DAYS: [i64; 10] = [0, 2, 4, 5, 15, 16, 17, 18, 19, 21];

lifeos_kernel::dialect_test! {
    async fn levels_and_badges_over_thirty_days(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let start = date!(2026 - 03 - 10);
        let mut ada = Person::register(
            &app, "ada@example.com", &berlin(start, "08:00"), "Europe/Berlin", 4,
        )
        .await;
        let life = track(&app, &ada.token, "Life").await;
        let stretch = ada.habit(&life, "Stretch", json!({ "frequency": "daily" })).await;
        let gym = ada
            .habit(&life, "Gym", json!({ "frequency": "weekly", "daysOfWeek": [1] }))
            .await;
        // Due on day 0 and day 3 of each 7-day block from the first day.
        let swim = ada
            .habit(
                &life,
                "Swim",
                json!({ "frequency": "times_per_period", "times": 2, "periodDays": 7, "startOn": start.to_string() }),
            )
            .await;
        assert_stats(
            &ada.stats().await,
            Expected { xp: 0, streak: 0, longest: 0, last: None, today: 0, rest: false },
            "a new user",
        );

        let mut xp = 0i64;
        let mut completions = 0i64;
        let mut level_ups: Vec<(i64, i64, i64)> = Vec::new();
        let mut earned: Vec<(String, Date)> = Vec::new();
        for (i, day) in days(start, 30).enumerate() {
            let i = i as i64;
            let mut todo: Vec<(String, i64)> = vec![(stretch.clone(), 5)];
            if day.weekday() == Weekday::Monday {
                todo.push((gym.clone(), 5));
            }
            if matches!((day - start).whole_days() % 7, 0 | 3) {
                todo.push((swim.clone(), 5));
            }
            todo.push((ada.task(&life, &format!("Task {day}")).await, 10));
            if MILESTONE_DAYS.contains(&i) {
                todo.push((ada.milestone(&life, &format!("Milestone {day}")).await, 50));
            }
            // Day 4 is done late at night: 01:30 on the next date still belongs to it.
            let when = if i == 4 {
                berlin(day + Duration::days(1), "01:30")
            } else {
                berlin(day, "09:00")
            };
            ada.at(&when).await;
            for (n, (node, award)) in todo.iter().enumerate() {
                let answer = ada.complete(node).await;
                let context = format!("{}: day {i} ({day}) completion {n}: {answer}", app.label);
                assert_eq!(answer["completion"]["localDate"], day.to_string(), "{context}");
                assert_eq!(answer["xpAwarded"], *award, "{context}");
                assert_eq!(answer["completion"]["xpAwarded"], *award, "{context}");
                let before = level_of(xp).0;
                xp += award;
                completions += 1;
                let after = level_of(xp).0;
                if after > before {
                    assert_eq!(answer["levelUp"], json!({ "from": before, "to": after }), "{context}");
                    level_ups.push((xp, before, after));
                } else {
                    assert_eq!(answer["levelUp"], Value::Null, "{context}");
                }
                for code in codes(&answer["newBadges"]) {
                    earned.push((code, day));
                }
                assert_stats(
                    &answer["stats"],
                    Expected {
                        xp,
                        streak: i + 1,
                        longest: i + 1,
                        last: Some(&day.to_string()),
                        today: n as i64 + 1,
                        rest: false,
                    },
                    &context,
                );
            }
            assert_stats(
                &ada.stats().await,
                Expected {
                    xp,
                    streak: i + 1,
                    longest: i + 1,
                    last: Some(&day.to_string()),
                    today: todo.len() as i64,
                    rest: false,
                },
                &format!("{}: stats after day {i} ({day})", app.label),
            );
        }

        assert_eq!(
            level_ups,
            vec![(100, 1, 2), (300, 2, 3), (600, 3, 4), (1000, 4, 5)],
            "{}: level-ups at exactly 100, 300, 600 and 1000 XP",
            app.label
        );
        assert_eq!(xp, 1015);
        let on = |code: &str| earned.iter().find(|(c, _)| c == code).map(|(_, d)| *d);
        assert_eq!(on("first_completion"), Some(start), "{earned:?}");
        assert_eq!(on("streak_3"), Some(date!(2026 - 03 - 12)), "{earned:?}");
        assert_eq!(on("streak_7"), Some(date!(2026 - 03 - 16)), "{earned:?}");
        assert_eq!(on("streak_21"), Some(date!(2026 - 03 - 30)), "{earned:?}");
        assert_eq!(on("level_5"), Some(date!(2026 - 04 - 07)), "{earned:?}");
        let unique: std::collections::BTreeSet<&String> = earned.iter().map(|(c, _)| c).collect();
        assert_eq!(unique.len(), earned.len(), "each badge once: {earned:?}");

        let mine = ada.get("/api/v1/me/badges").await;
        let mut mine_codes = codes(&mine);
        mine_codes.sort();
        let mut earned_codes: Vec<String> = earned.iter().map(|(c, _)| c.clone()).collect();
        earned_codes.sort();
        assert_eq!(mine_codes, earned_codes, "{mine}");
        assert!(mine.as_array().unwrap().iter().all(|b| b["earnedAt"].is_string()));

        let catalog = ada.get("/api/v1/badges").await;
        let badge = |code: &str| {
            catalog
                .as_array()
                .unwrap()
                .iter()
                .find(|b| b["code"] == code)
                .cloned()
                .unwrap_or_else(|| panic!("{code} in {catalog}"))
        };
        assert_eq!(catalog.as_array().unwrap().len(), 15, "{catalog}");
        assert_eq!(badge("first_completion")["progress"], 1);
        assert!(badge("first_completion")["earnedAt"].is_string());
        assert_eq!(badge("streak_50")["progress"], 30, "{catalog}");
        assert_eq!(badge("streak_50")["threshold"], 50);
        assert_eq!(badge("streak_50")["earnedAt"], Value::Null);
        assert_eq!(badge("streak_100")["progress"], 30);
        assert_eq!(badge("streak_21")["progress"], 21, "capped once earned");
        assert_eq!(badge("level_10")["progress"], 5);
        assert_eq!(badge("level_5")["progress"], 5);
        assert_eq!(badge("hours_10")["progress"], 0);
        assert_eq!(badge("first_hike")["progress"], 0);

        // Completions in local dates, newest first, five a page.
        let (monday, sunday) = (date!(2026 - 03 - 16), date!(2026 - 03 - 22));
        let week = all_completions(&ada, monday, sunday, 5).await;
        // Stretch x7, Gym, Swim x2, a task a day, milestones on days 15..=19 are later.
        assert_eq!(week.len(), 7 + 1 + 2 + 7, "{}: {week:?}", app.label);
        let dates: Vec<&str> = week.iter().map(|c| c["localDate"].as_str().unwrap()).collect();
        let mut sorted = dates.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(dates, sorted, "newest local date first");
        assert_eq!(dates.first(), Some(&"2026-03-22"));
        assert_eq!(dates.last(), Some(&"2026-03-16"));
        let everything = all_completions(&ada, start, start + Duration::days(29), 500).await;
        assert_eq!(everything.len() as i64, completions);

        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn rest_days_and_missed_days(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let mut bo = Person::register(
            &app, "bo@example.com", "2026-03-09T08:00:00+01:00", "Europe/Berlin", 4,
        )
        .await;
        let home = track(&app, &bo.token, "Home").await;
        // Due on Mondays only; every other day has nothing due unless a task is.
        let gym = bo
            .habit(&home, "Gym", json!({ "frequency": "weekly", "daysOfWeek": [1] }))
            .await;
        let mut tasks = Vec::new();
        for n in 0..6 {
            tasks.push(bo.task(&home, &format!("Chore {n}")).await);
        }
        bo.node(&home, json!({ "type": "task", "title": "Taxes", "dueOn": "2026-03-13" }))
            .await;
        let stats = |xp, streak, longest, last: &'static str, today, rest| Expected {
            xp,
            streak,
            longest,
            last: Some(last),
            today,
            rest,
        };

        bo.at("2026-03-09T09:00:00+01:00").await;
        let first = bo.complete(&gym).await;
        assert_eq!(codes(&first["newBadges"]), vec!["first_completion"]);
        assert_stats(&bo.stats().await, stats(5, 1, 1, "2026-03-09", 1, false), "Monday: Gym");

        bo.at("2026-03-10T09:00:00+01:00").await;
        assert_stats(&bo.stats().await, stats(5, 1, 1, "2026-03-09", 0, true), "Tuesday: nothing due");
        bo.complete(&tasks[0]).await;
        assert_stats(&bo.stats().await, stats(15, 2, 2, "2026-03-10", 1, true), "Tuesday: a chore");

        // Wednesday: nothing due, nothing planned, nothing done: a rest day.
        bo.at("2026-03-11T20:00:00+01:00").await;
        assert_stats(&bo.stats().await, stats(15, 2, 2, "2026-03-10", 0, true), "Wednesday");

        bo.at("2026-03-12T09:00:00+01:00").await;
        assert_stats(&bo.stats().await, stats(15, 2, 2, "2026-03-10", 0, true), "Thursday: Wednesday rested");
        let third = bo.complete(&tasks[1]).await;
        assert_eq!(codes(&third["newBadges"]), vec!["streak_3"], "{third}");
        assert_stats(&bo.stats().await, stats(25, 3, 3, "2026-03-12", 1, true), "the rest day did not extend it");

        // Friday the taxes were due and nothing was done: Saturday reads 0.
        bo.at("2026-03-13T20:00:00+01:00").await;
        assert_stats(&bo.stats().await, stats(25, 3, 3, "2026-03-12", 0, false), "Friday: taxes due");
        bo.at("2026-03-14T09:00:00+01:00").await;
        assert_stats(&bo.stats().await, stats(25, 0, 3, "2026-03-12", 0, true), "Saturday after a missed Friday");
        let again = bo.complete(&tasks[2]).await;
        assert_eq!(again["stats"]["currentStreak"], 1, "{again}");
        assert_stats(&bo.stats().await, stats(35, 1, 3, "2026-03-14", 1, true), "Saturday");

        // Sunday evening Monday is planned free: Gym is due, yet Monday is a rest day.
        bo.at("2026-03-15T20:00:00+01:00").await;
        bo.plan_free(date!(2026 - 03 - 16)).await;
        bo.at("2026-03-16T12:00:00+01:00").await;
        assert_stats(&bo.stats().await, stats(35, 1, 3, "2026-03-14", 0, true), "Monday planned free");
        bo.at("2026-03-17T09:00:00+01:00").await;
        assert_stats(&bo.stats().await, stats(35, 1, 3, "2026-03-14", 0, true), "Tuesday: Sunday and Monday rested");
        bo.complete(&tasks[3]).await;
        assert_stats(&bo.stats().await, stats(45, 2, 3, "2026-03-17", 1, true), "kept, not extended");

        // The next Monday is planned free only at 10:00 that day: too late to rest.
        bo.at("2026-03-23T10:00:00+01:00").await;
        bo.plan_free(date!(2026 - 03 - 23)).await;
        assert_stats(&bo.stats().await, stats(45, 2, 3, "2026-03-17", 0, false), "Monday planned free too late");
        bo.at("2026-03-24T09:00:00+01:00").await;
        assert_stats(&bo.stats().await, stats(45, 0, 3, "2026-03-17", 0, true), "Monday was missed");
        let reset = bo.complete(&tasks[4]).await;
        assert_eq!(reset["stats"]["currentStreak"], 1, "{reset}");
        assert_eq!(reset["newBadges"], json!([]));
        assert_stats(&bo.stats().await, stats(55, 1, 3, "2026-03-24", 1, true), "a new streak");

        let badges = bo.get("/api/v1/me/badges").await;
        assert_eq!(codes(&badges), vec!["first_completion", "streak_3"]);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn offline_grace_window(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let mut cy = Person::register(
            &app, "cy@example.com", "2026-03-09T08:00:00+01:00", "Europe/Berlin", 4,
        )
        .await;
        let body = track(&app, &cy.token, "Body").await;
        let stretch = cy.habit(&body, "Stretch", json!({ "frequency": "daily" })).await;
        let read = cy.habit(&body, "Read", json!({ "frequency": "daily" })).await;
        let on = |date: &str| json!({ "localDate": date });
        let streak_after = |answer: &Value| answer["stats"]["currentStreak"].as_i64().unwrap();

        cy.at("2026-03-09T09:00:00+01:00").await;
        cy.complete(&stretch).await;

        // Wednesday's completion arrives before Tuesday's (offline on Tuesday).
        cy.at("2026-03-11T10:00:00+01:00").await;
        let wednesday = cy.complete(&stretch).await;
        assert_eq!(streak_after(&wednesday), 1, "Tuesday looks missed: {wednesday}");
        let tuesday = cy.complete_with(&stretch, on("2026-03-10")).await;
        assert_eq!(tuesday.status, StatusCode::CREATED, "{}", tuesday.body);
        assert_eq!(tuesday.body["completion"]["localDate"], "2026-03-10");
        assert_eq!(streak_after(&tuesday.body), 3, "the late Tuesday fills the gap: {}", tuesday.body);
        assert_eq!(codes(&tuesday.body["newBadges"]), vec!["streak_3"]);
        assert_stats(
            &cy.stats().await,
            Expected { xp: 15, streak: 3, longest: 3, last: Some("2026-03-11"), today: 1, rest: false },
            "after the offline Tuesday",
        );

        // Thursday 12th ended at Friday 04:00; its grace ends Sunday 15th 04:00.
        cy.at("2026-03-15T03:59:59+01:00").await;
        let thursday = cy.complete_with(&stretch, on("2026-03-12")).await;
        assert_eq!(thursday.status, StatusCode::CREATED, "within 48 hours: {}", thursday.body);
        // Friday has passed without one (as far as the server knows).
        assert_eq!(streak_after(&thursday.body), 0, "{}", thursday.body);
        assert_eq!(thursday.body["stats"]["longestStreak"], 4, "{}", thursday.body);
        cy.at("2026-03-15T04:00:01+01:00").await;
        cy.complete_with(&read, on("2026-03-12"))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "completion_too_late");
        // Saturday 14th has just ended without a completion: the streak reads 0 ...
        assert_stats(
            &cy.stats().await,
            Expected { xp: 20, streak: 0, longest: 4, last: Some("2026-03-12"), today: 0, rest: false },
            "Saturday ended without one",
        );
        // ... until the offline Friday and Saturday arrive.
        let friday = cy.complete_with(&stretch, on("2026-03-13")).await;
        assert_eq!(friday.status, StatusCode::CREATED, "{}", friday.body);
        let saturday = cy.complete_with(&stretch, on("2026-03-14")).await;
        assert_eq!(saturday.status, StatusCode::CREATED, "{}", saturday.body);
        assert_stats(
            &cy.stats().await,
            Expected { xp: 30, streak: 6, longest: 6, last: Some("2026-03-14"), today: 0, rest: false },
            "the offline days filled the streak",
        );
        cy.complete_with(&stretch, on("2026-03-16"))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "completion_in_future");
        cy.complete_with(&stretch, on("2026-03-14"))
            .await
            .assert_problem(StatusCode::CONFLICT, "already_completed");
        let ahead = (cy.app.now() + Duration::minutes(10)).to_string();
        cy.complete_with(&stretch, json!({ "completedAt": ahead }))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

        cy.at("2026-03-15T09:00:00+01:00").await;
        let sunday = cy.complete(&stretch).await;
        assert_eq!(codes(&sunday["newBadges"]), vec!["streak_7"], "{sunday}");
        // 01:30 on Monday belongs to Sunday (the day starts at 04:00).
        cy.at("2026-03-16T01:30:00+01:00").await;
        let late = cy.complete(&read).await;
        assert_eq!(late["completion"]["localDate"], "2026-03-15", "{late}");
        assert_stats(
            &cy.stats().await,
            Expected { xp: 40, streak: 7, longest: 7, last: Some("2026-03-15"), today: 2, rest: false },
            "01:30 is still Sunday",
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn undo_reverses_exactly(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let mut di = Person::register(
            &app, "di@example.com", "2026-03-09T08:00:00+01:00", "Europe/Berlin", 4,
        )
        .await;
        let work = track(&app, &di.token, "Work").await;
        let stretch = di.habit(&work, "Stretch", json!({ "frequency": "daily" })).await;
        let write = di.task(&work, "Write").await;
        let review = di.task(&work, "Review").await;
        let launch = di.milestone(&work, "Launch").await;
        let ship = di.milestone(&work, "Ship").await;

        di.at("2026-03-09T09:00:00+01:00").await;
        di.complete(&stretch).await;
        di.complete(&write).await;
        di.complete(&launch).await;
        di.at("2026-03-10T09:00:00+01:00").await;
        di.complete(&stretch).await;
        let reviewed = di.complete(&review).await;
        assert_eq!(reviewed["stats"]["xp"], 80);
        di.at("2026-03-11T08:30:00+01:00").await;

        // Undo within 24 hours: the task is open again and its XP is gone.
        let undone = di.undo(&id_of(&reviewed)).await;
        assert_eq!(undone.status, StatusCode::OK, "{}", undone.body);
        assert_eq!(undone.body["xpReversed"], 10);
        assert_eq!(undone.body["completionId"], id_of(&reviewed));
        assert_stats(
            &undone.body["stats"],
            Expected { xp: 70, streak: 2, longest: 2, last: Some("2026-03-10"), today: 0, rest: false },
            "after undoing the review",
        );
        assert_eq!(di.get(&format!("/api/v1/nodes/{review}")).await["status"], "open");
        di.undo(&id_of(&reviewed)).await.assert_problem(StatusCode::NOT_FOUND, "not_found");
        let redone = di.complete(&review).await;
        assert_eq!(redone["xpAwarded"], 10);
        assert_eq!(codes(&redone["newBadges"]), vec!["streak_3"], "{redone}");
        assert_eq!(redone["completion"]["localDate"], "2026-03-11");
        assert_eq!(di.get(&format!("/api/v1/nodes/{review}")).await["status"], "done");

        let write_id = all_completions(&di, date!(2026 - 03 - 09), date!(2026 - 03 - 09), 10)
            .await
            .into_iter()
            .find(|c| c["nodeId"] == write.as_str())
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        di.undo(&write_id)
            .await
            .assert_problem(StatusCode::CONFLICT, "undo_window_passed");
        let other = app.user("eve@example.com").await;
        app.call(Method::DELETE, &format!("/api/v1/completions/{}", id_of(&redone)), Some(&other), None)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");

        // Undos recompute the streak but keep the badge.
        di.at("2026-03-11T09:00:00+01:00").await;
        let third = di.complete(&stretch).await;
        assert_eq!(third["newBadges"], json!([]), "{third}");
        assert_eq!(third["stats"]["xp"], 85);
        let level_two = di.complete(&ship).await;
        assert_eq!(level_two["levelUp"], json!({ "from": 1, "to": 2 }), "{level_two}");
        assert_eq!(level_two["stats"]["xp"], 135);
        di.at("2026-03-11T10:00:00+01:00").await;
        let back = di.undo(&id_of(&level_two)).await;
        assert_eq!(back.body["xpReversed"], 50, "{}", back.body);
        assert_eq!(back.body["stats"]["level"], 1);
        assert_eq!(back.body["stats"]["xpIntoLevel"], 85);
        assert_eq!(back.body["stats"]["xpToNext"], 100);
        assert_eq!(di.get(&format!("/api/v1/nodes/{ship}")).await["status"], "open");
        let unstretched = di.undo(&id_of(&third)).await;
        assert_eq!(unstretched.status, StatusCode::OK, "{}", unstretched.body);
        // Monday, Tuesday, and Wednesday still has the redone review.
        assert_stats(
            &di.stats().await,
            Expected { xp: 80, streak: 3, longest: 3, last: Some("2026-03-11"), today: 1, rest: false },
            "Wednesday keeps the review",
        );
        let review_again = di.undo(&id_of(&redone)).await;
        assert_eq!(review_again.status, StatusCode::OK, "{}", review_again.body);
        assert_stats(
            &di.stats().await,
            Expected { xp: 70, streak: 2, longest: 2, last: Some("2026-03-10"), today: 0, rest: false },
            "Wednesday has nothing left",
        );
        let kept = codes(&di.get("/api/v1/me/badges").await);
        assert_eq!(kept, vec!["first_completion", "streak_3"], "badges are never taken away");

        // A retry with the same id answers the first result and awards nothing twice.
        let id = "0195f3a0-0000-7000-8000-000000000001";
        let once = di.complete_with(&stretch, json!({ "id": id })).await;
        assert_eq!(once.status, StatusCode::CREATED, "{}", once.body);
        assert_eq!(once.body["newBadges"], json!([]), "streak_3 is not earned twice");
        let twice = di.complete_with(&stretch, json!({ "id": id })).await;
        assert_eq!(twice.status, StatusCode::OK, "{}", twice.body);
        assert_eq!(twice.body["completion"], once.body["completion"]);
        assert_eq!(di.stats().await["xp"], 75);
        let listed = all_completions(&di, date!(2026 - 03 - 09), date!(2026 - 03 - 11), 100).await;
        // Monday x3, Tuesday x1 (the review was undone), Wednesday's retried stretch.
        assert_eq!(listed.len(), 5, "undone completions are not listed: {listed:?}");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn habit_stats_and_summaries(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let start = date!(2026 - 03 - 02);
        let mut fay = Person::register(
            &app, "fay@example.com", &berlin(start, "08:00"), "Europe/Berlin", 4,
        )
        .await;
        let body = track(&app, &fay.token, "Body").await;
        let work = track(&app, &fay.token, "Work").await;
        let stretch = fay.habit(&body, "Stretch", json!({ "frequency": "daily" })).await;
        let gym = fay
            .habit(&body, "Gym", json!({ "frequency": "weekly", "daysOfWeek": [1] }))
            .await;
        // Due on the 2nd, 5th, 9th, 12th, 16th, 19th ... ; done on any two days of a block.
        let swim = fay
            .habit(
                &body,
                "Swim",
                json!({ "frequency": "times_per_period", "times": 2, "periodDays": 7, "startOn": "2026-03-02" }),
            )
            .await;
        let task = fay.task(&work, "Plan").await;
        let milestone = fay.milestone(&work, "Draft").await;
        let stretch_stats = format!("/api/v1/habits/{stretch}/stats");
        let m = 0.5f64.powf(1.0 / 13.0);

        let mut strengths = Vec::new();
        for day in days(start, 19) {
            fay.at(&berlin(day, "09:00")).await;
            if day == date!(2026 - 03 - 16) {
                continue;
            }
            if day == date!(2026 - 03 - 17) {
                let before = fay.get(&stretch_stats).await;
                let s = before["strength"].as_f64().unwrap();
                let best = *strengths.last().unwrap();
                assert!(s < best && s > best - 0.06, "one miss costs a little: {best} -> {s}");
                assert_eq!(before["currentStreak"], 0, "{before}");
                assert_eq!(before["longestStreak"], 14);
            }
            fay.complete(&stretch).await;
            match day.day() {
                2 => {
                    fay.complete(&gym).await;
                    fay.complete(&task).await;
                }
                3 => {
                    fay.complete(&swim).await;
                }
                4 => {
                    fay.complete(&swim).await;
                    fay.complete(&milestone).await;
                }
                6 => {
                    // A third swim in the block.
                    fay.complete_with(&swim, json!({}))
                        .await
                        .assert_problem(StatusCode::CONFLICT, "already_completed");
                }
                9 => {
                    fay.complete(&gym).await;
                }
                10 => {
                    fay.complete(&swim).await;
                }
                _ => {}
            }
            let stats = fay.get(&stretch_stats).await;
            let s = stats["strength"].as_f64().unwrap();
            assert!(s > 0.0 && s <= 1.0, "{stats}");
            if day < date!(2026 - 03 - 16) {
                let n = (day - start).whole_days() + 1;
                assert!((s - (1.0 - m.powi(n as i32))).abs() < 1e-6, "{day}: {s} after {n} in a row");
                if let Some(last) = strengths.last() {
                    assert!(s > *last, "{day}: strength grows over a run");
                }
                assert_eq!(stats["currentStreak"], n, "{stats}");
                assert_eq!(stats["longestStreak"], n);
            }
            strengths.push(s);
        }
        // The swims beyond the block's two were refused; check them on their own.
        fay.at(&berlin(date!(2026 - 03 - 20), "10:00")).await;
        let swim_week = fay.complete_with(&swim, json!({ "localDate": "2026-03-19" })).await;
        assert_eq!(swim_week.status, StatusCode::CREATED, "{}", swim_week.body);
        fay.complete_with(&swim, json!({ "localDate": "2026-03-19" }))
            .await
            .assert_problem(StatusCode::CONFLICT, "already_completed");
        fay.complete(&swim).await;
        fay.complete_with(&swim, json!({ "localDate": "2026-03-18" }))
            .await
            .assert_problem(StatusCode::CONFLICT, "already_completed");
        fay.complete_with(&gym, json!({}))
            .await
            .assert_problem(StatusCode::CONFLICT, "habit_not_due");

        let stats = fay.get(&stretch_stats).await;
        assert_eq!(stats["currentStreak"], 4, "{stats}");
        assert_eq!(stats["longestStreak"], 14);
        let rate = stats["completionRate30d"].as_f64().unwrap();
        assert!((rate - 18.0 / 19.0).abs() < 1e-9, "18 of 19 due days: {rate}");
        let history = stats["history"].as_array().unwrap();
        assert_eq!(history.len(), 90);
        assert_eq!(history[89], json!({ "date": "2026-03-20", "due": true, "done": true }));
        assert_eq!(history[89 - 4], json!({ "date": "2026-03-16", "due": true, "done": false }));
        assert_eq!(history[89 - 18], json!({ "date": "2026-03-02", "due": true, "done": true }));
        assert_eq!(history[89 - 19], json!({ "date": "2026-03-01", "due": false, "done": false }));
        assert_eq!(history[0]["date"], "2025-12-21");

        let week = fay.get("/api/v1/me/progress/summary?period=week&date=2026-03-04").await;
        assert_eq!(week["from"], "2026-03-02");
        assert_eq!(week["to"], "2026-03-08");
        let day_rows: Vec<(i64, i64, i64, i64)> = week["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let n = |k: &str| d[k].as_i64().unwrap();
                (n("completions"), n("xp"), n("habitsDue"), n("habitsDone"))
            })
            .collect();
        assert_eq!(
            day_rows,
            vec![(3, 20, 3, 2), (2, 10, 1, 2), (3, 60, 1, 2), (1, 5, 2, 1), (1, 5, 1, 1), (1, 5, 1, 1), (1, 5, 1, 1)],
            "{week}"
        );
        assert_eq!(week["completions"], 12);
        assert_eq!(week["xp"], 110);
        let tracks = week["tracks"].as_array().unwrap();
        let of = |id: &str| tracks.iter().find(|t| t["trackId"] == id).cloned().unwrap();
        assert_eq!((of(&body)["completions"].clone(), of(&body)["xp"].clone()), (json!(10), json!(50)));
        assert_eq!((of(&work)["completions"].clone(), of(&work)["xp"].clone()), (json!(2), json!(60)));

        let month = fay.get("/api/v1/me/progress/summary?period=month&date=2026-03-20").await;
        assert_eq!(month["from"], "2026-03-01");
        assert_eq!(month["to"], "2026-03-31");
        let month_days = month["days"].as_array().unwrap();
        assert_eq!(month_days.len(), 31);
        assert_eq!(month_days[0], json!({ "date": "2026-03-01", "completions": 0, "xp": 0, "habitsDue": 0, "habitsDone": 0 }));
        assert_eq!(month_days[15], json!({ "date": "2026-03-16", "completions": 0, "xp": 0, "habitsDue": 3, "habitsDone": 0 }));
        // Stretch 18, Gym 2, Swim 2 + 1 + 2, the task and the milestone.
        assert_eq!(month["completions"], 27, "{month}");
        assert_eq!(month["xp"], 185);

        app.stop().await;
    }
}

/// Gus keeps a daily journal while flying Los Angeles -> Tokyo -> Los Angeles (UTC-8,
/// UTC+9, UTC-8, January: no DST): the streak grows by one per local day. Returns the
/// journal habit's id.
async fn journal_across_the_pacific(app: &TestApp) -> (Person<'_>, String) {
    let mut gus = Person::register(
        app,
        "gus@example.com",
        "2026-01-10T08:00:00-08:00",
        "America/Los_Angeles",
        0,
    )
    .await;
    let journal_track = track(app, &gus.token, "Journal").await;
    let journal = gus
        .habit(&journal_track, "Journal", json!({ "frequency": "daily" }))
        .await;
    let postcard = gus.task(&journal_track, "Send a postcard").await;
    let streak = |answer: &Value| answer["stats"]["currentStreak"].as_i64().unwrap();

    gus.at("2026-01-10T20:00:00-08:00").await;
    assert_eq!(streak(&gus.complete(&journal).await), 1);
    gus.at("2026-01-11T22:00:00-08:00").await;
    assert_eq!(streak(&gus.complete(&journal).await), 2);

    // Leaves LA at 23:00 on the 11th, lands in Tokyo at 03:00 on the 13th: the 12th
    // passed in the air.
    gus.at("2026-01-13T03:00:00+09:00").await;
    gus.move_to("Asia/Tokyo").await;
    assert_stats(
        &gus.stats().await,
        Expected {
            xp: 10,
            streak: 2,
            longest: 2,
            last: Some("2026-01-11"),
            today: 0,
            rest: false,
        },
        "landed in Tokyo: the flight ended no day early",
    );
    gus.at("2026-01-13T09:00:00+09:00").await;
    let tokyo = gus.complete(&journal).await;
    assert_eq!(tokyo["completion"]["localDate"], "2026-01-13");
    assert_eq!(streak(&tokyo), 3, "{tokyo}");
    gus.at("2026-01-14T21:00:00+09:00").await;
    assert_eq!(streak(&gus.complete(&journal).await), 4);
    gus.at("2026-01-15T08:00:00+09:00").await;
    assert_eq!(streak(&gus.complete(&journal).await), 5);

    // Leaves Tokyo at 17:00 on the 15th, lands in LA at 10:00 on the 15th again.
    gus.at("2026-01-15T10:00:00-08:00").await;
    gus.move_to("America/Los_Angeles").await;
    assert_stats(
        &gus.stats().await,
        Expected {
            xp: 25,
            streak: 5,
            longest: 5,
            last: Some("2026-01-15"),
            today: 1,
            rest: false,
        },
        "back in LA on the same date",
    );
    gus.complete_with(&journal, json!({}))
        .await
        .assert_problem(StatusCode::CONFLICT, "already_completed");
    let card = gus.complete(&postcard).await;
    assert_eq!(card["completion"]["localDate"], "2026-01-15");
    assert_eq!(streak(&card), 5, "the 15th is not counted twice: {card}");
    gus.at("2026-01-16T09:00:00-08:00").await;
    let home = gus.complete(&journal).await;
    assert_stats(
        &home["stats"],
        Expected {
            xp: 40,
            streak: 6,
            longest: 6,
            last: Some("2026-01-16"),
            today: 1,
            rest: false,
        },
        "one more local day, one more",
    );
    (gus, journal)
}

lifeos_kernel::dialect_test! {
    async fn streak_follows_travel(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        journal_across_the_pacific(&app).await;
        app.stop().await;
    }
}

/// When a runner completes day `i` of a run on `day`: just after the day began on even
/// days, just before it ends on odd ones.
fn run_instant(day: Date, i: usize, day_start: u8) -> String {
    if i.is_multiple_of(2) {
        berlin(day, &format!("{day_start:02}:30"))
    } else if day_start == 0 {
        berlin(day, "23:30")
    } else {
        berlin(day + Duration::days(1), &format!("{:02}:30", day_start - 1))
    }
}

/// Daily completions by every runner over `count` days from `first` (the clock only
/// moves forward); each streak grows by one a day.
async fn daily_run(runners: &mut [(Person<'_>, String, u8)], first: Date, count: i64, before: i64) {
    for (i, day) in days(first, count).enumerate() {
        let mut order: Vec<(Timestamp, usize)> = runners
            .iter()
            .enumerate()
            .map(|(r, (_, _, start))| (Timestamp::parse(&run_instant(day, i, *start)).unwrap(), r))
            .collect();
        order.sort();
        for (_, r) in order {
            let (person, habit, day_start) = &mut runners[r];
            let when = run_instant(day, i, *day_start);
            person.at(&when).await;
            let answer = person.complete(habit).await;
            let context = format!(
                "{}: dayStartHour {day_start}, {day} at {when}: {answer}",
                person.app.label
            );
            assert_eq!(
                answer["completion"]["localDate"],
                day.to_string(),
                "{context}"
            );
            assert_eq!(answer["stats"]["currentStreak"], i as i64 + 1, "{context}");
            assert_eq!(
                answer["stats"]["longestStreak"],
                (i as i64 + 1).max(before),
                "{context}"
            );
            assert_eq!(answer["stats"]["completionsToday"], 1, "{context}");
        }
    }
}

lifeos_kernel::dialect_test! {
    async fn streak_across_berlin_dst(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let mut runners = Vec::new();
        for (email, day_start) in [("hal@example.com", 4u8), ("ida@example.com", 0u8)] {
            let person = Person::register(
                &app, email, "2026-03-24T12:00:00+01:00", "Europe/Berlin", i32::from(day_start),
            )
            .await;
            let t = track(&app, &person.token, "Daily").await;
            let habit = person.habit(&t, "Walk", json!({ "frequency": "daily" })).await;
            runners.push((person, habit, day_start));
        }
        daily_run(&mut runners, date!(2026 - 03 - 25), 9, 0).await;
        for (person, _, _) in &mut runners {
            person.at(&berlin(date!(2026 - 10 - 20), "23:00")).await;
            let stats = person.stats().await;
            assert_eq!(stats["currentStreak"], 0, "{stats}");
            assert_eq!(stats["longestStreak"], 9, "{stats}");
            assert_eq!(stats["lastActiveOn"], "2026-04-02");
        }
        daily_run(&mut runners, date!(2026 - 10 - 21), 9, 9).await;
        for (person, _, day_start) in &mut runners {
            person.at(&berlin(date!(2026 - 10 - 29), "12:00")).await;
            let stats = person.stats().await;
            assert_eq!(stats["currentStreak"], 9, "dayStartHour {day_start}: {stats}");
            assert_eq!(stats["longestStreak"], 9);
            assert_eq!(stats["lastActiveOn"], "2026-10-29");
        }
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn week_badges_count_the_completion_that_earns_them(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let start = date!(2026 - 03 - 09);
        let mut jo = Person::register(
            &app, "jo@example.com", &berlin(start, "08:00"), "Europe/Berlin", 4,
        )
        .await;
        let t = track(&app, &jo.token, "Daily").await;
        let stretch = jo.habit(&t, "Stretch", json!({ "frequency": "daily" })).await;
        let read = jo.habit(&t, "Read", json!({ "frequency": "daily" })).await;
        for (i, day) in days(start, 7).enumerate() {
            jo.at(&berlin(day, "09:00")).await;
            let first = jo.complete(&stretch).await;
            let second = jo.complete(&read).await;
            let context = format!("{}: {day}: {first} {second}", app.label);
            // Monday to Friday: the 10th habit of the week is Friday's second.
            let week = if i == 4 { vec!["habits_week_10".to_owned()] } else { vec![] };
            // Every due habit done on 7 days: Sunday's second completion completes the week.
            let perfect = if i == 6 { vec!["perfect_week".to_owned()] } else { vec![] };
            let mut second_codes = codes(&second["newBadges"]);
            second_codes.retain(|c| c == "habits_week_10" || c == "perfect_week");
            let expected: Vec<String> = week.into_iter().chain(perfect).collect();
            assert_eq!(second_codes, expected, "{context}");
        }
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn summary_counts_a_period_habit_done_within_its_period(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let start = date!(2026 - 03 - 02);
        let mut kim = Person::register(
            &app, "kim@example.com", &berlin(start, "08:00"), "Europe/Berlin", 4,
        )
        .await;
        let t = track(&app, &kim.token, "Body").await;
        // Spread over the 2nd and the 5th; done on the 3rd and the 4th.
        let swim = kim
            .habit(
                &t,
                "Swim",
                json!({ "frequency": "times_per_period", "times": 2, "periodDays": 7, "startOn": "2026-03-02" }),
            )
            .await;
        for day in [date!(2026 - 03 - 03), date!(2026 - 03 - 04)] {
            kim.at(&berlin(day, "09:00")).await;
            kim.complete(&swim).await;
        }
        kim.at(&berlin(date!(2026 - 03 - 09), "09:00")).await;
        let week = kim.get("/api/v1/me/progress/summary?period=week&date=2026-03-02").await;
        let rate = week["completionRate"].as_f64().unwrap();
        assert!((rate - 1.0).abs() < 1e-9, "both swims of the block were done: {week}");
        let habit = kim.get(&format!("/api/v1/habits/{swim}/stats")).await;
        assert_eq!(habit["currentStreak"], 2, "{habit}");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn habit_streak_survives_a_flight(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let (gus, journal) = journal_across_the_pacific(&app).await;
        let habit = gus.get(&format!("/api/v1/habits/{journal}/stats")).await;
        assert_eq!(habit["currentStreak"], 6, "as the user streak: {habit}");
        assert_eq!(habit["longestStreak"], 6, "{habit}");
        app.stop().await;
    }
}
