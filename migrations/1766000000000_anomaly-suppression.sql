-- Up Migration

-- A step made while its device or field was snoozed or in a maintenance window: recorded as any
-- other, with the silence it was made under ({kind, until, reason}); NULL for the rest.
ALTER TABLE anomalies ADD COLUMN suppressed jsonb;

-- Down Migration
ALTER TABLE anomalies DROP COLUMN suppressed;
