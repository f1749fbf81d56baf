city-title = Les centres de la ville : { $centers ->
    [one] un centre
   *[other] { $centers } centres
}
city-centers = Centres
city-center = Centre
city-per-center = Visiteurs par centre
city-satisfaction-per-center = Comment s’est passée votre visite ? — par centre
city-last-sent = Derniers chiffres reçus
city-never = jamais
city-empty = Aucun centre n’a envoyé de chiffres pour cette période.
city-how-read = Chaque centre n’envoie que des nombres : ni noms, ni téléphones, ni numéros de ticket, ni codes. Les temps d’attente sont ceux du rapport de chaque centre ; « Tous les centres » réunit tous les visiteurs de la période.
city-all-centers = Tous les centres
city-bookings-per-center = Rendez-vous, activités et avis par centre
