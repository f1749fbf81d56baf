counter-call-next = Chamar o próximo
counter-recall = Chamar de novo
counter-start = A pessoa chegou
counter-finish = Concluir
counter-no-show = Não compareceu
counter-transfer = Encaminhar para…
counter-reprint = Imprimir de novo
counter-cancel = Voltar
counter-nobody = Não há ninguém neste guichê.
counter-waiting = { $count ->
    [0] Ninguém está aguardando.
    [one] 1 pessoa aguardando.
   *[other] { $count } pessoas aguardando.
}
counter-offline = Sem conexão com o servidor: reconectando…
counter-stale = A lista nesta tela pode estar desatualizada: nada foi feito. Espere a conexão voltar.
counter-state-called = chamada
counter-state-serving = em atendimento
counter-keys = Teclado: N = chamar o próximo
counter-next-up = A seguir:
counter-discreet = discreto: não dizer o serviço
counter-protection-alert = Proteção urgente — senha { $ticket }, desde { $since } ({ $lang }). Leve a pessoa a um lugar reservado.
counter-acknowledge = Ciente
