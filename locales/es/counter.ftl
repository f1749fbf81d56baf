counter-call-next = Llamar al siguiente
counter-recall = Llamar de nuevo
counter-start = Ya llegó
counter-finish = Terminar
counter-no-show = No se presentó
counter-transfer = Enviar a…
counter-reprint = Reimprimir
counter-cancel = Volver
counter-nobody = No hay nadie en esta ventanilla.
counter-waiting = { $count ->
    [0] No hay nadie esperando.
    [one] 1 persona esperando.
   *[other] { $count } personas esperando.
}
counter-offline = Sin conexión con el servidor: reconectando…
counter-stale = La lista de esta pantalla puede estar desactualizada: no se hizo nada. Espere a que vuelva la conexión.
counter-state-called = llamado
counter-state-serving = en atención
counter-keys = Teclado: N = llamar al siguiente
counter-next-up = Siguen:
counter-discreet = discreto: no decir el servicio
counter-protection-alert = Protección urgente — turno { $ticket }, desde las { $since } ({ $lang }). Lleve a la persona a un lugar privado.
counter-acknowledge = Enterado
