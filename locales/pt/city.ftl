city-title = Os centros da cidade: { $centers ->
    [one] um centro
   *[other] { $centers } centros
}
city-centers = Centros
city-center = Centro
city-per-center = Visitantes por centro
city-satisfaction-per-center = Como foi a sua visita? — por centro
city-last-sent = Últimos números recebidos
city-never = nunca
city-empty = Nenhum centro enviou números para este período.
city-how-read = Cada centro envia apenas números: sem nomes, sem telefones, sem números de senha, sem códigos. Os tempos de espera são os do relatório de cada centro; «Todos os centros» junta todos os visitantes do período.
city-all-centers = Todos os centros
city-bookings-per-center = Agendamentos, atividades e opiniões por centro
