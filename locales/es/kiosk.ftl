# El quiosco para visitantes.
kiosk-welcome = ¡Bienvenida, bienvenido! Toque aquí para español.
kiosk-home = Inicio
kiosk-back = Atrás
kiosk-larger = Letra más grande
kiosk-busy = Un momento, por favor…
kiosk-go-to-reception = Lo sentimos, el sistema no funciona ahora. Por favor, vaya a recepción.
# On the welcome screen while the hub cannot be reached (no language buttons then).
kiosk-offline-welcome = Esta pantalla no puede dar turnos en este momento. Por favor, vaya a recepción: allí le ayudan.
kiosk-services-title = ¿Qué necesita hoy?
kiosk-appointments = Tengo una cita / pedir una cita
kiosk-activities = Actividades en grupo
kiosk-status-open = { $count ->
    [0] Abierto · nadie esperando
    [one] Abierto · 1 persona esperando · unos { $minutes } min
   *[other] Abierto · { $count } esperando · unos { $minutes } min
}
kiosk-status-closed = Cerrado ahora
kiosk-priority-question = ¿Necesita ser atendido primero hoy?
kiosk-priority-note = Toque el dibujo que le corresponde. No tiene que mostrar ningún papel.
kiosk-priority-skip = No, continuar
kiosk-ticket-title = Su número es
kiosk-ticket-ahead = { $count ->
    [0] No hay nadie antes que usted.
    [one] Hay 1 persona antes que usted.
   *[other] Hay { $count } personas antes que usted.
}
kiosk-ticket-wait = Espera estimada: unos { $minutes } min.
kiosk-ticket-take = Tome su turno impreso abajo.
kiosk-ticket-remember = La impresora no funciona. Por favor, recuerde su número: { $number }. Es válido.
kiosk-done = Listo
kiosk-checkin-title = Su cita
kiosk-checkin-hint = Escriba el código que aparece en el papel de su cita.
kiosk-delete = Borrar
kiosk-ok = Aceptar
kiosk-book = Pedir una cita nueva
kiosk-book-service = ¿Para qué servicio es la cita?
kiosk-book-day = ¿Qué día?
kiosk-book-time = ¿A qué hora?
kiosk-book-none = No hay citas libres en los próximos días. Por favor, pregunte en recepción.
kiosk-slots-free = { $count ->
    [0] Completo
    [one] 1 cita libre
   *[other] { $count } citas libres
}
kiosk-slot-full = Ocupado
kiosk-contact-title = Su nombre y teléfono (opcional)
kiosk-contact-why = Nos ayudan a avisarle si la cita cambia. Puede saltar este paso.
kiosk-contact-name = Nombre
kiosk-contact-phone = Teléfono
kiosk-space = Espacio
kiosk-skip = Saltar
kiosk-next = Continuar
kiosk-confirm-appointment = Su cita está reservada
kiosk-confirm-code = Su código para registrar la llegada:
kiosk-slip-take = Tome su papel impreso abajo.
kiosk-slip-remember = La impresora no funciona. Por favor, anote su código: { $code }.
kiosk-activities-title = Actividades en grupo
kiosk-activities-none = No hay actividades en los próximos días.
kiosk-seats-left = { $count ->
    [one] Queda 1 cupo
   *[other] Quedan { $count } cupos
}
kiosk-full = Completo · { $count ->
    [0] nadie en lista de espera
    [one] 1 persona en lista de espera
   *[other] { $count } personas en lista de espera
}
kiosk-sign-up = Inscribirme
kiosk-join-waitlist = Entrar en la lista de espera
kiosk-confirm-activity = Su cupo está reservado
kiosk-confirm-waitlist = Usted es el número { $position } en la lista de espera
kiosk-confirm-attended = Ya está registrada su llegada. ¡Bienvenida, bienvenido!
kiosk-status-open-plain = Abierto ahora
kiosk-ticket-discreet = Un miembro del equipo vendrá a buscarle.
kiosk-too-many = Un momento, por favor. Inténtelo de nuevo en un minuto o pregunte en recepción.
kiosk-code-wrong-wait = Ese código no funcionó. Puede intentarlo de nuevo en { $seconds } segundos, o pregunte en recepción.
kiosk-too-many-wait = Un momento, por favor. El quiosco acepta códigos de nuevo en { $seconds } segundos, o pregunte en recepción.
kiosk-follow = Siga su turno en su teléfono
kiosk-follow-booking = Véala o cancélela en su teléfono
kiosk-idle-warning = ¿Sigue ahí? Volvemos al inicio en { $seconds } segundos.
kiosk-idle-continue = Continuar
kiosk-opens-today = Cerrado · abre hoy a las { $time }
kiosk-opens-tomorrow = Cerrado · abre mañana a las { $time }
kiosk-opens-day = Cerrado · abre el { $day } a las { $time }
kiosk-listen = Leer esta pantalla en voz alta
kiosk-stop-reading = Dejar de leer
kiosk-status-short = { $count ->
    [0] Nadie esperando
    [one] 1 esperando · { $minutes } min
   *[other] { $count } esperando · { $minutes } min
}
kiosk-page-previous = Página anterior
kiosk-page-next = Página siguiente
kiosk-today = Hoy
kiosk-tomorrow = Mañana
kiosk-ticket-priority = Le llamaremos con prioridad: { $class }
