-- Pull reads a user's habit schedules changed after a version, like every other syncable
-- table (issue 16).
CREATE INDEX habit_schedules_user_version_idx ON habit_schedules (user_id, version);
