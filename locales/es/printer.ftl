# Turnos y comprobantes impresos.
print-ticket-title = Su turno
print-people-ahead = { $count ->
    [0] No hay nadie antes que usted
    [one] Hay 1 persona antes que usted
   *[other] Hay { $count } personas antes que usted
}
print-wait = Espera estimada: unos { $minutes } min
print-keep = Guarde este papel y mire la pantalla para ver su número.
print-appointment-title = Su cita
print-appointment-code = Su código para registrar la llegada
print-bring = Para su cita:
print-activity-title = Su lugar en la actividad
print-seat = Su cupo está reservado.
print-waitlist = La actividad está llena. Usted es el número { $position } en la lista de espera.
print-place = Lugar: { $place }
print-code = Código: { $code }
print-when = { $weekday } { $date }, { $time }
print-test-title = Prueba de impresora
print-test-sample = ¡Hola! Esta impresora funciona.
print-test-charset = Caracteres de la página de códigos:
weekday-mon = lunes
weekday-tue = martes
weekday-wed = miércoles
weekday-thu = jueves
weekday-fri = viernes
weekday-sat = sábado
weekday-sun = domingo
print-discreet-appointment = Un miembro del equipo le recibirá.
print-follow = Siga su turno en su teléfono:
