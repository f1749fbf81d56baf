display-now-calling = Appel en cours
display-recent = Derniers appels
display-waiting = En attente :
display-reconnecting = Reconnexion…
announce-call = Ticket { $letter } { $number }, { $counter }.
