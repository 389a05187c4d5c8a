//! Guided troubleshooting flows: the compiled model ([`Flow`]) and the pure state machine that
//! walks a customer through one ([`FlowState`]).
//!
//! Good support troubleshoots as *collect information → find the cause → propose a fix → confirm
//! it worked*. A flow is a small graph of [`Node`]s: questions with 2–6 answers, details to
//! collect, steps to carry out, articles to read, proposed fixes ("did this solve it?"), and the
//! two ways out, escalation to a person and a plain end.
//!
//! The state is only the path taken — the flow's id and the `(node id, reply)` pairs — so it
//! serialises to a small JSON string the widget can keep in `sessionStorage`, and everything else
//! (the current node, the collected values, the transcript, the progress hint) is derived from it
//! and the flow. A state saved against an older bundle is checked step by step with
//! [`FlowState::restore`], which returns an error (never panics) when it no longer fits.
//!
//! ```
//! use kefu_core::flow::{Answer, Flow, FlowState, Node, NodeKind, Outcome};
//!
//! let flow = Flow {
//!     id: "cannot-log-in".into(),
//!     start: 0,
//!     order: None,
//!     nodes: vec![
//!         Node {
//!             id: "start".into(),
//!             kind: NodeKind::Question {
//!                 prompt: "What happens when you log in?".into(),
//!                 answers: vec![
//!                     Answer { label: "Wrong password".into(), note: None, next: 1 },
//!                     Answer { label: "Something else".into(), note: None, next: 2 },
//!                 ],
//!             },
//!         },
//!         Node {
//!             id: "reset".into(),
//!             kind: NodeKind::Solution { text: Vec::new(), image: None, unsolved: 2 },
//!         },
//!         Node { id: "human".into(), kind: NodeKind::Escalate { text: Vec::new() } },
//!     ],
//! };
//! let mut state = FlowState::new(&flow);
//! state.choose(&flow, 0).unwrap();
//! assert_eq!(state.current(&flow).unwrap().map(|node| node.id.as_str()), Some("reset"));
//! state.solved(&flow, false).unwrap();
//! assert_eq!(state.outcome(&flow).unwrap(), Some(Outcome::Escalated));
//! state.back();
//! assert_eq!(state.outcome(&flow).unwrap(), None);
//! ```

use serde::{Deserialize, Serialize};

use crate::kb::{Block, blocks_text};

/// A compiled flow: its nodes, with references between them resolved to indices into `nodes`.
///
/// The KB compiler guarantees that every index is in range, that every node is reachable from
/// `start`, and that every node has a way out; the engine still checks indices on every use, since
/// a bundle is input it did not write.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    /// The document id shared by the flow's translations (the file stem, e.g. `cannot-log-in`).
    pub id: String,
    /// Index of the first node.
    pub start: u32,
    /// Position in the "common problems" list: lower first, flows without one after those with
    /// one, ties by title.
    pub order: Option<i32>,
    pub nodes: Vec<Node>,
}

/// One node of a flow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// The id the editor gave it (`[node.reset-password]`); stable across bundles, so saved
    /// states refer to nodes by it.
    pub id: String,
    pub kind: NodeKind,
}

/// What a node asks of the customer, and where each reply leads (indices into [`Flow::nodes`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum NodeKind {
    /// A question with 2–6 answers; reply with [`FlowState::choose`].
    Question {
        prompt: String,
        answers: Vec<Answer>,
    },
    /// Ask for one detail (order number, phone model); reply with [`FlowState::submit`]. The value
    /// is kept under `name` (see [`FlowState::values`]).
    Collect {
        prompt: String,
        name: String,
        pattern: Option<Pattern>,
        /// Shown when a value does not match `pattern`.
        pattern_hint: Option<String>,
        next: u32,
    },
    /// An instruction to carry out, then continue with [`FlowState::next`].
    Step {
        text: Vec<Block>,
        image: Option<Image>,
        next: u32,
    },
    /// A proposed fix, followed by "Did this solve it?": reply with [`FlowState::solved`]. Yes ends
    /// the flow happily; no goes to `unsolved` (another fix, or escalation).
    Solution {
        text: Vec<Block>,
        image: Option<Image>,
        unsolved: u32,
    },
    /// Show the KB document `article` inline, then continue with [`FlowState::next`].
    Article { article: String, next: u32 },
    /// Hand over to the feedback form, pre-filled with the transcript and collected values. Final.
    Escalate { text: Vec<Block> },
    /// The flow ends here (for instance "this is expected behaviour"). Final.
    End { text: Vec<Block> },
}

/// One answer of a question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub label: String,
    /// The trade-off of choosing it ("faster, costs extra"), shown under the label.
    pub note: Option<String>,
    pub next: u32,
}

/// An image illustrating a step or fix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Image {
    /// An `https://` URL or a path on the host site (`/help/reset.png`).
    pub src: String,
    /// What the image shows, for screen readers; empty only for a decorative image.
    pub alt: String,
}

impl Flow {
    /// Node number `index`, if it exists.
    pub fn node(&self, index: u32) -> Option<&Node> {
        self.nodes.get(index as usize)
    }

    /// The number of the node with `id`.
    pub fn index_of(&self, id: &str) -> Option<u32> {
        self.nodes
            .iter()
            .position(|node| node.id == id)
            .and_then(|index| u32::try_from(index).ok())
    }

    /// Appends the text customers might search for: question prompts, answers, collect prompts
    /// and the texts of steps, fixes and endings.
    pub fn searchable_text(&self, out: &mut String) {
        for node in &self.nodes {
            match &node.kind {
                NodeKind::Question { prompt, answers } => {
                    out.push_str(prompt);
                    out.push('\n');
                    for answer in answers {
                        out.push_str(&answer.label);
                        out.push('\n');
                    }
                }
                NodeKind::Collect { prompt, .. } => {
                    out.push_str(prompt);
                    out.push('\n');
                }
                NodeKind::Step { text, .. }
                | NodeKind::Solution { text, .. }
                | NodeKind::Escalate { text }
                | NodeKind::End { text } => blocks_text(text, out),
                NodeKind::Article { .. } => {}
            }
        }
    }

    /// For each node, the fewest and the most nodes still ahead of a customer standing on it
    /// before the flow ends (0 for a final node, and for a fix, which may end the flow at once).
    ///
    /// The most is a hint, not a bound: a flow may loop ("try again"), so the longest path is
    /// measured without the edges that go back towards the start (as found by a depth-first walk
    /// from it). Nodes that reach no end get `usize::MAX` as their fewest.
    pub fn remaining(&self) -> Vec<(usize, usize)> {
        let n_nodes = self.nodes.len();
        let successors: Vec<Vec<usize>> = self
            .nodes
            .iter()
            .map(|node| {
                successors(&node.kind)
                    .filter(|&next| (next as usize) < n_nodes)
                    .map(|next| next as usize)
                    .collect()
            })
            .collect();
        let may_end = |index: usize| {
            matches!(
                self.nodes[index].kind,
                NodeKind::Escalate { .. } | NodeKind::End { .. } | NodeKind::Solution { .. }
            )
        };
        // Fewest: relax until nothing changes (at most one round per node).
        let mut fewest: Vec<usize> = (0..n_nodes)
            .map(|index| if may_end(index) { 0 } else { usize::MAX })
            .collect();
        for _ in 0..n_nodes {
            let mut changed = false;
            for index in 0..n_nodes {
                let through = successors[index]
                    .iter()
                    .map(|&next| fewest[next].saturating_add(1))
                    .min()
                    .unwrap_or(usize::MAX);
                if through < fewest[index] {
                    fewest[index] = through;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        // Most: longest path in the graph without back edges, by an iterative depth-first walk
        // (a bundle could hold a deep flow; recursion could overflow the wasm stack).
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            OnStack,
            Done,
        }
        let mut mark = vec![Mark::New; n_nodes];
        let mut most = vec![0usize; n_nodes];
        let roots = std::iter::once(self.start as usize)
            .chain(0..n_nodes)
            .filter(|&root| root < n_nodes);
        for root in roots {
            if mark[root] != Mark::New {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            mark[root] = Mark::OnStack;
            while let Some(&mut (index, ref mut next_edge)) = stack.last_mut() {
                if let Some(&next) = successors[index].get(*next_edge) {
                    *next_edge += 1;
                    if mark[next] == Mark::New {
                        mark[next] = Mark::OnStack;
                        stack.push((next, 0));
                    }
                    continue;
                }
                most[index] = successors[index]
                    .iter()
                    .filter(|&&next| mark[next] == Mark::Done)
                    .map(|&next| most[next] + 1)
                    .max()
                    .unwrap_or(0);
                mark[index] = Mark::Done;
                stack.pop();
            }
        }
        fewest.into_iter().zip(most).collect()
    }
}

/// The nodes a node leads to, in answer order.
pub fn successors(kind: &NodeKind) -> impl Iterator<Item = u32> + '_ {
    let (answers, single): (&[Answer], Option<u32>) = match kind {
        NodeKind::Question { answers, .. } => (answers, None),
        NodeKind::Collect { next, .. }
        | NodeKind::Step { next, .. }
        | NodeKind::Article { next, .. } => (&[], Some(*next)),
        NodeKind::Solution { unsolved, .. } => (&[], Some(*unsolved)),
        NodeKind::Escalate { .. } | NodeKind::End { .. } => (&[], None),
    };
    answers.iter().map(|answer| answer.next).chain(single)
}

/// What the customer did at one node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reply {
    /// The number of the chosen answer of a question, from 0.
    Choice(u32),
    /// The value given to a collect node.
    Value(String),
    /// Continued after a step or an article.
    Next,
    /// The answer to "Did this solve it?" after a fix.
    Solved(bool),
}

/// Where a customer is in a flow: the flow's id and the path taken, as `(node id, reply)` pairs.
///
/// Serialises (serde) to a small JSON value such as
/// `{"flow":"cannot-log-in","path":[["start",{"choice":0}],["reset",{"solved":false}]]}`.
/// Collected values live in the path's collect steps, so going back forgets them with the step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowState {
    pub flow: String,
    pub path: Vec<(String, Reply)>,
}

/// How a flow ended. `Abandoned` is what [`FlowState::leave`] reports for a flow left midway.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// A fix worked: the customer answered yes to "Did this solve it?".
    Solved,
    /// The flow reached an escalation node: the customer is handed to the feedback form.
    Escalated,
    /// The flow reached an end node.
    Ended,
    /// The customer left before any of the above.
    Abandoned,
}

impl Outcome {
    /// The lowercase name used in events and JSON: `solved`, `escalated`, `ended`, `abandoned`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Solved => "solved",
            Outcome::Escalated => "escalated",
            Outcome::Ended => "ended",
            Outcome::Abandoned => "abandoned",
        }
    }
}

/// The longest path a state may hold. Far beyond any real flow (a customer going round a loop
/// many times included); it bounds what a restored state can make the engine do.
pub const MAX_PATH: usize = 500;

/// The longest value a collect node accepts, in characters.
pub const MAX_VALUE_CHARS: usize = 500;

/// Why a reply or a restored state does not fit the flow. Each message says what went wrong in
/// terms a developer can act on; the widget shows its own text, and drops a stale saved state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlowError {
    /// The state was saved for another flow.
    OtherFlow { expected: String, got: String },
    /// The flow has no node with this id (it was renamed or removed since the state was saved).
    UnknownNode { node: String },
    /// Step `step` of a restored path is at `got`, but the step before leads to `expected`.
    Diverged {
        step: usize,
        expected: String,
        got: String,
    },
    /// The reply does not fit the current node (an answer for a step, a value for a question).
    WrongReply {
        node: String,
        expected: &'static str,
    },
    /// An answer number past the question's answers.
    AnswerOutOfRange {
        node: String,
        answer: u32,
        answers: usize,
    },
    /// The flow is over (solved, escalated or ended): there is nothing to reply to.
    Finished,
    /// A restored path longer than [`MAX_PATH`].
    TooLong { len: usize },
    /// A collected value was rejected.
    Value { node: String, error: CollectError },
}

/// Why a collect node refused a value. The widget shows `hint` (the editor's `pattern_hint`) when
/// there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CollectError {
    /// Nothing was entered (only spaces).
    Empty,
    /// More than [`MAX_VALUE_CHARS`] characters.
    TooLong { chars: usize },
    /// The value does not match the node's pattern.
    Mismatch {
        pattern: String,
        hint: Option<String>,
    },
}

impl std::fmt::Display for CollectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CollectError::Empty => write!(f, "the value is empty; type something first"),
            CollectError::TooLong { chars } => write!(
                f,
                "the value has {chars} characters, more than the {MAX_VALUE_CHARS} accepted; shorten it"
            ),
            CollectError::Mismatch {
                hint: Some(hint), ..
            } => write!(f, "{hint}"),
            CollectError::Mismatch {
                pattern,
                hint: None,
            } => write!(
                f,
                "the value does not have the expected form `{pattern}`; check it"
            ),
        }
    }
}

impl std::error::Error for CollectError {}

impl std::fmt::Display for FlowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlowError::OtherFlow { expected, got } => write!(
                f,
                "the state belongs to flow `{got}`, not `{expected}`; start `{expected}` afresh"
            ),
            FlowError::UnknownNode { node } => write!(
                f,
                "the flow has no node `{node}` (the KB changed since the state was saved); restart the flow"
            ),
            FlowError::Diverged {
                step,
                expected,
                got,
            } => write!(
                f,
                "step {step} of the saved path is at `{got}`, but the flow now leads to `{expected}` there; restart the flow"
            ),
            FlowError::WrongReply { node, expected } => {
                write!(f, "node `{node}` expects {expected}")
            }
            FlowError::AnswerOutOfRange {
                node,
                answer,
                answers,
            } => write!(
                f,
                "question `{node}` has {answers} answers, so answer number {answer} does not exist (answers count from 0)"
            ),
            FlowError::Finished => {
                write!(f, "the flow is over; go back or restart it to reply again")
            }
            FlowError::TooLong { len } => write!(
                f,
                "the saved path has {len} steps, more than the {MAX_PATH} a state may hold; restart the flow"
            ),
            FlowError::Value { node, error } => write!(f, "node `{node}`: {error}"),
        }
    }
}

impl std::error::Error for FlowError {}

impl FlowState {
    /// A customer at the start of `flow`.
    pub fn new(flow: &Flow) -> FlowState {
        FlowState {
            flow: flow.id.clone(),
            path: Vec::new(),
        }
    }

    /// Checks a state saved earlier (perhaps against an older bundle) step by step against
    /// `flow`, and returns it when every step still fits: the same flow, each step at the node the
    /// one before leads to, each reply valid for its node (collected values re-checked against
    /// today's pattern), nothing after the end. Never panics, whatever the state holds.
    pub fn restore(state: FlowState, flow: &Flow) -> Result<FlowState, FlowError> {
        if state.flow != flow.id {
            return Err(FlowError::OtherFlow {
                expected: flow.id.clone(),
                got: state.flow,
            });
        }
        if state.path.len() > MAX_PATH {
            return Err(FlowError::TooLong {
                len: state.path.len(),
            });
        }
        let mut replayed = FlowState::new(flow);
        for (step, (node_id, reply)) in state.path.iter().enumerate() {
            let at = match replayed.current_index(flow)? {
                Some(at) => at,
                None => return Err(FlowError::Finished),
            };
            let node = flow.node(at).ok_or_else(|| FlowError::UnknownNode {
                node: node_id.clone(),
            })?;
            if node.id != *node_id {
                if flow.index_of(node_id).is_none() {
                    return Err(FlowError::UnknownNode {
                        node: node_id.clone(),
                    });
                }
                return Err(FlowError::Diverged {
                    step: step + 1,
                    expected: node.id.clone(),
                    got: node_id.clone(),
                });
            }
            replayed.reply(flow, reply.clone())?;
        }
        Ok(replayed)
    }

    /// The number of the node the customer is on, or `None` once a fix solved the problem.
    fn current_index(&self, flow: &Flow) -> Result<Option<u32>, FlowError> {
        let Some((node_id, reply)) = self.path.last() else {
            return Ok(Some(flow.start));
        };
        let index = flow
            .index_of(node_id)
            .ok_or_else(|| FlowError::UnknownNode {
                node: node_id.clone(),
            })?;
        let node = &flow.nodes[index as usize];
        let next = match (&node.kind, reply) {
            (NodeKind::Question { answers, .. }, Reply::Choice(choice)) => answers
                .get(*choice as usize)
                .map(|answer| answer.next)
                .ok_or_else(|| FlowError::AnswerOutOfRange {
                    node: node.id.clone(),
                    answer: *choice,
                    answers: answers.len(),
                })?,
            (NodeKind::Collect { next, .. }, Reply::Value(_))
            | (NodeKind::Step { next, .. }, Reply::Next)
            | (NodeKind::Article { next, .. }, Reply::Next) => *next,
            (NodeKind::Solution { .. }, Reply::Solved(true)) => return Ok(None),
            (NodeKind::Solution { unsolved, .. }, Reply::Solved(false)) => *unsolved,
            (kind, _) => {
                return Err(FlowError::WrongReply {
                    node: node.id.clone(),
                    expected: expected_reply(kind),
                });
            }
        };
        if flow.node(next).is_none() {
            return Err(FlowError::UnknownNode {
                node: format!("#{next}"),
            });
        }
        Ok(Some(next))
    }

    /// The node the customer is on: `None` once a fix solved the problem. An escalation or end
    /// node stays current (the widget shows it, with the feedback form or a closing message).
    pub fn current<'f>(&self, flow: &'f Flow) -> Result<Option<&'f Node>, FlowError> {
        Ok(self.current_index(flow)?.and_then(|index| flow.node(index)))
    }

    /// How the flow ended, or `None` while it is in progress.
    pub fn outcome(&self, flow: &Flow) -> Result<Option<Outcome>, FlowError> {
        Ok(match self.current(flow)? {
            None => Some(Outcome::Solved),
            Some(node) => match node.kind {
                NodeKind::Escalate { .. } => Some(Outcome::Escalated),
                NodeKind::End { .. } => Some(Outcome::Ended),
                _ => None,
            },
        })
    }

    /// The outcome to record when the customer leaves the flow now: its outcome if it ended,
    /// else [`Outcome::Abandoned`].
    pub fn leave(&self, flow: &Flow) -> Outcome {
        match self.outcome(flow) {
            Ok(Some(outcome)) => outcome,
            _ => Outcome::Abandoned,
        }
    }

    /// Applies `reply` to the current node after checking that it fits.
    fn reply(&mut self, flow: &Flow, reply: Reply) -> Result<(), FlowError> {
        let node = self.current(flow)?.ok_or(FlowError::Finished)?;
        let fits = match (&node.kind, &reply) {
            (NodeKind::Question { answers, .. }, Reply::Choice(choice)) => {
                if *choice as usize >= answers.len() {
                    return Err(FlowError::AnswerOutOfRange {
                        node: node.id.clone(),
                        answer: *choice,
                        answers: answers.len(),
                    });
                }
                true
            }
            (
                NodeKind::Collect {
                    pattern,
                    pattern_hint,
                    ..
                },
                Reply::Value(value),
            ) => {
                check_value(value, pattern.as_ref(), pattern_hint.as_deref()).map_err(|error| {
                    FlowError::Value {
                        node: node.id.clone(),
                        error,
                    }
                })?;
                true
            }
            (NodeKind::Step { .. } | NodeKind::Article { .. }, Reply::Next)
            | (NodeKind::Solution { .. }, Reply::Solved(_)) => true,
            (NodeKind::Escalate { .. } | NodeKind::End { .. }, _) => {
                return Err(FlowError::Finished);
            }
            _ => false,
        };
        if !fits {
            return Err(FlowError::WrongReply {
                node: node.id.clone(),
                expected: expected_reply(&node.kind),
            });
        }
        if self.path.len() >= MAX_PATH {
            return Err(FlowError::TooLong {
                len: self.path.len() + 1,
            });
        }
        self.path.push((node.id.clone(), reply));
        Ok(())
    }

    /// Chooses answer number `answer` (from 0) of the current question.
    pub fn choose(&mut self, flow: &Flow, answer: u32) -> Result<(), FlowError> {
        self.reply(flow, Reply::Choice(answer))
    }

    /// Gives the current collect node its value. Surrounding spaces are trimmed and full-width
    /// characters (what Chinese input methods type: `１３８`) kept as ordinary ones, so support
    /// receives `138`; the value must match the node's pattern ([`FlowError::Value`] carries the
    /// editor's hint otherwise).
    pub fn submit(&mut self, flow: &Flow, value: &str) -> Result<(), FlowError> {
        let value: String = value.trim().chars().map(half_width).collect();
        self.reply(flow, Reply::Value(value.trim().to_owned()))
    }

    /// Continues after the current step or article.
    pub fn next(&mut self, flow: &Flow) -> Result<(), FlowError> {
        self.reply(flow, Reply::Next)
    }

    /// Answers "Did this solve it?" for the current fix.
    pub fn solved(&mut self, flow: &Flow, solved: bool) -> Result<(), FlowError> {
        self.reply(flow, Reply::Solved(solved))
    }

    /// Undoes the last reply, returning to the node it was given at. `false` at the start.
    pub fn back(&mut self) -> bool {
        self.path.pop().is_some()
    }

    /// Back to the first node, forgetting every reply and value.
    pub fn restart(&mut self) {
        self.path.clear();
    }

    /// The values collected so far, as `(name, value)` in the order given. A name collected twice
    /// (a loop) keeps its latest value.
    pub fn values(&self, flow: &Flow) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (node_id, reply) in &self.path {
            let (Reply::Value(value), Some(index)) = (reply, flow.index_of(node_id)) else {
                continue;
            };
            if let NodeKind::Collect { name, .. } = &flow.nodes[index as usize].kind {
                match out.iter_mut().find(|(existing, _)| existing == name) {
                    Some(slot) => slot.1 = value.clone(),
                    None => out.push((name.clone(), value.clone())),
                }
            }
        }
        out
    }

    /// Where the customer is: the number of the node on screen (from 1) and how many nodes may
    /// still follow it, fewest and most (see [`Flow::remaining`]). Both are 0 once the flow is over.
    pub fn progress(&self, flow: &Flow) -> Result<Progress, FlowError> {
        let step = self.path.len() + 1;
        let Some(index) = self.current_index(flow)? else {
            return Ok(Progress {
                step: self.path.len(),
                fewest_remaining: 0,
                most_remaining: 0,
            });
        };
        let remaining = flow.remaining();
        let (fewest, most) = remaining.get(index as usize).copied().unwrap_or((0, 0));
        Ok(Progress {
            step,
            fewest_remaining: if fewest == usize::MAX { most } else { fewest },
            most_remaining: most.max(if fewest == usize::MAX { 0 } else { fewest }),
        })
    }

    /// The path as structured entries, for the widget to render with its own labels and for the
    /// escalation form. Steps whose node no longer exists are skipped.
    pub fn transcript(&self, flow: &Flow) -> Vec<TranscriptEntry> {
        let mut out = Vec::new();
        for (node_id, reply) in &self.path {
            let Some(node) = flow.index_of(node_id).and_then(|index| flow.node(index)) else {
                continue;
            };
            let entry = match (&node.kind, reply) {
                (NodeKind::Question { prompt, answers }, Reply::Choice(choice)) => {
                    TranscriptEntry::Question {
                        prompt: prompt.clone(),
                        answer: answers
                            .get(*choice as usize)
                            .map(|answer| answer.label.clone())
                            .unwrap_or_default(),
                    }
                }
                (NodeKind::Collect { prompt, name, .. }, Reply::Value(value)) => {
                    TranscriptEntry::Collected {
                        prompt: prompt.clone(),
                        name: name.clone(),
                        value: value.clone(),
                    }
                }
                (NodeKind::Step { text, .. }, _) => TranscriptEntry::Step {
                    text: first_line(text),
                },
                (NodeKind::Article { article, .. }, _) => TranscriptEntry::Article {
                    id: article.clone(),
                },
                (NodeKind::Solution { text, .. }, Reply::Solved(solved)) => {
                    TranscriptEntry::Solution {
                        text: first_line(text),
                        solved: *solved,
                    }
                }
                _ => continue,
            };
            out.push(entry);
        }
        match self.current(flow) {
            Ok(Some(Node {
                kind: NodeKind::Escalate { .. },
                ..
            })) => out.push(TranscriptEntry::Escalated),
            Ok(Some(Node {
                kind: NodeKind::End { .. },
                ..
            })) => out.push(TranscriptEntry::Ended),
            _ => {}
        }
        out
    }

    /// The transcript as one line of text for a support agent, e.g. `Q: Has the order been paid?
    /// A: Yes → Step: check the order status page → Fix: contact the courier — not solved →
    /// escalated`.
    pub fn transcript_text(&self, flow: &Flow, labels: &TranscriptLabels<'_>) -> String {
        render_transcript(&self.transcript(flow), labels)
    }
}

/// See [`FlowState::progress`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// The number of the node on screen, from 1 (the number of steps taken once the flow is over).
    pub step: usize,
    /// The fewest nodes that may follow the current one.
    pub fewest_remaining: usize,
    /// The most nodes that may follow the current one (loops not counted).
    pub most_remaining: usize,
}

/// One entry of a transcript (see [`FlowState::transcript`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "type")]
pub enum TranscriptEntry {
    Question {
        prompt: String,
        answer: String,
    },
    Collected {
        prompt: String,
        name: String,
        value: String,
    },
    /// A step carried out; `text` is its first line.
    Step {
        text: String,
    },
    /// An article shown inline.
    Article {
        id: String,
    },
    /// A fix proposed, and whether it worked; `text` is its first line.
    Solution {
        text: String,
        solved: bool,
    },
    Escalated,
    Ended,
}

/// The words of a plain-text transcript, so it can be written in the customer's or the support
/// team's language. [`TranscriptLabels::EN`] and [`TranscriptLabels::ZH_CN`] are ready-made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TranscriptLabels<'a> {
    pub question: &'a str,
    pub answer: &'a str,
    pub step: &'a str,
    pub article: &'a str,
    pub fix: &'a str,
    pub solved: &'a str,
    pub not_solved: &'a str,
    pub escalated: &'a str,
    pub ended: &'a str,
}

impl TranscriptLabels<'static> {
    pub const EN: TranscriptLabels<'static> = TranscriptLabels {
        question: "Q",
        answer: "A",
        step: "Step",
        article: "Read",
        fix: "Fix",
        solved: "solved",
        not_solved: "not solved",
        escalated: "escalated",
        ended: "ended",
    };
    pub const ZH_CN: TranscriptLabels<'static> = TranscriptLabels {
        question: "问",
        answer: "答",
        step: "步骤",
        article: "阅读",
        fix: "方案",
        solved: "已解决",
        not_solved: "未解决",
        escalated: "转人工",
        ended: "结束",
    };
}

/// Renders transcript entries as one line joined by ` → `.
pub fn render_transcript(entries: &[TranscriptEntry], labels: &TranscriptLabels<'_>) -> String {
    let parts: Vec<String> = entries
        .iter()
        .map(|entry| match entry {
            TranscriptEntry::Question { prompt, answer } => {
                format!("{}: {prompt} {}: {answer}", labels.question, labels.answer)
            }
            TranscriptEntry::Collected { prompt, value, .. } => {
                format!("{}: {prompt} {}: {value}", labels.question, labels.answer)
            }
            TranscriptEntry::Step { text } => format!("{}: {text}", labels.step),
            TranscriptEntry::Article { id } => format!("{}: article:{id}", labels.article),
            TranscriptEntry::Solution { text, solved } => format!(
                "{}: {text} — {}",
                labels.fix,
                if *solved {
                    labels.solved
                } else {
                    labels.not_solved
                }
            ),
            TranscriptEntry::Escalated => labels.escalated.to_owned(),
            TranscriptEntry::Ended => labels.ended.to_owned(),
        })
        .collect();
    parts.join(" → ")
}

/// The first non-empty line of a text, for transcripts.
fn first_line(blocks: &[Block]) -> String {
    let mut text = String::new();
    blocks_text(blocks, &mut text);
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or_default()
        .to_owned()
}

fn expected_reply(kind: &NodeKind) -> &'static str {
    match kind {
        NodeKind::Question { .. } => "a choice among its answers",
        NodeKind::Collect { .. } => "a value",
        NodeKind::Step { .. } | NodeKind::Article { .. } => "`next`",
        NodeKind::Solution { .. } => "whether it solved the problem",
        NodeKind::Escalate { .. } | NodeKind::End { .. } => "no reply: the flow is over",
    }
}

/// Checks a value for a collect node, trimmed as [`FlowState::submit`] trims it.
pub fn check_value(
    value: &str,
    pattern: Option<&Pattern>,
    hint: Option<&str>,
) -> Result<(), CollectError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CollectError::Empty);
    }
    let chars = value.chars().count();
    if chars > MAX_VALUE_CHARS {
        return Err(CollectError::TooLong { chars });
    }
    match pattern {
        Some(pattern) if !pattern.matches(value) => Err(CollectError::Mismatch {
            pattern: pattern.source().to_owned(),
            hint: hint.map(str::to_owned),
        }),
        _ => Ok(()),
    }
}

/// A value pattern: the small language editors use to say what a collected value looks like.
///
/// | write  | matches                                                        |
/// |--------|----------------------------------------------------------------|
/// | `#`    | one digit                                                      |
/// | `@`    | one letter (Latin, Chinese or any other script)                |
/// | `?`    | any one character                                              |
/// | `*`    | any run of characters, possibly none                           |
/// | `{3}` `{2,5}` `{2,}` | after any of the above or a plain character: repeated that many times |
/// | `\|`  | or: `1##########\|+861##########`                              |
/// | `\`    | the next character as itself (`\#`, `\*`, `\{`)               |
/// | other  | itself; Latin letters ignore case                              |
///
/// The whole value must match, after trimming spaces and turning full-width digits and letters
/// (what Chinese input methods type) into ordinary ones. No regular expressions: editors are not
/// programmers, and a regex engine would cost the widget size.
///
/// ```
/// use kefu_core::flow::Pattern;
/// let order = Pattern::parse("XM#{12}").unwrap();
/// assert!(order.matches("XM202611230001"));
/// assert!(order.matches("ｘｍ２０２６１１２３０００１"));
/// assert!(!order.matches("XM2026"));
/// assert!(Pattern::parse("#{5,2}").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Pattern {
    source: String,
    alternatives: Vec<Vec<Item>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Digit,
    Letter,
    Any,
    Literal(char),
}

impl Class {
    fn accepts(self, c: char) -> bool {
        match self {
            Class::Digit => c.is_ascii_digit(),
            Class::Letter => c.is_alphabetic(),
            Class::Any => true,
            Class::Literal(literal) => literal.eq_ignore_ascii_case(&c),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Item {
    class: Class,
    min: u32,
    /// `None`: no upper bound.
    max: Option<u32>,
}

/// The largest repeat count a pattern may name; values are at most [`MAX_VALUE_CHARS`] long.
const MAX_REPEAT: u32 = MAX_VALUE_CHARS as u32;

/// The longest value pattern, in characters: enough for any real shape, and a bound on matching.
pub const MAX_PATTERN_CHARS: usize = 200;

/// Why a value pattern cannot be used; `at` is a byte offset into the pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternError {
    /// The pattern, or one alternative of it (`a||b`), is empty.
    Empty { at: usize },
    /// `{` without its `}`.
    UnclosedRepeat { at: usize },
    /// What is between `{` and `}` is not `n`, `m,n` or `m,`.
    BadRepeat { at: usize, text: String },
    /// `{5,2}`: the smaller count first.
    RepeatOutOfOrder { at: usize, min: u32, max: u32 },
    /// A count above the longest value accepted.
    RepeatTooLarge { at: usize, count: u32 },
    /// `{…}` with nothing before it to repeat, or after another repeat.
    NothingToRepeat { at: usize },
    /// A `\` at the very end.
    TrailingEscape { at: usize },
    /// Longer than [`MAX_PATTERN_CHARS`].
    TooLong { chars: usize },
}

impl PatternError {
    /// Byte offset of the problem in the pattern.
    pub fn at(&self) -> usize {
        match self {
            PatternError::Empty { at }
            | PatternError::UnclosedRepeat { at }
            | PatternError::BadRepeat { at, .. }
            | PatternError::RepeatOutOfOrder { at, .. }
            | PatternError::RepeatTooLarge { at, .. }
            | PatternError::NothingToRepeat { at }
            | PatternError::TrailingEscape { at } => *at,
            PatternError::TooLong { .. } => 0,
        }
    }
}

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PatternError::Empty { .. } => write!(
                f,
                "the pattern (or one of its `|` alternatives) is empty; remove the stray `|` or the pattern"
            ),
            PatternError::UnclosedRepeat { .. } => write!(
                f,
                "`{{` opens a repeat count that is never closed; write `#{{11}}` or `#{{6,20}}`, or `\\{{` for a plain brace"
            ),
            PatternError::BadRepeat { text, .. } => write!(
                f,
                "`{{{text}}}` is not a repeat count; write `{{11}}` (exactly), `{{6,20}}` (from–to) or `{{6,}}` (at least)"
            ),
            PatternError::RepeatOutOfOrder { min, max, .. } => write!(
                f,
                "the repeat count `{{{min},{max}}}` has its bounds the wrong way round; write `{{{max},{min}}}`"
            ),
            PatternError::RepeatTooLarge { count, .. } => write!(
                f,
                "the repeat count {count} is larger than the longest value accepted ({MAX_REPEAT} characters)"
            ),
            PatternError::NothingToRepeat { .. } => write!(
                f,
                "a repeat count `{{…}}` must follow one character, `#`, `@` or `?`; write `\\{{` for a plain brace"
            ),
            PatternError::TrailingEscape { .. } => write!(
                f,
                "the pattern ends with `\\`, which escapes nothing; remove it or write `\\\\` for a backslash"
            ),
            PatternError::TooLong { chars } => write!(
                f,
                "the pattern has {chars} characters; keep it under {MAX_PATTERN_CHARS} (describe the shape, not every case)"
            ),
        }
    }
}

impl std::error::Error for PatternError {}

impl Pattern {
    /// Parses a value pattern (see [`Pattern`]).
    pub fn parse(source: &str) -> Result<Pattern, PatternError> {
        let n_chars = source.chars().count();
        if n_chars > MAX_PATTERN_CHARS {
            return Err(PatternError::TooLong { chars: n_chars });
        }
        let mut alternatives = vec![Vec::new()];
        let mut alternative_start = 0;
        let mut chars = source.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let items = alternatives.last_mut().ok_or(PatternError::Empty { at })?;
            let class = match c {
                '|' => {
                    if items.is_empty() {
                        return Err(PatternError::Empty {
                            at: alternative_start,
                        });
                    }
                    alternatives.push(Vec::new());
                    alternative_start = at + 1;
                    continue;
                }
                '#' => Class::Digit,
                '@' => Class::Letter,
                '?' => Class::Any,
                '*' => {
                    items.push(Item {
                        class: Class::Any,
                        min: 0,
                        max: None,
                    });
                    continue;
                }
                '\\' => match chars.next() {
                    Some((_, escaped)) => Class::Literal(escaped),
                    None => return Err(PatternError::TrailingEscape { at }),
                },
                '{' => return Err(PatternError::NothingToRepeat { at }),
                other => Class::Literal(other),
            };
            let (mut min, mut max) = (1, Some(1));
            if let Some(&(brace_at, '{')) = chars.peek() {
                chars.next();
                let mut text = String::new();
                let mut closed = false;
                for (_, c) in chars.by_ref() {
                    if c == '}' {
                        closed = true;
                        break;
                    }
                    text.push(c);
                }
                if !closed {
                    return Err(PatternError::UnclosedRepeat { at: brace_at });
                }
                (min, max) = parse_repeat(&text, brace_at)?;
            }
            if let Some(&(at, '{')) = chars.peek() {
                return Err(PatternError::NothingToRepeat { at });
            }
            items.push(Item { class, min, max });
        }
        if alternatives.last().is_none_or(Vec::is_empty) {
            return Err(PatternError::Empty {
                at: alternative_start,
            });
        }
        Ok(Pattern {
            source: source.to_owned(),
            alternatives,
        })
    }

    /// The pattern as the editor wrote it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the whole of `value` (trimmed, full-width characters folded) matches.
    pub fn matches(&self, value: &str) -> bool {
        let chars: Vec<char> = value.trim().chars().map(half_width).collect();
        if chars.len() > MAX_VALUE_CHARS {
            return false;
        }
        self.alternatives
            .iter()
            .any(|items| matches_items(items, &chars))
    }
}

/// `n`, `m,n` or `m,` of a repeat count.
fn parse_repeat(text: &str, at: usize) -> Result<(u32, Option<u32>), PatternError> {
    let bad = || PatternError::BadRepeat {
        at,
        text: text.to_owned(),
    };
    let number = |part: &str| -> Result<u32, PatternError> {
        let part = part.trim();
        if part.is_empty() || !part.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let count: u32 = part.parse().map_err(|_| PatternError::RepeatTooLarge {
            at,
            count: u32::MAX,
        })?;
        if count > MAX_REPEAT {
            return Err(PatternError::RepeatTooLarge { at, count });
        }
        Ok(count)
    };
    let (min, max) = match text.split_once(',') {
        None => {
            let count = number(text)?;
            (count, Some(count))
        }
        Some((min, max)) if max.trim().is_empty() => (number(min)?, None),
        Some((min, max)) => (number(min)?, Some(number(max)?)),
    };
    if let Some(max) = max
        && max < min
    {
        return Err(PatternError::RepeatOutOfOrder { at, min, max });
    }
    Ok((min, max))
}

/// Full-width ASCII (`１`, `Ａ`, `－`) and the ideographic space to their ordinary forms.
fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        other => other,
    }
}

impl TryFrom<String> for Pattern {
    type Error = PatternError;
    fn try_from(source: String) -> Result<Pattern, PatternError> {
        Pattern::parse(&source)
    }
}

impl From<Pattern> for String {
    fn from(pattern: Pattern) -> String {
        pattern.source
    }
}

/// Whether `items` match all of `chars`. Memoised on (item, position), so the work is bounded by
/// items × characters × the largest repeat, never exponential.
fn matches_items(items: &[Item], chars: &[char]) -> bool {
    // 0 unknown, 1 no, 2 yes. Recursion is as deep as the pattern has items, which
    // `Pattern::parse` bounds with MAX_PATTERN_CHARS.
    let mut memo = vec![0u8; (items.len() + 1) * (chars.len() + 1)];
    fn solve(items: &[Item], chars: &[char], memo: &mut [u8], item: usize, pos: usize) -> bool {
        let width = chars.len() + 1;
        let key = item * width + pos;
        match memo[key] {
            1 => return false,
            2 => return true,
            _ => {}
        }
        let result = match items.get(item) {
            None => pos == chars.len(),
            Some(&Item { class, min, max }) => {
                let available = chars[pos..]
                    .iter()
                    .take_while(|&&c| class.accepts(c))
                    .count();
                let most = max.map_or(available, |max| available.min(max as usize));
                (min as usize..=most)
                    .rev()
                    .any(|count| solve(items, chars, memo, item + 1, pos + count))
            }
        };
        memo[key] = if result { 2 } else { 1 };
        result
    }
    solve(items, chars, &mut memo, 0, 0)
}

/// What the widget asks the index about flows and host pages. The methods live here, beside the
/// flow model, rather than in `index`, which is about ranking.
impl crate::Index {
    /// The flow of document `doc`, decoded from the store without touching other documents;
    /// `Ok(None)` when the document is not a flow.
    pub fn flow(&self, doc: u32) -> Result<Option<Flow>, crate::BundleError> {
        match self.record(doc) {
            Some(record) if record.entry.kind == crate::DocKind::Flow => {
                Ok(self.document(doc)?.flow)
            }
            Some(_) => Ok(None),
            None => Err(crate::BundleError::Corrupt {
                section: "documents",
                reason: format!("no document number {doc}"),
            }),
        }
    }

    /// The flows a customer in `locale` sees, for the "common problems" list shown while the
    /// search box is empty: by their `order` (lowest first; flows without one last), then title.
    pub fn flows(&self, locale: &str) -> Vec<u32> {
        let visible = self.visible(Some(locale));
        let mut flows: Vec<(u32, &crate::index::DocRecord)> = (0..self.len() as u32)
            .filter(|&doc| visible.is_none_or(|v| v.get(doc as usize).copied().unwrap_or(false)))
            .filter_map(|doc| Some((doc, self.record(doc)?)))
            .filter(|(_, record)| record.entry.kind == crate::DocKind::Flow)
            .collect();
        flows.sort_by(by_kind_order_title);
        flows.into_iter().map(|(doc, _)| doc).collect()
    }

    /// The page patterns of document `doc` (`pages = [...]`); empty for an unknown number.
    pub fn pages(&self, doc: u32) -> &[String] {
        self.record(doc)
            .map_or(&[], |record| record.pages.as_slice())
    }

    /// The documents a customer in `locale` sees whose page patterns match the host page's URL
    /// path (`/checkout/pay?x=1` is matched as `/checkout/pay`): help for the page they are on.
    /// Flows first (guided help), each kind by `order` then title.
    ///
    /// ```
    /// # use kefu_core::{Document, DocKind, Index, bundle};
    /// let doc = Document {
    ///     id: "payment-failed".into(), kind: DocKind::Article, locale: "en".into(),
    ///     title: "Payment failed".into(), category: "payment".into(), tags: vec![],
    ///     similar: vec![], body: vec![], pages: vec!["/checkout*".into()], flow: None,
    /// };
    /// let index = Index::from_bytes(bundle::encode(&[doc], &bundle::BundleMeta::new("en"))).unwrap();
    /// assert_eq!(index.for_page("/checkout/pay", "en"), vec![0]);
    /// assert!(index.for_page("/orders", "en").is_empty());
    /// ```
    pub fn for_page(&self, path: &str, locale: &str) -> Vec<u32> {
        let visible = self.visible(Some(locale));
        let mut docs: Vec<(u32, &crate::index::DocRecord)> = (0..self.len() as u32)
            .filter(|&doc| visible.is_none_or(|v| v.get(doc as usize).copied().unwrap_or(false)))
            .filter_map(|doc| Some((doc, self.record(doc)?)))
            .filter(|(_, record)| {
                record
                    .pages
                    .iter()
                    .any(|pattern| crate::kb::page_matches(pattern, path))
            })
            .collect();
        docs.sort_by(by_kind_order_title);
        docs.into_iter().map(|(doc, _)| doc).collect()
    }
}

/// The order of [`Index::flows`] and [`Index::for_page`]: flows before other documents, then by
/// `order` (lowest first; none last), then title, then document number. One function for both,
/// so they share one copy of the standard library's sort in the wasm (a comparator of each
/// would make two, kilobytes each); among flows alone the first key is always equal.
fn by_kind_order_title(
    (a_doc, a): &(u32, &crate::index::DocRecord),
    (b_doc, b): &(u32, &crate::index::DocRecord),
) -> std::cmp::Ordering {
    let key = |record: &crate::index::DocRecord| {
        (
            record.entry.kind != crate::DocKind::Flow,
            record.order.unwrap_or(i32::MAX),
        )
    };
    key(a)
        .cmp(&key(b))
        .then_with(|| a.entry.title.cmp(&b.entry.title))
        .then(a_doc.cmp(b_doc))
}
