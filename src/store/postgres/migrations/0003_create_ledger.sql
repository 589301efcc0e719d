-- 0003_create_ledger (PostgreSQL): the credit ledger (append-only, the truth), a cached
-- per-workspace account derived from it in the same transactions, and each run's credit bounds.
-- Mirrors sqlite/migrations/0003. Amounts are BIGINT micro-credits.
CREATE TABLE ledger_entries (
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  workspace_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  amount BIGINT NOT NULL,
  run_id TEXT,
  item_id TEXT,
  idempotency_key TEXT NOT NULL,
  reason TEXT,
  created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ledger_idempotency ON ledger_entries (workspace_id, idempotency_key);
CREATE INDEX ledger_workspace ON ledger_entries (workspace_id, seq);
CREATE INDEX ledger_run ON ledger_entries (run_id, seq) WHERE run_id IS NOT NULL;

CREATE TABLE credit_accounts (
  workspace_id TEXT PRIMARY KEY,
  granted BIGINT NOT NULL DEFAULT 0,
  captured BIGINT NOT NULL DEFAULT 0,
  outstanding BIGINT NOT NULL DEFAULT 0,
  adjusted BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL
);
INSERT INTO credit_accounts (workspace_id, updated_at) VALUES ('wsp_default', 0);

ALTER TABLE runs ADD COLUMN credit_cap BIGINT;
ALTER TABLE runs ADD COLUMN item_cost_bound BIGINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN credits_released BIGINT NOT NULL DEFAULT 0;
