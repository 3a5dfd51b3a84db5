//! The candidate rules, source by source and gate by gate, on hand-made facts.

use lifeos_kernel::Timestamp;
use proptest::prelude::*;
use time::macros::date;
use time::{Date, Duration, Weekday};
use uuid::Uuid;

use super::*;
use crate::candidate::Context;
use crate::ports::{DueHabit, OpenTask, RunningTimer, ServiceDue};

/// Distinct, deterministic ids (the order of ids is a tie-breaker in the candidates' order).
fn next_id() -> Uuid {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    Uuid::from_u128(u128::from(
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
    ))
}

const TODAY: Date = date!(2026 - 12 - 03);

/// 2026-12-03 at `hour:minute` (UTC stands in for the local time), the day ending at midnight.
fn at(hour: u8, minute: u8) -> Situation {
    let midnight = 1_796_256_000; // 2026-12-03T00:00:00Z
    let seconds = midnight + i64::from(hour) * 3600 + i64::from(minute) * 60;
    Situation {
        now: Timestamp::from_unix_seconds(seconds).unwrap(),
        date: TODAY,
        weekday: Weekday::Thursday,
        hour,
        minute,
        minutes_left_in_day: 1440 - i64::from(hour) * 60 - i64::from(minute),
        context: Context::default(),
        user_key: None,
    }
}

fn habit(title: &str, streak: u32) -> DueHabit {
    DueHabit {
        node_id: next_id(),
        title: title.to_owned(),
        track_title: "Health".to_owned(),
        done: false,
        strength: 0.5,
        streak,
    }
}

fn task(title: &str, due_on: Option<Date>) -> OpenTask {
    OpenTask {
        node_id: next_id(),
        title: title.to_owned(),
        track_id: next_id(),
        track_title: "Work".to_owned(),
        milestone: false,
        due_on,
        locked: false,
    }
}

fn rule(code: &str, from_hour: i32, to_hour: i32, day_kinds: &str) -> AdviceRule {
    AdviceRule {
        code: code.to_owned(),
        text: format!("Advice {code}."),
        reason: format!("reason {code}"),
        from_hour,
        to_hour,
        day_kinds: day_kinds.to_owned(),
        weight: 1.0,
    }
}

fn find<'a>(candidates: &'a [Candidate], entity: &str, id: &str) -> Option<&'a Candidate> {
    candidates
        .iter()
        .find(|c| c.source.entity == entity && c.source.id == id)
}

fn feature(candidate: &Candidate, name: &str) -> f64 {
    candidate.features[name]
}

fn busy_facts() -> Facts {
    let mut facts = Facts::default();
    facts.plans.habits = vec![habit("Meditate", 5)];
    facts.plans.tasks = vec![task("Send the report", Some(TODAY))];
    facts.plans.services = vec![ServiceDue {
        maintenance_id: next_id(),
        vehicle: "Golf".to_owned(),
        service: "oil change".to_owned(),
        due_on: TODAY + Duration::days(3),
    }];
    facts.advice = vec![rule("midday_walk", 12, 14, "")];
    facts
}

#[test]
fn a_high_stakes_event_silences_everything() {
    let mut facts = busy_facts();
    facts.brake.in_high_stakes_event = true;
    assert!(gather(&facts, &at(13, 0)).is_empty());
}

#[test]
fn a_free_day_keeps_habits_and_errands_but_no_work() {
    let mut facts = busy_facts();
    let mut milestone = task("Launch", Some(TODAY));
    milestone.milestone = true;
    facts.plans.tasks.push(milestone);
    facts.plans.day = Some(DayKind::Free);
    let candidates = gather(&facts, &at(13, 0));
    assert!(candidates.iter().all(|c| feature(c, "task") == 0.0));
    assert!(candidates.iter().any(|c| feature(c, "habit") == 1.0));
    assert!(
        candidates
            .iter()
            .any(|c| c.source.entity == "vehicle_maintenance")
    );
    assert!(find(&candidates, "advice_rule", "midday_walk").is_some());
    assert_eq!(feature(&candidates[0], "free_day"), 1.0);
}

#[test]
fn locked_nodes_are_never_offered() {
    let mut facts = Facts::default();
    let mut locked = task("Chapter 2", Some(TODAY - Duration::days(3)));
    locked.locked = true;
    let id = locked.node_id.to_string();
    facts.plans.tasks = vec![locked];
    assert!(find(&gather(&facts, &at(9, 0)), "node", &id).is_none());
}

#[test]
fn candidates_below_the_quiet_threshold_are_dropped() {
    let mut facts = Facts::default();
    facts.plans.tasks = vec![task("Someday", Some(TODAY + Duration::days(30)))];
    let mut faint = rule("faint", 0, 24, "");
    faint.weight = 0.2;
    facts.advice = vec![faint];
    assert!(gather(&facts, &at(10, 0)).is_empty());
}

#[test]
fn a_due_habit_says_its_streak() {
    let mut facts = Facts::default();
    let mut done = habit("Stretch", 3);
    done.done = true;
    facts.plans.habits = vec![habit("Meditate", 5), habit("Read", 0), done];
    let candidates = gather(&facts, &at(9, 0));
    assert_eq!(candidates.len(), 2);
    let meditate = candidates
        .iter()
        .find(|c| c.text == "Meditate (Health)")
        .unwrap();
    assert_eq!(meditate.kind, TipKind::Todo);
    assert_eq!(meditate.source.entity, "node");
    assert_eq!(meditate.reason, "due today, streak 5");
    assert_eq!(feature(meditate, "streak"), 5.0);
    assert_eq!(feature(meditate, "strength"), 0.5);
    assert_eq!(feature(meditate, "due_today"), 1.0);
    let read = candidates
        .iter()
        .find(|c| c.text == "Read (Health)")
        .unwrap();
    assert_eq!(read.reason, "due today");
}

#[test]
fn a_streak_at_risk_lifts_due_habits_and_adds_a_warning() {
    let mut facts = Facts::default();
    facts.plans.habits = vec![habit("Meditate", 5)];
    let calm = gather(&facts, &at(21, 0));
    facts.progress.streak_days = 12;
    let risky = gather(&facts, &at(21, 0));
    let warning = find(&risky, "streak", "current").unwrap();
    assert_eq!(warning.kind, TipKind::Advice);
    assert_eq!(warning.reason, "streak 12 at risk, 3 h left today");
    assert_eq!(
        warning.text,
        "Complete one thing today to keep your 12-day streak."
    );
    let habit = risky.iter().find(|c| c.source.entity == "node").unwrap();
    assert_eq!(habit.reason, "due today, streak 12 at risk");
    assert!(feature(habit, "priority") > feature(&calm[0], "priority") + 0.1);
}

#[test]
fn a_streak_is_not_at_risk_early_once_active_or_when_short() {
    let mut facts = Facts::default();
    facts.progress.streak_days = 12;
    assert!(find(&gather(&facts, &at(19, 0)), "streak", "current").is_none());
    let late = gather(&facts, &at(23, 15));
    assert_eq!(
        find(&late, "streak", "current").unwrap().reason,
        "streak 12 at risk, 45 min left today"
    );
    facts.progress.active_today = true;
    assert!(find(&gather(&facts, &at(22, 0)), "streak", "current").is_none());
    facts.progress = Progress {
        streak_days: 1,
        ..Progress::default()
    };
    assert!(find(&gather(&facts, &at(22, 0)), "streak", "current").is_none());
}

#[test]
fn tasks_say_when_they_are_due_and_overdue_ones_come_first() {
    let mut facts = Facts::default();
    let cases = [
        (Some(-2), "overdue by 2 days"),
        (Some(-1), "overdue by 1 day"),
        (Some(0), "due today"),
        (Some(1), "due tomorrow"),
        (Some(4), "due in 4 days"),
        (None, "open in Work, no due date"),
    ];
    facts.plans.tasks = cases
        .iter()
        .map(|(d, reason)| task(reason, d.map(|d| TODAY + Duration::days(d))))
        .collect();
    let candidates = gather(&facts, &at(10, 0));
    let reasons: Vec<&str> = candidates.iter().map(|c| c.reason.as_str()).collect();
    let expected: Vec<&str> = cases.iter().map(|(_, reason)| *reason).collect();
    assert_eq!(reasons, expected);
    for c in &candidates {
        assert_eq!(c.text, format!("{} (Work)", c.reason));
        assert_eq!(c.kind, TipKind::Todo);
        assert_eq!(feature(c, "task"), 1.0);
    }
    assert_eq!(feature(&candidates[0], "overdue_days"), 2.0);
    assert_eq!(feature(&candidates[2], "due_today"), 1.0);
}

#[test]
fn one_track_offers_its_three_most_urgent_tasks() {
    let mut facts = Facts::default();
    let track = next_id();
    facts.plans.tasks = (0..6)
        .map(|d| OpenTask {
            track_id: track,
            ..task(&format!("Step {d}"), Some(TODAY + Duration::days(d)))
        })
        .chain([task("Elsewhere", Some(TODAY + Duration::days(5)))])
        .collect();
    let texts: Vec<String> = gather(&facts, &at(10, 0))
        .into_iter()
        .map(|c| c.text)
        .collect();
    assert_eq!(
        texts,
        [
            "Step 0 (Work)",
            "Step 1 (Work)",
            "Step 2 (Work)",
            "Elsewhere (Work)"
        ]
    );
}

#[test]
fn a_milestone_says_so_and_a_focus_day_lifts_work() {
    let mut facts = Facts::default();
    let mut milestone = task("Launch", Some(TODAY + Duration::days(1)));
    milestone.milestone = true;
    facts.plans.tasks = vec![milestone];
    let plain = gather(&facts, &at(10, 0));
    assert_eq!(plain[0].reason, "milestone, due tomorrow");
    facts.plans.day = Some(DayKind::Focus);
    let focused = gather(&facts, &at(10, 0));
    let launch = find(&focused, "node", &plain[0].source.id).unwrap();
    assert!(feature(launch, "priority") > feature(&plain[0], "priority"));
}

#[test]
fn a_timer_running_past_two_hours_is_mentioned() {
    let situation = at(15, 0);
    let mut facts = Facts::default();
    let timer = |hours: i64, title: Option<&str>| RunningTimer {
        entry_id: Uuid::nil(),
        node_id: None,
        title: title.map(str::to_owned),
        started_at: situation.now - Duration::hours(hours),
    };
    facts.plans.timer = Some(timer(2, Some("Writing")));
    assert!(
        find(
            &gather(&facts, &situation),
            "time_entry",
            &Uuid::nil().to_string()
        )
        .is_none()
    );
    facts.plans.timer = Some(timer(3, Some("Writing")));
    let candidates = gather(&facts, &situation);
    let running = find(&candidates, "time_entry", &Uuid::nil().to_string()).unwrap();
    assert_eq!(running.reason, "your timer on Writing has run 3 h");
    assert_eq!(feature(running, "timer_hours"), 3.0);
    facts.plans.timer = Some(timer(4, None));
    let untitled = gather(&facts, &situation);
    assert_eq!(untitled[0].reason, "your timer has run 4 h");
    assert!(feature(&untitled[0], "priority") > feature(running, "priority"));
}

#[test]
fn a_focus_day_suggests_a_focus_session_in_working_hours() {
    let mut facts = Facts::default();
    facts.plans.day = Some(DayKind::Focus);
    let morning = gather(&facts, &at(9, 0));
    let session = find(&morning, "advice_rule", "focus_session").unwrap();
    assert_eq!(session.reason, "today is a focus day");
    assert_eq!(feature(session, "focus_day"), 1.0);
    assert!(find(&gather(&facts, &at(20, 0)), "advice_rule", "focus_session").is_none());
    facts.plans.day = Some(DayKind::Buffer);
    assert!(find(&gather(&facts, &at(9, 0)), "advice_rule", "focus_session").is_none());
}

#[test]
fn a_recent_delay_brings_calm_for_two_hours() {
    let situation = at(16, 0);
    let mut facts = busy_facts();
    facts.brake.last_delay_at = Some(situation.now - Duration::minutes(40));
    let candidates = gather(&facts, &situation);
    let calm = find(&candidates, "advice_rule", "after_delay").unwrap();
    assert_eq!(calm.reason, "you chose Delay 40 min ago");
    assert!(candidates.iter().all(|c| feature(c, "recent_delay") == 1.0));
    facts.brake.last_delay_at = Some(situation.now - Duration::minutes(150));
    let later = gather(&facts, &situation);
    assert!(find(&later, "advice_rule", "after_delay").is_none());
    assert!(later.iter().all(|c| feature(c, "recent_delay") == 0.0));
}

#[test]
fn vehicle_service_due_within_a_week_is_a_todo() {
    let mut facts = busy_facts();
    let candidates = gather(&facts, &at(10, 0));
    let service = candidates
        .iter()
        .find(|c| c.source.entity == "vehicle_maintenance")
        .unwrap();
    assert_eq!(service.kind, TipKind::Todo);
    assert_eq!(service.text, "Book the oil change for your Golf.");
    assert_eq!(service.reason, "oil change due in 3 days");
    assert_eq!(feature(service, "service_days"), 3.0);
    facts.plans.services[0].vehicle = " ".to_owned();
    let unnamed = gather(&facts, &at(10, 0));
    assert!(unnamed.iter().any(|c| c.text == "Book the oil change."));
    facts.plans.services[0].due_on = TODAY + Duration::days(10);
    let far = gather(&facts, &at(10, 0));
    assert!(far.iter().all(|c| c.source.entity != "vehicle_maintenance"));
    facts.plans.services[0].due_on = TODAY - Duration::days(2);
    let overdue = gather(&facts, &at(10, 0));
    assert_eq!(
        overdue[0].reason, "oil change overdue by 2 days",
        "an overdue service leads"
    );
}

#[test]
fn the_nutrition_gap_is_mentioned_late_in_the_day() {
    let mut facts = Facts {
        nutrition: Some(NutritionFacts {
            meals_logged: 2,
            energy_kcal: 1200.0,
            target_energy_kcal: Some(2200.0),
            protein_g: 50.0,
            target_protein_g: Some(120.0),
            supplements_logged: 0,
        }),
        ..Facts::default()
    };
    assert!(find(&gather(&facts, &at(11, 0)), "advice_rule", "protein_gap").is_none());
    let evening = gather(&facts, &at(19, 0));
    let protein = find(&evening, "advice_rule", "protein_gap").unwrap();
    assert_eq!(protein.reason, "70 g of protein still to go today");
    assert!((feature(protein, "nutrition_gap") - 70.0 / 120.0).abs() < 1e-9);
    let supplements = find(&evening, "advice_rule", "supplements").unwrap();
    assert_eq!(supplements.reason, "no supplements logged today");
    if let Some(n) = facts.nutrition.as_mut() {
        n.protein_g = 110.0;
        n.supplements_logged = 1;
    }
    let met = gather(&facts, &at(19, 0));
    assert!(find(&met, "advice_rule", "protein_gap").is_none());
    assert!(find(&met, "advice_rule", "supplements").is_none());
}

#[test]
fn time_of_day_rules_match_the_hour_and_the_day() {
    let mut facts = Facts {
        advice: vec![
            rule("morning_light", 6, 10, ""),
            rule("shutdown", 17, 19, "focus,buffer"),
            rule("screens_off", 22, 1, ""),
        ],
        ..Facts::default()
    };
    let morning = gather(&facts, &at(7, 30));
    assert_eq!(morning.len(), 1);
    assert_eq!(morning[0].reason, "reason morning_light");
    assert_eq!(morning[0].text, "Advice morning_light.");
    assert_eq!(feature(&morning[0], "advice_weight"), 1.0);
    assert!(gather(&facts, &at(17, 30)).is_empty(), "an unplanned day");
    facts.plans.day = Some(DayKind::Buffer);
    assert_eq!(gather(&facts, &at(17, 30))[0].source.id, "shutdown");
    assert_eq!(gather(&facts, &at(0, 30))[0].source.id, "screens_off");
}

#[test]
fn every_candidate_carries_every_feature() {
    let mut facts = busy_facts();
    facts.plans.day = Some(DayKind::Buffer);
    let mut situation = at(13, 0);
    situation.context.energy = Some(4);
    situation.context.mood = Some(2);
    let candidates = gather(&facts, &situation);
    assert_eq!(candidates.len(), 4);
    for c in &candidates {
        let names: Vec<&str> = c.features.keys().map(String::as_str).collect();
        let mut expected = FEATURES.to_vec();
        expected.sort_unstable();
        assert_eq!(names, expected);
        assert!((feature(c, "hour") - 13.0 / 23.0).abs() < 1e-12);
        assert!((feature(c, "minutes_left") - 660.0 / 1440.0).abs() < 1e-12);
        assert_eq!(feature(c, "energy"), 0.8);
        assert_eq!(feature(c, "mood"), 0.4);
        assert_eq!(feature(c, "buffer_day"), 1.0);
        assert_eq!(feature(c, "is_todo") + feature(c, "is_advice"), 1.0);
    }
}

#[test]
fn at_most_twenty_candidates_in_a_stable_order() {
    let mut facts = Facts::default();
    facts.plans.tasks = (0..50)
        .map(|i| task(&format!("Task {i}"), Some(TODAY - Duration::days(i % 7))))
        .collect();
    let first = gather(&facts, &at(10, 0));
    assert_eq!(first.len(), MAX_CANDIDATES);
    facts.plans.tasks.reverse();
    assert_eq!(
        gather(&facts, &at(10, 0)),
        first,
        "input order does not matter"
    );
    for pair in first.windows(2) {
        let (a, b) = (feature(&pair[0], "priority"), feature(&pair[1], "priority"));
        assert!(a > b || (a == b && pair[0].source.key() < pair[1].source.key()));
    }
}

#[test]
fn spans_read_aloud() {
    assert_eq!(span(45), "45 min");
    assert_eq!(span(60), "1 h");
    assert_eq!(span(80), "1 h 20 min");
    assert_eq!(span(150), "2 h");
    assert_eq!(span(-5), "0 min");
    assert_eq!(days(1), "1 day");
    assert_eq!(days(3), "3 days");
}

fn any_habit() -> impl Strategy<Value = DueHabit> {
    (any::<bool>(), -1.0..2.0f64, 0u32..400).prop_map(|(done, strength, streak)| DueHabit {
        done,
        strength,
        ..habit("H", streak)
    })
}

fn any_task() -> impl Strategy<Value = OpenTask> {
    (
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(-400i64..400),
    )
        .prop_map(|(milestone, locked, due)| OpenTask {
            milestone,
            locked,
            ..task("T", due.map(|d| TODAY + Duration::days(d)))
        })
}

fn any_rule() -> impl Strategy<Value = AdviceRule> {
    (0i32..25, 0i32..25, -5.0..5.0f64, "[a-z]{1,3}").prop_map(|(from, to, weight, code)| {
        AdviceRule {
            weight,
            ..rule(&code, from, to, "")
        }
    })
}

proptest! {
    #[test]
    fn gathered_candidates_keep_the_invariants(
        habits in proptest::collection::vec(any_habit(), 0..8),
        tasks in proptest::collection::vec(any_task(), 0..40),
        advice in proptest::collection::vec(any_rule(), 0..10),
        streak_days in 0u32..50,
        hour in 0u8..24,
        minute in 0u8..60,
        delay_minutes in proptest::option::of(-60i64..600),
        day in proptest::option::of(prop_oneof![
            Just(DayKind::Free), Just(DayKind::Focus), Just(DayKind::Buffer)
        ]),
    ) {
        let situation = at(hour, minute);
        let mut facts = Facts::default();
        facts.plans.habits = habits;
        facts.plans.tasks = tasks;
        facts.plans.day = day;
        facts.advice = advice;
        facts.progress.streak_days = streak_days;
        facts.brake.last_delay_at = delay_minutes.map(|m| situation.now - Duration::minutes(m));
        let candidates = gather(&facts, &situation);
        prop_assert!(candidates.len() <= MAX_CANDIDATES);
        let mut keys = std::collections::BTreeSet::new();
        for c in &candidates {
            let p = feature(c, "priority");
            prop_assert!((QUIET_BELOW..=1.0).contains(&p), "priority {}", p);
            prop_assert!(c.features.values().all(|v| v.is_finite()));
            prop_assert!(!c.text.is_empty() && !c.reason.is_empty());
            prop_assert!(keys.insert(c.source.key()), "one candidate per source");
            if day == Some(DayKind::Free) {
                prop_assert_eq!(feature(c, "task"), 0.0);
            }
        }
        for pair in candidates.windows(2) {
            prop_assert!(feature(&pair[0], "priority") >= feature(&pair[1], "priority"));
        }
    }
}

fn todoist(
    id: &str,
    title: &str,
    due_on: Option<Date>,
    priority: f64,
) -> crate::ports::ExternalTask {
    crate::ports::ExternalTask {
        provider: "todoist".to_owned(),
        id: id.to_owned(),
        title: title.to_owned(),
        project: Some("inbox".to_owned()),
        due_on,
        priority,
    }
}

#[test]
fn todoist_tasks_are_todos_that_say_why_and_compete_with_tracking() {
    let mut facts = Facts::default();
    facts.plans.tasks = vec![task("Send the report", Some(TODAY))];
    facts.external.tasks = vec![
        todoist("101", "Buy milk", Some(TODAY), 0.0),
        todoist("102", "Pay rent", Some(TODAY - Duration::days(2)), 0.0),
        todoist("103", "Call the bank", None, 1.0),
        todoist("104", "Someday", None, 0.0),
    ];
    // One project each: the per-project cap is another test's.
    for (i, task) in facts.external.tasks.iter_mut().enumerate() {
        task.project = Some(format!("project {i}"));
    }
    let candidates = gather(&facts, &at(10, 30));
    let milk = find(&candidates, "todoist_task", "101").unwrap();
    assert_eq!((milk.kind, milk.text.as_str()), (TipKind::Todo, "Buy milk"));
    assert_eq!(milk.reason, "due today in Todoist");
    assert_eq!(
        (
            feature(milk, "task"),
            feature(milk, "due_today"),
            feature(milk, "is_todo")
        ),
        (1.0, 1.0, 1.0)
    );
    let tracked = find(
        &candidates,
        "node",
        &facts.plans.tasks[0].node_id.to_string(),
    )
    .unwrap();
    assert_eq!(
        feature(milk, "priority"),
        feature(tracked, "priority"),
        "a normal-priority task due today weighs as tracking's"
    );
    let rent = find(&candidates, "todoist_task", "102").unwrap();
    assert_eq!(rent.reason, "overdue by 2 days in Todoist");
    assert_eq!(feature(rent, "overdue_days"), 2.0);
    let bank = find(&candidates, "todoist_task", "103").unwrap();
    assert_eq!(bank.reason, "priority 1 in Todoist");
    assert!(feature(bank, "priority") > 0.16 + 0.05);
    assert_eq!(
        find(&candidates, "todoist_task", "104").unwrap().reason,
        "open in Todoist, no due date"
    );
}

#[test]
fn todoist_tasks_wait_on_a_free_day_and_crowd_no_project() {
    let mut facts = Facts::default();
    facts.external.tasks = (0..6)
        .map(|i| {
            todoist(
                &format!("{i}"),
                "Chore",
                Some(TODAY + Duration::days(i)),
                0.5,
            )
        })
        .collect();
    let candidates = gather(&facts, &at(10, 30));
    let todoist_count = candidates
        .iter()
        .filter(|c| c.source.entity == "todoist_task")
        .count();
    assert_eq!(todoist_count, 3, "at most three per project");
    assert!(
        find(&candidates, "todoist_task", "0").is_some(),
        "the most urgent stay"
    );
    assert_eq!(
        find(&candidates, "todoist_task", "1").unwrap().reason,
        "due tomorrow in Todoist, priority 2"
    );

    facts.plans.day = Some(DayKind::Free);
    assert!(
        gather(&facts, &at(10, 30)).is_empty(),
        "a free day is for rest"
    );

    facts.external.tasks[0].provider = "elsewhere".to_owned();
    facts.plans.day = None;
    assert!(
        find(&gather(&facts, &at(10, 30)), "todoist_task", "0").is_none(),
        "a provider done could not close is not offered"
    );
}

#[test]
fn a_refused_connection_asks_to_reconnect_any_day() {
    let mut facts = Facts::default();
    facts.plans.day = Some(DayKind::Free);
    facts.external.reconnect = vec![("todoist".to_owned(), "Todoist".to_owned())];
    let candidates = gather(&facts, &at(10, 30));
    let reconnect = find(&candidates, "integration", "todoist").unwrap();
    assert_eq!(reconnect.kind, TipKind::Todo);
    assert_eq!(reconnect.text, "Reconnect Todoist");
    assert_eq!(
        reconnect.reason,
        "lifeos can no longer read your Todoist tasks"
    );
    assert_eq!(feature(reconnect, "task"), 0.0);
    assert_eq!(
        external::task_provider(&reconnect.source),
        None,
        "done on it closes nothing"
    );
    assert_eq!(
        external::task_provider(&Source::new("todoist_task", "1")),
        Some("todoist")
    );
}

#[test]
fn the_log_keeps_no_outside_tasks_text() {
    let mut facts = Facts::default();
    facts.external.tasks = vec![todoist("7", "Secret plans", Some(TODAY), 1.0)];
    facts.external.reconnect = vec![("todoist".to_owned(), "Todoist".to_owned())];
    let candidates = gather(&facts, &at(10, 30));
    let task = find(&candidates, "todoist_task", "7").unwrap();
    let logged = external::as_logged(task);
    assert_eq!(logged.text, "");
    assert_eq!(
        (&logged.source, &logged.reason, &logged.features),
        (&task.source, &task.reason, &task.features)
    );
    let reconnect = find(&candidates, "integration", "todoist").unwrap();
    assert_eq!(external::as_logged(reconnect), *reconnect);
}
