display-now-calling = Appel en cours
display-recent = Derniers appels
display-waiting = En attente :
display-reconnecting = Reconnexion…
display-calls-paused = Appels en pause
announce-call = Ticket { $letter } { $number }, { $counter }.
display-clock-unsure = L’heure de cet écran est peut-être fausse : le personnel la vérifie. Votre place dans la file est gardée.
