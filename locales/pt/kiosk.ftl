# O quiosque para visitantes.
kiosk-welcome = Bem-vinda, bem-vindo! Toque aqui para português.
kiosk-home = Início
kiosk-back = Voltar
kiosk-larger = Letra maior
kiosk-busy = Um momento, por favor…
kiosk-go-to-reception = Desculpe, o sistema não está funcionando agora. Por favor, vá até a recepção.
# On the welcome screen while the hub cannot be reached (no language buttons then).
kiosk-offline-welcome = Esta tela não pode dar senhas agora. Por favor, vá até a recepção: lá ajudam você.
kiosk-services-title = Do que você precisa hoje?
kiosk-appointments = Tenho um agendamento / quero agendar
kiosk-activities = Atividades em grupo
kiosk-status-open = { $count ->
    [0] Aberto · ninguém esperando
    [one] Aberto · 1 pessoa esperando · cerca de { $minutes } min
   *[other] Aberto · { $count } esperando · cerca de { $minutes } min
}
kiosk-status-closed = Fechado agora
kiosk-priority-question = Você precisa ser atendido primeiro hoje?
kiosk-priority-note = Toque na figura que combina com você. Não é preciso mostrar nenhum documento.
kiosk-priority-skip = Não, continuar
kiosk-ticket-title = Sua senha é
kiosk-ticket-ahead = { $count ->
    [0] Não há ninguém na sua frente.
    [one] Há 1 pessoa na sua frente.
   *[other] Há { $count } pessoas na sua frente.
}
kiosk-ticket-wait = Espera estimada: cerca de { $minutes } min.
kiosk-ticket-take = Pegue sua senha impressa aqui embaixo.
kiosk-ticket-remember = A impressora não está funcionando. Guarde o seu número: { $number }. Ele é válido.
kiosk-done = Pronto
kiosk-checkin-title = Seu agendamento
kiosk-checkin-hint = Digite o código que está no papel do seu agendamento.
kiosk-delete = Apagar
kiosk-ok = Confirmar
kiosk-book = Fazer um novo agendamento
kiosk-book-service = Para qual serviço é o agendamento?
kiosk-book-day = Qual dia?
kiosk-book-time = Que horas?
kiosk-book-none = Não há horários livres nos próximos dias. Por favor, pergunte na recepção.
kiosk-slots-free = { $count ->
    [0] Lotado
    [one] 1 horário livre
   *[other] { $count } horários livres
}
kiosk-slot-full = Ocupado
kiosk-contact-title = Seu primeiro nome e telefone (opcional)
kiosk-contact-why = Eles nos ajudam a avisar você se o agendamento mudar. Você pode pular esta parte.
kiosk-contact-name = Nome
kiosk-contact-phone = Telefone
kiosk-space = Espaço
kiosk-skip = Pular
kiosk-next = Continuar
kiosk-confirm-appointment = Seu agendamento está marcado
kiosk-confirm-code = Seu código para confirmar a chegada:
kiosk-slip-take = Pegue seu papel impresso aqui embaixo.
kiosk-slip-remember = A impressora não está funcionando. Anote o seu código: { $code }.
kiosk-activities-title = Atividades em grupo
kiosk-activities-none = Não há atividades nos próximos dias.
kiosk-seats-left = { $count ->
    [one] Resta 1 vaga
   *[other] Restam { $count } vagas
}
kiosk-full = Lotado · { $count ->
    [0] ninguém na lista de espera
    [one] 1 pessoa na lista de espera
   *[other] { $count } pessoas na lista de espera
}
kiosk-sign-up = Inscrever-me
kiosk-join-waitlist = Entrar na lista de espera
kiosk-confirm-activity = Sua vaga está garantida
kiosk-confirm-waitlist = Você é o número { $position } na lista de espera
kiosk-confirm-attended = A sua chegada está registada. Bem-vindo!
kiosk-status-open-plain = Aberto agora
kiosk-ticket-discreet = Uma pessoa da equipe virá buscar você.
kiosk-too-many = Um momento, por favor. Tente de novo em um minuto ou pergunte na recepção.
kiosk-code-wrong-wait = Esse código não funcionou. Você pode tentar de novo em { $seconds } segundos, ou pergunte na recepção.
kiosk-too-many-wait = Um momento, por favor. O quiosque aceita códigos de novo em { $seconds } segundos, ou pergunte na recepção.
kiosk-follow = Acompanhe a sua vez no telefone
kiosk-follow-booking = Veja ou cancele no telefone
kiosk-idle-warning = Você ainda está aí? Voltamos ao início em { $seconds } segundos.
kiosk-idle-continue = Continuar
kiosk-opens-today = Fechado · abre hoje às { $time }
kiosk-opens-tomorrow = Fechado · abre amanhã às { $time }
kiosk-opens-day = Fechado · abre { $day } às { $time }
kiosk-listen = Ler esta tela em voz alta
kiosk-stop-reading = Parar de ler
kiosk-status-short = { $count ->
    [0] Ninguém à espera
    [one] 1 à espera · { $minutes } min
   *[other] { $count } à espera · { $minutes } min
}
kiosk-page-previous = Página anterior
kiosk-page-next = Próxima página
kiosk-today = Hoje
kiosk-tomorrow = Amanhã
kiosk-ticket-priority = Você será chamado com prioridade: { $class }
