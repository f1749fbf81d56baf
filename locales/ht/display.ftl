display-now-calling = N ap rele kounye a
display-recent = Dènye apèl yo
display-waiting = K ap tann:
display-reconnecting = N ap rekonekte…
display-calls-paused = Apèl yo kanpe pou kounye a
announce-call = Tikè { $letter } { $number }, { $counter }.
display-clock-unsure = Lè ki sou ekran sa a ka pa bon: anplwaye yo ap tcheke l. Plas ou nan liy lan rete pou ou.
