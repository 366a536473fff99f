DROP TABLE workflow_events;
DROP TABLE workflow_state_metrics;
DROP TABLE workflow_outputs;
DROP TABLE workflow_runs;
ALTER TABLE workflow_configs DROP COLUMN yaml;
