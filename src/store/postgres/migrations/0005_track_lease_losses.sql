-- 0005_track_lease_losses (PostgreSQL; mirrors sqlite/migrations/0005, issue 12): a lease lost
-- by a node that is still alive (its row heartbeated within a lease length and it has not
-- stopped) is counted apart from attempts, with its own limit (core/lease-recovery.ts), so a
-- live node never fails its own work; and each node's PID namespace (`readlink
-- /proc/self/ns/pid`, e.g. `pid:[4026531836]`), so the same-host dead-node check
-- (`kill(pid, 0)`) is only trusted between nodes in one namespace.
ALTER TABLE items ADD COLUMN lease_lost_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE nodes ADD COLUMN pid_namespace TEXT;
