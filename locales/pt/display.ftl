display-now-calling = Chamando agora
display-recent = Últimas chamadas
display-waiting = Aguardando:
display-reconnecting = Reconectando…
announce-call = Senha { $letter } { $number }, { $counter }.
