-- Outbox delivery ordered by writing transaction, without a global lock (ADR 0008).
--
-- Each event records the id of the transaction that wrote it. Readers deliver only events
-- whose transaction id is below their snapshot's xmin (every such transaction has ended,
-- so that set can no longer grow) in (tx_id, seq) order, and a cursor is that pair.
--
-- Rows written before this migration get tx_id 0: ALTER TABLE waits for every transaction
-- holding a lock on the table, so they have all committed, and they were numbered in commit
-- order under the old advisory lock. The column default is set in a second step so that
-- adding the column does not rewrite the table (and stamp old rows with this migration's
-- id); from then on every INSERT, including one from a replica still on the old code, takes
-- its transaction's id from the default.
ALTER TABLE outbox_events ADD COLUMN tx_id bigint NOT NULL DEFAULT 0;
ALTER TABLE outbox_events ALTER COLUMN tx_id SET DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX outbox_events_delivery_idx ON outbox_events (tx_id, seq);

-- A cursor is the pair (tx_id, position): everything at or before it has been handled.
-- Existing cursors become (0, position): past the old events they had acknowledged, before
-- every event written from now on.
ALTER TABLE outbox_cursors ADD COLUMN tx_id bigint NOT NULL DEFAULT 0;
