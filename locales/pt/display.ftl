display-now-calling = Chamando agora
display-recent = Últimas chamadas
display-waiting = Aguardando:
display-reconnecting = Reconectando…
display-calls-paused = Chamadas em pausa
announce-call = Senha { $letter } { $number }, { $counter }.
