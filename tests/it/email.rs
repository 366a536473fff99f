//! Email through the job queue: a real SMTP conversation, retries while the server is down,
//! and a recorded failure in the end.

use std::time::Duration;

use diesel::prelude::*;
use postmagiq::db::schema::jobs;
use postmagiq::model::JobStatus;

use crate::support::smtp::FakeSmtp;
use crate::support::{email_text, reset_token_in, TestApp};

#[tokio::test]
async fn reset_email_is_delivered_over_smtp() {
    let smtp = FakeSmtp::start();
    let url = smtp.url();
    let app = TestApp::spawn_with(move |c| c.smtp_url = Some(url)).await;
    app.client().signup("Ann Lovelace", "ann@example.com").await;
    app.client()
        .post("/auth/forgot", &[("email", "ann@example.com")])
        .await;

    let got = smtp.wait_for(1, 10);
    assert_eq!(got.len(), 1, "one message delivered");
    let msg = &got[0];
    assert_eq!(msg.from, "no-reply@postmagiq.test");
    assert_eq!(msg.to, vec!["ann@example.com".to_string()]);
    let text = email_text(&msg.data);
    assert!(text.contains("Subject: Reset your Postmagiq password"));
    assert!(
        text.contains("Hello Ann Lovelace"),
        "plain-text part: {text}"
    );
    assert!(
        text.contains("--html--") && text.contains("Choose a new password"),
        "HTML part"
    );
    assert_eq!(reset_token_in(&text).len(), 64);

    // The job is recorded as done (just after the SMTP server took the message) and nothing
    // went to the outbox.
    let mut conn = app.conn();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let status: JobStatus = jobs::table.select(jobs::status).first(&mut conn).unwrap();
        if status == JobStatus::Done {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "job stuck at {status}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(app.outbox_messages().is_empty());
}

#[tokio::test]
async fn mail_waits_while_smtp_is_down_and_goes_out_when_it_is_back() {
    // Reserve a port with nothing listening on it.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let app =
        TestApp::spawn_with(move |c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    app.client().signup("Ann", "ann@example.com").await;
    app.client()
        .post("/auth/forgot", &[("email", "ann@example.com")])
        .await;

    // The first attempt fails and the job is rescheduled, not lost.
    let mut conn = app.conn();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let (status, attempts, error) = loop {
        let row: (JobStatus, i32, Option<String>) = jobs::table
            .select((jobs::status, jobs::attempts, jobs::last_error))
            .first(&mut conn)
            .unwrap();
        if row.1 >= 1 && row.0 == JobStatus::Queued {
            break row;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "job never attempted: {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert_eq!((status, attempts), (JobStatus::Queued, 1));
    assert!(error.unwrap_or_default().contains("SMTP"));
    let run_at: chrono::NaiveDateTime = jobs::table.select(jobs::run_at).first(&mut conn).unwrap();
    assert!(
        run_at > postmagiq::model::now(),
        "retry is scheduled with backoff"
    );

    // The server comes back; once the retry is due the mail goes out.
    let smtp = FakeSmtp::start_on(port);
    diesel::update(jobs::table)
        .set(jobs::run_at.eq(postmagiq::model::now()))
        .execute(&mut conn)
        .unwrap();
    let got = smtp.wait_for(1, 10);
    assert_eq!(got.len(), 1);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let status: JobStatus = jobs::table.select(jobs::status).first(&mut conn).unwrap();
        if status == JobStatus::Done {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "job not marked done");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn a_job_that_keeps_failing_is_recorded_as_failed() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let app =
        TestApp::spawn_with(move |c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    app.client().signup("Ann", "ann@example.com").await;
    app.client()
        .post("/auth/forgot", &[("email", "ann@example.com")])
        .await;
    let mut conn = app.conn();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, attempts, max): (JobStatus, i32, i32) = jobs::table
            .select((jobs::status, jobs::attempts, jobs::max_attempts))
            .first(&mut conn)
            .unwrap();
        if status == JobStatus::Failed {
            assert_eq!(attempts, max);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never failed for good"
        );
        // Skip the backoff wait.
        diesel::update(jobs::table.filter(jobs::status.eq(JobStatus::Queued)))
            .set(jobs::run_at.eq(postmagiq::model::now()))
            .execute(&mut conn)
            .unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let (error, finished): (Option<String>, Option<chrono::NaiveDateTime>) = jobs::table
        .select((jobs::last_error, jobs::finished_at))
        .first(&mut conn)
        .unwrap();
    assert!(error.is_some() && finished.is_some());
}

#[tokio::test]
async fn a_job_whose_worker_died_is_claimed_again() {
    let app = TestApp::spawn().await;
    let mut conn = app.conn();
    let payload = serde_json::json!({
        "to": "ann@example.com", "to_name": null, "subject": "Hello again",
        "text": "resumed", "html": "<p>resumed</p>"
    })
    .to_string();
    let id =
        postmagiq::jobs::queue::enqueue(&mut conn, postmagiq::jobs::JobKind::SendEmail, &payload)
            .unwrap();
    // Pretend a worker took it and vanished: running, with a lease already expired.
    diesel::update(jobs::table.find(&id))
        .set((
            jobs::status.eq(JobStatus::Running),
            jobs::locked_by.eq("dead-worker"),
            jobs::locked_until.eq(postmagiq::model::now() - chrono::Duration::seconds(1)),
            jobs::attempts.eq(1),
        ))
        .execute(&mut conn)
        .unwrap();
    app.wait_for_email("ann@example.com", "resumed").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (status, attempts): (JobStatus, i32) = jobs::table
            .find(&id)
            .select((jobs::status, jobs::attempts))
            .first(&mut conn)
            .unwrap();
        if status == JobStatus::Done {
            assert_eq!(attempts, 2);
            break;
        }
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn a_claim_limited_to_one_run_leaves_every_other_job_alone() {
    use postmagiq::jobs::queue::{self, Only};
    use postmagiq::jobs::JobKind;
    // No workers: only the claims below take jobs.
    let app = TestApp::spawn_with(|c| c.workers = 0).await;
    let mut conn = app.conn();
    let email = queue::enqueue(&mut conn, JobKind::SendEmail, "{}").unwrap();
    let mine = queue::enqueue(
        &mut conn,
        JobKind::WorkflowStep,
        r#"{"run_id":"run-a","step":0}"#,
    )
    .unwrap();
    let theirs = queue::enqueue(
        &mut conn,
        JobKind::WorkflowStep,
        r#"{"run_id":"run-b","step":0}"#,
    )
    .unwrap();
    let only = Only {
        kind: JobKind::WorkflowStep,
        payload_contains: r#""run_id":"run-a""#,
    };
    let lease = chrono::Duration::minutes(5);
    let claimed = queue::claim_where(&mut conn, "cli", lease, Some(only)).unwrap();
    assert_eq!(claimed.map(|j| j.id), Some(mine), "only run A's step");
    assert!(queue::claim_where(&mut conn, "cli", lease, Some(only))
        .unwrap()
        .is_none());
    let queued: i64 = jobs::table
        .filter(jobs::id.eq_any([&email, &theirs]))
        .filter(jobs::status.eq(JobStatus::Queued))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(
        queued, 2,
        "the email and the other run's step are untouched"
    );
    // An unrestricted claim still takes the rest.
    assert!(queue::claim(&mut conn, "server", lease).unwrap().is_some());
}
