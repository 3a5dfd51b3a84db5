//! The program recommender: a pure function over the rules, the request and the program
//! templates. Hard constraints cut a program; the weighted rules score the rest:
//! score = Σ weight × credit / Σ weight over the scoring rules that apply to the pair.

use lifeos_kernel::error::Validator;

use super::rules::{ProgramRule, ProgramRuleKind};
use super::{
    DAYS_PER_WEEK, Effect, ExcludedProgram, MINUTES_PER_SESSION, ProgramRecommendations,
    ProgramRequest, RankedProgram, Reason,
};
use crate::catalog::{Equipment, Level, Program, TrainingGoal};
use crate::error::{LibraryError, Result};

/// The request's bounds (422 with the field).
pub fn validate(request: &ProgramRequest) -> Result<()> {
    let mut v = Validator::new();
    v.check(
        DAYS_PER_WEEK.contains(&request.days_per_week),
        "daysPerWeek",
        "must be between 1 and 7",
    );
    if let Some(minutes) = request.minutes_per_session {
        v.check(
            MINUTES_PER_SESSION.contains(&minutes),
            "minutesPerSession",
            "must be between 10 and 240",
        );
    }
    v.check(
        request.equipment.len() <= Equipment::ALL.len(),
        "equipment",
        format!("must list at most {} items", Equipment::ALL.len()),
    );
    v.finish().map_err(|e| LibraryError::Invalid(e.errors))
}

/// What one rule made of one program.
enum Verdict {
    Cut(String),
    Passed(String),
    /// credit in 0..=1 of the rule's weight.
    Scored {
        weight: f64,
        credit: f64,
        detail: String,
    },
    /// The rule says nothing about this pair (and does not count towards the score).
    Silent,
}

/// Ranks `programs` for `request`: candidates by score (then name, then id), and the
/// cut ones by name with the constraints they failed.
pub fn rank(
    rules: &[ProgramRule],
    request: &ProgramRequest,
    programs: Vec<Program>,
) -> ProgramRecommendations {
    let mut ranked = Vec::new();
    let mut excluded = Vec::new();
    for program in programs {
        match assess(rules, request, &program) {
            Assessment::Cut(reasons) => excluded.push(ExcludedProgram {
                program_id: program.id,
                name: program.name,
                reasons,
            }),
            Assessment::Kept { score, reasons } => ranked.push(RankedProgram {
                program,
                score,
                reasons,
            }),
        }
    }
    ranked.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.program.name.cmp(&b.program.name))
            .then_with(|| a.program.id.cmp(&b.program.id))
    });
    excluded.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then_with(|| a.program_id.cmp(&b.program_id))
    });
    ProgramRecommendations {
        programs: ranked,
        excluded,
    }
}

enum Assessment {
    Cut(Vec<Reason>),
    Kept { score: f64, reasons: Vec<Reason> },
}

fn assess(rules: &[ProgramRule], request: &ProgramRequest, program: &Program) -> Assessment {
    let mut cuts = Vec::new();
    let mut reasons = Vec::new();
    let (mut earned, mut possible) = (0.0, 0.0);
    for rule in rules {
        let reason = |effect, detail| Reason {
            rule: rule.code.clone(),
            effect,
            detail,
        };
        match verdict(&rule.kind, request, program) {
            Verdict::Cut(detail) => cuts.push(reason(Effect::Cut, detail)),
            Verdict::Passed(detail) => reasons.push(reason(Effect::Matched, detail)),
            Verdict::Scored {
                weight,
                credit,
                detail,
            } => {
                earned += weight * credit;
                possible += weight;
                let effect = if credit >= 1.0 {
                    Effect::Matched
                } else {
                    Effect::Penalised
                };
                reasons.push(reason(effect, detail));
            }
            Verdict::Silent => {}
        }
    }
    if !cuts.is_empty() {
        return Assessment::Cut(cuts);
    }
    // The rules' loader guarantees a scoring rule, but one may be silent for this pair.
    let score = if possible > 0.0 {
        earned / possible
    } else {
        1.0
    };
    Assessment::Kept {
        score: (score * 1000.0).round() / 1000.0,
        reasons,
    }
}

fn verdict(kind: &ProgramRuleKind, request: &ProgramRequest, program: &Program) -> Verdict {
    match kind {
        ProgramRuleKind::EquipmentAvailable {} => equipment(request, program),
        ProgramRuleKind::DaysAvailable {} => days_available(request, program),
        ProgramRuleKind::LevelGap { max_steps } => level_gap(*max_steps, request, program),
        ProgramRuleKind::SessionLength {} => session_length(request, program),
        ProgramRuleKind::GoalMatch {
            weight,
            partial_credit,
        } => {
            let credit = if program.goal == request.goal {
                1.0
            } else {
                partial_credit
                    .get(&request.goal)
                    .and_then(|offered| offered.get(&program.goal))
                    .copied()
                    .unwrap_or(0.0)
            };
            Verdict::Scored {
                weight: *weight,
                credit,
                detail: goal_detail(request.goal, program.goal, credit),
            }
        }
        ProgramRuleKind::DaysMatch {
            weight,
            penalty_per_day,
        } => {
            let unused = request.days_per_week.saturating_sub(program.days_per_week);
            let credit = (1.0 - penalty_per_day * f64::from(unused)).max(0.0);
            let detail = if unused == 0 {
                format!(
                    "Uses all {} of your training days a week.",
                    request.days_per_week
                )
            } else {
                format!(
                    "Uses {} of your {} training days a week.",
                    program.days_per_week, request.days_per_week
                )
            };
            Verdict::Scored {
                weight: *weight,
                credit,
                detail,
            }
        }
        ProgramRuleKind::LevelMatch { weight, credits } => {
            let gap = steps(program.level) - steps(request.experience);
            let credit = credits
                .iter()
                .find(|c| c.gap == gap)
                .map_or(0.0, |c| c.credit);
            Verdict::Scored {
                weight: *weight,
                credit,
                detail: level_detail(program.level, request.experience, gap),
            }
        }
        ProgramRuleKind::FrequencyForLevel {
            weight,
            goals,
            ranges,
            penalty_per_day,
        } => {
            let Some(range) = ranges.get(&request.experience) else {
                return Verdict::Silent;
            };
            if !goals.contains(&program.goal) {
                return Verdict::Silent;
            }
            let days = program.days_per_week;
            let outside = range.min.saturating_sub(days) + days.saturating_sub(range.max);
            let credit = (1.0 - penalty_per_day * f64::from(outside)).max(0.0);
            let within = if outside == 0 { "within" } else { "outside" };
            Verdict::Scored {
                weight: *weight,
                credit,
                detail: format!(
                    "Trains {days} days a week, {within} the {}-{} advised for {} trainees.",
                    range.min,
                    range.max,
                    request.experience.as_str()
                ),
            }
        }
        ProgramRuleKind::ShorterSessions {
            level,
            weight,
            full_minutes,
            zero_minutes,
            unknown_credit,
        } => {
            if request.experience != *level {
                return Verdict::Silent;
            }
            let (credit, detail) = match program.minutes_per_session {
                None => (
                    *unknown_credit,
                    "The program does not state how long its sessions take.".to_owned(),
                ),
                Some(minutes) => {
                    let span = f64::from(zero_minutes - full_minutes);
                    let over = f64::from(minutes.saturating_sub(*full_minutes));
                    let credit = (1.0 - over / span).clamp(0.0, 1.0);
                    let detail = if credit >= 1.0 {
                        format!(
                            "Sessions of about {minutes} minutes: short enough for a {}.",
                            level.as_str()
                        )
                    } else {
                        format!(
                            "Sessions of about {minutes} minutes; for a {}, up to \
                             {full_minutes} earns full credit and {zero_minutes} or more none.",
                            level.as_str()
                        )
                    };
                    (credit, detail)
                }
            };
            Verdict::Scored {
                weight: *weight,
                credit,
                detail,
            }
        }
    }
}

/// The equipment a program needs beyond bodyweight.
fn needed(program: &Program) -> Vec<Equipment> {
    let mut needs: Vec<Equipment> = program
        .equipment
        .iter()
        .copied()
        .filter(|e| *e != Equipment::None)
        .collect();
    needs.sort();
    needs.dedup();
    needs
}

fn listing(items: &[Equipment]) -> String {
    items
        .iter()
        .map(|e| e.as_str().replace('_', " "))
        .collect::<Vec<_>>()
        .join(", ")
}

fn equipment(request: &ProgramRequest, program: &Program) -> Verdict {
    let needs = needed(program);
    if needs.is_empty() {
        return Verdict::Passed("Bodyweight only: needs no equipment.".to_owned());
    }
    let missing: Vec<Equipment> = needs
        .iter()
        .copied()
        .filter(|e| !request.equipment.contains(e))
        .collect();
    if missing.is_empty() {
        Verdict::Passed(format!("Needs {}, which you have.", listing(&needs)))
    } else {
        Verdict::Cut(format!(
            "Needs {}, which you did not list.",
            listing(&missing)
        ))
    }
}

fn days_available(request: &ProgramRequest, program: &Program) -> Verdict {
    let (days, available) = (program.days_per_week, request.days_per_week);
    if days > available {
        Verdict::Cut(format!("Trains {days} days a week; you have {available}."))
    } else {
        Verdict::Passed(format!(
            "Trains {days} days a week, within your {available}."
        ))
    }
}

/// Beginner 0, intermediate 1, advanced 2.
fn steps(level: Level) -> i32 {
    match level {
        Level::Beginner => 0,
        Level::Intermediate => 1,
        Level::Advanced => 2,
    }
}

fn level_gap(max_steps: u32, request: &ProgramRequest, program: &Program) -> Verdict {
    let above = steps(program.level) - steps(request.experience);
    let allowed = i32::try_from(max_steps).unwrap_or(i32::MAX);
    if above > allowed {
        Verdict::Cut(format!(
            "Written for {} trainees, {above} levels above your {} experience.",
            program.level.as_str(),
            request.experience.as_str()
        ))
    } else {
        Verdict::Passed(format!(
            "Written for {} trainees: within reach of your {} experience.",
            program.level.as_str(),
            request.experience.as_str()
        ))
    }
}

fn session_length(request: &ProgramRequest, program: &Program) -> Verdict {
    let (Some(minutes), Some(available)) =
        (program.minutes_per_session, request.minutes_per_session)
    else {
        return Verdict::Silent;
    };
    if minutes > available {
        Verdict::Cut(format!(
            "Sessions take about {minutes} minutes; you have {available}."
        ))
    } else {
        Verdict::Passed(format!(
            "Sessions take about {minutes} minutes, within your {available}."
        ))
    }
}

/// The goal as a sentence names it.
fn goal_words(goal: TrainingGoal) -> &'static str {
    match goal {
        TrainingGoal::General => "general fitness",
        other => other.as_str(),
    }
}

fn goal_detail(wanted: TrainingGoal, offered: TrainingGoal, credit: f64) -> String {
    let same = wanted == offered;
    let (wanted, offered) = (goal_words(wanted), goal_words(offered));
    if same {
        format!("Built for {wanted}, your goal.")
    } else if credit > 0.0 {
        format!("Built for {offered}; it partly serves {wanted} (credit {credit}).")
    } else {
        format!("Built for {offered}, not for {wanted}.")
    }
}

fn level_detail(program: Level, person: Level, gap: i32) -> String {
    let relation = match gap {
        0 => return format!("Written for {} trainees, like you.", program.as_str()),
        1 => "one level above".to_owned(),
        -1 => "one level below".to_owned(),
        g if g > 0 => format!("{g} levels above"),
        g => format!("{} levels below", -g),
    };
    format!(
        "Written for {} trainees, {relation} your {} experience.",
        program.as_str(),
        person.as_str()
    )
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::recommend::rules::seeded;

    fn program(
        name: &str,
        goal: TrainingGoal,
        level: Level,
        days: u32,
        minutes: Option<u32>,
        equipment: &[Equipment],
    ) -> Program {
        Program {
            id: Uuid::from_u128(name.len() as u128),
            code: name.to_lowercase().replace(' ', "_"),
            name: name.to_owned(),
            goal,
            level,
            days_per_week: days,
            weeks: 8,
            minutes_per_session: minutes,
            equipment: equipment.to_vec(),
            sessions: Vec::new(),
            description: String::new(),
            source: "hand-built for a test".to_owned(),
        }
    }

    /// A beginner with dumbbells and a bench, three days a week, 60 minutes.
    fn beginner_with_dumbbells() -> ProgramRequest {
        ProgramRequest {
            goal: TrainingGoal::Strength,
            days_per_week: 3,
            equipment: vec![Equipment::Dumbbell, Equipment::Bench],
            experience: Level::Beginner,
            minutes_per_session: Some(60),
        }
    }

    fn library() -> Vec<Program> {
        use Equipment::*;
        use Level::*;
        use TrainingGoal::*;
        vec![
            program(
                "Barbell Basics",
                Strength,
                Beginner,
                3,
                Some(60),
                &[Barbell, Bench],
            ),
            program(
                "Dumbbell Strength",
                Strength,
                Beginner,
                3,
                Some(45),
                &[Dumbbell, Bench],
            ),
            program(
                "Dumbbell Hypertrophy",
                Hypertrophy,
                Beginner,
                3,
                Some(45),
                &[Dumbbell],
            ),
            program(
                "Bodyweight Circuit",
                General,
                Beginner,
                2,
                Some(30),
                &[None],
            ),
            program(
                "Five Day Split",
                Hypertrophy,
                Intermediate,
                5,
                Some(60),
                &[Dumbbell],
            ),
            program(
                "Elite Powerlifting",
                Strength,
                Advanced,
                3,
                Some(60),
                &[Dumbbell],
            ),
            program(
                "Long Sessions",
                Strength,
                Beginner,
                3,
                Some(90),
                &[Dumbbell],
            ),
            program(
                "Intermediate Dumbbells",
                Strength,
                Intermediate,
                3,
                Some(60),
                &[Dumbbell],
            ),
        ]
    }

    fn names(recs: &ProgramRecommendations) -> Vec<&str> {
        recs.programs
            .iter()
            .map(|r| r.program.name.as_str())
            .collect()
    }

    fn cut_by(recs: &ProgramRecommendations, name: &str) -> Vec<String> {
        recs.excluded
            .iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("{name} is not excluded"))
            .reasons
            .iter()
            .map(|r| r.rule.clone())
            .collect()
    }

    #[test]
    fn hard_constraints_cut_and_say_why() {
        let recs = rank(&seeded::programs(), &beginner_with_dumbbells(), library());
        assert_eq!(
            cut_by(&recs, "Barbell Basics"),
            ["programs.equipment_available"]
        );
        assert_eq!(cut_by(&recs, "Five Day Split"), ["programs.days_available"]);
        assert_eq!(cut_by(&recs, "Elite Powerlifting"), ["programs.level_gap"]);
        assert_eq!(cut_by(&recs, "Long Sessions"), ["programs.session_length"]);
        let barbell = &recs
            .excluded
            .iter()
            .find(|e| e.name == "Barbell Basics")
            .unwrap();
        assert_eq!(barbell.reasons[0].effect, Effect::Cut);
        assert_eq!(
            barbell.reasons[0].detail,
            "Needs barbell, which you did not list."
        );
        // Excluded by name.
        let excluded: Vec<_> = recs.excluded.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            excluded,
            [
                "Barbell Basics",
                "Elite Powerlifting",
                "Five Day Split",
                "Long Sessions"
            ]
        );
    }

    /// The seeded weights: goal 0.4, level 0.25, days 0.15, frequency 0.15, beginners'
    /// short sessions 0.05 (sum 1.0).
    #[test]
    fn scores_are_the_weighted_credits_worked_by_hand() {
        let recs = rank(&seeded::programs(), &beginner_with_dumbbells(), library());
        assert_eq!(
            names(&recs),
            [
                // goal 1, level 1, days 1, frequency 1 (3 in 2-3), 45 min: 1 -> 1.0
                "Dumbbell Strength",
                // goal 1 (0.4); level one above: 0.4 × 0.25 = 0.1; days 0.15; frequency
                // 0.15; 60 min: (1 − 15/45) × 0.05 = 0.033 -> 0.833
                "Intermediate Dumbbells",
                // goal 0.5 (hypertrophy for strength): 0.4 × 0.5 + 0.6 = 0.8
                "Dumbbell Hypertrophy",
                // goal 0.3 × 0.4 = 0.12; level 0.25; days: 1 unused -> 0.8 × 0.15 = 0.12;
                // frequency 2 in 2-3: 0.15; 30 min: 0.05 -> 0.69
                "Bodyweight Circuit",
            ]
        );
        let score = |name: &str| {
            recs.programs
                .iter()
                .find(|r| r.program.name == name)
                .unwrap()
                .score
        };
        assert_eq!(score("Dumbbell Strength"), 1.0);
        assert_eq!(score("Dumbbell Hypertrophy"), 0.8);
        assert_eq!(score("Intermediate Dumbbells"), 0.833);
        assert_eq!(score("Bodyweight Circuit"), 0.69);
    }

    #[test]
    fn every_candidate_says_which_rules_matched_and_which_penalised() {
        let recs = rank(&seeded::programs(), &beginner_with_dumbbells(), library());
        let hypertrophy = recs
            .programs
            .iter()
            .find(|r| r.program.name == "Dumbbell Hypertrophy")
            .unwrap();
        let goal = hypertrophy
            .reasons
            .iter()
            .find(|r| r.rule == "programs.goal_match")
            .unwrap();
        assert_eq!(goal.effect, Effect::Penalised);
        assert_eq!(
            goal.detail,
            "Built for hypertrophy; it partly serves strength (credit 0.5)."
        );
        let equipment = hypertrophy
            .reasons
            .iter()
            .find(|r| r.rule == "programs.equipment_available")
            .unwrap();
        assert_eq!(equipment.effect, Effect::Matched);
        assert_eq!(equipment.detail, "Needs dumbbell, which you have.");
        assert!(hypertrophy.reasons.iter().all(|r| r.effect != Effect::Cut));
    }

    #[test]
    fn ties_break_by_name() {
        use Equipment::*;
        let twins = vec![
            program(
                "Zeta",
                TrainingGoal::Strength,
                Level::Beginner,
                3,
                Some(45),
                &[Dumbbell],
            ),
            program(
                "Alpha",
                TrainingGoal::Strength,
                Level::Beginner,
                3,
                Some(45),
                &[Dumbbell],
            ),
        ];
        let recs = rank(&seeded::programs(), &beginner_with_dumbbells(), twins);
        assert_eq!(names(&recs), ["Alpha", "Zeta"]);
    }

    #[test]
    fn bodyweight_programs_need_nothing_and_none_is_not_a_requirement() {
        let request = ProgramRequest {
            equipment: Vec::new(),
            ..beginner_with_dumbbells()
        };
        let recs = rank(&seeded::programs(), &request, library());
        assert_eq!(names(&recs), ["Bodyweight Circuit"]);
    }

    #[test]
    fn session_length_is_not_checked_when_either_side_is_unknown() {
        let request = ProgramRequest {
            minutes_per_session: None,
            ..beginner_with_dumbbells()
        };
        let recs = rank(&seeded::programs(), &request, library());
        assert!(names(&recs).contains(&"Long Sessions"));
    }

    #[test]
    fn an_advanced_person_sees_beginner_programs_lower() {
        let request = ProgramRequest {
            experience: Level::Advanced,
            ..beginner_with_dumbbells()
        };
        let recs = rank(&seeded::programs(), &request, library());
        assert_eq!(names(&recs)[0], "Elite Powerlifting");
        // No beginners' session rule: weights sum to 0.95. Elite: goal 0.4, level 0.25,
        // days 0.15, 3 days against the advanced 4-6: 0.75 × 0.15 = 0.1125 -> 0.9125 / 0.95.
        assert_eq!(recs.programs[0].score, 0.961);
        // Dumbbell Strength, two levels below: 0.4 + 0.3 × 0.25 + 0.15 + 0.1125 = 0.7375.
        let below = recs
            .programs
            .iter()
            .find(|r| r.program.name == "Dumbbell Strength")
            .unwrap();
        assert_eq!(below.score, 0.776);
        assert!(recs.excluded.iter().all(|e| e.name != "Dumbbell Strength"));
    }

    #[test]
    fn out_of_range_requests_name_the_field() {
        let request = ProgramRequest {
            days_per_week: 8,
            minutes_per_session: Some(5),
            ..beginner_with_dumbbells()
        };
        let Err(LibraryError::Invalid(errors)) = validate(&request) else {
            panic!("expected invalid");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["daysPerWeek", "minutesPerSession"]);
        assert!(validate(&beginner_with_dumbbells()).is_ok());
    }
}
