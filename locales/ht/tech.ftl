# The technician screen (held corner + setup code) and the "cannot start" screen.
tech-title = Ekran teknisyen
tech-prompt = Tape kòd konfigirasyon aparèy sa a (setup_code nan integra.toml).
tech-wrong = { $left ->
    [one] Move kòd. Rete yon sèl eseye anvan yon poz.
   *[other] Move kòd. Rete { $left } eseye anvan yon poz.
}
tech-paused = Twòp move kòd. Eseye ankò nan { $minutes } min.
tech-no-code = Aparèy sa a pa gen kòd konfigirasyon: ekri setup_code = "…" nan integra.toml, sou pati demaraj kat la, epi rekòmanse aparèy la.
tech-delete = Efase
tech-ok = Dakò
tech-close = Fèmen
tech-address = Adrès
tech-hub = Santral
tech-fingerprint = Anprent santral la
tech-version = Vèsyon
tech-role = Wòl
tech-checks = Verifikasyon
tech-checking = N ap verifye…
tech-log = Dènye liy jounal la
tech-print = Enprime yon paj tès
tech-printing = N ap enprime yon paj tès…
tech-restart = Rekòmanse
tech-restarting = N ap rekòmanse…
tech-repair = Asosye ankò
tech-repair-failed = Nou pa t ka bliye asosyasyon an: { $error }
cannot-start-title = Aparèy sa a pa ka demare
cannot-start-intro = Korije sa ki make anba a (pi souvan nan integra.toml, sou pati demaraj kat la). Aparèy la verifye ankò poukont li epi li demare lè li korije.
cannot-start-retry = Verifye a { $time }; l ap verifye ankò chak { $seconds } s.
