//! Async tasks on a multi-threaded tokio runtime: 1,000 concurrent interactions, each a spawned
//! task that awaits and logs actions (also from sub-tasks it spawns) between its awaits. Every
//! action lands under its own interaction, whichever worker thread polled it.
//!
//! Guards are not `Send`, so a task can't hold one across an `.await`. The pattern: open the
//! interaction where its guard can live for the whole task (here the `block_on` future, which
//! need not be `Send`), take `Context::current()` inside it, and run the task
//! `.with_context(ctx)`: every poll then happens under the interaction. Inside the task, timed
//! actions are guards in the synchronous stretches between awaits; sub-tasks carry the place on
//! with `.in_current_context()`.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use workflow_log::{Context, FutureExt, InteractionGuard, Workflow};
use workflow_log_tests::{children, nodes, read_log, recover_valid, start_in_tempdir, Kind};

const TASKS: u64 = 1_000;
const STEPS: u64 = 5;

#[derive(Serialize, Deserialize, Debug, PartialEq, Eq, Hash, Clone, Copy)]
struct Step {
    task: u64,
    seq: u64,
}

/// One agent's task: awaits between its steps, logs an instant and a timed action per step,
/// and hands the last step to a sub-task spawned in its context.
async fn agent_task(task: u64) -> u64 {
    for seq in 0..STEPS - 1 {
        tokio::task::yield_now().await;
        workflow_log::action("think")
            .input(&Step { task, seq })
            .log();
        if seq % 2 == 0 {
            tokio::time::sleep(Duration::from_micros(50 + task % 7)).await;
        }
        {
            // A timed action between two awaits.
            let mut tool = workflow_log::action("tool")
                .input(&Step { task, seq })
                .start();
            tool.output(&seq);
        }
    }
    let sub = tokio::spawn(
        async move {
            tokio::task::yield_now().await;
            workflow_log::action("think")
                .input(&Step {
                    task,
                    seq: STEPS - 1,
                })
                .log();
            workflow_log::event("sub_task_done", task);
        }
        .in_current_context(),
    );
    sub.await.unwrap();
    task
}

/// The name of the runtime's worker threads.
const WORKER: &str = "tokio-worker";

#[test]
fn a_thousand_concurrent_interactions_keep_their_own_actions() {
    let (_dir, log) = start_in_tempdir(Workflow::builder("async_agents"));
    let journal = log.journal_path().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(WORKER)
        .enable_time()
        .build()
        .unwrap();
    {
        let _entered = log.enter();
        let _it = workflow_log::iteration().start();
        let root = Context::current();
        rt.block_on(async {
            let mut open: HashMap<u64, InteractionGuard> = HashMap::new();
            let mut tasks = tokio::task::JoinSet::new();
            for task in 0..TASKS {
                // Each interaction opens at the iteration (not inside the previous one) ...
                let at_root = root.attach();
                let agent = workflow_log::interaction(format!("agent_{task}"))
                    .input(&task)
                    .start();
                // ... and its task runs under it, on whichever worker polls it.
                let ctx = Context::current();
                drop(at_root);
                tasks.spawn(agent_task(task).with_context(ctx));
                open.insert(task, agent);
            }
            // All 1,000 are open at once; each closes when its task is done.
            while let Some(done) = tasks.join_next().await {
                let task = done.unwrap();
                let mut agent = open.remove(&task).unwrap();
                agent.output(&"done");
            }
            assert!(open.is_empty());
        });
    }
    drop(rt);
    let path = log.finish().unwrap();
    let doc = read_log(&path);

    let it = &doc["iterations"][0];
    let agents = children(it, "interactions");
    assert_eq!(agents.len() as u64, TASKS);
    // Nothing outside an interaction.
    assert!(children(it, "actions").is_empty() && children(&doc, "actions").is_empty());
    let mut workers = HashSet::new();
    for agent in agents {
        let task = agent["input"].as_u64().unwrap();
        assert_eq!(agent["agent_name"], format!("agent_{task}"));
        assert_eq!(agent["status"], "ok");
        assert_eq!(agent["output"], "done");
        assert!(children(agent, "interactions").is_empty());
        let actions = children(agent, "actions");
        assert_eq!(
            actions.len() as u64,
            2 * (STEPS - 1) + 1,
            "{}",
            agent["agent_name"]
        );
        let mut thinks = Vec::new();
        for action in actions {
            let step: Step = serde_json::from_value(action["input_data"].clone()).unwrap();
            assert_eq!(
                step.task, task,
                "an action of task {} under agent_{task}",
                step.task
            );
            assert!(children(action, "actions").is_empty());
            let thread = action["thread"].as_str().unwrap();
            assert!(thread.starts_with(WORKER), "{thread}");
            workers.insert(thread.to_owned());
            if action["action_name"] == "think" {
                thinks.push(step.seq);
            }
        }
        // The task's steps keep their order.
        assert_eq!(thinks, (0..STEPS).collect::<Vec<_>>());
        let events = children(agent, "events");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["data"], task);
        // The interaction spans its task.
        let end = agent["end_time"].as_str().unwrap();
        assert!(actions
            .iter()
            .all(|a| a["end_time"].as_str().unwrap() <= end));
    }
    assert!(!workers.is_empty());

    assert_eq!(recover_valid(&journal), doc);
}

/// A task dropped before it completes (its `JoinHandle` aborted) leaves what it logged under
/// its interaction; nothing lands elsewhere.
#[test]
fn aborted_tasks_leave_what_they_logged_under_their_interaction() {
    let (_dir, log) = start_in_tempdir(Workflow::builder("aborted_tasks"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    {
        let _entered = log.enter();
        let root = Context::current();
        rt.block_on(async {
            let mut handles = Vec::new();
            let mut open = Vec::new();
            for task in 0..50u64 {
                let at_root = root.attach();
                let agent = workflow_log::interaction("sleeper").input(&task).start();
                let ctx = Context::current();
                drop(at_root);
                let (started_tx, started_rx) = tokio::sync::oneshot::channel();
                handles.push(tokio::spawn(
                    async move {
                        workflow_log::action("before_sleep").input(&task).log();
                        let _ = started_tx.send(());
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        workflow_log::action("never").log();
                    }
                    .with_context(ctx),
                ));
                started_rx.await.unwrap();
                open.push(agent);
            }
            for h in &handles {
                h.abort();
            }
            for h in handles {
                assert!(h.await.unwrap_err().is_cancelled());
            }
        });
    }
    drop(rt);
    let doc = read_log(&log.finish().unwrap());
    let agents = children(&doc, "interactions");
    assert_eq!(agents.len(), 50);
    for agent in agents {
        let actions = children(agent, "actions");
        assert_eq!(actions.len(), 1);
        assert_eq!(actions[0]["action_name"], "before_sleep");
        assert_eq!(actions[0]["input_data"], agent["input"]);
    }
    assert!(nodes(&doc)
        .iter()
        .all(|n| n.kind != Kind::Action || n.value["action_name"] != "never"));
}
