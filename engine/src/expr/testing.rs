//! A self-contained [`Context`] for tests of expressions and of code that evaluates
//! them, here and in other crates.

use crate::time::Timestamp;
use crate::value::{Value, Variables};

use super::{Bean, Context, ElValue, EvalError};

/// A [`Context`] backed by two variable scopes, settable bean properties, a fixed clock
/// and a fixed user.
///
/// Lookups follow Camunda: beans first (`execution` is available by default), then the
/// local scope, then the parent scope. `setVariable` writes where the variable already
/// lives, else into the parent scope (the process instance), as Camunda does.
#[derive(Debug, Clone, PartialEq)]
pub struct MapContext {
    /// The current (local) scope.
    pub local: Variables,
    /// The enclosing scope, e.g. the process instance.
    pub parent: Variables,
    /// The beans `resolve` returns by name.
    pub beans: Vec<Bean>,
    /// Bean properties, for `execution.processInstanceId` and the like.
    pub bean_properties: Vec<(Bean, String, ElValue)>,
    /// What `now()` and `dateTime()` return.
    pub now: Timestamp,
    /// What `currentUser()` returns.
    pub user: Option<String>,
    /// What `currentUserGroups()` returns.
    pub groups: Vec<String>,
}

impl Default for MapContext {
    fn default() -> Self {
        MapContext {
            local: Variables::new(),
            parent: Variables::new(),
            beans: vec![Bean::Execution],
            bean_properties: Vec::new(),
            now: Timestamp(0),
            user: None,
            groups: Vec::new(),
        }
    }
}

impl MapContext {
    /// An empty context: no variables, `execution` available, now = the epoch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a variable in the parent scope.
    pub fn with_var(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.parent.set(name, value.into());
        self
    }

    /// Sets a variable in the local scope.
    pub fn with_local_var(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.local.set(name, value.into());
        self
    }

    /// Fixes the clock.
    pub fn with_now(mut self, now: Timestamp) -> Self {
        self.now = now;
        self
    }

    /// Sets the authenticated user and groups.
    pub fn with_user(mut self, user: &str, groups: &[&str]) -> Self {
        self.user = Some(user.to_owned());
        self.groups = groups.iter().map(|g| (*g).to_owned()).collect();
        self
    }

    /// Makes exactly these beans resolvable.
    pub fn with_beans(mut self, beans: &[Bean]) -> Self {
        self.beans = beans.to_vec();
        self
    }

    /// Sets a bean property.
    pub fn with_bean_property(mut self, bean: Bean, name: &str, value: impl Into<ElValue>) -> Self {
        self.set_property(bean, name, value.into());
        self
    }

    /// The value of a variable as the scopes resolve it.
    pub fn var(&self, name: &str) -> Option<&Value> {
        self.local.get(name).or_else(|| self.parent.get(name))
    }

    /// A bean property.
    pub fn property(&self, bean: Bean, name: &str) -> Option<&ElValue> {
        self.bean_properties
            .iter()
            .find(|(b, n, _)| *b == bean && n == name)
            .map(|(_, _, v)| v)
    }

    fn set_property(&mut self, bean: Bean, name: &str, value: ElValue) {
        match self
            .bean_properties
            .iter_mut()
            .find(|(b, n, _)| *b == bean && n == name)
        {
            Some(slot) => slot.2 = value,
            None => self.bean_properties.push((bean, name.to_owned(), value)),
        }
    }
}

impl Context for MapContext {
    fn resolve(&self, name: &str) -> Option<ElValue> {
        if let Some(bean) = Bean::from_name(name).filter(|b| self.beans.contains(b)) {
            return Some(ElValue::Bean(bean));
        }
        self.variable(name)
    }

    fn variable(&self, name: &str) -> Option<ElValue> {
        self.var(name).map(ElValue::from_value)
    }

    fn variable_local(&self, name: &str) -> Option<ElValue> {
        self.local.get(name).map(ElValue::from_value)
    }

    fn variable_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.local.iter().map(|v| v.name.clone()).collect();
        for v in self.parent.iter() {
            if !names.contains(&v.name) {
                names.push(v.name.clone());
            }
        }
        names
    }

    fn set_variable(&mut self, name: &str, value: ElValue) -> Result<(), EvalError> {
        if self.local.contains(name) {
            self.local.set(name, value.into_value());
        } else {
            self.parent.set(name, value.into_value());
        }
        Ok(())
    }

    fn set_variable_local(&mut self, name: &str, value: ElValue) -> Result<(), EvalError> {
        self.local.set(name, value.into_value());
        Ok(())
    }

    fn remove_variable(&mut self, name: &str) -> Result<(), EvalError> {
        if self.local.remove(name).is_none() {
            self.parent.remove(name);
        }
        Ok(())
    }

    fn bean_property(&self, bean: Bean, property: &str) -> Option<ElValue> {
        self.property(bean, property).cloned()
    }

    fn set_bean_property(
        &mut self,
        bean: Bean,
        property: &str,
        value: ElValue,
    ) -> Result<bool, EvalError> {
        self.set_property(bean, property, value);
        Ok(true)
    }

    fn now(&self) -> Timestamp {
        self.now
    }

    fn current_user(&self) -> Option<String> {
        self.user.clone()
    }

    fn current_user_groups(&self) -> Vec<String> {
        self.groups.clone()
    }
}
