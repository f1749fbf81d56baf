//! A coordinator's change to the center catalog. Each edit is one small, whole change (one
//! service, one counter, one activity, the fairness bound, the retention period); the queue
//! applies it to a copy of the catalog, validates the whole result and refuses it with every
//! problem named, so nothing is ever half-applied.

use super::catalog::{Activity, Catalog, Counter, Limits, PriorityClassDef, Service};
use super::types::{ActivityCode, CounterId, ServiceCode};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum CatalogEdit {
    /// Add a service, or replace the one with the same code. With `counters`, the service is
    /// served at exactly those counters (so that a new service can be called at once).
    PutService {
        service: Service,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        counters: Option<Vec<CounterId>>,
    },
    RemoveService {
        code: ServiceCode,
    },
    /// Add a counter, or replace the one with the same id.
    PutCounter {
        counter: Counter,
    },
    RemoveCounter {
        id: CounterId,
    },
    /// Add a group activity, or replace the one with the same code.
    PutActivity {
        activity: Activity,
    },
    RemoveActivity {
        code: ActivityCode,
    },
    /// The priority fairness bound.
    SetFairness {
        max_overtakes: u32,
        #[serde(default)]
        max_wait_minutes: u32,
    },
    /// Days after which names and phone numbers are erased.
    SetRetention {
        days: u32,
    },
    /// Add a priority class, or replace the one with the same code (its names, icon, and
    /// whether it is discreet).
    PutPriorityClass {
        class: PriorityClassDef,
    },
    /// What one kiosk may do in a short time.
    SetLimits {
        limits: Limits,
    },
}

/// An edit that names something the catalog does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("there is no counter '{0}'")]
    NoCounter(CounterId),
    #[error("there is no service '{0}' to remove")]
    NoService(ServiceCode),
    #[error("there is no counter '{0}' to remove")]
    NoCounterToRemove(CounterId),
    #[error("there is no activity '{0}' to remove")]
    NoActivity(ActivityCode),
}

impl CatalogEdit {
    /// The catalog after this edit, or what is wrong with the edit itself (the result still
    /// has to pass `Catalog::validate`).
    pub fn apply_to(&self, catalog: &Catalog) -> Result<Catalog, EditError> {
        let mut c = catalog.clone();
        match self {
            CatalogEdit::PutService { service, counters } => {
                match c.services.iter_mut().find(|s| s.code == service.code) {
                    Some(s) => *s = service.clone(),
                    None => c.services.push(service.clone()),
                }
                if let Some(ids) = counters {
                    if let Some(unknown) = ids.iter().find(|id| c.counter(id).is_none()) {
                        return Err(EditError::NoCounter(unknown.clone()));
                    }
                    for k in &mut c.counters {
                        let serves = k.services.contains(&service.code);
                        let should = ids.contains(&k.id);
                        if should && !serves {
                            k.services.push(service.code.clone());
                        } else if !should && serves {
                            k.services.retain(|s| s != &service.code);
                        }
                    }
                }
            }
            CatalogEdit::RemoveService { code } => {
                let before = c.services.len();
                c.services.retain(|s| &s.code != code);
                if c.services.len() == before {
                    return Err(EditError::NoService(code.clone()));
                }
                // A removed service is no longer served anywhere.
                for counter in &mut c.counters {
                    counter.services.retain(|s| s != code);
                }
            }
            CatalogEdit::PutCounter { counter } => {
                match c.counters.iter_mut().find(|k| k.id == counter.id) {
                    Some(k) => *k = counter.clone(),
                    None => c.counters.push(counter.clone()),
                }
            }
            CatalogEdit::RemoveCounter { id } => {
                let before = c.counters.len();
                c.counters.retain(|k| &k.id != id);
                if c.counters.len() == before {
                    return Err(EditError::NoCounterToRemove(id.clone()));
                }
            }
            CatalogEdit::PutActivity { activity } => {
                match c.activities.iter_mut().find(|a| a.code == activity.code) {
                    Some(a) => *a = activity.clone(),
                    None => c.activities.push(activity.clone()),
                }
            }
            CatalogEdit::RemoveActivity { code } => {
                let before = c.activities.len();
                c.activities.retain(|a| &a.code != code);
                if c.activities.len() == before {
                    return Err(EditError::NoActivity(code.clone()));
                }
            }
            CatalogEdit::SetFairness {
                max_overtakes,
                max_wait_minutes,
            } => {
                c.priority.max_overtakes = *max_overtakes;
                c.priority.max_wait_minutes = *max_wait_minutes;
            }
            CatalogEdit::SetRetention { days } => c.center.retention_days = *days,
            CatalogEdit::PutPriorityClass { class } => {
                match c.priority.classes.iter_mut().find(|x| x.code == class.code) {
                    Some(x) => *x = class.clone(),
                    None => c.priority.classes.push(class.clone()),
                }
            }
            CatalogEdit::SetLimits { limits } => c.limits = *limits,
        }
        Ok(c)
    }

    /// The operation's name and what it changed (a code, an id, a number), for the audit log
    /// that the admin pages word in the reader's language.
    pub fn op_target(&self) -> (&'static str, String) {
        match self {
            CatalogEdit::PutService { service, .. } => ("put_service", service.code.to_string()),
            CatalogEdit::RemoveService { code } => ("remove_service", code.to_string()),
            CatalogEdit::PutCounter { counter } => ("put_counter", counter.id.to_string()),
            CatalogEdit::RemoveCounter { id } => ("remove_counter", id.to_string()),
            CatalogEdit::PutActivity { activity } => ("put_activity", activity.code.to_string()),
            CatalogEdit::RemoveActivity { code } => ("remove_activity", code.to_string()),
            CatalogEdit::SetFairness {
                max_overtakes,
                max_wait_minutes,
            } => (
                "set_fairness",
                format!("{max_overtakes} / {max_wait_minutes} min"),
            ),
            CatalogEdit::SetRetention { days } => ("set_retention", days.to_string()),
            CatalogEdit::PutPriorityClass { class } => {
                ("put_priority_class", class.code.to_string())
            }
            CatalogEdit::SetLimits { limits } => (
                "set_limits",
                format!(
                    "{} / {} / {}",
                    limits.wrong_codes_per_minute,
                    limits.tickets_per_minute,
                    limits.bookings_per_hour
                ),
            ),
        }
    }

    /// One line for the audit log: what changed.
    pub fn summary(&self) -> String {
        match self {
            CatalogEdit::PutService { service, counters } => match counters {
                Some(ids) => format!(
                    "service {} saved (served at counters {})",
                    service.code,
                    ids.iter()
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => format!("service {} saved", service.code),
            },
            CatalogEdit::RemoveService { code } => format!("service {code} removed"),
            CatalogEdit::PutCounter { counter } => format!(
                "counter {} saved (serves {})",
                counter.id,
                counter
                    .services
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            CatalogEdit::RemoveCounter { id } => format!("counter {id} removed"),
            CatalogEdit::PutActivity { activity } => format!(
                "activity {} saved ({} seats)",
                activity.code, activity.seats
            ),
            CatalogEdit::RemoveActivity { code } => format!("activity {code} removed"),
            CatalogEdit::SetFairness {
                max_overtakes,
                max_wait_minutes,
            } => format!(
                "fairness bound set: overtaken at most {max_overtakes} times, {max_wait_minutes} min"
            ),
            CatalogEdit::SetRetention { days } => format!("retention set to {days} days"),
            CatalogEdit::PutPriorityClass { class } => format!(
                "priority class {} saved{}",
                class.code,
                if class.discreet { " (discreet)" } else { "" }
            ),
            CatalogEdit::SetLimits { limits } => format!(
                "kiosk limits set: {} wrong codes a minute, {} tickets a minute, {} bookings an hour",
                limits.wrong_codes_per_minute, limits.tickets_per_minute, limits.bookings_per_hour
            ),
        }
    }
}
