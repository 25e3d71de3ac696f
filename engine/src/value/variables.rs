//! The variables of one scope.

use serde::{Deserialize, Serialize};

use super::Value;

/// One named variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variable {
    /// The variable's name.
    pub name: String,
    /// Its value.
    pub value: Value,
    /// Transient variables live until the end of the current command and are never
    /// persisted (Camunda's `valueInfo.transient`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub transient: bool,
}

/// The variables of one scope, in insertion order.
///
/// A scope rarely holds more than a few dozen variables, so a vector with linear lookup
/// beats a hash map on both speed and memory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Variables(Vec<Variable>);

impl Variables {
    /// No variables.
    pub const fn new() -> Self {
        Variables(Vec::new())
    }

    /// The value of `name`, if set in this scope.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|v| v.name == name).map(|v| &v.value)
    }

    /// True if `name` is set in this scope.
    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|v| v.name == name)
    }

    /// Sets `name`, replacing any previous value; returns the previous value.
    pub fn set(&mut self, name: &str, value: Value) -> Option<Value> {
        self.set_with(name, value, false)
    }

    /// Sets `name` with an explicit transient flag; returns the previous value.
    pub fn set_with(&mut self, name: &str, value: Value, transient: bool) -> Option<Value> {
        if let Some(v) = self.0.iter_mut().find(|v| v.name == name) {
            v.transient = transient;
            return Some(std::mem::replace(&mut v.value, value));
        }
        self.0.push(Variable {
            name: name.to_owned(),
            value,
            transient,
        });
        None
    }

    /// Removes `name`; returns its value if it was set.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let pos = self.0.iter().position(|v| v.name == name)?;
        Some(self.0.remove(pos).value)
    }

    /// Drops transient variables (at the end of a command).
    pub fn clear_transient(&mut self) {
        self.0.retain(|v| !v.transient);
    }

    /// Iterates over the variables in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &Variable> {
        self.0.iter()
    }

    /// Number of variables.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no variable is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, Value)> for Variables {
    fn from_iter<T: IntoIterator<Item = (String, Value)>>(iter: T) -> Self {
        let mut vars = Variables::new();
        for (name, value) in iter {
            vars.set_with(&name, value, false);
        }
        vars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_in_place_and_keeps_order() {
        let mut vars = Variables::new();
        vars.set("a", Value::Integer(1));
        vars.set("b", Value::from("x"));
        assert_eq!(vars.set("a", Value::Long(2)), Some(Value::Integer(1)));
        let names: Vec<_> = vars.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(vars.get("a"), Some(&Value::Long(2)));
        assert_eq!(vars.remove("a"), Some(Value::Long(2)));
        assert!(!vars.contains("a"));
    }
}
