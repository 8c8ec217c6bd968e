-- Up Migration

-- Every anomaly event (raised, updated, resolved), once each: the event id is deterministic,
-- so a re-published event is recognised and not inserted twice.
CREATE TABLE anomalies (
  event_id     text PRIMARY KEY,
  anomaly_id   text NOT NULL,
  status       text NOT NULL CHECK (status IN ('raised', 'updated', 'resolved')),
  device_id    text NOT NULL,
  detector     text NOT NULL,
  field        text NOT NULL,
  ts           timestamptz NOT NULL,
  value        double precision NOT NULL,
  explanation  jsonb NOT NULL,
  source       jsonb NOT NULL,
  stored_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX anomalies_device_ts ON anomalies (device_id, ts);

-- Seed 003's hourly averages, merged on (device, field, window start): each update of a window
-- replaces the row until the window is final.
CREATE TABLE hourly_aggregates (
  device_id     text NOT NULL,
  field         text NOT NULL,
  window_start  timestamptz NOT NULL,
  window_end    timestamptz NOT NULL,
  count         integer NOT NULL,
  avg           double precision NOT NULL,
  min           double precision NOT NULL,
  max           double precision NOT NULL,
  final         boolean NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, field, window_start)
);

-- Seed 004's data_dump: every valid reading, once per (device, event time).
CREATE TABLE readings (
  device_id  text NOT NULL,
  ts         timestamptz NOT NULL,
  "values"   jsonb NOT NULL,
  attrs      jsonb,
  source     jsonb NOT NULL,
  PRIMARY KEY (device_id, ts)
);

-- Down Migration
DROP TABLE readings;
DROP TABLE hourly_aggregates;
DROP TABLE anomalies;
