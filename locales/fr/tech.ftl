# The technician screen (held corner + setup code) and the "cannot start" screen.
tech-title = Écran technicien
tech-prompt = Tapez le code d'installation de cet appareil (setup_code dans integra.toml).
tech-wrong = { $left ->
    [one] Code erroné. Encore un essai avant une pause.
   *[other] Code erroné. Encore { $left } essais avant une pause.
}
tech-paused = Trop de codes erronés. Réessayez dans { $minutes } min.
tech-no-code = Cet appareil n'a pas de code d'installation : écrivez setup_code = "…" dans integra.toml, sur la partition de démarrage de la carte, puis redémarrez l'appareil.
tech-delete = Effacer
tech-ok = Valider
tech-close = Fermer
tech-address = Adresse
tech-hub = Centrale
tech-fingerprint = Empreinte de la centrale
tech-version = Version
tech-role = Rôle
tech-checks = Vérifications
tech-checking = Vérification…
tech-log = Dernières lignes du journal
tech-print = Imprimer une page de test
tech-printing = Impression d'une page de test…
tech-restart = Redémarrer
tech-restarting = Redémarrage…
tech-repair = Appairer à nouveau
tech-repair-failed = L'appairage n'a pas pu être oublié : { $error }
cannot-start-title = Cet appareil ne peut pas démarrer
cannot-start-intro = Corrigez ce qui est signalé ci-dessous (le plus souvent dans integra.toml, sur la partition de démarrage de la carte). L'appareil vérifie de nouveau tout seul et démarre une fois corrigé.
cannot-start-retry = Vérifié à { $time } ; nouvelle vérification toutes les { $seconds } s.
