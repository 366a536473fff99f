//! Workflow runs in the browser: the history, the New run form, the live run page with its
//! state graph, event stream and the controls a person steers a run with.

pub mod control;
pub mod detail;
pub mod graph;
pub mod list;
pub mod live;
pub mod new;

use crate::error::{AppError, AppResult};
use crate::model::{RunId, RunStatus};
use crate::web::Ctx;

pub use control::{abort, answer, pause, resume};
pub use detail::{panels, show};
pub use list::index;
pub use live::events;
pub use new::{create, new_form};

/// The label a demo workflow carries everywhere it is listed.
pub const DEMO_LABEL: &str = "Demo \u{2014} no AI";

pub fn run_id(raw: &str) -> AppResult<RunId> {
    RunId::parse(raw).ok_or(AppError::NotFound)
}

pub fn run_path(slug: &str, id: &RunId) -> String {
    format!("/w/{slug}/runs/{id}")
}

fn is_htmx(ctx: &Ctx) -> bool {
    ctx.req.headers().contains_key("HX-Request")
}

/// The badge tone of a status, as a CSS class suffix.
pub fn status_tone(status: RunStatus) -> &'static str {
    match status {
        // Stopped on purpose by a person: not an error, just over.
        RunStatus::Queued | RunStatus::Paused | RunStatus::Aborted => "muted",
        RunStatus::Running => "info",
        // Halted by a limit or an unanswered question: worth a look, not a fault.
        RunStatus::AwaitingInput | RunStatus::Halted => "warning",
        RunStatus::Complete => "success",
        RunStatus::Failed => "danger",
    }
}

/// Dollars from micro-dollars: four decimals under a cent, where two would read as zero.
pub fn money(micros: i64) -> String {
    let usd = micros as f64 / 1_000_000.0;
    if micros > 0 && micros < 10_000 {
        format!("${usd:.4}")
    } else {
        format!("${usd:.2}")
    }
}

/// A whole number with thousands separators.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// A duration as people say it: "45s", "3m 05s", "2h 04m".
pub fn duration(d: chrono::Duration) -> String {
    let secs = d.num_seconds().max(0);
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m {:02}s", secs / 60, secs % 60),
        _ => format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60),
    }
}

pub fn millis(ms: i64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_shows_four_decimals_under_a_cent() {
        assert_eq!(money(0), "$0.00");
        assert_eq!(money(1_234), "$0.0012");
        assert_eq!(money(9_999), "$0.0100");
        assert_eq!(money(10_000), "$0.01");
        assert_eq!(money(2_500_000), "$2.50");
    }

    #[test]
    fn numbers_and_durations_read_naturally() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-1_000), "-1,000");
        assert_eq!(duration(chrono::Duration::seconds(45)), "45s");
        assert_eq!(duration(chrono::Duration::seconds(185)), "3m 05s");
        assert_eq!(duration(chrono::Duration::seconds(7_440)), "2h 04m");
        assert_eq!(millis(250), "250 ms");
        assert_eq!(millis(1_500), "1.5 s");
    }
}
