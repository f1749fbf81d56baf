display-now-calling = N ap rele kounye a
display-recent = Dènye apèl yo
display-waiting = K ap tann:
display-reconnecting = N ap rekonekte…
display-calls-paused = Apèl yo kanpe pou kounye a
announce-call = Tikè { $letter } { $number }, { $counter }.
