# Senhas e comprovantes impressos.
print-ticket-title = Sua senha
print-people-ahead = { $count ->
    [0] Não há ninguém na sua frente
    [one] Há 1 pessoa na sua frente
   *[other] Há { $count } pessoas na sua frente
}
print-wait = Espera estimada: cerca de { $minutes } min
print-keep = Guarde este papel e olhe a tela para ver o seu número.
print-appointment-title = Seu agendamento
print-appointment-code = Seu código para confirmar a chegada
print-bring = Para o seu atendimento:
print-activity-title = Sua vaga na atividade
print-seat = Sua vaga está garantida.
print-waitlist = A atividade está cheia. Você é o número { $position } na lista de espera.
print-place = Local: { $place }
print-code = Código: { $code }
print-when = { $weekday }, { $date }, { $time }
print-test-title = Teste da impressora
print-test-sample = Olá! Esta impressora está funcionando.
print-test-charset = Caracteres da página de código:
weekday-mon = segunda-feira
weekday-tue = terça-feira
weekday-wed = quarta-feira
weekday-thu = quinta-feira
weekday-fri = sexta-feira
weekday-sat = sábado
weekday-sun = domingo
print-discreet-appointment = Uma pessoa da equipe vai atender você.
print-follow = Acompanhe a sua vez no telefone:
