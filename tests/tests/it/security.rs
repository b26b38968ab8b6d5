//! Security: secrets are redacted before any sink sees them (the nested file and the journal's
//! raw bytes), by default and at any depth; the key list and a hook are configurable; files are
//! created `0600`; a workflow name can't place a file outside the logs directory.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{json, Value};
use workflow_log::{Context, Workflow};
use workflow_log_tests::{file_run, find, mode, read_log, Kind};

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Secret values, each unique so that a leak names its way in.
const SECRETS: [&str; 15] = [
    "sk-INTERACTION-INPUT",
    "sk-INTERACTION-OUTPUT",
    "sk-ACTION-INPUT",
    "sk-ACTION-OUTPUT",
    "sk-METADATA-NESTED",
    "sk-EVENT",
    "sk-LOGGER",
    "sk-STRUCT",
    "sk-DEEP",
    "sk-THREAD",
    "sk-GUARD-OUTPUT",
    "sk-SIMPLE-NESTED",
    "sk-METADATA-KEY",
    "sk-GUARD-METADATA-KEY",
    "sk-SIMPLE-KEY",
];

#[derive(Serialize)]
struct Credentials {
    user: &'static str,
    password: &'static str,
}

/// Logs each of `SECRETS` under a secret-looking key, everywhere a value can go.
fn log_secrets() {
    let _it = workflow_log::iteration().start();
    let mut agent = workflow_log::interaction("agent")
        .input(&json!({"task": "x", "API_KEY": SECRETS[0]}))
        .start();
    workflow_log::action("call")
        .input(&json!({"headers": {"Authorization": SECRETS[2]}, "query": "q"}))
        .output(&json!([{"access_token": SECRETS[3], "expires": 3600}]))
        .metadata("auth", &json!({"Secret": SECRETS[4]}))
        .metadata("api_key", &SECRETS[12])
        .log();
    workflow_log::event("login", json!({"user": "ada", "token": SECRETS[5]}));
    workflow_log::logger("agent.http").warn("retrying", json!({"refresh-token": SECRETS[6]}));
    workflow_log::action("login")
        .input(&Credentials {
            user: "ada",
            password: SECRETS[7],
        })
        .log();
    let deep = json!({"a": [{"b": {"c": [[{"openai_api_key": SECRETS[8]}]]}}]});
    workflow_log::action("deep").input(&deep).log();
    let ctx = Context::current();
    std::thread::spawn(move || {
        let _attached = ctx.attach();
        let map: HashMap<&str, &str> = HashMap::from([("Password", SECRETS[9]), ("user", "bob")]);
        workflow_log::action("on_thread").input(&map).log();
    })
    .join()
    .unwrap();
    {
        let mut tool = workflow_log::action("tool").start();
        tool.output(&BTreeMap::from([("client_secret", SECRETS[10])]));
        tool.metadata("Token", &json!({"value": SECRETS[13]}));
    }
    workflow_log::log_simple(
        "agent",
        "simple",
        json!({"nested": {"cookie": SECRETS[11]}, "password": SECRETS[14]}),
    );
    agent.output(&json!({"answer": 42, "secret": SECRETS[1]}));
}

#[test]
fn secrets_are_redacted_by_default_in_the_nested_file_and_the_journal_bytes() {
    let run = file_run(Workflow::builder("redacted"), log_secrets);
    for secret in SECRETS {
        assert!(
            !contains(&run.nested, secret),
            "{secret} in the nested file"
        );
        assert!(!contains(&run.journal, secret), "{secret} in the journal");
    }
    let doc = &run.doc;
    let agent = find(doc, Kind::Interaction, "agent").value;
    assert_eq!(
        agent["input"],
        json!({"task": "x", "API_KEY": "[REDACTED]"})
    );
    assert_eq!(
        agent["output"],
        json!({"answer": 42, "secret": "[REDACTED]"})
    );
    let call = find(doc, Kind::Action, "call").value;
    assert_eq!(
        call["input_data"],
        json!({"headers": {"Authorization": "[REDACTED]"}, "query": "q"})
    );
    assert_eq!(
        call["output_data"],
        json!([{"access_token": "[REDACTED]", "expires": 3600}])
    );
    assert_eq!(call["metadata"]["auth"], json!({"Secret": "[REDACTED]"}));
    // A metadata entry named like a secret.
    assert_eq!(call["metadata"]["api_key"], "[REDACTED]");
    assert_eq!(
        find(doc, Kind::Action, "tool").value["metadata"]["Token"],
        "[REDACTED]"
    );
    let simple = find(doc, Kind::Action, "simple_log").value;
    assert_eq!(simple["metadata"]["password"], "[REDACTED]");
    assert_eq!(
        simple["metadata"]["nested"],
        json!({"cookie": "[REDACTED]"})
    );
    assert_eq!(
        find(doc, Kind::Action, "login").value["input_data"],
        json!({"user": "ada", "password": "[REDACTED]"})
    );
    assert_eq!(
        find(doc, Kind::Action, "deep").value["input_data"]["a"][0]["b"]["c"][0][0],
        json!({"openai_api_key": "[REDACTED]"})
    );
    assert_eq!(
        find(doc, Kind::Action, "on_thread").value["input_data"],
        json!({"Password": "[REDACTED]", "user": "bob"})
    );
    let events = &agent["events"];
    assert_eq!(
        events[0]["data"],
        json!({"user": "ada", "token": "[REDACTED]"})
    );
    assert_eq!(events[1]["data"], json!({"refresh-token": "[REDACTED]"}));
    // Keys that only contain a secret word are not secrets.
    let ((), doc) = workflow_log_tests::capture_valid(|| {
        workflow_log::action("usage")
            .input(&json!({"max_tokens": 5, "tokens": 12, "secretary": "Ann"}))
            .log();
    });
    assert_eq!(
        doc["actions"][0]["input_data"],
        json!({"max_tokens": 5, "tokens": 12, "secretary": "Ann"})
    );
}

#[test]
fn the_key_list_is_configurable_and_an_empty_list_turns_redaction_off() {
    let run =
        file_run(
            Workflow::builder("custom_keys").redact_keys(["ssn"]),
            || {
                workflow_log::action("a")
            .input(&json!({"SSN": "123-45-6789", "nested": {"ssn": 1}, "api_key": "sk-now-kept"}))
            .log();
            },
        );
    assert!(!contains(&run.journal, "123-45-6789"));
    assert!(contains(&run.journal, "sk-now-kept"));
    assert_eq!(
        run.doc["actions"][0]["input_data"],
        json!({"SSN": "[REDACTED]", "nested": {"ssn": "[REDACTED]"}, "api_key": "sk-now-kept"})
    );

    let none: [&str; 0] = [];
    let run = file_run(Workflow::builder("no_redaction").redact_keys(none), || {
        workflow_log::action("a")
            .input(&json!({"password": "hunter2", "token": "t"}))
            .log();
    });
    assert!(contains(&run.journal, "hunter2"));
    assert_eq!(
        run.doc["actions"][0]["input_data"],
        json!({"password": "hunter2", "token": "t"})
    );
}

#[test]
fn a_custom_hook_rewrites_values_after_redaction_before_any_sink() {
    fn mask_emails(v: &mut Value) {
        match v {
            Value::String(s) if s.contains('@') => *s = "***@***".into(),
            Value::Array(items) => items.iter_mut().for_each(mask_emails),
            Value::Object(map) => map.values_mut().for_each(mask_emails),
            _ => {}
        }
    }
    let builder = Workflow::builder("hooked").redact_hook(mask_emails);
    let run = file_run(builder, || {
        let _agent = workflow_log::interaction("mailer")
            .input(&json!({"to": "ada@example.com", "password": "pw-1"}))
            .start();
        workflow_log::action("send")
            .input(&["bob@example.com", "plain"])
            .metadata("cc", &json!({"list": ["eve@example.com"]}))
            .log();
        workflow_log::event("sent", json!({"from": "ann@example.com"}));
        // The hook runs on other threads too.
        let ctx = Context::current();
        std::thread::spawn(move || {
            let _attached = ctx.attach();
            workflow_log::action("bounce")
                .input(&"joe@example.com")
                .log();
        })
        .join()
        .unwrap();
    });
    for leaked in [
        "ada@example.com",
        "bob@example.com",
        "eve@example.com",
        "ann@example.com",
        "joe@example.com",
        "pw-1",
    ] {
        assert!(!contains(&run.journal, leaked), "{leaked} in the journal");
        assert!(
            !contains(&run.nested, leaked),
            "{leaked} in the nested file"
        );
    }
    let doc = &run.doc;
    let mailer = find(doc, Kind::Interaction, "mailer").value;
    // Key redaction still applies with a hook.
    assert_eq!(
        mailer["input"],
        json!({"to": "***@***", "password": "[REDACTED]"})
    );
    assert_eq!(
        find(doc, Kind::Action, "send").value["input_data"],
        json!(["***@***", "plain"])
    );
    assert_eq!(
        find(doc, Kind::Action, "send").value["metadata"]["cc"],
        json!({"list": ["***@***"]})
    );
    assert_eq!(mailer["events"][0]["data"], json!({"from": "***@***"}));
    assert_eq!(
        find(doc, Kind::Action, "bounce").value["input_data"],
        "***@***"
    );

    // A hook that panics costs the value, not the run.
    let run = file_run(
        Workflow::builder("panicky_hook").redact_hook(|_| panic!("hook bug")),
        || {
            workflow_log::action("a").input(&"secret-ish").log();
            workflow_log::action("b").log();
        },
    );
    assert_eq!(
        run.doc["actions"][0]["input_data"],
        "[redaction hook panicked]"
    );
    assert!(!contains(&run.journal, "secret-ish"));
    assert_eq!(run.doc["actions"][1]["action_name"], "b");
}

#[test]
fn log_files_are_created_0600() {
    let run = file_run(Workflow::builder("private"), || {
        workflow_log::action("a").log();
    });
    let (nested, journal) = &run.paths;
    assert_eq!(mode(nested), 0o600);
    assert_eq!(mode(journal), 0o600);
    // A journal path given explicitly, too.
    let dir = tempfile::tempdir().unwrap();
    let explicit = dir.path().join("explicit.jsonl");
    let log = Workflow::builder("private")
        .logs_dir(dir.path())
        .journal_path(&explicit)
        .start()
        .unwrap();
    assert_eq!(mode(&explicit), 0o600);
    let path = log.finish().unwrap();
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn an_explicit_journal_path_is_made_private_and_never_followed_through_a_symlink() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    // An existing file, readable by all: it becomes private before a byte is written.
    let existing = dir.path().join("existing.jsonl");
    std::fs::write(&existing, "old content\n").unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o644)).unwrap();
    let log = Workflow::builder("private")
        .logs_dir(dir.path())
        .journal_path(&existing)
        .start()
        .unwrap();
    assert_eq!(mode(&existing), 0o600);
    log.finish().unwrap();
    let text = std::fs::read_to_string(&existing).unwrap();
    assert!(!text.contains("old content"), "{text}");
    // A symlink planted at the path: `start` fails and its target is left as it was.
    let target = dir.path().join("target.txt");
    std::fs::write(&target, "precious").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
    let planted = dir.path().join("planted.jsonl");
    symlink(&target, &planted).unwrap();
    let err = Workflow::builder("private")
        .logs_dir(dir.path())
        .journal_path(&planted)
        .start()
        .expect_err("a symlink at the journal path is not followed");
    assert!(err.to_string().contains("planted.jsonl"), "{err}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
    assert_eq!(mode(&target), 0o644);
    // A dangling one does not create its target either.
    let missing = dir.path().join("missing.txt");
    let dangling = dir.path().join("dangling.jsonl");
    symlink(&missing, &dangling).unwrap();
    Workflow::builder("private")
        .logs_dir(dir.path())
        .journal_path(&dangling)
        .start()
        .expect_err("a dangling symlink is not followed");
    assert!(!missing.exists());
    // The nested file's temp file: a symlink planted there is not followed either.
    let log = Workflow::builder("private")
        .logs_dir(dir.path())
        .start()
        .unwrap();
    let nested = log.path().unwrap();
    let name = nested.file_name().unwrap().to_str().unwrap();
    symlink(&target, dir.path().join(format!(".{name}.tmp"))).unwrap();
    log.finish().expect_err("the temp file's path is taken");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
}

#[test]
fn a_workflow_name_cant_place_a_file_outside_the_logs_dir() {
    let root = tempfile::tempdir().unwrap();
    let logs = root.path().join("deep/er/logs");
    let long = "x/".repeat(300);
    for name in [
        "../../etc/x",
        "../../../../../../../../tmp/escape",
        "/etc/passwd",
        "..",
        ".",
        "",
        ".hidden",
        "a/b\\c",
        "nul\0byte",
        "new\nline",
        long.as_str(),
        "C:\\Windows\\system32",
    ] {
        let log = Workflow::builder(name).logs_dir(&logs).start().unwrap();
        let journal = log.journal_path().unwrap();
        let path = log.finish().unwrap();
        for file in [&path, &journal] {
            assert_eq!(file.parent(), Some(logs.as_path()), "{name:?}: {file:?}");
            let file_name = file.file_name().unwrap().to_str().unwrap();
            assert!(!file_name.starts_with('.'), "{name:?}: hidden {file_name}");
            assert!(
                !file_name.contains(['/', '\\', '\0', '\n']),
                "{name:?}: {file_name:?}"
            );
            assert!(file_name.len() < 200, "{name:?}: {file_name}");
        }
        assert_eq!(read_log(&path)["workflow"], name);
    }
    // Nothing was written anywhere but the logs dir.
    let mut outside = Vec::new();
    let mut stack = vec![root.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.parent() != Some(logs.as_path()) {
                outside.push(path);
            }
        }
    }
    assert!(outside.is_empty(), "{outside:?}");
    assert_eq!(std::fs::read_dir(&logs).unwrap().count(), 2 * 12);
}

#[test]
fn a_value_too_deep_for_the_hook_is_not_written_unhooked() {
    let mut deep = serde_json::json!({"email": "ada@example.com"});
    for _ in 0..130 {
        let mut map = serde_json::Map::new();
        map.insert("wrap".to_owned(), deep);
        deep = serde_json::Value::Object(map);
    }
    let builder = workflow_log::Workflow::builder("deep_hook")
        .max_depth(200)
        .redact_hook(|v| {
            if let Some(e) = v.pointer_mut("/email") {
                *e = "***".into();
            }
        });
    let ((), doc) = workflow_log_tests::capture_valid_with(builder, || {
        workflow_log::event("deep", &deep);
    });
    let text = doc.to_string();
    assert!(!text.contains("ada@example.com"), "{text}");
    assert!(text.contains("redaction hook could not run"), "{text}");
}

/// A value captured by its `Debug` text (it has no `Serialize`).
#[derive(Debug)]
struct Contact {
    #[allow(dead_code)] // read through Debug
    email: &'static str,
}

#[workflow_log::action]
fn notify(who: Contact) -> Contact {
    who
}

#[test]
fn debug_text_captures_follow_the_hook_and_the_string_limit() {
    let builder = Workflow::builder("debug_text").redact_hook(|v| {
        if let Value::String(s) = v {
            if s.contains('@') {
                *s = "***@***".into();
            }
        }
    });
    let run = file_run(builder, || {
        notify(Contact {
            email: "ada@example.com",
        });
    });
    assert!(!contains(&run.journal, "ada@example.com"));
    assert!(!contains(&run.nested, "ada@example.com"));
    let a = find(&run.doc, Kind::Action, "notify").value;
    assert_eq!(a["input_data"], json!({"who": "***@***"}));
    assert_eq!(a["output_data"], "***@***");

    // Without a hook, the workflow's string limit cuts the Debug text.
    let run = file_run(Workflow::builder("debug_cut").max_string_bytes(12), || {
        notify(Contact { email: "x" });
    });
    let a = find(&run.doc, Kind::Action, "notify").value;
    let text = a["input_data"]["who"].as_str().unwrap();
    assert!(text.starts_with("Contact { em…[truncated: "), "{text}");
    assert_eq!(a["output_data"], a["input_data"]["who"]);
}

/// An enum whose variant names a secret.
#[derive(Serialize)]
enum Auth {
    Token(&'static str),
    #[allow(dead_code)]
    Basic {
        user: &'static str,
    },
}

/// An argument without `Serialize`: captured by its `Debug` text.
#[derive(Debug)]
struct Login {
    #[allow(dead_code)]
    user: &'static str,
    #[allow(dead_code)]
    password: &'static str,
}

#[workflow_log::action]
fn sign_in(login: Login) -> Result<u8, String> {
    let _ = login;
    Err("rejected key sk-proj-ERRDISPLAY0123456789abcdef".to_owned())
}

#[test]
fn secrets_in_every_shape_of_key_and_every_captured_text_are_redacted() {
    const LEAKS: [&str; 13] = [
        "camel-secret-value",
        "screaming-secret-value",
        "plural-secret-value",
        "credentials-secret-value",
        "variant-secret-value",
        "hunter2-debug",
        "sk-proj-ERRDISPLAY0123456789abcdef",
        "sk-ant-ERRORTEXT0123456789abcdefgh",
        "ghp_AGENTNAME0123456789abcdefghijklmnop",
        "xoxb-LOGMESSAGE-0123456789",
        "AKIAVALUEINPAYLOAD12",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
        "BEARERTOKENVALUE123",
    ];
    let run = file_run(Workflow::builder("shapes"), || {
        let _agent =
            workflow_log::interaction("agent ghp_AGENTNAME0123456789abcdefghijklmnop").start();
        workflow_log::action("keys")
            .input(&json!({
                "accessToken": "camel-secret-value",
                "ACCESS_TOKEN": "screaming-secret-value",
                "api_keys": ["plural-secret-value"],
                "credentials": {"user": "credentials-secret-value"},
                "note": "aws AKIAVALUEINPAYLOAD12 and jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
                "header": "Bearer BEARERTOKENVALUE123",
                "max_tokens": 512,
            }))
            .output(&Auth::Token("variant-secret-value"))
            .log();
        let _ = sign_in(Login {
            user: "ann",
            password: "hunter2-debug",
        });
        workflow_log::action("failing")
            .error("bad key sk-ant-ERRORTEXT0123456789abcdefgh")
            .log();
        workflow_log::logger("auth").info("posted with xoxb-LOGMESSAGE-0123456789", json!({}));
    });
    let nested = std::fs::read(&run.paths.0).unwrap();
    let journal = std::fs::read(&run.paths.1).unwrap();
    for leak in LEAKS {
        assert!(!contains(&nested, leak), "{leak} reached the nested file");
        assert!(!contains(&journal, leak), "{leak} reached the journal");
    }
    let keys = find(&run.doc, Kind::Action, "keys").value;
    assert_eq!(keys["input_data"]["max_tokens"], 512);
    assert_eq!(keys["input_data"]["header"], "Bearer [REDACTED]");
    assert_eq!(keys["output_data"], json!({"Token": "[REDACTED]"}));
    let sign_in = find(&run.doc, Kind::Action, "sign_in").value;
    assert_eq!(
        sign_in["input_data"]["login"],
        r#"Login { user: "ann", password: [REDACTED] }"#
    );
    assert_eq!(sign_in["error"], "rejected key [REDACTED]");
}

#[test]
fn redaction_of_secret_values_can_be_turned_off() {
    let ((), doc) = Workflow::builder("off").redact_values(false).capture(|| {
        workflow_log::action("a")
            .input(&"Bearer BEARERTOKENVALUE123")
            .log();
    });
    assert_eq!(
        doc["actions"][0]["input_data"],
        "Bearer BEARERTOKENVALUE123"
    );
}

/// `log_simple`'s own interaction, named for an agent with a secret in it, reaches neither file
/// with the secret: not its open line, not its close.
#[test]
fn a_log_simple_agent_name_is_redacted_in_both_files() {
    const LEAK: &str = "ghp_SIMPLEAGENT0123456789abcdefghijklmn";
    let run = file_run(Workflow::builder("simple_agent"), || {
        workflow_log::log_simple(&format!("agent {LEAK}"), "hello", json!({}));
        workflow_log::log_simple(&format!("agent {LEAK}"), "again", json!({}));
    });
    assert!(
        !contains(&run.nested, LEAK),
        "the secret reached the nested file"
    );
    assert!(
        !contains(&run.journal, LEAK),
        "the secret reached the journal"
    );
    let agent = find(&run.doc, Kind::Interaction, "agent [REDACTED]").value;
    assert_eq!(agent["actions"].as_array().unwrap().len(), 2);
}
