//! BPMN. Being written.
