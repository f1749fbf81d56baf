display-now-calling = Turno
display-recent = Últimos llamados
display-waiting = En espera:
display-reconnecting = Reconectando…
display-calls-paused = Llamadas en pausa
announce-call = Turno { $letter } { $number }, { $counter }.
display-clock-unsure = La hora de esta pantalla puede estar mal: el personal la está revisando. Su lugar en la fila se mantiene.
