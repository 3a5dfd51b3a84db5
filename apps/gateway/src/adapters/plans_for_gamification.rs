//! Gamification's `PlansPort`, answered by tracking. (In progress.)
