//! Reading a run back (`workflow_log::document`) however deep it nests: records thousands deep
//! (a deeply recursive agent) and payloads deeper than serde_json's parser allows.

use serde_json::{json, Value};
use workflow_log::document::{Kind, Run};
use workflow_log::Workflow;
use workflow_log_tests::deep_run;

const DEPTH: usize = 2000;

/// Runs `f` on a thread with a 2 MiB stack (Rust's default for spawned threads).
fn on_a_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .expect("no stack overflow, no panic");
}

/// What a walk of a run meets, record by record: depth, kind, name and input.
fn shape(run: &Run) -> Vec<(usize, Kind, String, Value)> {
    run.walk()
        .map(|step| {
            let input = match step.record {
                workflow_log::document::Record::Interaction(i) => i.input.clone(),
                workflow_log::document::Record::Action(a) => a.input_data.clone(),
                _ => Value::Null,
            };
            (
                step.depth(),
                step.record.kind(),
                step.record.name().into_owned(),
                input,
            )
        })
        .collect()
}

#[test]
fn a_run_two_thousand_records_deep_reads_and_drops_on_a_two_mib_stack() {
    let (dir, nested, journal) = deep_run(DEPTH);
    on_a_small_stack(move || {
        let _dir = dir;
        let run = Run::from_path(&nested).expect("the nested file reads");
        let walked = shape(&run);
        assert_eq!(walked.len(), DEPTH + 2, "every record and the two events");
        for (level, (depth, kind, name, input)) in walked.iter().take(DEPTH).enumerate() {
            assert_eq!(*depth, level);
            let (want_kind, want_name) = match level % 3 {
                // Each the first iteration among its siblings.
                0 => (Kind::Iteration, "1".to_owned()),
                1 => (Kind::Interaction, "agent".to_owned()),
                _ => (Kind::Action, "step".to_owned()),
            };
            assert_eq!((*kind, name.as_str()), (want_kind, want_name.as_str()));
            if kind != &Kind::Iteration {
                assert_eq!(input, &json!({ "level": level }));
            }
        }
        let events: Vec<_> = walked[DEPTH..].iter().map(|s| (s.0, s.1)).collect();
        assert_eq!(events, [(DEPTH, Kind::Event), (DEPTH, Kind::Event)]);
        assert!(run.failures().next().is_none());
        // The journal (recovered into a `Value`, then read) gives the same run.
        let recovered = Run::from_path(&journal).expect("the journal reads");
        assert_eq!(shape(&recovered), walked);
        // Both dropped here, on the small stack.
    });
}

/// A value `depth` arrays deep, made on the fly.
struct Deep(usize);

impl serde::Serialize for Deep {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(1))?;
        if self.0 > 1 {
            seq.serialize_element(&Deep(self.0 - 1))?;
        }
        seq.end()
    }
}

#[test]
fn a_payload_deeper_than_the_parser_allows_reads_as_its_json_text_from_file_and_journal() {
    let dir = tempfile::tempdir().unwrap();
    let log = Workflow::builder("deep_payload")
        .logs_dir(dir.path())
        .max_depth(300)
        .start()
        .unwrap();
    let journal = log.journal_path().unwrap();
    {
        let _entered = log.enter();
        let _it = workflow_log::iteration().start();
        workflow_log::action("deep_tool")
            .input(&Deep(200))
            .output(&"done")
            .metadata("shallow", &json!({"k": 1}))
            .metadata("deep", &Deep(150))
            .log();
        workflow_log::event("deep_event", Deep(140));
    }
    let nested = log.finish().unwrap();
    let run = Run::from_path(&nested).expect("the nested file reads");
    let tool = &run.iterations[0].actions[0];
    // Kept as its JSON text, as `capture` and `recover` keep such a payload.
    let text = serde_json::to_string(&Deep(200)).unwrap();
    assert_eq!(tool.input_data, Value::String(text));
    assert_eq!(tool.output_data, json!("done"));
    assert_eq!(tool.metadata["shallow"], json!({"k": 1}));
    assert_eq!(
        tool.metadata["deep"],
        Value::String(serde_json::to_string(&Deep(150)).unwrap())
    );
    assert_eq!(
        run.iterations[0].events[0].data,
        Value::String(serde_json::to_string(&Deep(140)).unwrap())
    );
    // The journal reads to the same run.
    assert_eq!(Run::from_path(&journal).unwrap(), run);
}
