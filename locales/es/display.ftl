display-now-calling = Turno
display-recent = Últimos llamados
display-waiting = En espera:
display-reconnecting = Reconectando…
announce-call = Turno { $letter } { $number }, { $counter }.
