-- Up Migration
-- HTM model checkpoints shared by every worker (VIGIL_MODEL_STORE=postgres://…): one row per
-- (device, field, version); `checkpoint` is framed with its SHA-256 (src/model-store/checkpoint-frame.ts).
CREATE TABLE IF NOT EXISTS vigil_model_checkpoints (
  device_id  text        NOT NULL,
  field      text        NOT NULL,
  version    bigint      NOT NULL CHECK (version >= 0),
  checkpoint bytea       NOT NULL,
  saved_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, field, version)
);

-- Down Migration
DROP TABLE IF EXISTS vigil_model_checkpoints;
