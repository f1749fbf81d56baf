# The hub's setup page (/setup): the first admin with the setup code from integra.toml.
setup-title = Configurer ce hub
setup-help = Tapez le code de configuration écrit dans le integra.toml de ce hub (sur la partition de démarrage de la carte). Il fait de ce navigateur le premier administrateur du centre, une seule fois.
setup-code = Code de configuration
setup-pair = Faire de ce navigateur l'administrateur
setup-wrong = Ce n'est pas le code de configuration du integra.toml du hub. Vérifiez-le et tapez-le à nouveau (les essais sont limités).
setup-used = Ce code de configuration a déjà servi : demandez un PIN à un administrateur sur la page d'administration.
setup-no-code = Ce hub n'a encore ni code de configuration ni administrateur. Pour en ajouter un : sur la carte du hub, ouvrez integra.toml sur la partition de démarrage avec un éditeur de texte, ajoutez une ligne setup_code = "…" avec 10 chiffres ou plus à vous, tirés au hasard, puis éteignez et rallumez le hub.
setup-no-code-admin = Ce hub n'a pas de code de configuration : demandez un PIN à un administrateur sur la page d'administration.
setup-done = Ce navigateur est maintenant l'administrateur. Ouverture de la page d'administration…
