display-now-calling = Appel en cours
display-recent = Derniers appels
display-waiting = En attente :
display-reconnecting = Reconnexion…
display-calls-paused = Appels en pause
announce-call = Ticket { $letter } { $number }, { $counter }.
