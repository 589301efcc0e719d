-- 0003_create_ledger: the credit ledger (append-only, the truth), a cached per-workspace account
-- derived from it in the same transactions, and each run's credit bounds.
CREATE TABLE ledger_entries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  workspace_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  amount INTEGER NOT NULL,
  run_id TEXT,
  item_id TEXT,
  idempotency_key TEXT NOT NULL,
  reason TEXT,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX ledger_idempotency ON ledger_entries (workspace_id, idempotency_key);
CREATE INDEX ledger_workspace ON ledger_entries (workspace_id, seq);
CREATE INDEX ledger_run ON ledger_entries (run_id, seq) WHERE run_id IS NOT NULL;

CREATE TABLE credit_accounts (
  workspace_id TEXT PRIMARY KEY,
  granted INTEGER NOT NULL DEFAULT 0,
  captured INTEGER NOT NULL DEFAULT 0,
  outstanding INTEGER NOT NULL DEFAULT 0,
  adjusted INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
INSERT INTO credit_accounts (workspace_id, updated_at) VALUES ('wsp_default', 0);

ALTER TABLE runs ADD COLUMN credit_cap INTEGER;
ALTER TABLE runs ADD COLUMN item_cost_bound INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN credits_released INTEGER NOT NULL DEFAULT 0;
