//! `rec_signals` and the consent-withdrawal deletes: SQL only.

use lifeos_kernel::outbox::Event;
use lifeos_kernel::{StoreError, Timestamp, Tx, with_tx};
use uuid::Uuid;

type Result<T> = std::result::Result<T, StoreError>;

/// Moves `subscriber`'s outbox cursor past `event` inside `tx`; false when the cursor is
/// already there or beyond (the event was handled). The same conditional upsert as the
/// kernel's `EventSource::ack`, so the two never move the cursor back.
pub async fn claim(tx: &mut Tx, subscriber: &str, event: &Event, at: Timestamp) -> Result<bool> {
    const SQL: &str = "INSERT INTO outbox_cursors (subscriber, tx_id, position, updated_at) \
                       VALUES ($1, $2, $3, $4) \
                       ON CONFLICT (subscriber) DO UPDATE SET tx_id = excluded.tx_id, \
                       position = excluded.position, updated_at = excluded.updated_at \
                       WHERE (outbox_cursors.tx_id, outbox_cursors.position) < (excluded.tx_id, excluded.position)";
    let moved = with_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(subscriber)
            .bind(event.tx_id)
            .bind(event.seq)
            .bind(at)
            .execute(&mut *conn)
            .await?
            .rows_affected()
    });
    Ok(moved == 1)
}

/// One more `signal` for the user; `last_at` keeps the latest occurrence.
pub async fn count(tx: &mut Tx, user_id: Uuid, signal: &str, at: Timestamp) -> Result<()> {
    const SQL: &str = "INSERT INTO rec_signals (user_id, signal, count, last_at) \
                       VALUES ($1, $2, 1, $3) \
                       ON CONFLICT (user_id, signal) DO UPDATE SET count = rec_signals.count + 1, \
                       last_at = CASE WHEN excluded.last_at > rec_signals.last_at \
                       THEN excluded.last_at ELSE rec_signals.last_at END";
    with_tx!(tx, conn => {
        sqlx::query(SQL).bind(user_id).bind(signal).bind(at).execute(&mut *conn).await?;
    });
    Ok(())
}

/// Deletes what the recommender learned about the user: decisions, suppressions, signals.
pub async fn forget(tx: &mut Tx, user_id: Uuid) -> Result<()> {
    const TABLES: [&str; 3] = [
        "DELETE FROM rec_decisions WHERE user_id = $1",
        "DELETE FROM rec_suppressions WHERE user_id = $1",
        "DELETE FROM rec_signals WHERE user_id = $1",
    ];
    for sql in TABLES {
        with_tx!(tx, conn => {
            sqlx::query(sql).bind(user_id).execute(&mut *conn).await?;
        });
    }
    Ok(())
}
