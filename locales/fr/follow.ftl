# La page que le visiteur ouvre sur son téléphone avec le code QR de son ticket ou reçu.
follow-number = Votre numéro
follow-ahead = { $count ->
    [one] 1 personne avant vous
   *[other] { $count } personnes avant vous
}
follow-next = Vous êtes le prochain
follow-wait = Environ { $minutes } min. Cette page se met à jour toute seule.
follow-live = Cette page se met à jour toute seule. Restez à proximité.
follow-called = C’est votre tour — { $counter }
follow-called-at = Allez-y maintenant, s’il vous plaît.
follow-serving = Vous êtes reçu — { $counter }
follow-done = Merci de votre visite
follow-closed = Ce ticket est fermé. Merci de demander à l’accueil.
follow-sound = Activer le son
follow-question = Comment s’est passée votre visite ?
follow-face-1 = Pas bien
follow-face-2 = Moyen
follow-face-3 = Bien
follow-waited-too-long = J’ai attendu trop longtemps
follow-not-understood = Je n’ai pas pu comprendre
follow-got-what-needed = J’ai obtenu ce dont j’avais besoin
follow-send = Envoyer
follow-thanks = Merci pour votre réponse.
follow-gone = Ce lien ne s’ouvre plus
follow-gone-detail = Il n’est valable que le jour du ticket. Merci de demander à l’accueil.
follow-too-many = Trop de demandes. Attendez une minute et réessayez.
follow-appointment = Votre rendez-vous
follow-signup = Votre activité
follow-when = { $date } à { $time }
follow-when-label = Quand
follow-place = Où
follow-bring = Pour votre rendez-vous
follow-cancel = Annuler
follow-cancel-confirm = Voulez-vous annuler ? L’horaire sera libre pour quelqu’un d’autre.
follow-cancel-yes = Oui, annuler
follow-cancel-no = Non, garder
follow-cancelled = Annulé. Merci de nous avoir prévenus.
follow-checked-in = Votre arrivée est enregistrée. Suivez votre numéro sur le nouveau ticket.
follow-missed = Ce rendez-vous est passé. Merci de demander à l’accueil.
follow-waitlist = Vous êtes sur la liste d’attente. Nous vous garderons une place si une se libère.
follow-language = Langue
follow-day-ended = La journée est terminée
follow-day-ended-detail = Le centre a fermé avant que votre numéro soit appelé. Revenez un autre jour d’ouverture du centre et prenez un nouveau numéro à la borne. Si vous avez attendu longtemps, dites-le à l’accueil.
