# La borne pour les visiteurs.
kiosk-welcome = Bienvenue ! Touchez ici pour le français.
kiosk-home = Accueil
kiosk-back = Retour
kiosk-larger = Texte plus grand
kiosk-busy = Un instant, s'il vous plaît…
kiosk-go-to-reception = Désolé, le système ne fonctionne pas pour le moment. Merci d'aller à l'accueil.
# On the welcome screen while the hub cannot be reached (no language buttons then).
kiosk-offline-welcome = Cet écran ne peut pas donner de numéro pour le moment. Merci d'aller à l'accueil : on vous y aidera.
kiosk-services-title = De quoi avez-vous besoin aujourd'hui ?
kiosk-appointments = J'ai un rendez-vous / en prendre un
kiosk-activities = Activités en groupe
kiosk-status-open = { $count ->
    [0] Ouvert · personne n'attend
    [one] Ouvert · 1 personne attend · environ { $minutes } min
   *[other] Ouvert · { $count } personnes attendent · environ { $minutes } min
}
kiosk-status-closed = Fermé maintenant
kiosk-priority-question = Avez-vous besoin d'être reçu en priorité aujourd'hui ?
kiosk-priority-note = Touchez l'image qui vous correspond. Vous n'avez aucun papier à montrer.
kiosk-priority-skip = Non, continuer
kiosk-ticket-title = Votre numéro est
kiosk-ticket-ahead = { $count ->
    [0] Personne n'est avant vous.
    [one] 1 personne est avant vous.
   *[other] { $count } personnes sont avant vous.
}
kiosk-ticket-wait = Attente estimée : environ { $minutes } min.
kiosk-ticket-take = Prenez votre ticket imprimé en bas.
kiosk-ticket-remember = L'imprimante ne marche pas. Retenez votre numéro : { $number }. Il est valable.
kiosk-done = Terminé
kiosk-checkin-title = Votre rendez-vous
kiosk-checkin-hint = Tapez le code écrit sur le papier de votre rendez-vous.
kiosk-delete = Effacer
kiosk-ok = Valider
kiosk-book = Prendre un nouveau rendez-vous
kiosk-book-service = Pour quel service est le rendez-vous ?
kiosk-book-day = Quel jour ?
kiosk-book-time = À quelle heure ?
kiosk-book-none = Il n'y a pas de rendez-vous libre les prochains jours. Merci de demander à l'accueil.
kiosk-slots-free = { $count ->
    [0] Complet
    [one] 1 rendez-vous libre
   *[other] { $count } rendez-vous libres
}
kiosk-slot-full = Pris
kiosk-contact-title = Votre prénom et votre téléphone (facultatif)
kiosk-contact-why = Ils nous aident à vous prévenir si le rendez-vous change. Vous pouvez passer.
kiosk-contact-name = Prénom
kiosk-contact-phone = Téléphone
kiosk-space = Espace
kiosk-skip = Passer
kiosk-next = Continuer
kiosk-confirm-appointment = Votre rendez-vous est réservé
kiosk-confirm-code = Votre code pour signaler votre arrivée :
kiosk-slip-take = Prenez votre papier imprimé en bas.
kiosk-slip-remember = L'imprimante ne marche pas. Notez votre code : { $code }.
kiosk-activities-title = Activités en groupe
kiosk-activities-none = Il n'y a pas d'activité les prochains jours.
kiosk-seats-left = { $count ->
    [one] Il reste 1 place
   *[other] Il reste { $count } places
}
kiosk-full = Complet · { $count ->
    [0] personne sur la liste d'attente
    [one] 1 personne sur la liste d'attente
   *[other] { $count } personnes sur la liste d'attente
}
kiosk-sign-up = M'inscrire
kiosk-join-waitlist = Entrer sur la liste d'attente
kiosk-confirm-activity = Votre place est réservée
kiosk-confirm-waitlist = Vous êtes le numéro { $position } sur la liste d'attente
kiosk-confirm-attended = Votre arrivée est enregistrée. Bienvenue !
kiosk-status-open-plain = Ouvert maintenant
kiosk-ticket-discreet = Un membre de l’équipe viendra vous chercher.
kiosk-too-many = Un instant, s’il vous plaît. Réessayez dans une minute ou demandez à l’accueil.
kiosk-code-wrong-wait = Ce code n’a pas marché. Vous pourrez réessayer dans { $seconds } secondes, ou demandez à l’accueil.
kiosk-too-many-wait = Un instant, s’il vous plaît. La borne accepte à nouveau les codes dans { $seconds } secondes, ou demandez à l’accueil.
kiosk-follow = Suivez votre tour sur votre téléphone
kiosk-follow-booking = Voir ou annuler sur votre téléphone
kiosk-idle-warning = Êtes-vous toujours là ? Retour à l’accueil dans { $seconds } secondes.
kiosk-idle-continue = Continuer
kiosk-opens-today = Fermé · ouvre aujourd’hui à { $time }
kiosk-opens-tomorrow = Fermé · ouvre demain à { $time }
kiosk-opens-day = Fermé · ouvre { $day } à { $time }
kiosk-listen = Lire cet écran à voix haute
kiosk-stop-reading = Arrêter la lecture
kiosk-status-short = { $count ->
    [0] Personne n’attend
    [one] 1 attend · { $minutes } min
   *[other] { $count } attendent · { $minutes } min
}
kiosk-page-previous = Page précédente
kiosk-page-next = Page suivante
kiosk-today = Aujourd’hui
kiosk-tomorrow = Demain
kiosk-ticket-priority = Vous serez appelé en priorité : { $class }
