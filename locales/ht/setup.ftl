# The hub's setup page (/setup): the first admin with the setup code from integra.toml.
setup-title = Prepare hub sa a
setup-help = Tape kòd konfigirasyon ki ekri nan integra.toml hub sa a (sou pati demaraj kat la). Li fè navigatè sa a vin premye administratè sant lan, yon sèl fwa.
setup-code = Kòd konfigirasyon
setup-pair = Fè navigatè sa a vin administratè a
setup-wrong = Se pa kòd konfigirasyon ki nan integra.toml hub la. Verifye l epi tape l ankò (kantite esè yo limite).
setup-used = Yo deja sèvi ak kòd konfigirasyon sa a: mande yon administratè yon PIN sou paj administrasyon an.
setup-no-code = Hub sa a poko gen kòd konfigirasyon ni administratè. Pou mete youn: sou kat hub la, louvri integra.toml nan pati demaraj la ak yon editè tèks, ajoute yon liy setup_code = "…" ak 10 chif oswa plis pa w, chwazi o aza, epi etenn hub la epi limen l ankò.
setup-no-code-admin = Hub sa a pa gen kòd konfigirasyon: mande yon administratè yon PIN sou paj administrasyon an.
setup-done = Navigatè sa a se administratè a kounye a. N ap louvri paj administrasyon an…
