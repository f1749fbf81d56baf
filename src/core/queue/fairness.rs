use super::*;

impl Decide<'_> {
    pub(super) fn call_next(&self, counter: &CounterId) -> Result<Vec<Event>, QueueError> {
        let c = self
            .catalog
            .counter(counter)
            .ok_or_else(|| QueueError::UnknownCounter(counter.clone()))?;
        let scope = &c.services;
        let pick = self
            .pick_next(scope)
            .ok_or_else(|| QueueError::NothingWaiting(counter.clone()))?;
        let mut out = Vec::new();
        if let Some(current) = self.state.at_counter.get(counter) {
            out.push(Event::TicketFinished {
                ticket: *current,
                counter: counter.clone(),
            });
        }
        out.push(Event::TicketCalled {
            ticket: pick,
            counter: counter.clone(),
            scope: scope.clone(),
        });
        Ok(out)
    }

    /// Choose the next ticket for a counter serving `scope`:
    /// priority tickets first, then appointments whose slot has come, then by arrival —
    /// unless calling the preferred ticket would overtake a ticket that has already been
    /// overtaken `max_overtakes` times or has waited `max_wait_minutes`: then the oldest waiting
    /// ticket is called, which overtakes nobody.
    pub(super) fn pick_next(&self, scope: &[ServiceCode]) -> Option<TicketId> {
        let queues: Vec<&Waiting> = scope
            .iter()
            .filter_map(|s| self.state.waiting.get(s))
            .collect();
        let oldest = queues
            .iter()
            .filter_map(|w| w.fifo.first())
            .min()
            .copied()?;
        let first_priority = queues
            .iter()
            .filter_map(|w| w.priority.first())
            .min()
            .copied();
        let first_due = queues
            .iter()
            .filter_map(|w| w.appointment.first())
            .filter(|(slot, _)| *slot <= self.now)
            .min()
            .map(|(_, id)| *id);
        let preferred = first_priority.or(first_due).unwrap_or(oldest);
        if preferred == oldest {
            return Some(oldest);
        }
        let bound = self.catalog.priority.max_overtakes;
        let max_wait = Duration::minutes(i64::from(self.catalog.priority.max_wait_minutes));
        // The oldest ticket has waited the longest: if it hit the time bound, nobody may pass it.
        let waited = self
            .state
            .tickets
            .get(&oldest)
            .map_or(Duration::zero(), |t| self.now - t.issued_at);
        if self.catalog.priority.max_wait_minutes > 0 && waited >= max_wait {
            return Some(oldest);
        }
        let blocked = queues.iter().any(|w| {
            w.fifo.range(..preferred).any(|id| {
                self.state
                    .tickets
                    .get(id)
                    .is_some_and(|t| t.overtaken >= bound)
            })
        });
        Some(if blocked { oldest } else { preferred })
    }
}
