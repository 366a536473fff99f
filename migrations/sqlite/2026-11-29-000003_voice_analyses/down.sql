DROP TABLE voice_analyses;
