-- The time-of-day advice the recommender offers (`rec_advice_rules`, ADR 0017). Plain,
-- widely given advice, not medical advice and not tied to any one study:
--   morning_light, screens_off, caffeine_cutoff, regular_bedtime, dinner_early,
--   cannot_sleep, evening_wind_down: common sleep-hygiene guidance (daylight early, a
--   dim and screen-free last hour, no caffeine late, regular hours, no heavy meal just
--   before bed, get up when you cannot sleep);
--   morning_water, afternoon_water: general hydration guidance (drink water through the day);
--   midday_walk, afternoon_slump, sitting_break, free_day_outside: general public-health
--   guidance on physical activity (move often, break up long sitting, time outdoors);
--   eye_break: the common 20-20-20 advice against eye strain at screens;
--   plan_the_day, shutdown_ritual: common time-management practice;
--   one_good_thing: a common wellbeing practice (noting what went well).
-- Hours are local and half open (`from_hour` <= hour < `to_hour`; wrapping past midnight
-- when from_hour > to_hour). A weight of 1 scores 0.3 (the candidate rules cap advice at 0.6).
INSERT INTO rec_advice_rules (code, text, reason, from_hour, to_hour, day_kinds, weight) VALUES
('morning_light', 'Get some daylight early: open the curtains or step outside for ten minutes.', 'it is morning', 6, 10, '', 1.1),
('morning_water', 'Drink a glass of water before your first coffee.', 'it is early morning', 6, 10, '', 0.8),
('plan_the_day', 'Write down the one to three things that would make today a good day.', 'it is the start of the working day', 7, 10, 'focus,buffer', 0.9),
('eye_break', 'Look at something twenty feet away for twenty seconds to rest your eyes.', 'it is mid-morning', 10, 12, 'focus,buffer', 0.7),
('midday_walk', 'Take a ten-minute walk after lunch.', 'it is midday', 12, 14, '', 1.2),
('afternoon_slump', 'Feeling the afternoon dip? A few minutes of movement or fresh air helps more than another coffee.', 'it is early afternoon', 14, 16, '', 1.0),
('caffeine_cutoff', 'Make this your last coffee of the day: caffeine this late can keep you up tonight.', 'it is mid-afternoon', 14, 17, '', 0.8),
('afternoon_water', 'Refill your glass of water.', 'it is the afternoon', 15, 17, '', 0.7),
('sitting_break', 'Stand up and move for two minutes: long stretches of sitting are worth breaking up.', 'it is the working day', 9, 18, 'focus,buffer', 0.6),
('free_day_outside', 'Spend some time outdoors today: a walk, a park, a bike ride.', 'it is a free day', 10, 17, 'free', 1.1),
('shutdown_ritual', 'Close the workday: note where you stopped and what comes first tomorrow.', 'it is the end of the working day', 17, 19, 'focus,buffer', 1.0),
('dinner_early', 'If you can, finish dinner two to three hours before bed.', 'it is dinner time', 18, 20, '', 0.7),
('evening_wind_down', 'Start winding down: dim the lights and pick something calm to do.', 'it is evening', 20, 22, '', 1.0),
('one_good_thing', 'Note one thing that went well today.', 'the day is nearly over', 20, 23, '', 0.7),
('screens_off', 'Put your screens away for the last hour before bed.', 'it is late evening', 22, 1, '', 1.2),
('regular_bedtime', 'Go to bed around your usual time: regular hours make sleep easier.', 'it is getting late', 22, 2, '', 0.9),
('cannot_sleep', 'Still awake? If you cannot sleep, get up for a while and do something quiet in dim light.', 'it is the middle of the night', 1, 5, '', 0.6);
