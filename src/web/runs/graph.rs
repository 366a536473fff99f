//! The run's state graph as inline SVG, laid out on the server from the run's own config.
//!
//! States go in rows by their distance from the start state (breadth first), in config order
//! within a row; terminal states share the last row. Edges that lead to a later row are
//! straight lines; the rest (retry and feedback loops, sideways moves) bend out to the right
//! so they never cross the nodes. Every node carries `data-state` so the page script can move
//! the `active` class as events arrive.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt::Write;

use crate::workflow::config::model::{StateType, WorkflowConfig};
use crate::workflow::machine;

const NODE_W: i64 = 168;
const NODE_H: i64 = 46;
const GAP_X: i64 = 28;
const GAP_Y: i64 = 54;
const PAD: i64 = 16;
/// Room above the first row for loops that come back to it.
const TOP: i64 = 48;
/// Room on the right for the loop curves, per loop.
const LOOP_STEP: i64 = 10;

/// One edge between two states, with the outcomes that take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub outcomes: Vec<String>,
}

/// A state as the text fallback lists it.
#[derive(Debug, Clone)]
pub struct StateItem {
    pub name: String,
    pub kind: &'static str,
    pub description: String,
    /// "outcome → target" lines.
    pub exits: Vec<String>,
    pub active: bool,
    pub visited: bool,
}

/// What the page shows of the graph: the SVG markup and the same content as a list.
pub struct Graph {
    pub svg: String,
    pub items: Vec<StateItem>,
    /// Where agent failures go, said once in words instead of an arrow from every state.
    pub failure_note: String,
}

/// An edge taken only when agents fail, into a terminal state: every working state has one,
/// so drawing them all buries the real flow.
fn is_failure_exit(cfg: &WorkflowConfig, e: &Edge) -> bool {
    cfg.states
        .get(&e.to)
        .is_some_and(|s| s.kind == StateType::Terminal)
        && e.outcomes
            .iter()
            .all(|o| o == "failure" || o == "all_failure")
}

/// Every edge the machine can take, in config order, merged per pair of states.
pub fn edges(cfg: &WorkflowConfig) -> Vec<Edge> {
    let mut out: Vec<Edge> = Vec::new();
    for (name, def) in &cfg.states.0 {
        let name = &name.value;
        for outcome in def.outcomes() {
            let Some(to) = machine::next_state(cfg, name, outcome) else {
                continue;
            };
            if cfg.states.get(&to).is_none() {
                continue;
            }
            match out.iter_mut().find(|e| &e.from == name && e.to == to) {
                Some(e) => e.outcomes.push((*outcome).to_string()),
                None => out.push(Edge {
                    from: name.clone(),
                    to,
                    outcomes: vec![(*outcome).to_string()],
                }),
            }
        }
    }
    out
}

/// The row of every state: BFS depth from the start, terminals on the last row, states the
/// start never reaches just above them.
fn rows(cfg: &WorkflowConfig, edges: &[Edge]) -> HashMap<String, usize> {
    let terminal = |n: &str| {
        cfg.states
            .get(n)
            .is_some_and(|s| s.kind == StateType::Terminal)
    };
    let mut depth: HashMap<String, usize> = HashMap::new();
    let mut queue = VecDeque::new();
    if let Some(start) = machine::start_state(cfg) {
        depth.insert(start.clone(), 0);
        queue.push_back(start);
    }
    while let Some(n) = queue.pop_front() {
        let d = depth[&n];
        for e in edges.iter().filter(|e| e.from == n) {
            if !depth.contains_key(&e.to) && !terminal(&e.to) {
                depth.insert(e.to.clone(), d + 1);
                queue.push_back(e.to.clone());
            }
        }
    }
    let mut next = depth.values().max().map_or(0, |d| d + 1);
    let unreached: Vec<String> = cfg
        .states
        .keys()
        .filter(|n| !depth.contains_key(*n) && !terminal(n))
        .map(str::to_string)
        .collect();
    if !unreached.is_empty() {
        for n in unreached {
            depth.insert(n, next);
        }
        next += 1;
    }
    for n in cfg.states.keys().filter(|n| terminal(n)) {
        depth.insert(n.to_string(), next);
    }
    depth
}

pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max - 1).collect();
    t.push('\u{2026}');
    t
}

struct Place {
    x: i64,
    y: i64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    Straight,
    Left,
    Right,
    SelfLoop,
    Skip,
}

/// Draws the graph. `active` is the state to highlight; `visited` the states the run has been in.
pub fn draw(cfg: &WorkflowConfig, active: Option<&str>, visited: &HashSet<String>) -> Graph {
    let all = edges(cfg);
    let mut failure_targets: Vec<String> = all
        .iter()
        .filter(|e| is_failure_exit(cfg, e))
        .map(|e| e.to.clone())
        .collect();
    failure_targets.dedup();
    let failure_note = if failure_targets.is_empty() {
        String::new()
    } else {
        format!(
            "Arrows for agent failures are left out: a state whose agents all fail goes to {}.",
            failure_targets.join(" or ")
        )
    };
    let edges: Vec<Edge> = all
        .into_iter()
        .filter(|e| !is_failure_exit(cfg, e))
        .collect();
    let depth = rows(cfg, &edges);
    let mut by_row: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for name in cfg.states.keys() {
        by_row
            .entry(depth.get(name).copied().unwrap_or(0))
            .or_default()
            .push(name.to_string());
    }
    let widest = by_row.values().map(Vec::len).max().unwrap_or(1) as i64;
    let grid_w = widest * NODE_W + (widest - 1).max(0) * GAP_X;
    // Rows are numbered 0.. in order; an edge to the next row is drawn straight, any other
    // runs through the gaps between rows and down a lane beside the grid: left for forward
    // jumps, right for loops back, so no edge crosses a node.
    let row_index: HashMap<usize, i64> = by_row
        .keys()
        .enumerate()
        .map(|(i, r)| (*r, i as i64))
        .collect();
    let row_of = |n: &str| depth.get(n).and_then(|d| row_index.get(d)).copied();
    let route = |e: &Edge| match (row_of(&e.from), row_of(&e.to)) {
        (Some(a), Some(b)) if e.from == e.to => (a, b, Route::SelfLoop),
        (Some(a), Some(b)) if b == a + 1 => (a, b, Route::Straight),
        (Some(a), Some(b)) if b > a => (a, b, Route::Left),
        (Some(a), Some(b)) => (a, b, Route::Right),
        _ => (0, 0, Route::Skip),
    };
    let lefts = edges.iter().filter(|e| route(e).2 == Route::Left).count() as i64;
    let rights = edges
        .iter()
        .filter(|e| matches!(route(e).2, Route::Right | Route::SelfLoop))
        .count() as i64;
    let left_room = if lefts > 0 { 10 + lefts * LOOP_STEP } else { 0 };
    let right_room = if rights > 0 {
        10 + rights * LOOP_STEP
    } else {
        0
    };
    let width = PAD * 2 + left_room + grid_w + right_room;
    let mut places: HashMap<String, Place> = HashMap::new();
    for (i, names) in by_row.values().enumerate() {
        let n = names.len() as i64;
        let row_w = n * NODE_W + (n - 1) * GAP_X;
        let x0 = PAD + left_room + (grid_w - row_w) / 2;
        for (j, name) in names.iter().enumerate() {
            places.insert(
                name.clone(),
                Place {
                    x: x0 + j as i64 * (NODE_W + GAP_X),
                    y: TOP + i as i64 * (NODE_H + GAP_Y),
                },
            );
        }
    }
    let height = TOP + PAD + by_row.len() as i64 * (NODE_H + GAP_Y) - GAP_Y;

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="run-graph-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="run-graph-title"><title id="run-graph-title">States of {name}</title>"#,
        name = esc(&cfg.name)
    );
    svg.push_str(
        r#"<defs><marker id="run-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="run-arrow-head" d="M0 0L10 5L0 10z"/></marker></defs>"#,
    );
    svg.push_str(r#"<g class="run-edges">"#);
    let (mut left_no, mut right_no) = (0, 0);
    for e in &edges {
        let (Some(a), Some(b)) = (places.get(&e.from), places.get(&e.to)) else {
            continue;
        };
        let label = format!("{} \u{2192} {} ({})", e.from, e.to, e.outcomes.join(", "));
        let (ax, bx) = (a.x + NODE_W / 2, b.x + NODE_W / 2);
        let (class, d) = match route(e).2 {
            Route::Skip => continue,
            Route::Straight => ("run-edge", format!("M{ax} {} L{bx} {}", a.y + NODE_H, b.y)),
            Route::SelfLoop => {
                right_no += 1;
                let out = PAD + left_room + grid_w + 10 + right_no * LOOP_STEP;
                let (x, y) = (a.x + NODE_W, a.y + NODE_H / 2);
                (
                    "run-edge run-edge-back",
                    format!(
                        "M{x} {} C{out} {} {out} {} {x} {}",
                        y - 8,
                        y - 24,
                        y + 24,
                        y + 8
                    ),
                )
            }
            Route::Left | Route::Right => {
                let left = route(e).2 == Route::Left;
                let lane = if left {
                    left_no += 1;
                    PAD + left_room - 10 - (left_no - 1) * LOOP_STEP
                } else {
                    right_no += 1;
                    PAD + left_room + grid_w + 10 + (right_no - 1) * LOOP_STEP
                };
                let n = if left { left_no } else { right_no };
                // Spread the gap crossings a little so parallel edges stay apart.
                let dy = 10 + (n % 5) * 7;
                let below = a.y + NODE_H + dy;
                let above = b.y - dy;
                (
                    if left { "run-edge run-edge-skip" } else { "run-edge run-edge-back" },
                    format!(
                        "M{ax} {} L{ax} {below} L{lane} {below} L{lane} {above} L{bx} {above} L{bx} {}",
                        a.y + NODE_H,
                        b.y
                    ),
                )
            }
        };
        let _ = write!(
            svg,
            r#"<path class="{class}" d="{d}" marker-end="url(#run-arrow)" data-from="{}" data-to="{}"><title>{}</title></path>"#,
            esc(&e.from),
            esc(&e.to),
            esc(&label)
        );
    }
    svg.push_str("</g><g class=\"run-nodes\">");
    let mut items = Vec::new();
    for (name, def) in &cfg.states.0 {
        let name = &name.value;
        let Some(p) = places.get(name) else { continue };
        let kind = def.kind.as_str();
        let is_active = active == Some(name.as_str());
        let was_visited = visited.contains(name);
        let mut class = format!("run-node run-node-{kind}");
        if was_visited {
            class.push_str(" visited");
        }
        if is_active {
            class.push_str(" active");
        }
        let title = if def.description.is_empty() {
            format!("{name} ({kind})")
        } else {
            format!("{name} ({kind}): {}", def.description)
        };
        let _ = write!(
            svg,
            r#"<g class="{class}" data-state="{n}"><title>{t}</title><rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="8"/><text class="run-node-name" x="{cx}" y="{ny}" text-anchor="middle">{label}</text><text class="run-node-kind" x="{cx}" y="{ky}" text-anchor="middle">{kind}</text></g>"#,
            n = esc(name),
            t = esc(&title),
            x = p.x,
            y = p.y,
            cx = p.x + NODE_W / 2,
            ny = p.y + 20,
            ky = p.y + 36,
            label = esc(&short(name, 22)),
        );
        items.push(StateItem {
            name: name.clone(),
            kind,
            description: def.description.clone(),
            exits: edges
                .iter()
                .filter(|e| &e.from == name)
                .map(|e| format!("{} \u{2192} {}", e.outcomes.join(" / "), e.to))
                .collect(),
            active: is_active,
            visited: was_visited,
        });
    }
    svg.push_str("</g></svg>");
    Graph {
        svg,
        items,
        failure_note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> WorkflowConfig {
        let text = crate::workflow::config::Source::Embedded
            .read("configs/demo.yaml")
            .or_else(|| crate::workflow::config::Source::Embedded.read("demo.yaml"))
            .expect("the demo config is embedded");
        crate::workflow::config::check(&text, &|_| true).expect("the demo config is valid")
    }

    #[test]
    fn edges_follow_the_machine_including_default_transitions() {
        let cfg = demo();
        let e = edges(&cfg);
        let find = |a: &str, b: &str| e.iter().find(|x| x.from == a && x.to == b);
        assert!(find("begin", "story-review").is_some());
        let audit_retry = find("audit", "draft").expect("retry loop");
        assert_eq!(audit_retry.outcomes, vec!["retry"]);
        // `failure` comes from default_transitions.
        assert!(find("story-review", "failed").is_some());
        assert!(find("complete", "begin").is_none());
    }

    #[test]
    fn nodes_carry_their_state_and_the_active_one_is_marked() {
        let cfg = demo();
        let visited: HashSet<String> = ["begin".to_string(), "story-review".to_string()].into();
        let g = draw(&cfg, Some("story-review"), &visited);
        assert!(g.svg.contains(
            r#"class="run-node run-node-single visited active" data-state="story-review""#
        ));
        assert!(g.svg.contains(r#"data-state="complete""#));
        assert!(
            g.svg.contains("run-edge run-edge-back"),
            "the retry loop bends"
        );
        assert_eq!(g.items.len(), cfg.states.len());
        assert!(g.items.iter().any(|i| i.name == "story-review" && i.active));
    }

    #[test]
    fn terminals_share_the_last_row() {
        let cfg = demo();
        let d = rows(&cfg, &edges(&cfg));
        let last = d.values().max().copied().unwrap();
        for t in ["complete", "stopped", "failed"] {
            assert_eq!(d[t], last, "{t}");
        }
        assert_eq!(d["begin"], 0);
        assert!(d["draft"] < d["audit"]);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
