city-title = Los centros de la ciudad: { $centers ->
    [one] un centro
   *[other] { $centers } centros
}
city-centers = Centros
city-center = Centro
city-per-center = Visitantes por centro
city-satisfaction-per-center = ¿Cómo fue su visita? — por centro
city-last-sent = Últimas cifras recibidas
city-never = nunca
city-empty = Ningún centro envió cifras para este período.
city-how-read = Cada centro envía solo números: ni nombres, ni teléfonos, ni números de turno, ni códigos. Los tiempos de espera son los del informe de cada centro; «Todos los centros» reúne a todos los visitantes del período.
city-all-centers = Todos los centros
city-bookings-per-center = Citas, actividades y opiniones por centro
