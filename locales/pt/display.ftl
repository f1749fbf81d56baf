display-now-calling = Chamando agora
display-recent = Últimas chamadas
display-waiting = Aguardando:
display-reconnecting = Reconectando…
display-calls-paused = Chamadas em pausa
announce-call = Senha { $letter } { $number }, { $counter }.
display-clock-unsure = A hora nesta tela pode estar errada: a equipe está verificando. O seu lugar na fila está guardado.
