# La página que el visitante abre en su teléfono con el código QR de su turno o comprobante.
follow-number = Su número
follow-ahead = { $count ->
    [one] Hay 1 persona antes que usted
   *[other] Hay { $count } personas antes que usted
}
follow-next = Usted es el siguiente
follow-wait = Unos { $minutes } min. Esta página se actualiza sola.
follow-live = Esta página se actualiza sola. Quédese cerca.
follow-called = Es su turno — { $counter }
follow-called-at = Por favor, vaya ahora.
follow-serving = Le están atendiendo — { $counter }
follow-done = Gracias por su visita
follow-closed = Este turno está cerrado. Por favor, pregunte en recepción.
follow-sound = Activar el sonido
follow-question = ¿Cómo fue su visita?
follow-face-1 = Mal
follow-face-2 = Regular
follow-face-3 = Bien
follow-waited-too-long = Esperé demasiado
follow-not-understood = No pude entender
follow-got-what-needed = Obtuve lo que necesitaba
follow-send = Enviar
follow-thanks = Gracias por su respuesta.
follow-gone = Este enlace ya no abre
follow-gone-detail = Solo vale el día del turno. Por favor, pregunte en recepción.
follow-too-many = Demasiadas solicitudes. Espere un minuto e inténtelo de nuevo.
follow-appointment = Su cita
follow-signup = Su actividad
follow-when = { $date } a las { $time }
follow-when-label = Cuándo
follow-place = Dónde
follow-bring = Para su cita
follow-cancel = Cancelar
follow-cancel-confirm = ¿Quiere cancelar? La hora quedará libre para otra persona.
follow-cancel-yes = Sí, cancelar
follow-cancel-no = No, mantener
follow-cancelled = Cancelado. Gracias por avisarnos.
follow-checked-in = Ya registró su llegada. Siga su número en el nuevo turno.
follow-missed = Esta cita ya pasó. Por favor, pregunte en recepción.
follow-waitlist = Está en la lista de espera. Le guardaremos un lugar si se libera uno.
follow-language = Idioma
follow-day-ended = La jornada terminó
follow-day-ended-detail = El centro cerró antes de que llamaran su número. Vuelva otro día en que el centro esté abierto y tome un nuevo turno en el kiosco. Si esperó mucho tiempo, dígalo en recepción.
