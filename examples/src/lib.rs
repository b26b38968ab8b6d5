//! Runnable examples of workflow-log.
