-- 0006_create_price_versions (PostgreSQL; mirrors sqlite/migrations/0006): prices live in the
-- database, per workspace and versioned, so every node prices an item alike and a run keeps
-- the prices it started with; and the fingerprint of the secret key that seals per-run secrets,
-- so a node holding another key refuses to start.
--
-- A price version is immutable: setting prices appends version + 1 (unless they equal the
-- current one). `prices` is the canonical JSON (sorted keys) of price key → micro-credits per
-- unit; `source` says who set it: `api` (PUT /v1/prices) or `env` (RUNYARD_PRICES at start).
CREATE TABLE price_versions (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  version INTEGER NOT NULL,
  prices TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (workspace_id, version)
);

-- The price version a run was created with (its item bound and every capture use it); NULL:
-- no prices were set, the run is free.
ALTER TABLE runs ADD COLUMN price_version INTEGER;

-- Deployment-wide settings (one database, one secret key; like runyard_migrations they belong
-- to no workspace). `secret_key_fingerprint`: HMAC-SHA-256 of a fixed label under the key.
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
