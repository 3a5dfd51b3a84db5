//! The outbox's NATS JetStream relay against the machine's NATS server.
