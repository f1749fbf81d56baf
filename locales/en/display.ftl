display-now-calling = Now calling
display-recent = Last calls
display-waiting = Waiting:
display-reconnecting = Reconnecting…
announce-call = Ticket { $letter } { $number }, { $counter }.
