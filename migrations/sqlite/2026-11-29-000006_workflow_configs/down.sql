DROP TABLE workflow_configs;
