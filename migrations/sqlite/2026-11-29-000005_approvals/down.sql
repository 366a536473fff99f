DROP TABLE approval_comments;
DROP TABLE approval_requests;
DROP TABLE approval_stages;
