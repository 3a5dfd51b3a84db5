-- Sync: devices, the record of every pushed batch, conflicts, client documents and the
-- tombstone horizon (ADR 0016).

CREATE TABLE sync_devices (
    id               UUID PRIMARY KEY,
    user_id          UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    platform         TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    last_sync_at     TIMESTAMPTZ,
    -- The last mutation id processed from this device, written in the push's transaction.
    last_mutation_id BIGINT NOT NULL DEFAULT 0,
    revoked_at       TIMESTAMPTZ
);
CREATE INDEX sync_devices_user_idx ON sync_devices (user_id, created_at);

-- One row per processed batch: the mutation records (what became of each mutation).
CREATE TABLE sync_pushes (
    id                UUID PRIMARY KEY,
    user_id           UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id         UUID NOT NULL REFERENCES sync_devices (id) ON DELETE CASCADE,
    first_mutation_id BIGINT NOT NULL,
    last_mutation_id  BIGINT NOT NULL,
    received_at       TIMESTAMPTZ NOT NULL,
    -- [{mutationId, entity, entityId, op, status, version?, code?, conflictId?}]
    results           JSONB NOT NULL
);
CREATE INDEX sync_pushes_device_idx ON sync_pushes (device_id, last_mutation_id);
CREATE INDEX sync_pushes_user_idx ON sync_pushes (user_id, received_at);

CREATE TABLE sync_conflicts (
    id             UUID PRIMARY KEY,
    user_id        UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id      UUID REFERENCES sync_devices (id) ON DELETE CASCADE,
    mutation_id    BIGINT,
    entity         TEXT NOT NULL,
    entity_id      UUID NOT NULL,
    -- update_update | delete_update | update_delete
    kind           TEXT NOT NULL,
    base_version   BIGINT,
    server_version BIGINT NOT NULL,
    -- The server's side: the overwritten values, or the row as it was before a delete.
    server_fields  JSONB,
    -- The client's side: the mutation's fields (null for a delete).
    client_fields  JSONB,
    created_at     TIMESTAMPTZ NOT NULL,
    resolved_at    TIMESTAMPTZ,
    -- server | client
    resolution     TEXT
);
CREATE INDEX sync_conflicts_user_idx ON sync_conflicts (user_id, created_at);

-- Client app state without a typed table, synced as the `document` entity.
CREATE TABLE sync_documents (
    id             UUID PRIMARY KEY,
    user_id        UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key            TEXT NOT NULL,
    data           JSONB NOT NULL,
    -- {field: version}: the version that last wrote each top-level field of `data`.
    field_versions JSONB NOT NULL,
    version        BIGINT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    deleted_at     TIMESTAMPTZ
);
CREATE UNIQUE INDEX sync_documents_live_key ON sync_documents (user_id, key) WHERE deleted_at IS NULL;
CREATE INDEX sync_documents_user_version_idx ON sync_documents (user_id, version);

-- The highest version whose tombstones were compacted away: a cursor below it has
-- missed deletes and must start again.
CREATE TABLE sync_horizons (
    user_id      UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    version      BIGINT NOT NULL,
    compacted_at TIMESTAMPTZ NOT NULL
);
