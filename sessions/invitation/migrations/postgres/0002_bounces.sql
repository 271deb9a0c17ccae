-- Bounces recorded by the office: the PostgreSQL spelling of
-- ../0002_bounces.sql.
ALTER TABLE invitation_recipients ADD COLUMN bounced_at BIGINT;
ALTER TABLE invitation_recipients ADD COLUMN bounce_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE invitation_recipients ADD COLUMN bounced_by TEXT NOT NULL DEFAULT '';
