-- Content: strategies (goals), chapters, posts with versions and history, voice, publication marks,
-- and the workspace event log that live views and later subscribers read.

CREATE TABLE voice_profiles (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT REFERENCES workspaces(id) ON DELETE CASCADE,
    is_preset BOOLEAN NOT NULL DEFAULT FALSE,
    name TEXT NOT NULL,
    slug TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    tone_description TEXT NOT NULL DEFAULT '',
    signature_phrases TEXT NOT NULL DEFAULT '',
    word_choices TEXT NOT NULL DEFAULT '',
    example_excerpts TEXT NOT NULL DEFAULT '',
    avoid_patterns TEXT NOT NULL DEFAULT '',
    created_by_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_voice_profiles_workspace_slug ON voice_profiles(workspace_id, slug);

CREATE TABLE writing_samples (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    source_type TEXT NOT NULL CHECK (source_type IN ('prompt', 'upload', 'paste')),
    prompt_id TEXT,
    title TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL,
    word_count INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_writing_samples_workspace ON writing_samples(workspace_id, created_at);

CREATE TABLE goals (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    created_by_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    signature_thesis TEXT NOT NULL DEFAULT '',
    positioning TEXT NOT NULL DEFAULT '',
    target_audience TEXT NOT NULL DEFAULT '',
    content_style TEXT NOT NULL DEFAULT '',
    strategy_type TEXT NOT NULL DEFAULT 'series' CHECK (strategy_type IN ('series', 'daily', 'campaign')),
    posts_per_week INTEGER NOT NULL DEFAULT 2,
    voice_profile_id TEXT REFERENCES voice_profiles(id) ON DELETE SET NULL,
    plan_source TEXT NOT NULL DEFAULT 'manual' CHECK (plan_source IN ('manual', 'builtin', 'agent')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_goals_workspace ON goals(workspace_id, created_at);

CREATE TABLE chapters (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    goal_id TEXT NOT NULL REFERENCES goals(id) ON DELETE CASCADE,
    chapter_number INTEGER NOT NULL,
    title TEXT NOT NULL,
    theme TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    weeks_start INTEGER,
    weeks_end INTEGER,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_chapters_workspace_goal ON chapters(workspace_id, goal_id, chapter_number);

CREATE TABLE posts (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    chapter_id TEXT REFERENCES chapters(id) ON DELETE SET NULL,
    post_number INTEGER,
    title TEXT NOT NULL,
    shape TEXT NOT NULL DEFAULT '',
    guidance TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'idea' CHECK (status IN ('idea', 'drafting', 'in_review', 'changes_requested', 'approved', 'scheduled', 'published')),
    priority TEXT NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    assignee_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    due_date TIMESTAMP,
    last_run_score INTEGER,
    current_version INTEGER NOT NULL DEFAULT 0,
    board_position BIGINT NOT NULL DEFAULT 0,
    created_by_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_posts_workspace_status ON posts(workspace_id, status, board_position);
CREATE INDEX ix_posts_workspace_assignee ON posts(workspace_id, assignee_id);
CREATE INDEX ix_posts_workspace_due ON posts(workspace_id, due_date);
CREATE INDEX ix_posts_workspace_chapter ON posts(workspace_id, chapter_id);

CREATE TABLE post_versions (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    post_id TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('human', 'workflow', 'restore', 'import')),
    author_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_post_versions_post_version ON post_versions(post_id, version);
CREATE INDEX ix_post_versions_workspace ON post_versions(workspace_id, post_id);

CREATE TABLE post_assignment_history (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    post_id TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    assigned_by_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    previous_assignee_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    new_assignee_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    action TEXT NOT NULL CHECK (action IN ('assigned', 'reassigned', 'unassigned')),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_post_assignment_history_post ON post_assignment_history(workspace_id, post_id, created_at);

CREATE TABLE post_status_history (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    post_id TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    changed_by_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_post_status_history_post ON post_status_history(workspace_id, post_id, created_at);

CREATE TABLE post_publications (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    post_id TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    platform TEXT NOT NULL CHECK (platform IN ('linkedin', 'threads', 'x', 'medium')),
    url TEXT,
    marked_by_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    published_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_post_publications_post_platform ON post_publications(post_id, platform);
CREATE INDEX ix_post_publications_workspace ON post_publications(workspace_id, post_id);

CREATE TABLE workspace_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    actor_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    subject_id TEXT,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ix_workspace_events_workspace ON workspace_events(workspace_id, id);

-- The voice profile a workspace's writing uses unless a strategy names another.
CREATE TABLE workspace_voice_defaults (
    workspace_id TEXT PRIMARY KEY NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    voice_profile_id TEXT NOT NULL REFERENCES voice_profiles(id) ON DELETE CASCADE,
    updated_at TIMESTAMP NOT NULL
);

-- The three read-only voice presets every workspace can use.
INSERT INTO voice_profiles (id, workspace_id, is_preset, name, slug, description, tone_description, signature_phrases, word_choices, example_excerpts, avoid_patterns, created_by_id, created_at, updated_at) VALUES
('7d7f3c1e-5a0b-4c43-9a51-0f2b3d7a1001', NULL, TRUE, 'Conversational', 'conversational',
 'Like talking to a colleague over coffee: warm, direct and a little informal.',
 'Friendly and plain-spoken. Short sentences, first person, the occasional question to the reader. Honest about doubts and mistakes.',
 'Here is the thing.
What surprised me most was this.
I used to think … then …',
 'Everyday words over jargon: "use" not "leverage", "help" not "facilitate". Contractions are welcome.',
 'Last Tuesday I shipped a feature nobody asked for. It was the best mistake of my quarter.',
 'Corporate buzzwords, walls of hashtags, "I am humbled to announce", emoji in every line.',
 NULL, '2026-11-29 00:00:00', '2026-11-29 00:00:00'),
('7d7f3c1e-5a0b-4c43-9a51-0f2b3d7a1002', NULL, TRUE, 'Professional', 'professional',
 'Clear, measured and credible: the voice of someone who has done the work.',
 'Confident without boasting. Leads with the insight, backs it with a concrete example or number, ends with a practical takeaway.',
 'The lesson is simple:
Three things made the difference.
If you lead a team, try this:',
 'Precise verbs, concrete nouns, numbers where they exist. No slang; contractions used sparingly.',
 'We cut onboarding from six weeks to nine days. The change was not a tool: it was one shared checklist.',
 'Vague claims without evidence, hype words ("game-changer", "revolutionary"), long preambles.',
 NULL, '2026-11-29 00:00:00', '2026-11-29 00:00:00'),
('7d7f3c1e-5a0b-4c43-9a51-0f2b3d7a1003', NULL, TRUE, 'Servant leader', 'servant-leader',
 'Humble and people-first: credits the team, shares what was learned, invites others in.',
 'Reflective and generous. Tells the story through the people involved, admits what the author got wrong, and closes with an open question.',
 'The credit belongs to the team.
I got this wrong at first.
What would you have done?',
 '"We" more than "I" when describing results; "learned", "listened", "asked" as key verbs.',
 'My best decision last year was one I did not make: I asked the team, and they saw what I had missed.',
 'Self-congratulation, lecturing the reader, turning a team win into a personal brand moment.',
 NULL, '2026-11-29 00:00:00', '2026-11-29 00:00:00');
