display-now-calling = Turno
display-recent = Últimos llamados
display-waiting = En espera:
display-reconnecting = Reconectando…
display-calls-paused = Llamadas en pausa
announce-call = Turno { $letter } { $number }, { $counter }.
