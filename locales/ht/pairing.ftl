# Ekran pou konekte yon aparèy ki poko gen jeton, ak aparèy k ap tann sou paj administrasyon an.
pairing-title-keypad = Konekte aparèy sa a ak hub sant lan
pairing-help-keypad = Sou paj administrasyon an, fè yon PIN pou wòl aparèy sa a epi tape l la a. Anvan, verifye anprent hub la anba a se menm sa paj administrasyon an montre.
pairing-title-code = Konekte ekran sa a
pairing-help-code = Sou paj administrasyon an, nan "Aparèy k ap tann", chèche adrès sa a, tape kòd sa a, epi chwazi wòl la ak non an.
pairing-hub = Hub: { $hub }
pairing-fingerprint = Anprent hub la (konpare l ak paj administrasyon an):
pairing-pin = PIN
pairing-delete = Efase
pairing-ok = Konekte
pairing-address = Adrès:
pairing-looking = N ap chèche hub sant lan…
pairing-pairing = N ap konekte…
pairing-wrong = Li pa konekte: PIN nan pa bon, yo deja sèvi avè l oswa li ekspire, oswa sa a se pa hub sant lan.
pairing-wrong-left = { $left ->
    [0] PIN sa a pa konekte (pa bon, deja sèvi oswa ekspire). Pa gen lòt esè ankò: tann 10 minit.
    [one] PIN sa a pa konekte (pa bon, deja sèvi oswa ekspire). Rete 1 esè, apre sa tann 10 minit.
   *[other] PIN sa a pa konekte (pa bon, deja sèvi oswa ekspire). Rete { $left } esè, apre sa tann 10 minit.
}
pairing-refused = Hub la refize kounye a (twòp esè, oswa twòp aparèy k ap tann): tann kèk minit, epi eseye ankò.
pairing-code-failed = Kòd la pa konekte. Yon nouvo kòd pral parèt: tape nouvo a sou paj administrasyon an.
pairing-paired = Li konekte. L ap demare…
pairing-console-waiting = Aparèy k ap tann
pairing-console-waiting-help = Yon ekran san manyen (televizyon nan sal la) montre yon kòd ak adrès li. Chèche adrès li la a, tape kòd ou wè sou ekran sa a, epi chwazi wòl li ak non li.
pairing-console-none = Pa gen okenn aparèy k ap tann.
pairing-console-address = Adrès
pairing-console-since = Depi
pairing-console-code = Kòd ki sou ekran li
pairing-console-role = Wòl
pairing-console-name = Non
pairing-console-approve = Apwouve
pairing-console-approved = Apwouve: aparèy la ap konekte.
pairing-console-display-pin = Yon ekran nan sal la pa gen klavye: li montre pwòp kòd li ak adrès li. Apwouve l anba a, nan "Aparèy k ap tann". Yon PIN pou ekran sèvi sèlman pou `pair_pin` nan integra.toml li.
