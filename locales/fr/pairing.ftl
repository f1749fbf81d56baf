# L'écran d'appairage d'un appareil qui n'a pas encore de jeton, et les appareils en attente de la page d'administration.
pairing-title-keypad = Appairer cet appareil avec le hub du centre
pairing-help-keypad = Sur la page d'administration, créez un code PIN pour le rôle de cet appareil et tapez-le ici. Vérifiez d'abord que l'empreinte du hub ci-dessous est celle qu'affiche la page d'administration.
pairing-title-code = Appairer cet écran
pairing-help-code = Sur la page d'administration, dans « Appareils en attente », trouvez cette adresse, tapez ce code, puis choisissez le rôle et le nom.
pairing-hub = Hub : { $hub }
pairing-fingerprint = Empreinte du hub (comparez-la avec la page d'administration) :
pairing-pin = PIN
pairing-delete = Effacer
pairing-ok = Appairer
pairing-address = Adresse :
pairing-looking = Recherche du hub du centre…
pairing-pairing = Appairage…
pairing-wrong = L'appairage a échoué : le PIN est faux, déjà utilisé ou expiré, ou ce n'est pas le hub du centre.
pairing-wrong-left = { $left ->
    [0] Ce PIN n'a pas appairé (faux, utilisé ou expiré). Plus aucun essai : attendez 10 minutes.
    [one] Ce PIN n'a pas appairé (faux, utilisé ou expiré). Encore 1 essai, puis attendez 10 minutes.
   *[other] Ce PIN n'a pas appairé (faux, utilisé ou expiré). Encore { $left } essais, puis attendez 10 minutes.
}
pairing-refused = Le hub refuse pour l'instant (trop d'essais, ou trop d'appareils en attente) : attendez quelques minutes, puis réessayez.
pairing-code-failed = Le code n'a pas appairé. Un nouveau code va s'afficher : tapez le nouveau sur la page d'administration.
pairing-paired = Appairé. Démarrage…
pairing-console-waiting = Appareils en attente
pairing-console-waiting-help = Un écran sans tactile (la télé de l'accueil) affiche un code et son adresse. Trouvez ici son adresse, tapez le code que vous voyez sur cet écran, puis choisissez son rôle et son nom.
pairing-console-none = Aucun appareil n'attend.
pairing-console-address = Adresse
pairing-console-since = Depuis
pairing-console-code = Code sur son écran
pairing-console-role = Rôle
pairing-console-name = Nom
pairing-console-approve = Approuver
pairing-console-approved = Approuvé : l'appareil s'appaire.
pairing-console-display-pin = Un écran d'accueil n'a pas de clavier : il affiche son propre code et son adresse. Approuvez-le ci-dessous, dans « Appareils en attente ». Un PIN d'écran ne sert qu'à `pair_pin` dans son integra.toml.
