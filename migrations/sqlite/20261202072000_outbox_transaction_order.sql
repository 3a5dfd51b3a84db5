-- Outbox delivery ordered by (tx_id, seq), the same query on both dialects (ADR 0008).
--
-- SQLite writers hold the database's write lock from BEGIN IMMEDIATE to commit, so seq
-- order is already commit order: tx_id is always 0 here and delivery is in seq order.
ALTER TABLE outbox_events ADD COLUMN tx_id INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_events_delivery_idx ON outbox_events (tx_id, seq);

-- A cursor is the pair (tx_id, position); existing cursors become (0, position).
ALTER TABLE outbox_cursors ADD COLUMN tx_id INTEGER NOT NULL DEFAULT 0;
