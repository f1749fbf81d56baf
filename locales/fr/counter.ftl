counter-call-next = Appeler le suivant
counter-recall = Rappeler
counter-start = La personne est là
counter-finish = Terminer
counter-no-show = Ne s’est pas présenté
counter-transfer = Envoyer vers…
counter-reprint = Réimprimer
counter-cancel = Retour
counter-nobody = Personne à ce guichet.
counter-waiting = { $count ->
    [0] Personne n’attend.
    [one] 1 personne attend.
   *[other] { $count } personnes attendent.
}
counter-offline = Pas de lien avec le serveur : reconnexion…
counter-stale = La liste sur cet écran n’est peut-être plus à jour : rien n’a été fait. Attendez le retour de la connexion.
counter-state-called = appelé
counter-state-serving = en cours
counter-keys = Clavier : N = appeler le suivant
counter-next-up = Ensuite :
counter-discreet = discret : ne pas dire le service
counter-protection-alert = Protection urgente — ticket { $ticket }, depuis { $since } ({ $lang }). Emmenez la personne dans un lieu privé.
counter-acknowledge = Vu
