# A página que o visitante abre no telefone com o código QR da sua senha ou comprovante.
follow-number = O seu número
follow-ahead = { $count ->
    [one] Há 1 pessoa antes de você
   *[other] Há { $count } pessoas antes de você
}
follow-next = Você é o próximo
follow-wait = Cerca de { $minutes } min. Esta página se atualiza sozinha.
follow-live = Esta página se atualiza sozinha. Fique por perto.
follow-called = É a sua vez — { $counter }
follow-called-at = Por favor, vá agora.
follow-serving = Você está sendo atendido — { $counter }
follow-done = Obrigado pela sua visita
follow-closed = Esta senha está encerrada. Por favor, pergunte na recepção.
follow-sound = Ligar o som
follow-question = Como foi a sua visita?
follow-face-1 = Ruim
follow-face-2 = Mais ou menos
follow-face-3 = Boa
follow-waited-too-long = Esperei demais
follow-not-understood = Não consegui entender
follow-got-what-needed = Consegui o que precisava
follow-send = Enviar
follow-thanks = Obrigado pela sua resposta.
follow-gone = Este link não abre mais
follow-gone-detail = Vale só no dia da senha. Por favor, pergunte na recepção.
follow-too-many = Pedidos demais. Espere um minuto e tente de novo.
follow-appointment = O seu agendamento
follow-signup = A sua atividade
follow-when = { $date } às { $time }
follow-when-label = Quando
follow-place = Onde
follow-bring = Para o seu atendimento
follow-cancel = Cancelar
follow-cancel-confirm = Quer cancelar? O horário fica livre para outra pessoa.
follow-cancel-yes = Sim, cancelar
follow-cancel-no = Não, manter
follow-cancelled = Cancelado. Obrigado por nos avisar.
follow-checked-in = Você já registrou a chegada. Acompanhe o seu número na nova senha.
follow-missed = Este agendamento já passou. Por favor, pergunte na recepção.
follow-waitlist = Você está na lista de espera. Guardaremos um lugar se um ficar livre.
follow-language = Idioma
follow-day-ended = O dia de atendimento terminou
follow-day-ended-detail = O centro fechou antes de chamarem o seu número. Volte em outro dia em que o centro estiver aberto e pegue uma nova senha no quiosque. Se você esperou muito tempo, avise na recepção.
