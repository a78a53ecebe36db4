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
    /// `jobs` CPU slots, as many sandboxes, four model connections, one compute queue.
    pub fn with_jobs(jobs: usize) -> Limits {
        Limits { cpu: jobs.max(1), compute: 1, model: 4, sandbox: jobs.max(1) }
    }
    /// Every slot of every resource: the most nodes that can be running at once.
    pub fn total(&self) -> usize {
        self.cpu + self.compute + self.model + self.sandbox
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

#[cfg(test)]
mod tests {
    //! The walker alone, with in-process jobs (the real executors are exercised by the process tests).
    use super::*;
    use pipec_compiler::plan::{Location, NodeKind};
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn node(id: &str, resource: Resource, policy: NodePolicy) -> Node {
        Node {
            id: id.into(),
            kind: NodeKind::Stage,
            builtin: "filter".into(),
            builtin_version: 1,
            module: "m".into(),
            args: Default::default(),
            refs: Default::default(),
            bindings: Default::default(),
            inputs: vec![],
            output: String::new(),
            data: pipec_compiler::plan::DataTy::Any,
            resource,
            policy,
            location: Location { file: "m".into(), line: 1, column: 1, start: 0, end: 0 },
            eval_tainted: false,
            span: Default::default(),
        }
    }

    /// a -> b -> c, and d alone; `fail` names nodes whose every attempt fails.
    fn diamond(policy: NodePolicy) -> (DiGraph<Node, ()>, Vec<NodeIndex>) {
        let mut g = DiGraph::new();
        let a = g.add_node(node("a", Resource::Cpu, policy.clone()));
        let b = g.add_node(node("b", Resource::Cpu, policy.clone()));
        let c = g.add_node(node("c", Resource::Cpu, policy.clone()));
        let d = g.add_node(node("d", Resource::Cpu, policy));
        g.add_edge(a, b, ());
        g.add_edge(b, c, ());
        (g, vec![a, b, c, d])
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(f)
    }

    #[test]
    fn a_failure_cancels_what_depends_on_it_and_nothing_else() {
        let (g, order) = diamond(NodePolicy::default());
        let ended = block_on(walk(&g, &order, &Limits::with_jobs(2), |i, _| {
            let fails = g[i].id == "b";
            async move { if fails { Err("boom") } else { Ok(()) } }
        }));
        assert!(matches!(ended[&order[0]], Ended::Done));
        assert!(matches!(ended[&order[1]], Ended::Failed("boom", 1)));
        assert!(matches!(ended[&order[2]], Ended::Cancelled { upstream } if upstream == order[1]));
        assert!(matches!(ended[&order[3]], Ended::Done));
    }

    #[test]
    fn retries_stop_at_the_first_success_and_timeouts_bound_each_attempt() {
        let (g, order) = diamond(NodePolicy { timeout_ms: Some(50), retries: 2 });
        let calls = AtomicUsize::new(0);
        let ended = block_on(walk(&g, &order, &Limits::with_jobs(1), |i, attempt| {
            let (id, n) = (g[i].id.clone(), calls.fetch_add(1, Ordering::SeqCst));
            async move {
                match id.as_str() {
                    "a" if attempt < 2 => Err(n),
                    "d" => {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        Ok(())
                    }
                    _ => Ok(()),
                }
            }
        }));
        assert!(matches!(ended[&order[0]], Ended::Done), "a succeeds on its third attempt");
        assert!(matches!(ended[&order[2]], Ended::Done));
        assert!(matches!(ended[&order[3]], Ended::TimedOut(50)), "d outlasts every attempt");
    }

    #[test]
    fn no_more_nodes_of_a_resource_run_at_once_than_it_has_slots() {
        let mut g = DiGraph::new();
        let order: Vec<NodeIndex> = (0..8).map(|i| g.add_node(node(&format!("n{i}"), Resource::Sandbox, NodePolicy::default()))).collect();
        let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let limits = Limits { cpu: 8, compute: 1, model: 1, sandbox: 3 };
        let ended = block_on(walk(&g, &order, &limits, |_, _| {
            let (now, peak) = (now.clone(), peak.clone());
            async move {
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(n, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                Ok::<(), ()>(())
            }
        }));
        assert_eq!(ended.len(), 8);
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }
}
