-- Up Migration

-- The csv3 job's users query the column by its name in their StreamData class, `currentTemp`
-- (`SELECT * FROM data_anomaly WHERE currentTemp > 100`). PostgreSQL folds an unquoted name to
-- lower case, so a column `currenttemp` answers them; it is generated from current_temp, which
-- the queries written against Vigil's first name keep using.
ALTER TABLE data_dump ADD COLUMN currenttemp double precision GENERATED ALWAYS AS (current_temp) STORED;
ALTER TABLE data_anomaly ADD COLUMN currenttemp double precision GENERATED ALWAYS AS (current_temp) STORED;

-- Down Migration
ALTER TABLE data_anomaly DROP COLUMN currenttemp;
ALTER TABLE data_dump DROP COLUMN currenttemp;
