// One schema for both backends: only column types that SQLite and PostgreSQL share.

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        password_hash -> Nullable<Text>,
        is_active -> Bool,
        system_role -> Text,
        theme -> Text,
        default_workspace_id -> Nullable<Text>,
        email_verified_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    workspaces (id) {
        id -> Text,
        name -> Text,
        slug -> Text,
        description -> Nullable<Text>,
        owner_id -> Text,
        settings -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    workspace_memberships (id) {
        id -> Text,
        workspace_id -> Text,
        user_id -> Nullable<Text>,
        email -> Text,
        role -> Text,
        invite_status -> Text,
        invite_token_hash -> Nullable<Text>,
        invite_expires_at -> Nullable<Timestamp>,
        invited_by_id -> Nullable<Text>,
        invited_at -> Nullable<Timestamp>,
        accepted_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        token_hash -> Text,
        user_id -> Text,
        user_agent -> Nullable<Text>,
        ip_address -> Nullable<Text>,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    password_reset_tokens (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    auth_attempts (id) {
        id -> Text,
        kind -> Text,
        email -> Text,
        ip_address -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_logs (id) {
        id -> Text,
        workspace_id -> Nullable<Text>,
        user_id -> Nullable<Text>,
        action -> Text,
        resource_type -> Nullable<Text>,
        resource_id -> Nullable<Text>,
        description -> Text,
        old_value -> Nullable<Text>,
        new_value -> Nullable<Text>,
        ip_address -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    jobs (id) {
        id -> Text,
        kind -> Text,
        payload -> Text,
        status -> Text,
        run_at -> Timestamp,
        attempts -> Integer,
        max_attempts -> Integer,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(workspace_memberships -> workspaces (workspace_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(password_reset_tokens -> users (user_id));
diesel::joinable!(audit_logs -> workspaces (workspace_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    workspaces,
    workspace_memberships,
    sessions,
    password_reset_tokens,
    auth_attempts,
    audit_logs,
    jobs,
);
