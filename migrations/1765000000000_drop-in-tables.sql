-- Up Migration

-- The csv3 format's tables, as its users' streaming job kept them: every reading in data_dump,
-- the anomalous ones (temp above 100 unless configured otherwise) in data_anomaly. A csv3 line
-- carries no time of its own (ts is the broker's), so a reading is its message: the source
-- offset is the key, and re-reading the topic changes nothing.
CREATE TABLE data_dump (
  id                text NOT NULL,
  current_temp      double precision NOT NULL,
  status            text NOT NULL,
  ts                timestamptz NOT NULL,
  source_topic      text NOT NULL,
  source_partition  integer NOT NULL,
  source_offset     bigint NOT NULL,
  PRIMARY KEY (source_topic, source_partition, source_offset)
);
CREATE INDEX data_dump_id_ts ON data_dump (id, ts);

-- The same columns, key and index.
CREATE TABLE data_anomaly (LIKE data_dump INCLUDING ALL);

-- Down Migration
DROP TABLE data_anomaly;
DROP TABLE data_dump;
