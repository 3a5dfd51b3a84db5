-- Lookups gamification makes on every completion and stats read (issue 11): a user's live
-- habits, and their live tasks and milestones due on a range of dates. Without these both
-- walked every node of the user (10,000 completed tasks made /me/stats 10x slower).
CREATE INDEX nodes_user_type_live_idx ON nodes (user_id, type) WHERE deleted_at IS NULL;
CREATE INDEX nodes_user_due_live_idx ON nodes (user_id, due_on) WHERE due_on IS NOT NULL AND deleted_at IS NULL;
