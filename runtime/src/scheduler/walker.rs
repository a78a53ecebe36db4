//! The walker: decides *when* each node of a DAG may run, never *what* it does. A node starts once
//! all its inputs succeeded and a slot of its resource is free; a failure cancels everything
//! downstream of it while independent branches go on; timeouts and retries come from the node.

use petgraph::Direction::Outgoing;
use petgraph::graph::{DiGraph, NodeIndex};
use pipec_compiler::builtins::Resource;
use pipec_compiler::plan::{Node, NodePolicy};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Concurrent slots per resource (`--jobs` sets the CPU ones).
#[derive(Debug, Clone)]
pub struct Limits {
    pub cpu: usize,
    pub compute: usize,
    pub model: usize,
    pub sandbox: usize,
}

impl Limits {
    pub fn with_jobs(jobs: usize) -> Limits {
        Limits { cpu: jobs.max(1), compute: 1, model: 4, sandbox: jobs.max(1) }
    }
    fn slots(&self, r: Resource) -> usize {
        match r {
            Resource::Cpu => self.cpu,
            Resource::Compute => self.compute,
            Resource::Model => self.model,
            Resource::Sandbox => self.sandbox,
        }
    }
}

/// How one node ended.
#[derive(Debug, Clone)]
pub enum Ended<E> {
    Done,
    /// The last attempt's error, and how many attempts were made.
    Failed(E, u32),
    TimedOut(u64),
    /// Not started because `upstream` failed.
    Cancelled { upstream: NodeIndex },
}

/// Run `job` for every node in dependency order. `job` is retried per the node's policy and
/// bounded by its timeout; the result says how each node ended.
pub async fn walk<E, F, Fut>(graph: &DiGraph<Node, ()>, order: &[NodeIndex], limits: &Limits, job: F) -> HashMap<NodeIndex, Ended<E>>
where
    E: Send + 'static,
    F: Fn(NodeIndex, u32) -> Fut,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
{
    let sems: HashMap<Resource, Arc<Semaphore>> = [Resource::Cpu, Resource::Compute, Resource::Model, Resource::Sandbox].into_iter().map(|r| (r, Arc::new(Semaphore::new(limits.slots(r))))).collect();
    let mut waiting: HashMap<NodeIndex, usize> = order.iter().map(|i| (*i, graph.neighbors_directed(*i, petgraph::Direction::Incoming).count())).collect();
    let mut ended: HashMap<NodeIndex, Ended<E>> = HashMap::new();
    let mut running = JoinSet::new();
    let start = |i: NodeIndex, running: &mut JoinSet<(NodeIndex, Ended<E>)>| {
        let node = &graph[i];
        let sem = sems[&node.resource].clone();
        let policy = node.policy.clone();
        let attempts: Vec<Fut> = (0..=policy.retries).map(|a| job(i, a)).collect();
        running.spawn(async move {
            let _slot = sem.acquire_owned().await;
            (i, attempt_all(attempts, &policy).await)
        });
    };
    for i in order.iter().filter(|i| waiting[i] == 0) {
        start(*i, &mut running);
    }
    while let Some(joined) = running.join_next().await {
        let Ok((i, result)) = joined else { continue };
        let ok = matches!(result, Ended::Done);
        ended.insert(i, result);
        for next in graph.neighbors_directed(i, Outgoing) {
            if !ok {
                cancel(graph, next, i, &mut ended);
                continue;
            }
            if let Some(w) = waiting.get_mut(&next) {
                *w -= 1;
                if *w == 0 && !ended.contains_key(&next) {
                    start(next, &mut running);
                }
            }
        }
    }
    ended
}

async fn attempt_all<E, Fut: Future<Output = Result<(), E>>>(attempts: Vec<Fut>, policy: &NodePolicy) -> Ended<E> {
    let mut last = None;
    let mut count = 0;
    for attempt in attempts {
        count += 1;
        let outcome = match policy.timeout_ms {
            Some(ms) => match tokio::time::timeout(Duration::from_millis(ms), attempt).await {
                Ok(r) => r,
                Err(_) => {
                    last = Some(Ended::TimedOut(ms));
                    continue;
                }
            },
            None => attempt.await,
        };
        match outcome {
            Ok(()) => return Ended::Done,
            Err(e) => last = Some(Ended::Failed(e, count)),
        }
    }
    last.unwrap_or(Ended::Done)
}

fn cancel<E>(graph: &DiGraph<Node, ()>, i: NodeIndex, upstream: NodeIndex, ended: &mut HashMap<NodeIndex, Ended<E>>) {
    if ended.contains_key(&i) {
        return;
    }
    ended.insert(i, Ended::Cancelled { upstream });
    for next in graph.neighbors_directed(i, Outgoing) {
        cancel(graph, next, upstream, ended);
    }
}
