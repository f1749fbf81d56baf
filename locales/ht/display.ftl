display-now-calling = N ap rele kounye a
display-recent = Dènye apèl yo
display-waiting = K ap tann:
display-reconnecting = N ap rekonekte…
announce-call = Tikè { $letter } { $number }, { $counter }.
