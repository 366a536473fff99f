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
        tier -> Text,
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

diesel::table! {
    voice_profiles (id) {
        id -> Text,
        workspace_id -> Nullable<Text>,
        is_preset -> Bool,
        name -> Text,
        slug -> Text,
        description -> Text,
        tone_description -> Text,
        signature_phrases -> Text,
        word_choices -> Text,
        example_excerpts -> Text,
        avoid_patterns -> Text,
        created_by_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    writing_samples (id) {
        id -> Text,
        workspace_id -> Text,
        user_id -> Nullable<Text>,
        source_type -> Text,
        prompt_id -> Nullable<Text>,
        title -> Text,
        content -> Text,
        word_count -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    goals (id) {
        id -> Text,
        workspace_id -> Text,
        created_by_id -> Nullable<Text>,
        name -> Text,
        signature_thesis -> Text,
        positioning -> Text,
        target_audience -> Text,
        content_style -> Text,
        strategy_type -> Text,
        posts_per_week -> Integer,
        voice_profile_id -> Nullable<Text>,
        plan_source -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    chapters (id) {
        id -> Text,
        workspace_id -> Text,
        goal_id -> Text,
        chapter_number -> Integer,
        title -> Text,
        theme -> Text,
        description -> Text,
        weeks_start -> Nullable<Integer>,
        weeks_end -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    posts (id) {
        id -> Text,
        workspace_id -> Text,
        chapter_id -> Nullable<Text>,
        post_number -> Nullable<Integer>,
        title -> Text,
        shape -> Text,
        guidance -> Text,
        body -> Text,
        status -> Text,
        priority -> Text,
        assignee_id -> Nullable<Text>,
        due_date -> Nullable<Timestamp>,
        last_run_score -> Nullable<Integer>,
        current_version -> Integer,
        board_position -> BigInt,
        created_by_id -> Nullable<Text>,
        published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    post_versions (id) {
        id -> Text,
        workspace_id -> Text,
        post_id -> Text,
        version -> Integer,
        title -> Text,
        body -> Text,
        source -> Text,
        author_id -> Nullable<Text>,
        note -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    post_assignment_history (id) {
        id -> Text,
        workspace_id -> Text,
        post_id -> Text,
        assigned_by_id -> Nullable<Text>,
        previous_assignee_id -> Nullable<Text>,
        new_assignee_id -> Nullable<Text>,
        action -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    post_status_history (id) {
        id -> Text,
        workspace_id -> Text,
        post_id -> Text,
        from_status -> Text,
        to_status -> Text,
        changed_by_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    post_publications (id) {
        id -> Text,
        workspace_id -> Text,
        post_id -> Text,
        platform -> Text,
        url -> Nullable<Text>,
        marked_by_id -> Nullable<Text>,
        published_at -> Timestamp,
    }
}

diesel::table! {
    workspace_events (id) {
        id -> BigInt,
        workspace_id -> Text,
        kind -> Text,
        actor_id -> Nullable<Text>,
        subject_id -> Nullable<Text>,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    workspace_voice_defaults (workspace_id) {
        workspace_id -> Text,
        voice_profile_id -> Text,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(chapters -> goals (goal_id));
diesel::joinable!(posts -> chapters (chapter_id));
diesel::joinable!(post_versions -> posts (post_id));
diesel::joinable!(post_assignment_history -> posts (post_id));
diesel::joinable!(post_status_history -> posts (post_id));
diesel::joinable!(post_publications -> posts (post_id));
diesel::joinable!(workspace_voice_defaults -> voice_profiles (voice_profile_id));

diesel::table! {
    notifications (id) {
        id -> Text,
        workspace_id -> Text,
        user_id -> Text,
        actor_id -> Nullable<Text>,
        kind -> Text,
        title -> Text,
        body -> Text,
        link -> Text,
        read_at -> Nullable<Timestamp>,
        dismissed_at -> Nullable<Timestamp>,
        emailed -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notification_preferences (id) {
        id -> Text,
        workspace_id -> Text,
        user_id -> Text,
        kind -> Text,
        channel -> Text,
        enabled -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    users,
    workspaces,
    workspace_memberships,
    sessions,
    password_reset_tokens,
    auth_attempts,
    audit_logs,
    jobs,
    voice_profiles,
    writing_samples,
    goals,
    chapters,
    posts,
    post_versions,
    post_assignment_history,
    post_status_history,
    post_publications,
    workspace_events,
    workspace_voice_defaults,
    voice_analyses,
    notifications,
    notification_preferences,
    approval_stages,
    approval_requests,
    approval_comments,
    workflow_configs,
    workflow_runs,
    workflow_outputs,
    workflow_state_metrics,
    workflow_events,
    usage_periods,
    credit_reservations,
);

diesel::table! {
    voice_analyses (id) {
        id -> Text,
        workspace_id -> Text,
        requested_by_id -> Nullable<Text>,
        status -> Text,
        sample_count -> Integer,
        word_count -> Integer,
        voice_profile_id -> Nullable<Text>,
        error -> Nullable<Text>,
        agent -> Text,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    approval_stages (id) {
        id -> Text,
        workspace_id -> Text,
        name -> Text,
        position -> Integer,
        is_required -> Bool,
        is_active -> Bool,
        approver_role -> Text,
        allow_self_approval -> Bool,
        created_by_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    approval_requests (id) {
        id -> Text,
        workspace_id -> Text,
        post_id -> Text,
        stage_id -> Nullable<Text>,
        stage_name -> Text,
        submitted_by_id -> Nullable<Text>,
        decided_by_id -> Nullable<Text>,
        status -> Text,
        content_version -> Integer,
        decision_note -> Text,
        submitted_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        reminded_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    approval_comments (id) {
        id -> Text,
        workspace_id -> Text,
        request_id -> Text,
        author_id -> Nullable<Text>,
        body -> Text,
        is_internal -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    workflow_configs (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        description -> Text,
        config_file -> Text,
        environment -> Text,
        features -> Text,
        tier_required -> Nullable<Text>,
        enabled -> Bool,
        is_default -> Bool,
        yaml -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    workflow_runs (id) {
        id -> Text,
        workspace_id -> Text,
        started_by -> Text,
        post_id -> Nullable<Text>,
        config_slug -> Text,
        config_name -> Text,
        config_yaml -> Text,
        config_hash -> Text,
        overlay -> Text,
        voice -> Nullable<Text>,
        title -> Text,
        story -> Text,
        status -> Text,
        control -> Nullable<Text>,
        current_state -> Text,
        final_state -> Nullable<Text>,
        step -> Integer,
        machine -> Text,
        pending_input -> Nullable<Text>,
        input_tokens -> BigInt,
        output_tokens -> BigInt,
        cost_micros -> BigInt,
        active_ms -> BigInt,
        credits_reserved -> BigInt,
        credits_used -> BigInt,
        error -> Nullable<Text>,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    workflow_outputs (id) {
        id -> Text,
        workspace_id -> Text,
        run_id -> Text,
        step -> Integer,
        state_name -> Text,
        agent -> Text,
        output_type -> Text,
        content -> Text,
        score -> Nullable<Integer>,
        decision -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    workflow_state_metrics (id) {
        id -> Text,
        workspace_id -> Text,
        run_id -> Text,
        step -> Integer,
        state_name -> Text,
        agent -> Text,
        model -> Text,
        success -> Bool,
        error -> Nullable<Text>,
        input_tokens -> BigInt,
        output_tokens -> BigInt,
        cost_micros -> BigInt,
        latency_ms -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    workflow_events (id) {
        id -> BigInt,
        workspace_id -> Text,
        run_id -> Text,
        kind -> Text,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(workflow_outputs -> workflow_runs (run_id));
diesel::joinable!(workflow_state_metrics -> workflow_runs (run_id));
diesel::joinable!(workflow_events -> workflow_runs (run_id));

diesel::table! {
    usage_periods (id) {
        id -> Text,
        workspace_id -> Text,
        period_start -> Timestamp,
        period_end -> Timestamp,
        credits_used -> BigInt,
        credits_limit -> BigInt,
        overage_credits -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    credit_reservations (id) {
        id -> Text,
        workspace_id -> Text,
        usage_period_id -> Text,
        resource_type -> Text,
        resource_id -> Nullable<Text>,
        amount -> BigInt,
        confirmed_amount -> BigInt,
        status -> Text,
        idempotency_key -> Text,
        expires_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}
