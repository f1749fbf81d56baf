display-now-calling = Now calling
display-recent = Last calls
display-waiting = Waiting:
display-reconnecting = Reconnecting…
display-calls-paused = Calls are paused
announce-call = Ticket { $letter } { $number }, { $counter }.
display-clock-unsure = The time on this screen may be wrong: staff are checking it. Your place in line is kept.
