//! Implementation detail of `workflow-log`.
