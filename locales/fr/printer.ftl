# Tickets et reçus imprimés.
print-ticket-title = Votre numéro
print-people-ahead = { $count ->
    [0] Personne n'est avant vous
    [one] 1 personne est avant vous
   *[other] { $count } personnes sont avant vous
}
print-wait = Attente estimée : environ { $minutes } min
print-keep = Gardez ce ticket et regardez l'écran pour voir votre numéro.
print-appointment-title = Votre rendez-vous
print-appointment-code = Votre code pour signaler votre arrivée
print-bring = Pour votre rendez-vous :
print-activity-title = Votre place à l'activité
print-seat = Votre place est réservée.
print-waitlist = L'activité est complète. Vous êtes le numéro { $position } sur la liste d'attente.
print-place = Lieu : { $place }
print-code = Code : { $code }
print-when = { $weekday } { $date }, { $time }
print-test-title = Test de l'imprimante
print-test-sample = Bonjour ! Cette imprimante fonctionne.
print-test-charset = Caractères de la page de code :
weekday-mon = lundi
weekday-tue = mardi
weekday-wed = mercredi
weekday-thu = jeudi
weekday-fri = vendredi
weekday-sat = samedi
weekday-sun = dimanche
print-discreet-appointment = Un membre de l'équipe vous recevra.
print-follow = Suivez votre tour sur votre téléphone :
