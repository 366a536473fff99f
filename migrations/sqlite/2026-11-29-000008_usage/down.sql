DROP TABLE credit_reservations;
DROP TABLE usage_periods;
ALTER TABLE workspaces DROP COLUMN tier;
